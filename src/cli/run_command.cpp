#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <cctype>
#include <iostream>

#include "backends/backend_registry.h"
#include "cli/commands.h"
#include "cli/progress.h"
#include "common/atomic_file.h"
#include "report/result_json.h"
#include "report/text_report.h"
#include "runner/context.h"
#include "runner/plan.h"

namespace tb::cli {
namespace {

// results/<UTC time>_<backend>_<host>, without the .json extension.
std::string result_stem(const std::string& dir, const RunContext& c) {
  std::string stamp = c.timestamp_utc;
  std::erase(stamp, ':');
  std::erase(stamp, '-');
  std::string host = c.host_name.empty() ? "host" : c.host_name;
  for (char& ch : host) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') ch = '_';
  }
  return dir + "/" + stamp + "_" + c.backend + "_" + host;
}

}  // namespace

int report_error(const Error& error) {
  std::fprintf(stderr, "trainbench: error: %s\n", error.message.c_str());
  return exit_status(error.code);
}

int run_command(const RunArgs& args) {
  // Everything the user gave is checked before anything is allocated, run or written.
  if (Status s = validate(args.options); !s) return report_error(s.error());
  std::vector<std::string> strings = args.problems;
  for (const std::string& suite : args.suites) {
    Expected<std::vector<std::string>> lines = read_suite_file(suite);
    if (!lines) return report_error(lines.error());
    strings.insert(strings.end(), lines->begin(), lines->end());
  }
  if (strings.empty()) {
    return report_error(bad_input("nothing to run: give --problem STRING or --suite FILE (trainbench run --help)"));
  }
  Expected<std::vector<ProblemPtr>> plan = build_plan(strings);
  if (!plan) return report_error(plan.error());

  BackendOptions backend_options;
  backend_options.threads = args.options.threads;
  Expected<std::unique_ptr<Backend>> backend = create_backend(args.backend, backend_options);
  if (!backend) return report_error(backend.error());
  const DeviceInfo device = (*backend)->device_info();
  if (Status s = check_memory(**backend, device, *plan); !s) return report_error(s.error());
  if (Status s = check_writable_directory(args.out_dir); !s) return report_error(s.error());

  RunRecord record;
  record.context = capture_context(**backend, device, args.options, args.command_line, args.executable);
  const std::string stem = result_stem(args.out_dir, record.context);
  std::string path;  // set when the first problem's result creates the file

  Runner runner(**backend, device, args.options);
  Progress progress(plan->size());
  bool any_failed = false;
  for (std::size_t i = 0; i < plan->size(); ++i) {
    const ProblemPtr& problem = (*plan)[i];
    progress.start(i, problem->to_string());
    ProblemResult result = runner.run(problem);
    any_failed |= result.status == ResultStatus::kFailed || result.status == ResultStatus::kError;
    record.results.push_back(std::move(result));
    // Rewritten after every problem: an interrupted sweep keeps what it completed.
    Status written;
    if (path.empty()) {
      Expected<std::string> created = create_result_file(stem, record);
      if (created) path = *created;
      written = created ? Status() : Status(created.error());
    } else {
      written = write_result_file(path, record);
    }
    if (!written) {
      progress.clear();
      return report_error(written.error());
    }
  }
  progress.clear();

  if (args.format == "json") {
    std::cout << to_json(record).dump(2) << "\n";
  } else if (args.format == "csv") {
    std::cout << render_csv(record);
  } else {
    std::cout << render_table(record);
    std::cout << "device: " << device.name << ", " << device.compute_units << " threads; peak source: "
              << device.peak_source << "\n";
    for (const auto& [key, value] : device.properties) {
      if (key == "blas_config" || key == "openblas_coretype_env") std::cout << key << ": " << value << "\n";
    }
    std::cout << "results: " << path << "\n";
  }
  // The table already carries these notes; other formats keep stdout machine-readable.
  for (const ProblemResult& r : record.results) {
    if (args.format == "table") break;
    for (const std::string& w : r.warnings) std::fprintf(stderr, "trainbench: warning: %s: %s\n", r.problem.c_str(), w.c_str());
    if (r.status == ResultStatus::kFailed || r.status == ResultStatus::kError) {
      std::fprintf(stderr, "trainbench: %s: %s: %s\n  reproduce: %s\n", r.problem.c_str(),
                   std::string(status_name(r.status)).c_str(), r.reason.c_str(), r.reproducer.c_str());
    }
  }
  return any_failed ? 1 : 0;
}

}  // namespace tb::cli
