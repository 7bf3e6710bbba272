#include "runner/context.h"

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "common/host_info.h"
#include "trainbench/build_info.h"

namespace tb {
namespace {

std::string format_time(std::time_t t, bool utc) {
  std::tm tm{};
  if (utc) {
    gmtime_r(&t, &tm);
  } else {
    localtime_r(&t, &tm);
  }
  char buf[64];
  std::strftime(buf, sizeof buf, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string s = buf;
  if (!utc && s.size() > 2) s.insert(s.size() - 2, ":");  // +0000 -> +00:00, as Google Benchmark writes it
  return s;
}

}  // namespace

RunContext capture_context(const Backend& backend, const DeviceInfo& device, const RunOptions& options,
                           const std::string& command_line, const std::string& executable) {
  return capture_context(backend.name(), device, options, command_line, executable);
}

RunContext capture_context(std::string_view backend_name, const DeviceInfo& device, const RunOptions& options,
                           const std::string& command_line, const std::string& executable) {
  RunContext c;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  c.date = format_time(now, false);
  c.timestamp_utc = format_time(now, true);
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) c.host_name = host;
  c.executable = executable;
  const benchmark::CPUInfo& cpu = benchmark::CPUInfo::Get();
  c.num_cpus = cpu.num_cpus;
  c.mhz_per_cpu = cpu.cycles_per_second / 1e6;
  c.cpu_scaling_enabled = cpu.scaling == benchmark::CPUInfo::Scaling::ENABLED;
#ifdef NDEBUG
  c.library_build_type = "release";
#else
  c.library_build_type = "debug";
#endif
  c.trainbench_version = build::kVersion;
  c.git_commit = build::kGitCommit;
  c.build_type = build::kBuildType;
#if defined(__clang__)
  c.compiler = std::string("clang ") + __clang_version__;
#else
  c.compiler = std::string("g++ ") + __VERSION__;
#endif
  c.command_line = command_line;
  c.cpu_model = cpu_model_name();
  c.backend = std::string(backend_name);
  c.device = device;
  c.repetitions = options.repetitions;
  c.min_time_s = options.min_time_s;
  c.warmup_time_s = options.warmup_time_s;
  c.seed = options.seed;
  return c;
}

}  // namespace tb
