// Reading CPU time from /proc/PID/stat for --server-pid.

#include "cpu_usage.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace eddy_load {
namespace {

using std::chrono::milliseconds;

// Fields 14 and 15 are 250 and 150 ticks.
const std::string kStat =
    "1234 (eddy-echo) S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 3 0 100 1000000 500 "
    "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ParseProcStat, AddsUserAndSystemTicks) {
  const std::optional<CpuTime> cpu = parse_proc_stat(kStat, 100);
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, milliseconds(4000));
}

TEST(ParseProcStat, ACommandNameWithSpacesAndParenthesesDoesNotShiftTheFields) {
  const std::string odd = "1234 (a) b (c) d) S 1 1234 1234 0 -1 4194560 1000 0 0 0 7 3 0 0 20 0 3 0 100\n";
  const std::optional<CpuTime> cpu = parse_proc_stat(odd, 100);
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, milliseconds(100));
}

TEST(ParseProcStat, ConvertsTicksAtAnyClockRate) {
  const std::optional<CpuTime> cpu = parse_proc_stat(kStat, 250);
  ASSERT_TRUE(cpu);
  EXPECT_EQ(*cpu, milliseconds(1600));
}

TEST(ParseProcStat, RefusesTruncatedText) {
  EXPECT_FALSE(parse_proc_stat("1234 (eddy-echo) S 1 2 3", 100));
  EXPECT_FALSE(parse_proc_stat("garbage", 100));
  EXPECT_FALSE(parse_proc_stat(kStat, 0));
}

TEST(ProcessCpuTime, ReadsThisProcess) {
  std::error_code error;
  EXPECT_TRUE(process_cpu_time(::getpid(), error)) << error.message();
}

TEST(ProcessCpuTime, NamesTheErrorForAMissingProcess) {
  std::error_code error;
  // pid_max is at most 2^22 on Linux, so this pid cannot exist.
  EXPECT_FALSE(process_cpu_time(1 << 23, error));
  EXPECT_EQ(error, std::errc::no_such_file_or_directory);
}

TEST(OwnCpuTime, GrowsWhileWorking) {
  const CpuTime before = own_cpu_time();
  volatile std::uint64_t sink = 0;
  for (std::uint64_t i = 0; i < 50'000'000; ++i) {
    sink = sink + i;
  }
  EXPECT_GT(own_cpu_time(), before);
}

}  // namespace
}  // namespace eddy_load
