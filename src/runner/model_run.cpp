#include "runner/model_run.h"

#include <cstdio>

#include "catalog/published_runs.h"
#include "common/echo.h"
#include "common/format.h"
#include "kernels/problem_string.h"
#include "model/model_config.h"

namespace tb {
namespace {

Expected<std::vector<Instance>> chosen_instances(const ModelRequest& args, const InstanceCatalog& catalog, bool& all) {
  std::vector<std::string> names;
  for (const std::string& arg : args.instances) {  // repeatable and comma-separated
    std::size_t start = 0;
    while (start <= arg.size()) {
      const std::size_t comma = std::min(arg.find(',', start), arg.size());
      if (comma > start) names.push_back(arg.substr(start, comma - start));
      start = comma + 1;
    }
  }
  if (args.instances.empty()) names = kDefaultComparisonInstances;
  std::vector<Instance> out;
  for (const std::string& name : names) {
    if (name == "none") continue;
    if (name == "all") {
      all = true;
      return catalog.instances;
    }
    TB_ASSIGN_OR_RETURN(Instance instance, catalog.find(name));
    out.push_back(std::move(instance));
  }
  return out;
}

Status add_price(const std::string& text, const InstanceCatalog& catalog, ComparisonSetup& setup) {
  const std::size_t eq = text.find('=');
  const std::string value = eq == std::string::npos ? text : text.substr(eq + 1);
  char* end = nullptr;
  const double usd = std::strtod(value.c_str(), &end);
  Expected<PriceChoice> price = value.empty() || *end != '\0' ? Expected<PriceChoice>(bad_input("")) : given_price(usd);
  if (!price) {
    return bad_input("--price '" + echo_value(text) +
                     "' is not a price: expected USD per hour (> 0) for this machine, or " +
                     "INSTANCE=USD for a catalog instance, e.g. --price 1.53 or --price p5.48xlarge=55.04");
  }
  if (eq == std::string::npos) {
    setup.this_machine_price = *price;
    return {};
  }
  TB_ASSIGN_OR_RETURN(const Instance instance, catalog.find(text.substr(0, eq)));
  setup.price_overrides[instance.name] = *price;
  return {};
}

// --tokens T: T <= seq_len shortens the sequences (micro_batch 1 unless
// given); a larger T is micro_batch sequences of seq_len.
Status apply_tokens(const ModelRequest& args, const ModelConfig& model, RunSettings& run) {
  if (args.tokens.empty()) return {};
  Expected<std::int64_t> tokens = parse_size("--tokens", args.tokens);
  if (!tokens || *tokens < 1) {
    return bad_input("--tokens '" + echo_value(args.tokens) +
                     "' is not a token count: expected a positive integer (K, M suffixes " +
                     "x1024), e.g. --tokens 2048");
  }
  const std::int64_t t = *tokens;
  const std::int64_t mb = args.micro_batch > 0 ? args.micro_batch : (t > model.seq_len ? t / model.seq_len : 1);
  if (t % mb != 0 || t / mb > model.seq_len) {
    return bad_input("--tokens " + echo_value(args.tokens) + " does not split into " + std::to_string(mb) +
                     " sequences of at most seq_len " + std::to_string(model.seq_len) + " of " + model.name +
                     ": expected a multiple of " + std::to_string(model.seq_len) + " or a value <= it");
  }
  run.micro_batch = mb;
  run.seq_len = t / mb;
  return {};
}

Error cannot_project(const Instance& instance, const Error& why) {
  return bad_input("--instance " + instance.name + " cannot be projected: " + why.message);
}

// Named instances must take the whole step (links and efficiency rows
// included) before anything is measured; `all` skips the ones that cannot.
Status check_instances(const StepDecomposition& step, const ComparisonSetup& setup) {
  if (setup.all_instances) return {};
  for (const Instance& instance : setup.instances) {
    if (Status s = check_projectable(step, instance, setup.efficiency); !s) return cannot_project(instance, s.error());
  }
  return {};
}

}  // namespace

Expected<ValidationReport> validate_published(const ComparisonSetup& setup, const std::string& published_runs) {
  TB_ASSIGN_OR_RETURN(const std::vector<PublishedRun> runs,
                      read_published_runs(published_runs.empty() ? default_published_runs_path() : published_runs));
  CalibrationInputs inputs;
  inputs.runs = &runs;
  inputs.catalog = &setup.catalog;
  inputs.efficiency = &setup.efficiency;
  inputs.models_dir = default_models_dir();
  return validate_published_runs(inputs);
}

Expected<ComparisonSetup> prepare_comparison(const ModelRequest& args, DType dtype) {
  ComparisonSetup setup;
  TB_ASSIGN_OR_RETURN(setup.catalog,
                      read_instance_catalog(args.catalog.empty() ? default_instance_catalog_path() : args.catalog));
  TB_ASSIGN_OR_RETURN(setup.efficiency, read_efficiency_table(default_efficiency_table_path()));
  for (const std::string& e : args.efficiency) TB_RETURN_IF_ERROR(apply_efficiency_override(setup.efficiency, e));
  TB_ASSIGN_OR_RETURN(setup.instances, chosen_instances(args, setup.catalog, setup.all_instances));
  for (const Instance& instance : setup.instances) {
    if (setup.all_instances) break;
    if (Expected<ProjectionTarget> t = projection_target(instance, dtype); !t) {
      return cannot_project(instance, t.error());
    }
  }
  TB_ASSIGN_OR_RETURN(setup.pricing, parse_pricing(args.pricing));
  for (const std::string& p : args.prices) TB_RETURN_IF_ERROR(add_price(p, setup.catalog, setup));
  if (args.train_tokens != "0") {
    TB_ASSIGN_OR_RETURN(setup.train_tokens, parse_token_count(args.train_tokens));
  }
  if (args.dp_overlap != "on" && args.dp_overlap != "off") {
    return bad_input("--dp-overlap '" + echo_value(args.dp_overlap) + "': expected on or off");
  }
  setup.step_options.overlap_dp_with_backward = args.dp_overlap == "on";
  if (args.max_price_age_days < 0) {
    return bad_input("--max-price-age-days " + std::to_string(args.max_price_age_days) + ": expected 0 or more");
  }
  InstanceCatalog compared;
  compared.instances = setup.instances;
  setup.warnings = stale_prices(compared, today_utc(), args.max_price_age_days);
  TB_ASSIGN_OR_RETURN(setup.validation, validate_published(setup, args.published_runs));
  return setup;
}

Expected<ModelSession> prepare_model_session(const ModelRequest& args) {
  ModelSession s;
  TB_ASSIGN_OR_RETURN(const ModelConfig model, load_model(args.name));
  RunSettings run = model.defaults;
  if (args.micro_batch < 0 || args.tp < 0 || args.dp < 0) {
    return bad_input("--micro-batch, --tp and --dp must be positive (0 = the model file's value)");
  }
  if (args.micro_batch > 0) run.micro_batch = args.micro_batch;
  if (args.tp > 0) run.tp = args.tp;
  if (args.dp > 0) run.dp = args.dp;
  TB_RETURN_IF_ERROR(apply_tokens(args, model, run));
  TB_ASSIGN_OR_RETURN(s.step, decompose(model, run));
  Expected<std::int64_t> cap = parse_size("--max-allreduce-bytes", args.max_allreduce_bytes);
  if (!cap) return cap.error();
  TB_ASSIGN_OR_RETURN(s.plan, plan_step_measurement(s.step, *cap));
  TB_ASSIGN_OR_RETURN(s.setup, prepare_comparison(args, s.step.run.dtype));
  TB_RETURN_IF_ERROR(check_instances(s.step, s.setup));
  return s;
}

Expected<ProjectionTarget> this_machine_target(const DeviceInfo& device, DType dtype) {
  auto peak = device.peak_flop_per_s.find(dtype);
  // A CPU without bf16/fp16 arithmetic computes them in fp32 (docs/cpu-isa.md): that peak is its ceiling.
  const bool widened = peak == device.peak_flop_per_s.end() && device.kind == "cpu" && dtype != DType::kFp32;
  if (widened) peak = device.peak_flop_per_s.find(DType::kFp32);
  if (peak == device.peak_flop_per_s.end() || !(peak->second > 0.0) || !(device.memory_bandwidth_bytes_per_s > 0.0)) {
    return bad_input("this machine (" + device.name + ") has no measured peak for " + std::string(dtype_name(dtype)) +
                     " or no memory bandwidth: it cannot be projected");
  }
  ProjectionTarget t;
  t.label = "this machine (" + device.name + (widened ? ", " + std::string(dtype_name(dtype)) + " computed in fp32)" : ")");
  t.device_class = device.kind == "cpu" ? "cpu" : device.name;
  t.devices_per_instance = 1;
  t.peak_flop_per_s = peak->second;
  t.memory_bytes_per_s = device.memory_bandwidth_bytes_per_s;
  t.memory_bytes = static_cast<double>(device.memory_bytes);
  // Its all-reduces (transport=threads, every rank one simulated device)
  // copy through shared memory, whatever tp x dp.
  t.intra_link_bytes_per_s = device.memory_bandwidth_bytes_per_s;
  t.network_bytes_per_s = device.memory_bandwidth_bytes_per_s;
  t.peak_source = widened ? "the fp32 peak (" + device.peak_source + ")" : device.peak_source;
  return t;
}

Expected<Comparison> compare_with_instances(const StepDecomposition& step, const std::vector<double>& measured_seconds,
                             const DeviceInfo& device, const ComparisonSetup& setup) {
  ComparisonRequest req;
  req.step = step;
  req.measured_seconds = measured_seconds;
  TB_ASSIGN_OR_RETURN(req.this_machine, this_machine_target(device, step.run.dtype));
  req.this_machine_price = setup.this_machine_price;
  req.instances = setup.instances;
  req.price_overrides = setup.price_overrides;
  req.skip_unprojectable = setup.all_instances;
  req.efficiency = &setup.efficiency;
  req.validation = &setup.validation;
  req.pricing = setup.pricing;
  req.train_tokens = setup.train_tokens;
  req.step_options = setup.step_options;
  return build_comparison(req);
}

Expected<Comparison> finish_model_run(const ModelSession& session, const DeviceInfo& device, RunRecord& record) {
  ModelRunRecord m;
  m.model = session.step.model;
  m.run = session.step.run;
  m.tokens = session.step.tokens;
  m.flop_per_token = session.step.flop_per_token();
  m.device_flop = session.step.device_flop();
  m.step_options = session.setup.step_options;
  m.items = step_item_results(session.step, session.plan, record.results);
  m.train_tokens = session.setup.train_tokens;
  m.pricing = std::string(pricing_name(session.setup.pricing));
  Expected<std::vector<double>> seconds = item_seconds(m.items);
  if (!seconds) {
    m.comparison_error = seconds.error().message;
    record.model_run = std::move(m);
    return seconds.error();
  }
  Expected<StepTime> step = compose_step(session.step, *seconds, m.step_options);
  if (!step) {
    m.comparison_error = step.error().message;
    record.model_run = std::move(m);
    return step.error();
  }
  m.step = *step;
  Expected<Comparison> comparison = compare_with_instances(session.step, *seconds, device, session.setup);
  if (comparison) m.comparison = comparison->rows;
  else m.comparison_error = comparison.error().message;
  record.model_run = std::move(m);
  return comparison;
}

}  // namespace tb
