/* Character helpers that libevent's regress binary imports from
 * util-internal.h and strlcpy-internal.h. They work on ASCII alone, whatever
 * the locale: the tests pass them '\xff' and expect "not a digit". */
#include <stddef.h>
#include <string.h>

int EVUTIL_ISDIGIT_(char c);
char EVUTIL_TOUPPER_(char c);
char EVUTIL_TOLOWER_(char c);
void evutil_rtrim_lws_(char* str);
size_t event_strlcpy_(char* dst, const char* src, size_t size);

int EVUTIL_ISDIGIT_(char c) {
  return c >= '0' && c <= '9';
}

char EVUTIL_TOUPPER_(char c) {
  return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

char EVUTIL_TOLOWER_(char c) {
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Linear white space as HTTP means it: spaces and tabs, not newlines. */
void evutil_rtrim_lws_(char* str) {
  size_t n = strlen(str);
  while (n > 0 && (str[n - 1] == ' ' || str[n - 1] == '\t')) {
    --n;
  }
  str[n] = '\0';
}

/* BSD strlcpy: copies what fits, always terminates (when size > 0) and
 * returns strlen(src), so a result >= size means the copy was cut. */
size_t event_strlcpy_(char* dst, const char* src, size_t size) {
  size_t len = strlen(src);
  if (size > 0) {
    size_t n = len < size - 1 ? len : size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
  }
  return len;
}
