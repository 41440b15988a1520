// What eddy-echo prints besides its start line: --stats lines in the
// documented format, and --log-level debug lines that give each read's size
// but never the bytes.

#include "echo_fixture.hpp"
#include "echo_process.hpp"
#include "tcp_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace echo_test {
namespace {

using std::chrono::seconds;

using EchoLogging = EchoProcessTest;

// The stats lines of `err`, each as its fields: "open" -> "1",
// "accepted" -> "1/1", ...
std::vector<std::map<std::string, std::string>> stats_lines(const std::string& err) {
  std::vector<std::map<std::string, std::string>> lines;
  std::istringstream stream(err);
  std::string line;
  while (std::getline(stream, line)) {
    const std::string prefix = "eddy-echo: stats ";
    if (!line.starts_with(prefix)) {
      continue;
    }
    std::map<std::string, std::string> fields;
    std::istringstream words(line.substr(prefix.size()));
    std::string word;
    while (words >> word) {
      const std::size_t equals = word.find('=');
      fields[word.substr(0, equals)] = equals == std::string::npos ? "" : word.substr(equals + 1);
    }
    lines.push_back(fields);
  }
  return lines;
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// "eddy-echo: stats interval=0.200s open=N accepted=D/T closed=D/T
// rejected=D/T bytes_in=D/T bytes_out=D/T messages=D/T", in that order
// (docs/echo.md). std::regex would do, but GCC 12 warns inside it at -O2.
::testing::AssertionResult is_tcp_stats_line(const std::string& line) {
  std::istringstream words(line);
  std::string word;
  words >> word;
  if (word != "eddy-echo:" || !(words >> word) || word != "stats") {
    return ::testing::AssertionFailure() << "not a stats line: " << line;
  }
  const char* const names[] = {"interval", "open",     "accepted",  "closed",
                               "rejected", "bytes_in", "bytes_out", "messages"};
  for (const char* name : names) {
    if (!(words >> word) || !word.starts_with(std::string(name) + "=")) {
      return ::testing::AssertionFailure() << "expected " << name << "= in: " << line;
    }
    const std::string_view value = std::string_view(word).substr(std::string_view(name).size() + 1);
    bool ok = false;
    if (std::string_view(name) == "interval") {
      const std::size_t dot = value.find('.');
      ok = dot != std::string_view::npos && all_digits(value.substr(0, dot)) && value.size() == dot + 5 &&
           all_digits(value.substr(dot + 1, 3)) && value.ends_with('s');
    } else if (std::string_view(name) == "open") {
      ok = all_digits(value);
    } else {
      const std::size_t slash = value.find('/');
      ok = slash != std::string_view::npos && all_digits(value.substr(0, slash)) && all_digits(value.substr(slash + 1));
    }
    if (!ok) {
      return ::testing::AssertionFailure() << "malformed " << name << " in: " << line;
    }
  }
  if (words >> word) {
    return ::testing::AssertionFailure() << "unexpected " << word << " in: " << line;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(EchoLogging, StatsPrintsCountersEveryInterval) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--stats", "0.2"});
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string data = random_bytes(1000, 60);
  ASSERT_TRUE(same_bytes(data, client.exchange(data, deadline_in(seconds(10)))));

  // Every counter is "delta/total"; wait for a line whose totals include
  // the exchange.
  const auto shows_exchange = [](const std::string& err) {
    for (const auto& fields : stats_lines(err)) {
      if (fields.count("bytes_out") != 0 && fields.at("bytes_out").ends_with("/1000")) {
        return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(server.process.wait_for_stderr(shows_exchange, deadline_in(seconds(10)))) << server.process.err();

  std::istringstream stream(server.process.err());
  std::string line;
  int stats_seen = 0;
  while (std::getline(stream, line)) {
    if (line.starts_with("eddy-echo: stats ")) {
      EXPECT_TRUE(is_tcp_stats_line(line));
      ++stats_seen;
    }
  }
  EXPECT_GE(stats_seen, 1);
  const auto lines = stats_lines(server.process.err());
  const auto& last = lines.back();
  EXPECT_EQ(last.at("open"), "1");
  EXPECT_TRUE(last.at("accepted").ends_with("/1")) << last.at("accepted");
  EXPECT_TRUE(last.at("closed").ends_with("/0")) << last.at("closed");
  EXPECT_TRUE(last.at("bytes_in").ends_with("/1000")) << last.at("bytes_in");
  EXPECT_FALSE(last.at("messages").ends_with("/0")) << last.at("messages");
  EXPECT_TRUE(exits_cleanly_on(server));
}

TEST_F(EchoLogging, DebugLevelLogsEachReadsSizeButNeverItsBytes) {
  EchoServerProcess server = start_echo_server("127.0.0.1", {"--log-level", "debug"});
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  const std::string payload = "EDDY-ECHO-SECRET-PAYLOAD-0123456789";
  ASSERT_EQ(client.exchange(payload, deadline_in(seconds(10))), payload);
  const std::string read_line = ": read " + std::to_string(payload.size()) + " bytes";
  EXPECT_TRUE(server.process.wait_for_stderr_line(read_line, deadline_in(seconds(10)))) << server.process.err();
  EXPECT_NE(server.process.err().find("eddy-echo: debug: "), std::string::npos) << server.process.err();
  EXPECT_TRUE(exits_cleanly_on(server));
  EXPECT_EQ(server.process.err().find("SECRET"), std::string::npos) << server.process.err();
}

TEST_F(EchoLogging, DefaultLevelPrintsNoLinePerRead) {
  EchoServerProcess server = start_echo_server();
  TcpClient client = TcpClient::connect(server.ip, server.port, deadline_in(seconds(10)));
  ASSERT_EQ(client.exchange("quiet", deadline_in(seconds(10))), "quiet");
  EXPECT_TRUE(exits_cleanly_on(server));
  EXPECT_EQ(server.process.err().find("debug"), std::string::npos) << server.process.err();
  EXPECT_EQ(server.process.err().find("read "), std::string::npos) << server.process.err();
}

}  // namespace
}  // namespace echo_test
