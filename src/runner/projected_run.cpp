#include "runner/projected_run.h"

#include <optional>
#include <string>
#include <vector>

#include "common/format.h"
#include "common/mpi_launch.h"
#include "cost/step_projection.h"
#include "runner/context.h"
#include "runner/model_run.h"
#include "runner/plan.h"

namespace tb {
namespace {

constexpr const char* kProjected = "projected";

// Everything checked before the catalog is read: how it was started and which options it got.
Status check_options(const RunRequest& args) {
  if (launched_by_mpi()) {
    return bad_input("--backend projected runs nothing and needs no processes: run it without mpirun");
  }
  if (!args.model.name.empty()) {
    return bad_input("--backend projected projects --problem and --suite problems; run --model already projects its "
                     "step onto catalog instances: drop --backend projected and use --instance there");
  }
  if (args.min_busbw_gb_per_s != 0.0) {
    return bad_input("--min-busbw checks measured bus bandwidth, and --backend projected measures nothing: drop "
                     "--min-busbw");
  }
  if (args.model.instances.empty()) {
    return bad_input("--backend projected needs the catalog instance to project onto: give exactly one --instance "
                     "NAME, e.g. --instance p5.48xlarge (trainbench list instances)");
  }
  return {};
}

Expected<std::vector<ProblemPtr>> projected_plan(const RunRequest& args) {
  TB_ASSIGN_OR_RETURN(const std::vector<std::string> strings, problem_strings(args.problems, args.suites));
  if (strings.empty()) {
    return bad_input("nothing to project: give --problem STRING or --suite FILE with --backend projected "
                     "(trainbench run --help)");
  }
  return build_plan(strings);
}

// The one instance of --instance.
Expected<Instance> chosen_instance(const ComparisonSetup& setup) {
  if (!setup.all_instances && setup.instances.size() == 1) return setup.instances.front();
  std::string named = "every catalog instance (all)";
  if (!setup.all_instances) {
    named = std::to_string(setup.instances.size()) + " (";
    for (const Instance& i : setup.instances) named += (named.back() == '(' ? "" : ", ") + i.name;
    named += setup.instances.empty() ? "none)" : ")";
  }
  return bad_input("--backend projected projects onto exactly one catalog instance, and --instance named " + named +
                   ": give one --instance NAME, e.g. --instance p5.48xlarge");
}

// The instance as the record's device: per-device peaks and memory from the catalog.
DeviceInfo projected_device(const Instance& instance, const ComparisonSetup& setup) {
  DeviceInfo d;
  d.name = instance.name + " (" + instance.accelerator +
           (instance.accelerator_count > 0 ? " x" + std::to_string(instance.accelerator_count) : "") + ")";
  d.kind = kProjected;
  for (const DType dtype : kAllDTypes) {  // the peaks the catalog has; fp8 where peak_fp8_tflops is filled
    const Expected<ProjectionTarget> t = projection_target(instance, dtype);
    if (!t) continue;
    d.peak_flop_per_s[dtype] = t->peak_flop_per_s;
    d.memory_bandwidth_bytes_per_s = t->memory_bytes_per_s;
    d.memory_bytes = static_cast<std::int64_t>(t->memory_bytes);
  }
  d.peak_source = "catalog: " + instance.name + " in " + setup.catalog.path + " (" + instance.specs_source + ")";
  d.properties = {{"instance", instance.name},
                  {"accelerator", instance.accelerator},
                  {"accelerators_per_instance", std::to_string(instance.accelerator_count)},
                  {"catalog", setup.catalog.path},
                  {"efficiency_table", setup.efficiency.path}};
  return d;
}

// How the all-reduce's link bandwidth was chosen (ring_bandwidth's rule).
std::string link_description(int ranks, const ProjectionTarget& t, double bandwidth) {
  const std::string chosen = format_g(bandwidth / 1e9) + " GB/s";
  if (ranks <= t.devices_per_instance) return "intra-node " + chosen;
  std::string why = "the network share " + format_g(t.network_bytes_per_s / 1e9) + " GB/s";
  if (t.devices_per_instance > 1 && t.intra_link_bytes_per_s > 0) {
    why = "the slower of the intra-node link " + format_g(t.intra_link_bytes_per_s / 1e9) + " GB/s and " + why;
  }
  return chosen + " per device across instances (ranks " + std::to_string(ranks) + " > " +
         std::to_string(t.devices_per_instance) + " devices per instance: " + why + ")";
}

// Projected time of one execution (s); sets the result's implementation and collective.
Expected<double> projected_seconds(const Problem& problem, const ProjectionTarget& target, const EfficiencyRow& row,
                                   ProblemResult& r) {
  const std::optional<CollectiveInfo> c = problem.collective();
  if (!c) {
    r.implementation = "projection: roofline, efficiency compute " + format_g(row.compute) + " memory " +
                       format_g(row.memory) + " launch " + format_g(row.launch_overhead_s * 1e6) + " us (" + row.source +
                       ")";
    TB_ASSIGN_OR_RETURN(const ItemProjection p, project_kernel(problem.flop(), problem.min_bytes(), target, row));
    return p.seconds;
  }
  r.collective->transport = kProjected;
  r.collective->algo = "ring";  // the model is a ring's, whatever algo= the problem names
  if (c->ranks <= 1) {
    r.implementation = "projection: alpha-beta ring, 1 rank: no communication (" + row.source + ")";
  } else {
    TB_ASSIGN_OR_RETURN(const double bandwidth, ring_bandwidth(c->ranks, target));
    r.implementation = "projection: alpha-beta ring, link " + link_description(c->ranks, target, bandwidth) +
                       " x efficiency " + format_g(row.link) + ", alpha " + format_g(row.alpha_s * 1e6) + " us (" +
                       row.source + ")";
  }
  TB_ASSIGN_OR_RETURN(const ItemProjection p, project_allreduce(problem.min_bytes(), c->ranks, c->ranks, target, row));
  return p.seconds;
}

// The command line that projects this one problem again.
std::string reproducer(const Problem& problem, const Instance& instance, const ModelRequest& m) {
  // Catalog names and applied overrides are plain words; the problem and the path are quoted.
  std::string out = "trainbench run --backend projected --instance " + instance.name + " --problem " +
                    shell_single_quote(problem.to_string());
  for (const std::string& e : m.efficiency) out += " --efficiency " + e;
  if (!m.catalog.empty()) out += " --catalog " + shell_single_quote(m.catalog);
  return out;
}

Expected<ProblemResult> project_problem(const Problem& problem, const Instance& instance,
                                        const ComparisonSetup& setup, const ModelRequest& m) {
  TB_ASSIGN_OR_RETURN(const ProjectionTarget target, projection_target(instance, problem.dtype()));
  TB_ASSIGN_OR_RETURN(const EfficiencyRow row, setup.efficiency.find(target.device_class, problem.kernel()));
  ProblemResult r = new_problem_result(problem);
  r.status = ResultStatus::kPassed;  // the projection was computed; provenance and verification say nothing ran
  r.provenance = kProjected;
  r.verification.metric = "none";
  r.verification.detail = "projected: nothing ran";
  r.reproducer = reproducer(problem, instance, m);
  TB_ASSIGN_OR_RETURN(const double seconds, projected_seconds(problem, target, row, r));
  r.samples_s = {seconds};
  derive_figures(r, target.peak_flop_per_s);  // as measured ones: a collective's algbw and busbw, no peak fraction
  if (!r.collective) r.peak_dtype = r.dtype;
  return r;
}

}  // namespace

Expected<ProjectedRun> project_run(const RunRequest& args) {
  TB_RETURN_IF_ERROR(check_options(args));
  TB_ASSIGN_OR_RETURN(const std::vector<ProblemPtr> plan, projected_plan(args));
  TB_ASSIGN_OR_RETURN(const ComparisonSetup setup, prepare_comparison(args.model, plan.front()->dtype()));
  TB_ASSIGN_OR_RETURN(const Instance instance, chosen_instance(setup));
  // Every problem is projected before anything is written: a problem that
  // cannot be projected is bad input, and no file is left behind.
  ProjectedRun run;
  run.instance = instance.name;
  for (const ProblemPtr& problem : plan) {
    Expected<ProblemResult> r = project_problem(*problem, instance, setup, args.model);
    if (!r) {
      return Error{r.error().code,
                   "projecting " + problem->to_string() + " onto " + instance.name + ": " + r.error().message};
    }
    run.record.results.push_back(std::move(*r));
  }
  RunOptions options;  // one projected value per problem; nothing timed
  options.repetitions = 1;
  options.min_time_s = 0.0;
  options.warmup_time_s = 0.0;
  options.seed = args.options.seed;
  run.record.context = capture_context(kProjected, projected_device(instance, setup), options, args.command_line,
                                       args.executable);
  run.record.context.processes = "none: nothing ran";
  run.record.context.median_only = args.median_only;
  return run;
}

}  // namespace tb
