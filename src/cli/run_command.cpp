// trainbench run: the run session (src/runner/run_session.h) with the CLI's
// observer (result file, progress line, history database), then the table or
// JSON/CSV on stdout, warnings and failures on stderr, and the exit status.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "cli/progress.h"
#include "common/atomic_file.h"
#include "common/echo.h"
#include "common/mpi_launch.h"
#include "history/history_db.h"
#include "mpi/mpi_world.h"
#include "report/collective_report.h"
#include "report/model_report.h"
#include "report/result_json.h"
#include "runner/run_session.h"

namespace tb::cli {

int report_error(const Error& error) {
  std::fprintf(stderr, "trainbench: error: %s\n", escape_control(error.message).c_str());
  return exit_status(error.code);
}

void report_warning(const std::string& message) {
  std::fprintf(stderr, "trainbench: warning: %s\n", escape_control(message).c_str());
}

namespace {

bool failed(const ProblemResult& r) { return r.status == ResultStatus::kFailed || r.status == ResultStatus::kError; }

// The CLI's side of a session: on rank 0 the result file, rewritten after
// every problem, the progress line and the history database; on the other
// ranks each failure of their own, on their stderr.
class CliRunObserver final : public RunObserver {
 public:
  CliRunObserver(const RunRequest& args, const ProcessGroup& group) : args_(args), group_(group) {}

  Status check_ready() override {
    TB_RETURN_IF_ERROR(check_writable_directory(args_.out_dir));
    if (args_.db.empty()) return {};
    // Opened (created, migrated) before anything runs.
    TB_ASSIGN_OR_RETURN(history_, HistoryDb::open(args_.db, HistoryDb::Mode::kReadWrite));
    return {};
  }
  void started(const RunRecord& record, const AutoChoice& choice, std::size_t total) override {
    if (!leader()) return;
    // Said once the run goes ahead, so that a refused run prints its one error alone:
    // with the table on stdout, on stderr for the machine-readable formats.
    if (args_.backend == kAutoBackend && args_.format != "table") {
      std::fprintf(stderr, "trainbench: %s\n", choice.describe().c_str());
    }
    stem_ = result_file_stem(args_.out_dir, record.context);
    progress_.emplace(total);
  }
  void starting(std::size_t index, std::size_t, const std::string& problem) override {
    if (progress_) progress_->start(index, problem);
  }
  Status completed(const RunRecord& record) override {
    const ProblemResult& last = record.results.back();
    if (!leader()) {
      if (failed(last)) {
        std::fprintf(stderr, "trainbench: rank %d: %s: %s\n", group_.rank(), last.problem.c_str(), last.reason.c_str());
      }
      return {};
    }
    if (!path_.empty()) return write_result_file(path_, record);
    TB_ASSIGN_OR_RETURN(path_, create_result_file(stem_, record));
    return {};
  }
  void clear_progress() {
    if (progress_) progress_->clear();
  }
  const std::string& path() const { return path_; }
  std::optional<HistoryDb>& history() { return history_; }

 private:
  bool leader() const { return group_.rank() == 0; }
  const RunRequest& args_;
  const ProcessGroup& group_;
  std::optional<HistoryDb> history_;
  std::optional<Progress> progress_;
  std::string stem_;
  std::string path_;  // set when the first problem's result creates the file
};

int report_rank_error(const ProcessGroup& group, const Error& error) {
  std::fprintf(stderr, "trainbench: error: rank %d: %s\n", group.rank(), escape_control(error.message).c_str());
  return exit_status(error.code);
}

int report_stop(const RunStop& stop, ProcessGroup& group) {
  int status = 2;  // no error: the rank that failed printed why
  if (stop.error && !stop.print) status = exit_status(stop.error->code);
  else if (stop.error) status = stop.on_rank ? report_rank_error(group, *stop.error) : report_error(*stop.error);
  if (stop.abort_group) group.abort(status);
  return status;
}

// The lines below the table: device, backend choice, BLAS, processes, the
// model report, the file. After an nccl-tests table, '#' comments (the model
// report excepted: a run --model is read as a cost report).
void print_table_footer(const RunRequest& args, const RunOutcome& out, const std::string& path) {
  const DeviceInfo& device = out.record.context.device;
  const std::string units = compute_units_text(device);
  std::ostringstream lines;
  lines << "device: " << device.name << (units.empty() ? "" : ", " + units) << "; peak source: " << device.peak_source
        << "\n";
  if (args.backend == kAutoBackend) lines << "backend: " << out.choice.describe() << "\n";
  const bool collectives = has_collectives(out.record);
  for (const auto& [key, value] : device.properties) {
    if (key == "blas_config" || key == "openblas_coretype_env") lines << key << ": " << value << "\n";
    if (key == "memory_bandwidth_source" && collectives) lines << "memcpy bandwidth: " << value << "\n";
    if (key == "hardware_verification") lines << "verified on hardware: " << value << "\n";
  }
  if (collectives) lines << "processes: " << out.record.context.processes << "\n";
  std::cout << (collectives ? as_comment_lines(lines.str()) : lines.str());
  if (out.comparison) std::cout << render_model_report(*out.record.model_run, *out.comparison);
  std::cout << (collectives ? "# " : "") << "results: " << path << "\n";
}

// Warnings and failures on stderr: the table already carries them; other
// formats keep stdout machine-readable.
void print_result_notes(const RunRequest& args, const RunRecord& record) {
  if (args.format == "table") return;
  for (const ProblemResult& r : record.results) {
    for (const std::string& w : r.warnings) report_warning(r.problem + ": " + w);
    if (failed(r)) {
      std::fprintf(stderr, "trainbench: %s: %s: %s\n  reproduce: %s\n", r.problem.c_str(),
                   std::string(status_name(r.status)).c_str(), r.reason.c_str(), r.reproducer.c_str());
    }
  }
}

// Rank 0 after the run: the report, the history, then the exit status.
int report_run(const RunRequest& args, const RunOutcome& out, CliRunObserver& observer) {
  std::cout << render_record(out.record, args.format);
  if (args.format == "table") print_table_footer(args, out, observer.path());
  if (observer.history() && !out.broken) {
    // One transaction: the history gets the whole run or nothing of it.
    const Expected<RecordOutcome> recorded = observer.history()->record(out.record, "run");
    if (!recorded) return report_error(recorded.error());
    const bool comment = args.format == "table" && has_collectives(out.record);
    (args.format == "table" ? std::cout : std::cerr)
        << (comment ? "# " : "") << "history: run " << recorded->run_id << " in " << observer.history()->path() << "\n";
  }
  for (const std::string& w : out.model_warnings) report_warning(w);
  if (out.model_error && out.model_error->code == ErrorCode::kUnavailable) {
    // A kernel this machine cannot run: said plainly; the rest of the run stands.
    std::fprintf(stderr, "trainbench: note: %s\n", out.model_error->message.c_str());
  } else if (out.model_error) {
    return report_error(*out.model_error);
  }
  print_result_notes(args, out.record);
  if (out.broken) {
    std::fprintf(stderr, "trainbench: error: the run stopped after %zu of %zu problems: %s\n",
                 out.record.results.size(), out.planned, out.record.results.back().reason.c_str());
    return 1;
  }
  if (args.min_busbw_gb_per_s > 0.0) {
    if (Status s = check_min_busbw(out.record, args.min_busbw_gb_per_s); !s) {
      std::fprintf(stderr, "trainbench: %s\n", s.error().message.c_str());
      return 1;
    }
  }
  return out.any_failed ? 1 : 0;
}

// Under mpirun only rank 0 prints and writes; every rank runs and checks.
int run_in_group(const RunRequest& args, ProcessGroup& group, MpiWorld* mpi) {
  CliRunObserver observer(args, group);
  const RunOutcome out = run_session(args, group, mpi, observer);
  observer.clear_progress();
  if (out.stopped) return report_stop(*out.stopped, group);
  if (group.rank() != 0) return out.any_failed || out.broken ? 1 : 0;
  return report_run(args, out, observer);
}

}  // namespace

int run_command(const RunRequest& args) {
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

}  // namespace tb::cli
