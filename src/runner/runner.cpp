#include "runner/runner.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "common/format.h"
#include "common/host_info.h"
#include "common/mpi_launch.h"

namespace tb {
namespace {

// Collects Google Benchmark's runs instead of printing them.
class CollectingReporter final : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override { runs_.insert(runs_.end(), runs.begin(), runs.end()); }
  const std::vector<Run>& runs() const { return runs_; }

 private:
  std::vector<Run> runs_;
};

std::string format_bytes(double bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f bytes (%.2f GiB)", bytes, bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

// Times `workload` with Google Benchmark: manual (device) time, repetitions, warm-up.
// Returns the collected runs, or the error a run reported.
Expected<std::vector<benchmark::BenchmarkReporter::Run>> time_with_benchmark(Workload& workload,
                                                                             const std::string& name,
                                                                             const RunOptions& options) {
  std::unique_ptr<DeviceTimer> timer = workload.make_timer();
  benchmark::ClearRegisteredBenchmarks();
  benchmark::RegisterBenchmark(name.c_str(),
                               [&workload, &timer](benchmark::State& state) {
                                 for (auto _ : state) {
                                   Status s = timer->start();
                                   if (s) s = workload.run();
                                   if (s) s = timer->stop();
                                   Expected<double> seconds = s ? timer->elapsed_seconds() : Expected<double>(s.error());
                                   if (!seconds) {
                                     state.SkipWithError(seconds.error().message.c_str());
                                     break;
                                   }
                                   state.SetIterationTime(*seconds);
                                 }
                               })
      ->UseManualTime()
      ->Unit(benchmark::kNanosecond)  // GB's default: compare.py prints whole units
      ->Repetitions(options.repetitions)
      ->MinTime(options.min_time_s)
      ->MinWarmUpTime(options.warmup_time_s)
      ->ComputeStatistics("min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
      ->ComputeStatistics("max", [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); });
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();
  for (const auto& run : reporter.runs()) {
    if (run.error_occurred) return run_failure("timed run failed: " + run.error_message);
  }
  return reporter.runs();
}

}  // namespace

Status validate(const RunOptions& o) {
  if (o.repetitions < 1 || o.repetitions > 1000) {
    return bad_input("--repetitions " + std::to_string(o.repetitions) + " is out of range: expected 1 to 1000");
  }
  if (!(o.min_time_s > 0.0) || o.min_time_s > 3600.0) {
    return bad_input("--min-time " + format_g(o.min_time_s) + " is out of range: expected > 0 and <= 3600 seconds");
  }
  if (!(o.warmup_time_s >= 0.0) || o.warmup_time_s > 3600.0) {
    return bad_input("--warmup-time " + format_g(o.warmup_time_s) +
                     " is out of range: expected 0 to 3600 seconds");
  }
  // More threads than CPUs only time the scheduler, and each costs the probes memory.
  const int cpus = logical_cpu_count();
  if (o.threads < 0 || o.threads > cpus) {
    return bad_input("--threads " + std::to_string(o.threads) + " is out of range: expected 0 (all) to " +
                     std::to_string(cpus) + ", the logical CPUs this process may run on");
  }
  if (!(o.comm_timeout_s > 0.0) || o.comm_timeout_s > 86400.0) {
    return bad_input("--comm-timeout " + format_g(o.comm_timeout_s) +
                     " is out of range: expected > 0 and <= 86400 seconds");
  }
  return {};
}

Status check_process_layout(const std::vector<ProblemPtr>& problems, const ProcessGroup& group) {
  const std::string processes = std::to_string(group.size()) + " process" + (group.size() == 1 ? "" : "es");
  for (const ProblemPtr& p : problems) {
    const std::optional<CollectiveInfo> c = p->collective();
    if (c && c->transport == "mpi") {
      if (!launched_by_mpi()) {
        return bad_input("problem " + p->to_string() + " has transport=mpi, which needs one process per rank: run mpirun -np " +
                         std::to_string(c->ranks) + " trainbench run ... (or use transport=threads)");
      }
      if (c->ranks != group.size()) {
        return bad_input("problem " + p->to_string() + " has ranks=" + std::to_string(c->ranks) + ", but mpirun started " +
                         processes + ": expected ranks=" + std::to_string(group.size()) + " (or mpirun -np " +
                         std::to_string(c->ranks) + ")");
      }
    }
    if (group.size() > 1 && !c) {
      return bad_input("problem " + p->to_string() + " runs in one process, but mpirun started " + processes +
                       ": only allreduce runs across processes; run it without mpirun");
    }
    if (group.size() > 1 && c->transport != "mpi") {
      return bad_input("problem " + p->to_string() + " has transport=" + c->transport + ", but mpirun started " +
                       processes + ": drop transport= or give transport=mpi");
    }
  }
  return {};
}

Status check_memory(const Backend& backend, const DeviceInfo& device, const std::vector<ProblemPtr>& problems) {
  for (const ProblemPtr& p : problems) {
    if (!backend.supports(*p).supported) continue;  // recorded as skipped, never allocated
    const double host = static_cast<double>(p->host_bytes());
    const double dev = static_cast<double>(backend.device_bytes(*p));
    const double needed = device.shares_host_memory ? host + dev : dev;
    if (device.memory_bytes > 0 && needed > static_cast<double>(device.memory_bytes)) {
      return bad_input("problem " + p->to_string() + " needs " + format_bytes(needed) +
                       " of memory for its inputs, outputs and the backend's buffers; " + device.name + " has " +
                       format_bytes(static_cast<double>(device.memory_bytes)) + " available");
    }
  }
  return {};
}

Runner::Runner(Backend& backend, const DeviceInfo& device, RunOptions options, ProcessGroup& group)
    : backend_(backend), device_(device), options_(options), group_(group) {}

std::string Runner::reproducer(const Problem& problem) const {
  char opts[200];
  std::snprintf(opts, sizeof opts, " --repetitions %d --min-time %g --warmup-time %g --seed %llu --threads %d",
                options_.repetitions, options_.min_time_s, options_.warmup_time_s,
                static_cast<unsigned long long>(options_.seed), device_.compute_units);
  std::string launcher, comm;
  if (const std::optional<CollectiveInfo> c = problem.collective()) {
    if (c->transport == "mpi") launcher = "mpirun -np " + std::to_string(c->ranks) + " ";
    comm = " --comm-timeout " + format_g(options_.comm_timeout_s);
  }
  return launcher + "trainbench run --backend " + std::string(backend_.name()) + backend_.reproducer_options() +
         " --problem " + shell_single_quote(problem.to_string()) + opts + comm;
}

bool Runner::agree(const Status& local, ProblemResult& r) {
  const Expected<bool> everyone = group_.all(local.ok());
  if (everyone && *everyone) return true;
  r.status = ResultStatus::kError;
  if (!local) {
    r.reason = local.error().message;
  } else if (!everyone) {
    r.reason = everyone.error().message;
  } else {
    r.reason = "another rank failed (its error is on its own standard error)";
  }
  return false;
}

namespace {

// Under MPI each rank checked its own buffer: sum the counts, keep the worst
// error, pass only if every rank passed. The detail stays this rank's.
Status combine_across_ranks(ProcessGroup& group, Verification& v) {
  if (group.size() == 1) return {};
  const bool passed_here = v.passed;
  TB_ASSIGN_OR_RETURN(v.checked, group.sum(v.checked));
  TB_ASSIGN_OR_RETURN(v.total, group.sum(v.total));
  TB_ASSIGN_OR_RETURN(v.nonfinite, group.sum(v.nonfinite));
  const std::int64_t wrong_here = v.wrong;
  TB_ASSIGN_OR_RETURN(v.wrong, group.sum(v.wrong));
  TB_ASSIGN_OR_RETURN(v.max_error, group.max(v.max_error));
  TB_ASSIGN_OR_RETURN(v.passed, group.all(v.passed));
  if (passed_here && !v.passed) {
    v.detail = std::to_string(v.wrong - wrong_here) + " wrong elements on other ranks (each rank prints its own)";
  } else if (!passed_here) {
    v.detail = "rank " + std::to_string(group.rank()) + ": " + v.detail;
  }
  return {};
}

}  // namespace

ProblemResult Runner::run(const ProblemPtr& problem) {
  // The collective is set before anything can fail: reports file a collective by it, whatever its status.
  ProblemResult r = new_problem_result(*problem);
  r.reproducer = reproducer(*problem);

  const Support support = backend_.supports(*problem);
  if (!support.supported) {
    r.status = ResultStatus::kSkipped;
    r.reason = support.reason;
    return r;
  }
  if (backend_.measures_externally(*problem)) return run_external(*problem, std::move(r));
  const std::vector<HostTensor> inputs = problem->make_inputs(options_.seed, group_.rank());
  Expected<std::unique_ptr<Workload>> prepared = backend_.prepare(problem, inputs);
  if (!agree(prepared ? Status() : Status(prepared.error()), r)) return r;
  Workload& workload = **prepared;
  r.implementation = workload.implementation();
  if (const std::optional<DType> computed = workload.compute_dtype()) r.peak_dtype = std::string(dtype_name(*computed));

  // Verification run: poisoned outputs, one execution, outputs read back. Also the first warm-up.
  Status s = workload.poison_outputs();
  if (s) s = workload.run();
  if (s) s = workload.synchronize();
  Expected<std::vector<HostTensor>> outputs = s ? workload.read_outputs() : Expected<std::vector<HostTensor>>(s.error());
  if (!agree(outputs ? Status() : Status(outputs.error()), r)) return r;
  // Widened where the kernel rounds its inputs (TF32): Workload::input_unit_roundoff().
  r.verification =
      problem->verify_with_input_precision(inputs, *outputs, options_.seed, workload.input_unit_roundoff());
  if (Status combined = combine_across_ranks(group_, r.verification); !combined) {
    r.status = ResultStatus::kError;
    r.reason = combined.error().message;
    return r;
  }
  if (r.collective) r.collective->wrong_elements = r.verification.wrong;
  if (!r.verification.passed) {
    r.status = ResultStatus::kFailed;
    char buf[96];
    std::snprintf(buf, sizeof buf, "verification failed: max error %.3g > tolerance %.3g; ", r.verification.max_error,
                  r.verification.tolerance);
    r.reason = buf + r.verification.detail;
    return r;
  }

  const std::string name = r.problem + "/" + std::string(backend_.name());
  auto runs = time_with_benchmark(workload, name, options_);
  if (!agree(runs ? Status() : Status(runs.error()), r)) return r;
  const double to_seconds = 1e-9;  // GB reports in the unit we asked for: ns
  for (const auto& run : *runs) {
    BenchmarkEntry e;
    e.run_type = run.run_type == benchmark::BenchmarkReporter::Run::RT_Aggregate ? "aggregate" : "iteration";
    e.aggregate_name = run.aggregate_name;
    if (e.run_type == "aggregate") {
      e.aggregate_unit = run.aggregate_unit == benchmark::StatisticUnit::kPercentage ? "percentage" : "time";
    }
    e.repetitions = static_cast<int>(run.repetitions);
    e.repetition_index = e.run_type == "aggregate" ? -1 : static_cast<int>(run.repetition_index);
    e.iterations = static_cast<std::int64_t>(run.iterations);
    if (e.aggregate_unit == "percentage") {  // cv: a plain ratio, as GB's JSON writes it
      e.real_time = run.real_accumulated_time;
      e.cpu_time = run.cpu_accumulated_time;
    } else {
      e.real_time = run.GetAdjustedRealTime();
      e.cpu_time = run.GetAdjustedCPUTime();
    }
    e.time_unit = "ns";
    if (e.run_type == "iteration") {
      r.samples_s.push_back(e.real_time * to_seconds);
      r.iterations_per_sample = e.iterations;
    }
    r.entries.push_back(std::move(e));
  }
  if (r.samples_s.empty()) {
    r.status = ResultStatus::kError;
    r.reason = "Google Benchmark reported no repetitions; check BENCHMARK_* environment variables "
               "(e.g. BENCHMARK_REPORT_AGGREGATES_ONLY, BENCHMARK_FILTER), which it reads as flags";
    r.entries.clear();
    return r;
  }
  r.sample_statistic = "mean of each repetition's iterations (Google Benchmark real time)";
  derive_throughput(r);
  return r;
}

ProblemResult Runner::run_external(const Problem& problem, ProblemResult r) {
  Expected<ExternalMeasurement> m = backend_.measure_externally(problem, options_.repetitions, options_.comm_timeout_s);
  if (!m) {
    r.status = ResultStatus::kError;
    r.reason = m.error().message;
    return r;
  }
  r.implementation = m->implementation;
  r.verification = m->verification;
  r.warnings = m->warnings;
  if (r.collective) r.collective->wrong_elements = r.verification.wrong;
  if (!r.verification.passed) {
    r.status = ResultStatus::kFailed;
    r.reason = "verification failed: " + r.verification.detail;
    return r;
  }
  r.samples_s = m->samples_s;
  r.iterations_per_sample = m->iterations_per_sample;
  r.sample_statistic = m->sample_statistic;
  r.tool_statistics_s = m->tool_statistics_s;
  derive_throughput(r);
  return r;
}

void Runner::derive_throughput(ProblemResult& r) const {
  r.status = ResultStatus::kPassed;
  if (r.peak_dtype.empty()) r.peak_dtype = r.dtype;
  const Expected<DType> peak_dtype = parse_dtype(r.peak_dtype);
  const auto peak = peak_dtype ? device_.peak_flop_per_s.find(*peak_dtype) : device_.peak_flop_per_s.end();
  derive_figures(r, peak != device_.peak_flop_per_s.end() ? peak->second : 0.0);
  if (r.fraction_of_peak > 1.0) {
    r.warnings.emplace_back("throughput exceeds the device peak (" + device_.peak_source +
                            "): the peak was likely measured while the machine was busy; rerun on an idle machine");
  }
  if (r.time_s.cv > kNoisyCv) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "noisy: coefficient of variation %.1f%% is above %.0f%%", 100.0 * r.time_s.cv,
                  100.0 * kNoisyCv);
    r.warnings.emplace_back(buf);
  }
}

}  // namespace tb
