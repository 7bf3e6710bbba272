#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cctype>
#include <iostream>
#include <optional>

#include "backends/backend_registry.h"
#include "cli/commands.h"
#include "cli/model_session.h"
#include "cli/progress.h"
#include "cli/result_stem.h"
#include "common/atomic_file.h"
#include "common/echo.h"
#include "common/mpi_launch.h"
#include "history/history_db.h"
#include "mpi/mpi_world.h"
#include "report/collective_report.h"
#include "report/result_json.h"
#include "report/text_report.h"
#include "runner/context.h"
#include "runner/plan.h"

namespace tb::cli {

int report_error(const Error& error) {
  std::fprintf(stderr, "trainbench: error: %s\n", escape_control(error.message).c_str());
  return exit_status(error.code);
}

void report_warning(const std::string& message) {
  std::fprintf(stderr, "trainbench: warning: %s\n", escape_control(message).c_str());
}

namespace {

// Under mpirun only rank 0 prints and writes; every rank runs and checks.
int run_in_group(const RunArgs& args, ProcessGroup& group, MpiWorld* mpi);

}  // namespace

int run_command(const RunArgs& args) {
  if (args.backend == "projected") return projected_run_command(args);
  if (!launched_by_mpi()) {
    SingleProcess single;
    return run_in_group(args, single, nullptr);
  }
  Expected<std::unique_ptr<MpiWorld>> world = MpiWorld::init(args.options.comm_timeout_s);
  if (!world) return report_error(world.error());
  const int status = run_in_group(args, **world, world->get());
  // Exit statuses can differ between ranks; mpirun reports the first non-zero one.
  if ((*world)->broken()) (*world)->abort(status == 0 ? 1 : status);
  return status;
}

namespace {

int report_rank_error(const ProcessGroup& group, const Error& error) {
  std::fprintf(stderr, "trainbench: error: rank %d: %s\n", group.rank(), escape_control(error.message).c_str());
  return exit_status(error.code);
}

int run_in_group(const RunArgs& args, ProcessGroup& group, MpiWorld* mpi) {
  const bool leader = group.rank() == 0;
  // Errors every rank finds alike (bad input) are printed once, by rank 0.
  const auto fail = [&](const Error& error) { return leader ? report_error(error) : exit_status(error.code); };
  // Everything the user gave is checked before anything is allocated, run or written.
  if (Status s = validate(args.options); !s) return fail(s.error());
  // Checked here, not before MPI_Init: under mpirun only rank 0 reports it.
  if (!(args.min_busbw_gb_per_s >= 0.0) || args.min_busbw_gb_per_s > 1e9) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", args.min_busbw_gb_per_s);  // as typed: -1, not -1.000000
    return fail(bad_input("--min-busbw " + std::string(value) + " is out of range: expected 0 (no floor) to 1e9 GB/s"));
  }
  BackendOptions backend_options = args.backend_options;
  backend_options.threads = args.options.threads;
  backend_options.comm_timeout_s = args.options.comm_timeout_s;
  backend_options.mpi = mpi;
  AutoChoice choice;
  Expected<std::unique_ptr<Backend>> backend = create_backend(args.backend, backend_options, &choice);
  if (!backend) return fail(backend.error());

  std::optional<ModelSession> session;
  Expected<std::vector<ProblemPtr>> plan = std::vector<ProblemPtr>{};
  if (!args.model.name.empty()) {
    if (!args.problems.empty() || !args.suites.empty()) {
      return fail(bad_input("--model runs the problems of the model's training step: drop --problem and --suite"));
    }
    if (group.size() > 1) {
      return fail(bad_input("--model runs in one process (its all-reduces use transport=threads): run it without mpirun"));
    }
    Expected<ModelSession> prepared = prepare_model_session(args.model);
    if (!prepared) return fail(prepared.error());
    session = std::move(*prepared);
    plan = session->plan.problems;
  } else {
    // Neither --problem nor --suite: the default suite of the device in hand.
    const std::vector<std::string> suites =
        args.problems.empty() && args.suites.empty() ? std::vector<std::string>{default_suite_path((*backend)->name())} : args.suites;
    Expected<std::vector<std::string>> strings = problem_strings(args.problems, suites, (*backend)->device_count());
    if (!strings) return fail(strings.error());
    if (strings->empty()) {
      return fail(bad_input("nothing to run: the suite has no problem; give --problem STRING, --suite FILE or --model NAME "
                            "(trainbench run --help)"));
    }
    plan = build_plan(*strings);
    if (!plan) return fail(plan.error());
  }
  if (Status s = check_process_layout(*plan, group); !s) return fail(s.error());
  const DeviceInfo device = (*backend)->device_info();
  // Checks whose outcome can differ between ranks (free memory; rank 0 writes
  // the results): every rank agrees before any collective starts.
  Status ready = check_memory(**backend, device, *plan);
  if (ready && leader) ready = check_writable_directory(args.out_dir);
  std::optional<HistoryDb> history;  // run --db: opened (created, migrated) before anything runs
  if (ready && leader && !args.db.empty()) {
    Expected<HistoryDb> opened = HistoryDb::open(args.db, HistoryDb::Mode::kReadWrite);
    if (opened) history = std::move(*opened);
    else ready = opened.error();
  }
  const Expected<bool> all_ready = group.all(ready.ok());
  if (!ready) return group.size() == 1 ? report_error(ready.error()) : report_rank_error(group, ready.error());
  if (!all_ready) return report_rank_error(group, all_ready.error());
  if (!*all_ready) return 2;  // the rank that failed printed why

  // Said once the run goes ahead, so that a refused run prints its one error alone:
  // with the table on stdout, on stderr for the machine-readable formats.
  if (leader && args.backend == kAutoBackend && args.format != "table") {
    std::fprintf(stderr, "trainbench: %s\n", choice.describe().c_str());
  }
  RunRecord record;
  record.context = capture_context(**backend, device, args.options, args.command_line, args.executable);
  record.context.processes = group.description();
  const std::string stem = result_stem(args.out_dir, record.context);
  std::string path;  // set when the first problem's result creates the file

  Runner runner(**backend, device, args.options, group);
  Progress progress(leader ? plan->size() : 0);
  bool any_failed = false;
  for (std::size_t i = 0; i < plan->size(); ++i) {
    const ProblemPtr& problem = (*plan)[i];
    progress.start(i, problem->to_string());
    ProblemResult result = runner.run(problem);
    any_failed |= result.status == ResultStatus::kFailed || result.status == ResultStatus::kError;
    if (!leader && (result.status == ResultStatus::kFailed || result.status == ResultStatus::kError)) {
      std::fprintf(stderr, "trainbench: rank %d: %s: %s\n", group.rank(), result.problem.c_str(), result.reason.c_str());
    }
    record.results.push_back(std::move(result));
    if (!leader) {
      if (group.broken()) return 1;
      continue;
    }
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
      const int status = report_error(written.error());
      if (group.size() > 1) group.abort(status);  // the other ranks would wait for rank 0 forever
      return status;
    }
    if (group.broken()) break;  // a rank died or hangs: keep what completed, report, end the job
  }
  progress.clear();
  if (!leader) return any_failed ? 1 : 0;

  // run --model: compose the step from what was measured and compare.
  std::optional<Comparison> comparison;
  std::optional<Error> model_error;
  if (session && !group.broken()) {
    Expected<Comparison> finished = finish_model_run(*session, device, record);
    if (finished) comparison = std::move(*finished);
    else model_error = finished.error();
    if (Status s = write_result_file(path, record); !s) return report_error(s.error());
  }

  std::cout << render_record(record, args.format);
  if (args.format == "table") {
    std::cout << "device: " << device.name << ", " << device.compute_units << " threads; peak source: "
              << device.peak_source << "\n";
    if (args.backend == kAutoBackend) std::cout << "backend: " << choice.describe() << "\n";
    const bool collectives = std::any_of(record.results.begin(), record.results.end(),
                                         [](const ProblemResult& r) { return r.collective.has_value(); });
    for (const auto& [key, value] : device.properties) {
      if (key == "blas_config" || key == "openblas_coretype_env") std::cout << key << ": " << value << "\n";
      if (key == "memory_bandwidth_source" && collectives) std::cout << "memcpy bandwidth: " << value << "\n";
      if (key == "hardware_verification") std::cout << "verified on hardware: " << value << "\n";
    }
    if (collectives) std::cout << "processes: " << record.context.processes << "\n";
    if (comparison) std::cout << render_model_report(*record.model_run, *comparison);
    std::cout << "results: " << path << "\n";
  }
  if (history && !group.broken()) {
    // One transaction: the history gets the whole run or nothing of it.
    const Expected<RecordOutcome> recorded = history->record(record, "run");
    if (!recorded) return report_error(recorded.error());
    (args.format == "table" ? std::cout : std::cerr)
        << "history: run " << recorded->run_id << " in " << history->path() << "\n";
  }
  if (session) {
    for (const std::string& w : session->setup.warnings) report_warning(w);
  }
  if (model_error && model_error->code == ErrorCode::kUnavailable) {
    // A kernel this machine cannot run: said plainly; the rest of the run stands.
    std::fprintf(stderr, "trainbench: note: %s\n", model_error->message.c_str());
  } else if (model_error) {
    return report_error(*model_error);
  }
  // The table already carries these notes; other formats keep stdout machine-readable.
  for (const ProblemResult& r : record.results) {
    if (args.format == "table") break;
    for (const std::string& w : r.warnings) report_warning(r.problem + ": " + w);
    if (r.status == ResultStatus::kFailed || r.status == ResultStatus::kError) {
      std::fprintf(stderr, "trainbench: %s: %s: %s\n  reproduce: %s\n", r.problem.c_str(),
                   std::string(status_name(r.status)).c_str(), r.reason.c_str(), r.reproducer.c_str());
    }
  }
  if (group.broken()) {
    std::fprintf(stderr, "trainbench: error: the run stopped after %zu of %zu problems: %s\n", record.results.size(),
                 plan->size(), record.results.back().reason.c_str());
    return 1;
  }
  if (args.min_busbw_gb_per_s > 0.0) {
    if (Status s = check_min_busbw(record, args.min_busbw_gb_per_s); !s) {
      std::fprintf(stderr, "trainbench: %s\n", s.error().message.c_str());
      return 1;
    }
  }
  return any_failed ? 1 : 0;
}

}  // namespace
}  // namespace tb::cli
