/* evutil's address helpers: evutil_getaddrinfo on numeric hosts, on no host
 * (wildcard with EVUTIL_AI_PASSIVE, loopback without, per family), with
 * EVUTIL_AI_NUMERICHOST and EVUTIL_AI_NUMERICSERV refusing names, and with
 * the socket type inferred from the protocol; evutil_gai_strerror's words;
 * evutil_sockaddr_cmp's order (sign only); evutil_inet_pton_scope with and
 * without a zone; evutil_parse_sockaddr_port refusing port 0 and bad
 * brackets; evutil_date_rfc1123, also truncated. Results of one lookup are
 * printed sorted (the resolver's order is its own). */
#include "diff_case.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/util.h>

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void describe(const struct evutil_addrinfo *ai, char *out, size_t n)
{
	char host[64] = "?";
	int port = -1;
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ai->ai_addr;
		evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		port = ntohs(sin->sin_port);
	} else if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ai->ai_addr;
		evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
		port = ntohs(sin6->sin6_port);
	}
	snprintf(out, n, "%s port %d socktype %d protocol %d addrlen %d", host, port, ai->ai_socktype,
		 ai->ai_protocol, (int)ai->ai_addrlen);
}

static void lookup(const char *node, const char *serv, int family, int socktype, int protocol, int flags)
{
	struct evutil_addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_protocol = protocol;
	hints.ai_flags = flags;
	int r = evutil_getaddrinfo(node, serv, &hints, &res);
	printf("getaddrinfo(%s, %s, family %d socktype %d protocol %d flags %#x) = %s\n", node ? node : "NULL",
	       serv ? serv : "NULL", family, socktype, protocol, (unsigned)flags, r == 0 ? "0" : evutil_gai_strerror(r));
	char *lines[16];
	int n = 0;
	for (struct evutil_addrinfo *ai = res; ai != NULL && n < 16; ai = ai->ai_next) {
		char text[128];
		describe(ai, text, sizeof text);
		lines[n++] = strdup(text);
	}
	qsort(lines, (size_t)n, sizeof lines[0], by_text);
	for (int i = 0; i < n; ++i) {
		printf("  %s\n", lines[i]);
		free(lines[i]);
	}
	if (res != NULL) /* libevent's evutil_freeaddrinfo does not take NULL */
		evutil_freeaddrinfo(res);
}

static int sign(int v)
{
	return v < 0 ? -1 : (v > 0 ? 1 : 0);
}

static struct sockaddr_storage parse(const char *text)
{
	struct sockaddr_storage ss;
	int len = (int)sizeof ss;
	memset(&ss, 0, sizeof ss);
	int r = evutil_parse_sockaddr_port(text, (struct sockaddr *)&ss, &len);
	printf("parse_sockaddr_port(%s) = %d", text, r);
	if (r == 0)
		printf(" family %d len %d", ss.ss_family, len);
	printf("\n");
	return ss;
}

int main(void)
{
	case_start();
	lookup("1.2.3.4", "8080", PF_UNSPEC, SOCK_STREAM, 0, 0);
	lookup("1001:b0b::f00f", "4321", PF_UNSPEC, 0, IPPROTO_UDP, 0);
	lookup(NULL, "9999", PF_INET, 0, IPPROTO_TCP, EVUTIL_AI_PASSIVE);
	lookup(NULL, "9998", PF_INET, 0, IPPROTO_TCP, 0);
	lookup(NULL, "9997", PF_INET6, 0, IPPROTO_TCP, 0);
	lookup(NULL, "9996", PF_INET6, 0, IPPROTO_TCP, EVUTIL_AI_PASSIVE);
	lookup(NULL, "9996", PF_UNSPEC, 0, IPPROTO_TCP, EVUTIL_AI_PASSIVE);
	lookup("1.2.3.4", NULL, PF_UNSPEC, SOCK_STREAM, 0, EVUTIL_AI_NUMERICHOST);
	lookup("www.example.invalid", "80", PF_UNSPEC, 0, 0, EVUTIL_AI_NUMERICHOST);
	lookup("1.2.3.4", "http", PF_UNSPEC, SOCK_STREAM, 0, EVUTIL_AI_NUMERICSERV);
	lookup("::1", "80", PF_INET, SOCK_STREAM, 0, 0);

	const int codes[] = {0, EVUTIL_EAI_CANCEL, EVUTIL_EAI_AGAIN, EVUTIL_EAI_BADFLAGS, EVUTIL_EAI_FAIL,
			     EVUTIL_EAI_FAMILY, EVUTIL_EAI_MEMORY, EVUTIL_EAI_NONAME, EVUTIL_EAI_SERVICE,
			     EVUTIL_EAI_SOCKTYPE, EVUTIL_EAI_SYSTEM};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; ++i)
		printf("gai_strerror(%d) = %s\n", codes[i], evutil_gai_strerror(codes[i]));

	const char *texts[] = {"1.2.3.4:80", "1.2.3.4:81", "1.2.3.5:80", "[::1]:80", "[::1]:81", "[::2]:80"};
	struct sockaddr_storage addrs[6];
	for (int i = 0; i < 6; ++i)
		addrs[i] = parse(texts[i]);
	for (int i = 0; i < 6; ++i)
		for (int j = 0; j < 6; ++j)
			printf("cmp %s %s: %d %d\n", texts[i], texts[j],
			       sign(evutil_sockaddr_cmp((struct sockaddr *)&addrs[i], (struct sockaddr *)&addrs[j], 1)),
			       sign(evutil_sockaddr_cmp((struct sockaddr *)&addrs[i], (struct sockaddr *)&addrs[j], 0)));
	const char *bad[] = {"[ffff::1]:0", "[ffff::1]:65599", "[ffff::1", "[ffff::1]:-1", "1.2.3.4:0", "1.2.3.4:",
			     "1.2.3.4:65535", "[ffff::1]", "1:2::1", "nonsense"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
		parse(bad[i]);

	const char *scoped[] = {"2001:db8::", "2001:db8::%0", "2001:db8::%7", "2001:db8::%lo",
				"2001:db8::%does-not-exist", "foobar", "1.2.3.4"};
	for (size_t i = 0; i < sizeof scoped / sizeof scoped[0]; ++i) {
		struct in6_addr in6;
		unsigned scope = 99;
		int af = strchr(scoped[i], ':') != NULL ? AF_INET6 : AF_INET;
		int r = evutil_inet_pton_scope(af, scoped[i], &in6, &scope);
		printf("inet_pton_scope(%s) = %d scope %u\n", scoped[i], r, r == 1 ? scope : 0);
	}

	const time_t moments[] = {0, 1289433600, 1323648000, 1700000000, 2147483647};
	for (size_t i = 0; i < sizeof moments / sizeof moments[0]; ++i) {
		struct tm tm;
		char date[30];
		gmtime_r(&moments[i], &tm);
		int r = evutil_date_rfc1123(date, sizeof date, &tm);
		printf("date_rfc1123(%ld) = %d \"%s\"\n", (long)moments[i], r, date);
	}
	struct tm epoch;
	const time_t zero = 0;
	char small[8];
	gmtime_r(&zero, &epoch);
	evutil_date_rfc1123(small, sizeof small, &epoch);
	printf("date_rfc1123 in 8 bytes: \"%s\"\n", small);
	return 0;
}
