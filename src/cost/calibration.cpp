#include "cost/calibration.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "common/format.h"
#include "cost/cost.h"
#include "model/model_config.h"

namespace tb {
namespace {

constexpr double kFactorLo = 0.05;
constexpr double kFactorHi = 1.0;
constexpr int kGoldenIterations = 40;

// What projecting one row needs, resolved once.
struct Prepared {
  ModelConfig model;
  ProjectionTarget target;
  bool ok = false;
};

// `table` with (device_class, kFittedOp)'s compute efficiency set to `factor`
// (a row for the class is added from the default row when it has none).
EfficiencyTable with_factor(const EfficiencyTable& table, const std::string& device_class, double factor) {
  EfficiencyTable out = table;
  for (EfficiencyRow& row : out.rows) {
    if (row.device_class == device_class && row.kernel == kFittedOp) {
      row.compute = factor;
      return out;
    }
  }
  Expected<EfficiencyRow> base = table.find("default", kFittedOp);
  EfficiencyRow row = base ? *base : EfficiencyRow{};
  row.device_class = device_class;
  row.kernel = kFittedOp;
  row.compute = factor;
  out.rows.push_back(row);
  return out;
}

Expected<double> project_tokens(const CheckedRun& run, const Prepared& prepared, const EfficiencyTable& table) {
  TB_ASSIGN_OR_RETURN(const TrainingProjection p, project_training(prepared.model, run.plan, prepared.target, table));
  return p.tokens_per_s_per_device;
}

// Golden-section search for the factor minimizing sum(log(projected / published)^2).
Expected<std::optional<double>> fit(const std::vector<std::size_t>& rows, const std::vector<CheckedRun>& runs,
                                    const std::vector<Prepared>& prepared, const EfficiencyTable& table,
                                    const std::string& device_class) {
  if (rows.empty()) return std::optional<double>();
  Status failure;
  const auto loss = [&](double factor) {
    const EfficiencyTable t = with_factor(table, device_class, factor);
    double sum = 0;
    for (const std::size_t i : rows) {
      Expected<double> tokens = project_tokens(runs[i], prepared[i], t);
      if (!tokens) {
        failure = tokens.error();
        return 0.0;
      }
      const double log_ratio = std::log(*tokens / runs[i].run.tokens_per_s_per_device);
      sum += log_ratio * log_ratio;
    }
    return sum;
  };
  const double golden = (std::sqrt(5.0) - 1.0) / 2.0;
  double lo = kFactorLo, hi = kFactorHi;
  double x1 = hi - golden * (hi - lo), x2 = lo + golden * (hi - lo);
  double f1 = loss(x1), f2 = loss(x2);
  for (int i = 0; i < kGoldenIterations && failure.ok(); ++i) {
    if (f1 < f2) {
      hi = x2, x2 = x1, f2 = f1;
      x1 = hi - golden * (hi - lo), f1 = loss(x1);
    } else {
      lo = x1, x1 = x2, f1 = f2;
      x2 = lo + golden * (hi - lo), f2 = loss(x2);
    }
  }
  if (!failure.ok()) return failure.error();
  return std::optional<double>((lo + hi) / 2.0);
}

Expected<Prepared> prepare(CheckedRun& checked, const CalibrationInputs& in, std::map<std::string, ModelConfig>& models) {
  const PublishedRun& run = checked.run;
  const std::string where = "published run '" + run.id + "' (line " + std::to_string(run.line) + ")";
  Prepared p;
  auto cached = models.find(run.model);
  if (cached == models.end()) {
    Expected<ModelConfig> model = load_model(run.model, in.models_dir);
    if (!model) return bad_input(where + ": " + model.error().message);
    cached = models.emplace(run.model, *model).first;
  }
  p.model = cached->second;
  Expected<Instance> instance = in.catalog->find(run.instance);
  if (!instance) return bad_input(where + ": " + instance.error().message);
  checked.device_class = device_class_of_accelerator(instance->accelerator);
  Expected<TrainingPlan> plan = plan_of(run, p.model);
  if (!plan) {
    checked.skipped = plan.error().message;
    return p;
  }
  checked.plan = *plan;
  Expected<ProjectionTarget> target = projection_target(*instance, plan->dtype);
  if (!target) {
    checked.skipped = target.error().message;
    return p;
  }
  p.target = *target;
  p.ok = true;
  return p;
}

double mean_abs(const std::vector<double>& errors) {
  double sum = 0;
  for (const double e : errors) sum += std::fabs(e);
  return errors.empty() ? 0.0 : sum / static_cast<double>(errors.size());
}

ClassError summarize(const std::string& name, const std::vector<const CheckedRun*>& rows) {
  ClassError c;
  c.device_class = name;
  std::vector<double> errors, loo;
  for (const CheckedRun* r : rows) {
    errors.push_back(r->error);
    loo.push_back(r->loo_error);
    c.calibration_runs += r->run.calibration ? 1 : 0;
  }
  c.runs = static_cast<int>(rows.size());
  c.mean_abs_error = mean_abs(errors);
  c.loo_mean_abs_error = mean_abs(loo);
  return c;
}

// USD per 1M tokens of `run` at `tokens_per_s_per_device` on its instance's
// on-demand price (whole instances); none when unpriced.
std::optional<double> usd_per_million(const PublishedRun& run, double tokens_per_s_per_device,
                                      const InstanceCatalog& catalog) {
  Expected<Instance> instance = catalog.find(run.instance);
  if (!instance || !instance->on_demand_usd_per_hour) return std::nullopt;
  const double instances = static_cast<double>(whole_instances(run.devices, std::max(1, instance->accelerator_count)));
  return usd_per_million_tokens(*instance->on_demand_usd_per_hour * instances,
                                tokens_per_s_per_device * static_cast<double>(run.devices));
}

std::vector<CostRatio> cost_ratios(const std::vector<CheckedRun>& runs, const InstanceCatalog& catalog) {
  std::vector<CostRatio> out;
  for (std::size_t a = 0; a < runs.size(); ++a) {
    for (std::size_t b = 0; b < runs.size(); ++b) {
      const CheckedRun& x = runs[a];
      const CheckedRun& y = runs[b];
      if (!x.skipped.empty() || !y.skipped.empty() || !x.run.calibration || !y.run.calibration) continue;
      if (x.run.model != y.run.model || x.device_class == y.device_class || x.device_class < y.device_class) continue;
      const auto first_of = [&](const CheckedRun& r, std::size_t index) {
        for (std::size_t i = 0; i < index; ++i) {
          const CheckedRun& o = runs[i];
          if (o.skipped.empty() && o.run.calibration && o.run.model == r.run.model && o.device_class == r.device_class)
            return false;
        }
        return true;
      };
      if (!first_of(x, a) || !first_of(y, b)) continue;
      const std::optional<double> pa = usd_per_million(x.run, x.run.tokens_per_s_per_device, catalog);
      const std::optional<double> pb = usd_per_million(y.run, y.run.tokens_per_s_per_device, catalog);
      const std::optional<double> qa = usd_per_million(x.run, x.projected, catalog);
      const std::optional<double> qb = usd_per_million(y.run, y.projected, catalog);
      const std::optional<double> la = usd_per_million(x.run, x.loo_projected, catalog);
      const std::optional<double> lb = usd_per_million(y.run, y.loo_projected, catalog);
      if (!pa || !pb || !qa || !qb || !la || !lb) continue;
      CostRatio c;
      c.model = x.run.model;
      c.run_a = x.run.id;
      c.run_b = y.run.id;
      c.instance_a = x.run.instance;
      c.instance_b = y.run.instance;
      c.published_ratio = *pa / *pb;
      c.projected_ratio = *qa / *qb;
      c.error = c.projected_ratio / c.published_ratio - 1.0;
      c.loo_ratio = *la / *lb;
      c.loo_error = c.loo_ratio / c.published_ratio - 1.0;
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Expected<TrainingPlan> plan_of(const PublishedRun& run, const ModelConfig& model) {
  TrainingPlan plan;
  if (run.precision != "bf16") {
    return bad_input("precision " + run.precision + ": only bf16 training is projected (fp8 GEMMs, scaling and "
                     "casts are not modelled)");
  }
  TB_ASSIGN_OR_RETURN(plan.recompute, parse_recompute(run.recompute));
  plan.devices = run.devices;
  plan.tp = run.tp;
  plan.cp = run.cp;
  plan.pp = run.pp;
  plan.dp = run.dp;
  plan.vpp = run.vpp;
  plan.zero = run.zero;
  plan.seq_len = run.seq;
  plan.micro_batch = run.micro_batch;
  plan.global_batch = run.global_batch;
  plan.dtype = DType::kBf16;
  plan.grad_dtype = model.defaults.grad_dtype;
  return resolve_plan(model, plan);
}

Expected<ValidationReport> validate_published_runs(const CalibrationInputs& in) {
  ValidationReport report;
  std::vector<Prepared> prepared;
  std::map<std::string, ModelConfig> models;
  for (const PublishedRun& run : *in.runs) {
    CheckedRun checked;
    checked.run = run;
    TB_ASSIGN_OR_RETURN(Prepared p, prepare(checked, in, models));
    if (p.ok) {
      Expected<TrainingProjection> projection = project_training(p.model, checked.plan, p.target, *in.efficiency);
      if (projection) {
        checked.projected = projection->tokens_per_s_per_device;
        checked.error = (checked.projected - run.tokens_per_s_per_device) / run.tokens_per_s_per_device;
        checked.loo_projected = checked.projected;
        checked.loo_error = checked.error;
        checked.fits_in_memory = projection->fits_in_memory;
      } else {
        checked.skipped = projection.error().message;
        p.ok = false;
      }
    }
    report.runs.push_back(std::move(checked));
    prepared.push_back(std::move(p));
  }
  std::set<std::string> classes;
  for (const CheckedRun& r : report.runs)
    if (r.skipped.empty()) classes.insert(r.device_class);
  TB_ASSIGN_OR_RETURN(const EfficiencyRow prior_row, in.efficiency->find("default", kFittedOp));
  std::vector<const CheckedRun*> all;
  for (const std::string& cls : classes) {
    std::vector<std::size_t> calibration;
    std::vector<const CheckedRun*> rows;
    for (std::size_t i = 0; i < report.runs.size(); ++i) {
      const CheckedRun& r = report.runs[i];
      if (!r.skipped.empty() || r.device_class != cls) continue;
      rows.push_back(&r);
      if (r.run.calibration) calibration.push_back(i);
    }
    for (const std::size_t left_out : calibration) {
      std::vector<std::size_t> others;
      for (const std::size_t i : calibration)
        if (i != left_out) others.push_back(i);
      TB_ASSIGN_OR_RETURN(const std::optional<double> factor, fit(others, report.runs, prepared, *in.efficiency, cls));
      CheckedRun& r = report.runs[left_out];
      r.loo_factor = factor.value_or(prior_row.compute);
      TB_ASSIGN_OR_RETURN(r.loo_projected, project_tokens(r, prepared[left_out],
                                                         with_factor(*in.efficiency, cls, r.loo_factor)));
      r.loo_error = (r.loo_projected - r.run.tokens_per_s_per_device) / r.run.tokens_per_s_per_device;
    }
    ClassError summary = summarize(cls, rows);
    TB_ASSIGN_OR_RETURN(summary.fitted, fit(calibration, report.runs, prepared, *in.efficiency, cls));
    report.classes.push_back(summary);
    all.insert(all.end(), rows.begin(), rows.end());
  }
  report.overall = summarize("all", all);
  report.cost_ratios = cost_ratios(report.runs, *in.catalog);
  return report;
}

std::string StatedError::cell() const {
  if (mean_abs_error) return "+/-" + format_fixed(*mean_abs_error * 100.0, 0) + "% (" + std::to_string(runs) + ")";
  return device_class.empty() ? "-" : "unvalidated";
}

std::string StatedError::text() const {
  if (!mean_abs_error) return reason;
  return "+/-" + format_fixed(*mean_abs_error * 100.0, 0) + "% (leave-one-out mean absolute error over " +
         std::to_string(runs) + " published run" + (runs == 1 ? "" : "s") + " on " + device_class + ")";
}

StatedError stated_error(const ValidationReport* report, const std::string& device_class) {
  StatedError s;
  s.device_class = device_class;
  if (report == nullptr) {
    s.reason = "unvalidated: no published runs were read";
    return s;
  }
  for (const ClassError& c : report->classes) {
    if (c.device_class == device_class && c.runs > 0) {
      s.mean_abs_error = c.loo_mean_abs_error;
      s.runs = c.runs;
      return s;
    }
  }
  s.reason = "unvalidated: no published run for " + device_class;
  return s;
}

}  // namespace tb
