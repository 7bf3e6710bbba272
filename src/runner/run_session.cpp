#include "runner/run_session.h"

#include <memory>
#include <utility>

#include "common/format.h"
#include "runner/context.h"
#include "runner/model_run.h"
#include "runner/plan.h"
#include "runner/runner.h"

namespace tb {
namespace {

RunOutcome stopped(RunOutcome out, Error error, bool print) {
  out.stopped = RunStop{std::move(error), print, false, false};
  return out;
}

// Everything in the request that can be checked before a backend exists.
Status check_request(const RunRequest& request) {
  TB_RETURN_IF_ERROR(validate(request.options));
  // Checked here, not before MPI_Init: under mpirun only rank 0 reports it.
  if (!(request.min_busbw_gb_per_s >= 0.0) || request.min_busbw_gb_per_s > 1e9) {
    return bad_input("--min-busbw " + format_g(request.min_busbw_gb_per_s) +
                     " is out of range: expected 0 (no floor) to 1e9 GB/s");
  }
  return {};
}

// The problems to run: the model's step, or the --problem and --suite
// strings, or (neither given) the default suite of the device in hand.
Expected<std::vector<ProblemPtr>> plan_problems(const RunRequest& request, const Backend& backend,
                                                const ProcessGroup& group, std::optional<ModelSession>& session) {
  if (!request.model.name.empty()) {
    if (!request.problems.empty() || !request.suites.empty()) {
      return bad_input("--model runs the problems of the model's training step: drop --problem and --suite");
    }
    if (group.size() > 1) {
      return bad_input("--model runs in one process (its all-reduces use transport=threads): run it without mpirun");
    }
    TB_ASSIGN_OR_RETURN(session, prepare_model_session(request.model));
    return session->plan.problems;
  }
  const bool none_given = request.problems.empty() && request.suites.empty();
  const std::vector<std::string> suites =
      none_given ? std::vector<std::string>{default_suite_path(backend.name())} : request.suites;
  TB_ASSIGN_OR_RETURN(const std::vector<std::string> strings,
                      problem_strings(request.problems, suites, backend.device_count()));
  if (strings.empty()) {
    return bad_input("nothing to run: the suite has no problem; give --problem STRING, --suite FILE or --model NAME "
                     "(trainbench run --help)");
  }
  return build_plan(strings);
}

// Checks whose outcome can differ between ranks (free memory; the leader
// writes the results): every rank agrees before any collective starts.
std::optional<RunStop> agree_ready(const Backend& backend, const DeviceInfo& device,
                                   const std::vector<ProblemPtr>& plan, ProcessGroup& group, RunObserver& observer) {
  Status ready = check_memory(backend, device, plan);
  if (ready && group.rank() == 0) ready = observer.check_ready();
  const Expected<bool> all_ready = group.all(ready.ok());
  if (!ready) return RunStop{ready.error(), true, group.size() > 1, false};
  if (!all_ready) return RunStop{all_ready.error(), true, true, false};
  if (!*all_ready) return RunStop{std::nullopt, false, false, false};  // the rank that failed printed why
  return std::nullopt;
}

// Each problem through the Runner; the observer hears of each before and after.
void run_plan(Backend& backend, const DeviceInfo& device, const RunRequest& request, ProcessGroup& group,
              const std::vector<ProblemPtr>& plan, RunObserver& observer, RunOutcome& out) {
  Runner runner(backend, device, request.options, group);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    observer.starting(i, plan.size(), plan[i]->to_string());
    ProblemResult result = runner.run(plan[i]);
    out.any_failed |= result.status == ResultStatus::kFailed || result.status == ResultStatus::kError;
    out.record.results.push_back(std::move(result));
    // Written after every problem: an interrupted sweep keeps what it completed.
    if (Status s = observer.completed(out.record); !s) {
      out.stopped = RunStop{s.error(), true, false, group.size() > 1};  // the other ranks would wait forever
      return;
    }
    if (group.broken()) {  // a rank died or hangs: keep what completed, report, end the job
      out.broken = true;
      return;
    }
  }
}

// run --model: the step composed from what was measured, and compared.
void finish_model(const ModelSession& session, const DeviceInfo& device, RunObserver& observer, RunOutcome& out) {
  Expected<Comparison> finished = finish_model_run(session, device, out.record);
  if (finished) out.comparison = std::move(*finished);
  else out.model_error = finished.error();
  out.model_warnings = session.setup.warnings;
  if (Status s = observer.completed(out.record); !s) out.stopped = RunStop{s.error(), true, false, false};
}

}  // namespace

RunOutcome run_session(const RunRequest& request, ProcessGroup& group, MpiWorld* mpi, RunObserver& observer) {
  RunOutcome out;
  // Everything the user gave is checked before anything is allocated, run or
  // written; errors every rank finds alike are printed by rank 0 alone.
  const bool leader = group.rank() == 0;
  const auto refuse = [&](const Error& e) { return stopped(std::move(out), e, /*print=*/leader); };
  if (Status s = check_request(request); !s) return refuse(s.error());
  BackendOptions backend_options = request.backend_options;
  backend_options.threads = request.options.threads;
  backend_options.comm_timeout_s = request.options.comm_timeout_s;
  backend_options.mpi = mpi;
  Expected<std::unique_ptr<Backend>> backend = create_backend(request.backend, backend_options, &out.choice);
  if (!backend) return refuse(backend.error());
  std::optional<ModelSession> session;
  const Expected<std::vector<ProblemPtr>> plan = plan_problems(request, **backend, group, session);
  if (!plan) return refuse(plan.error());
  if (Status s = check_process_layout(*plan, group); !s) return refuse(s.error());
  out.planned = plan->size();
  const DeviceInfo device = (*backend)->device_info();
  if (std::optional<RunStop> stop = agree_ready(**backend, device, *plan, group, observer)) {
    out.stopped = std::move(stop);
    return out;
  }
  out.record.context =
      capture_context(**backend, device, request.options, request.command_line, request.executable);
  out.record.context.processes = group.description();
  out.record.context.median_only = request.median_only;
  observer.started(out.record, out.choice, plan->size());
  run_plan(**backend, device, request, group, *plan, observer, out);
  if (session && !out.stopped && !out.broken && leader) finish_model(*session, device, observer, out);
  return out;
}

}  // namespace tb
