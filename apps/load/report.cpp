#include "report.hpp"

#include "interrupt_request.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>

namespace eddy_load {

namespace {

double to_seconds(std::chrono::nanoseconds d) noexcept { return std::chrono::duration<double>(d).count(); }
double ns_to_us(std::uint64_t ns) noexcept { return static_cast<double>(ns) / 1000.0; }
// JSON has no NaN or infinity; a figure that cannot be computed is 0.
double finite(double value) noexcept { return std::isfinite(value) ? value : 0.0; }

const char* protocol(const LoadOptions& options) noexcept { return options.udp ? "udp" : "tcp"; }

std::string json_string(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
    }
    if (static_cast<unsigned char>(c) >= 0x20) {
      quoted += c;
    }
  }
  return quoted + "\"";
}

// The table's line for a run that a signal ended, after its label.
std::string interruption(const LoadOptions& options, const LoadResult& result, const Summary& summary) {
  std::string line = std::string("by ") + signal_name(result.interrupted_by);
  switch (result.interrupted_in) {
    case RunPhase::kConnecting:
      return line + " while connecting: nothing measured";
    case RunPhase::kWarmup:
      return line + " during the warmup: nothing measured";
    case RunPhase::kMeasuring:
      break;
  }
  char text[96];
  if (options.duration) {
    std::snprintf(text, sizeof text, " after %.2f s of %g s", summary.seconds, to_seconds(*options.duration));
  } else {
    std::snprintf(text, sizeof text, " after %.2f s, %" PRIu64 " of %" PRIu64 " messages", summary.seconds,
                  result.figures.messages, options.messages.value_or(0));
  }
  return line + text;
}

}  // namespace

Summary summarize(const LoadResult& result) {
  Summary summary;
  summary.seconds = to_seconds(result.measured);
  const double messages = static_cast<double>(result.figures.messages);
  if (summary.seconds > 0) {
    summary.msgs_per_sec = messages / summary.seconds;
    summary.mb_per_sec = static_cast<double>(result.figures.bytes) / summary.seconds / 1e6;
  }
  const LatencyHistogram& latency = result.figures.latency;
  summary.p50_us = ns_to_us(latency.percentile(50));
  summary.p90_us = ns_to_us(latency.percentile(90));
  summary.p99_us = ns_to_us(latency.percentile(99));
  summary.p999_us = ns_to_us(latency.percentile(99.9));
  summary.max_us = ns_to_us(latency.max());
  if (result.generator_cpu && summary.seconds > 0) {
    summary.generator_cpu_percent = finite(100.0 * to_seconds(*result.generator_cpu) / summary.seconds);
    summary.generator_cpu_percent_per_thread =
        summary.generator_cpu_percent / static_cast<double>(std::max<std::size_t>(1, result.threads));
  }
  if (result.server_cpu) {
    summary.server_cpu_seconds = to_seconds(*result.server_cpu);
    if (messages > 0) {
      summary.server_cpu_us_per_msg = *summary.server_cpu_seconds * 1e6 / messages;
    }
  }
  return summary;
}

std::string format_progress(const ProgressSample& sample) {
  const double seconds = to_seconds(sample.interval);
  const LoadFigures& figures = sample.figures;
  const double rate = seconds > 0 ? static_cast<double>(figures.messages) / seconds : 0.0;
  const double mb = seconds > 0 ? static_cast<double>(figures.bytes) / seconds / 1e6 : 0.0;
  char line[256];
  std::snprintf(line, sizeof line, "%6.1f s %10.0f msg/s %9.2f MB/s   p50 %8.1f us   p99 %8.1f us   errors %" PRIu64 "%s",
                to_seconds(sample.elapsed), rate, mb, ns_to_us(figures.latency.percentile(50)),
                ns_to_us(figures.latency.percentile(99)), figures.errors.total(),
                sample.warming_up ? "   (warmup)" : "");
  return line;
}

void print_table(std::FILE* out, const LoadOptions& options, const LoadResult& result, const Summary& summary) {
  std::fprintf(out, "%s %s, %zu connections x %zu B, depth %zu, %zu thread%s (%s)%s\n", protocol(options),
               options.server.to_string().c_str(), options.connections, options.size, options.depth, result.threads,
               result.threads == 1 ? "" : "s", result.backend.c_str(), options.rate > 0 ? ", fixed rate" : "");
  if (result.interrupted_by != 0) {
    std::fprintf(out, "  %-16s %s\n", "interrupted", interruption(options, result, summary).c_str());
  }
  std::fprintf(out, "  %-16s %.3f s", "measured", summary.seconds);
  if (options.warmup.count() > 0) {
    std::fprintf(out, " (after %.2f s warmup)", to_seconds(options.warmup));
  }
  if (options.rate > 0) {
    std::fprintf(out, " at %.0f msg/s scheduled", options.rate);
  }
  std::fprintf(out, "\n  %-16s %" PRIu64 "   %.0f msg/s   %.2f MB/s\n", "messages", result.figures.messages,
               summary.msgs_per_sec, summary.mb_per_sec);
  std::fprintf(out, "  %-16s p50 %.1f   p90 %.1f   p99 %.1f   p99.9 %.1f   max %.1f\n", "latency (us)", summary.p50_us,
               summary.p90_us, summary.p99_us, summary.p999_us, summary.max_us);
  std::fprintf(out, "  %-16s connect %" PRIu64 "   reset %" PRIu64 "   mismatch %" PRIu64 "   timeout %" PRIu64 "\n",
               "errors", result.errors.connect, result.errors.reset, result.errors.mismatch, result.errors.timeout);
  std::fprintf(out, "  %-16s %.1f %% of a core (%.1f %% per thread)\n", "generator CPU", summary.generator_cpu_percent,
               summary.generator_cpu_percent_per_thread);
  if (options.server_pid) {
    if (summary.server_cpu_seconds) {
      std::fprintf(out, "  %-16s %.3f s", "server CPU", *summary.server_cpu_seconds);
      if (summary.server_cpu_us_per_msg) {
        std::fprintf(out, "   %.3f us/msg", *summary.server_cpu_us_per_msg);
      }
      std::fprintf(out, "\n");
    } else {
      std::fprintf(out, "  %-16s unknown (%s)\n", "server CPU", result.server_cpu_error.c_str());
    }
  }
}

void print_json(std::FILE* out, const LoadOptions& options, const LoadResult& result, const Summary& summary) {
  std::fprintf(out,
               "{\"protocol\":\"%s\",\"host\":%s,\"port\":%u,\"threads\":%zu,\"backend\":%s,"
               "\"connections\":%zu,\"open_connections\":%zu,\"depth\":%zu,\"size\":%zu,\"rate\":%.3f,"
               "\"warmup\":%.3f,\"duration\":%.6f,\"messages\":%" PRIu64 ",\"bytes\":%" PRIu64
               ",\"msgs_per_sec\":%.3f,\"mb_per_sec\":%.6f,",
               protocol(options), json_string(options.host).c_str(), unsigned{options.port}, result.threads,
               json_string(result.backend).c_str(), options.connections, result.open_connections, options.depth,
               options.size, finite(options.rate), to_seconds(options.warmup), summary.seconds,
               result.figures.messages, result.figures.bytes, finite(summary.msgs_per_sec),
               finite(summary.mb_per_sec));
  std::fprintf(out, "\"latency_us\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},",
               summary.p50_us, summary.p90_us, summary.p99_us, summary.p999_us, summary.max_us);
  std::fprintf(out,
               "\"errors\":{\"connect\":%" PRIu64 ",\"reset\":%" PRIu64 ",\"mismatch\":%" PRIu64
               ",\"timeout\":%" PRIu64 "},",
               result.errors.connect, result.errors.reset, result.errors.mismatch, result.errors.timeout);
  std::fprintf(out, "\"generator_cpu_percent\":%.3f", summary.generator_cpu_percent);
  std::fprintf(out, ",\"interrupted\":%s", result.interrupted_by != 0 ? "true" : "false");
  if (result.interrupted_by != 0) {
    std::fprintf(out, ",\"interrupted_by\":\"%s\"", signal_name(result.interrupted_by));
  }
  if (options.server_pid) {
    if (summary.server_cpu_seconds) {
      std::fprintf(out, ",\"server_cpu_seconds\":%.6f", *summary.server_cpu_seconds);
    } else {
      std::fprintf(out, ",\"server_cpu_seconds\":null");
    }
    if (summary.server_cpu_us_per_msg) {
      std::fprintf(out, ",\"server_cpu_us_per_msg\":%.6f", *summary.server_cpu_us_per_msg);
    } else {
      std::fprintf(out, ",\"server_cpu_us_per_msg\":null");
    }
  }
  std::fprintf(out, "}\n");
}

}  // namespace eddy_load
