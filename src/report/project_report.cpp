#include "report/project_report.h"

#include <cmath>

#include "common/format.h"
#include "common/plain_table.h"

namespace tb {
namespace {

using ojson = nlohmann::ordered_json;

constexpr double kGiB = 1073741824.0;

ojson number_or_null(bool known, double value) { return known ? ojson(value) : ojson(nullptr); }

ojson stated_error_json(const StatedError& e) {
  if (!e.mean_abs_error) return nullptr;
  return ojson{{"mean_abs_error", *e.mean_abs_error},
               {"runs", e.runs},
               {"device_class", e.device_class},
               {"basis", "leave-one-out over data/published-runs.csv"}};
}

std::string percent(double fraction, int decimals = 1) { return format_fixed(fraction * 100.0, decimals); }

std::string gib(double bytes) { return format_fixed(bytes / kGiB, 1); }

// A flat object's values as CSV cells (objects and nulls as empty cells).
std::string cell(const ojson& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return format_shortest(v.get<double>());
  return v.dump();
}

}  // namespace

ojson job_row_to_json(const JobRow& r) {
  const TrainingProjection& p = r.projection;
  const TrainingTime& t = p.time;
  const bool ok = r.usable();
  ojson j;
  j["instance"] = r.instance;
  j["provenance"] = "projected";
  j["device_class"] = p.device_class;
  j["devices"] = p.plan.devices;
  j["devices_per_instance"] = r.devices_per_instance;
  j["instances"] = r.instances;
  j["settings"] = p.plan.summary();
  j["fits_in_memory"] = p.fits_in_memory;
  j["memory_per_device_bytes"] = p.memory.total_bytes();
  j["device_memory_bytes"] = number_or_null(p.memory_capacity_bytes > 0, p.memory_capacity_bytes);
  j["memory_weights_bytes"] = p.memory.weights_bytes;
  j["memory_gradients_bytes"] = p.memory.gradients_bytes;
  j["memory_optimizer_bytes"] = p.memory.optimizer_bytes;
  j["memory_activations_bytes"] = p.memory.activations_bytes;
  j["memory_logits_bytes"] = p.memory.logits_bytes;
  j["step_time_s"] = number_or_null(ok, t.step_s);
  j["tokens_per_s_per_device"] = number_or_null(ok, p.tokens_per_s_per_device);
  j["tokens_per_s_per_instance"] = number_or_null(ok, r.tokens_per_s_per_instance);
  j["mfu"] = number_or_null(ok, p.mfu);
  j["mfu_convention"] = "trainbench: the step decomposition's FLOP per token (causal attention counted once)";
  j["mfu_6n_12lds"] = number_or_null(ok, p.mfu_6n_12lds);
  j["flop_per_token"] = p.flop_per_token;
  j["flop_per_token_6n_12lds"] = p.flop_per_token_6n_12lds;
  j["peak_flop_per_s"] = p.peak_flop_per_s;
  j["usd_per_hour"] = r.price.usd_per_hour ? ojson(*r.price.usd_per_hour) : ojson(nullptr);
  j["pricing"] = r.price.pricing;
  j["price_source"] = r.price.source;
  j["price_date"] = r.price.date;
  j["usd_per_million_tokens"] = number_or_null(ok && r.priced(), r.usd_per_million_tokens);
  j["stated_error"] = stated_error_json(r.stated_error);
  j["stated_error_text"] = r.stated_error.text();
  j["micro_batches"] = t.micro_batches;
  j["micro_batch_s"] = t.micro_batch_s;
  j["bubble_s"] = t.bubble_s;
  j["recompute_s"] = t.recompute_s;
  j["tp_comm_s"] = t.tp_comm_s;
  j["cp_comm_exposed_s"] = t.cp_comm_s;
  j["pp_comm_s"] = t.pp_comm_s;
  j["dp_comm_s"] = t.dp_comm_s;
  j["dp_comm_exposed_s"] = t.dp_exposed_s;
  j["optimizer_s"] = t.optimizer_s;
  return j;
}

ojson job_to_json(const JobProjection& job) {
  ojson rows = ojson::array();
  for (const JobRow& r : job.rows) rows.push_back(job_row_to_json(r));
  return ojson{{"projections", rows}, {"skipped", job.skipped}};
}

std::string render_job_csv(const JobProjection& job) {
  std::string out;
  for (std::size_t i = 0; i < job.rows.size(); ++i) {
    ojson j = job_row_to_json(job.rows[i]);
    const ojson stated = j["stated_error"];
    j.erase("stated_error");
    j["stated_error_mean_abs_error"] = stated.is_null() ? ojson(nullptr) : stated["mean_abs_error"];
    j["stated_error_runs"] = stated.is_null() ? ojson(0) : stated["runs"];
    std::vector<std::string> names, values;
    for (const auto& [key, value] : j.items()) {
      names.push_back(key);
      values.push_back(cell(value));
    }
    if (i == 0) out += csv_line(names);
    out += csv_line(values);
  }
  return out;
}

std::string render_job_table(const JobProjection& job) {
  std::vector<std::vector<std::string>> rows = {
      {"instance", "devices", "instances", "step", "tokens/s/device", "tokens/s/instance", "MFU", "MFU 6N+12LdS",
       "USD/h", "USD/1M tokens", "memory/device", "device memory", "stated error"},
      {"", "count", "count", "s", "tokens/s", "tokens/s", "%", "%", "USD/h", "USD", "GiB", "GiB", "+/-% (runs)"}};
  std::string notes;
  for (const JobRow& r : job.rows) {
    const TrainingProjection& p = r.projection;
    const bool ok = r.usable();
    const auto shown = [&](bool known, const std::string& text) { return known ? text : std::string("-"); };
    rows.push_back({r.instance, std::to_string(p.plan.devices), std::to_string(r.instances),
                    shown(ok, format_significant(p.time.step_s, 4)),
                    shown(ok, format_significant(p.tokens_per_s_per_device, 4)),
                    shown(ok, format_significant(r.tokens_per_s_per_instance, 4)), shown(ok, percent(p.mfu)),
                    shown(ok, percent(p.mfu_6n_12lds)), shown(r.priced(), format_fixed(r.price.usd_per_hour.value_or(0), 2)),
                    shown(ok && r.priced(), format_significant(r.usd_per_million_tokens, 4)), gib(p.memory.total_bytes()),
                    shown(p.memory_capacity_bytes > 0, gib(p.memory_capacity_bytes)), r.stated_error.cell()});
    if (!ok) {
      notes += "  " + r.instance + ": does not fit: needs " + gib(p.memory.total_bytes()) + " GiB per device (weights " +
               gib(p.memory.weights_bytes) + ", gradients " + gib(p.memory.gradients_bytes) + ", optimizer " +
               gib(p.memory.optimizer_bytes) + ", activations " + gib(p.memory.activations_bytes) + ", logits " +
               gib(p.memory.logits_bytes) + ") of " + gib(p.memory_capacity_bytes) +
               "; no throughput is given: raise tp, pp or the ZeRO stage, or recompute activations\n";
    }
    if (!r.stated_error.mean_abs_error) notes += "  " + r.instance + ": " + r.stated_error.reason + "\n";
    notes += "  " + r.instance + " price: " +
             (r.priced() ? r.price.pricing + ", " + r.price.source + " (" + r.price.date + ")" : "none in the catalog") +
             "\n";
  }
  std::string out = render_rows(rows, {false, true, true, true, true, true, true, true, true, true, true, true, false});
  out += "All figures projected (data/published-runs.csv judges the model; nothing here was measured).\n";
  out += "MFU: the step decomposition's FLOP per token (causal attention once); MFU 6N+12LdS: NeMo/Megatron's "
         "convention (N matmul parameters, full attention).\n";
  out += notes;
  for (const std::string& s : job.skipped) out += "  not projected: " + s + "\n";
  return out;
}

ojson validation_to_json(const ValidationReport& report) {
  ojson runs = ojson::array();
  for (const CheckedRun& c : report.runs) {
    ojson j;
    j["id"] = c.run.id;
    j["device_class"] = c.device_class;
    j["source_kind"] = c.run.calibration ? "calibration" : "validation";
    j["model"] = c.run.model;
    j["instance"] = c.run.instance;
    j["devices"] = c.run.devices;
    j["published_tokens_per_s_per_device"] = c.run.tokens_per_s_per_device;
    j["skipped"] = c.skipped.empty() ? ojson(nullptr) : ojson(c.skipped);
    const bool ok = c.skipped.empty();
    j["settings"] = ok ? ojson(c.plan.summary()) : ojson(nullptr);
    j["projected_tokens_per_s_per_device"] = number_or_null(ok, c.projected);
    j["error"] = number_or_null(ok, c.error);
    j["loo_projected_tokens_per_s_per_device"] = number_or_null(ok, c.loo_projected);
    j["loo_error"] = number_or_null(ok, c.loo_error);
    j["fits_in_memory"] = ok ? ojson(c.fits_in_memory) : ojson(nullptr);
    j["source"] = c.run.source;
    runs.push_back(j);
  }
  const auto class_json = [](const ClassError& c) {
    return ojson{{"device_class", c.device_class},
                 {"runs", c.runs},
                 {"calibration_runs", c.calibration_runs},
                 {"mean_abs_error", c.mean_abs_error},
                 {"loo_mean_abs_error", c.loo_mean_abs_error},
                 {"fitted_gemm_compute_efficiency", c.fitted ? ojson(*c.fitted) : ojson(nullptr)}};
  };
  ojson classes = ojson::array();
  for (const ClassError& c : report.classes) classes.push_back(class_json(c));
  ojson ratios = ojson::array();
  for (const CostRatio& c : report.cost_ratios) {
    ratios.push_back(ojson{{"model", c.model},
                           {"run_a", c.run_a},
                           {"run_b", c.run_b},
                           {"instance_a", c.instance_a},
                           {"instance_b", c.instance_b},
                           {"published_usd_per_million_tokens_ratio", c.published_ratio},
                           {"projected_usd_per_million_tokens_ratio", c.projected_ratio},
                           {"error", c.error},
                           {"loo_usd_per_million_tokens_ratio", c.loo_ratio},
                           {"loo_error", c.loo_error}});
  }
  return ojson{{"runs", runs},
               {"device_classes", classes},
               {"overall", class_json(report.overall)},
               {"cost_ratios", ratios}};
}

std::string render_validation_table(const ValidationReport& report) {
  std::vector<std::vector<std::string>> rows = {
      {"id", "class", "kind", "devices", "published", "projected", "error", "leave-one-out", "LOO error"},
      {"", "", "", "count", "tokens/s/device", "tokens/s/device", "%", "tokens/s/device", "%"}};
  std::string skipped;
  for (const CheckedRun& c : report.runs) {
    if (!c.skipped.empty()) {
      skipped += "  skipped " + c.run.id + ": " + c.skipped + "\n";
      continue;
    }
    rows.push_back({c.run.id, c.device_class, c.run.calibration ? "calibration" : "validation",
                    std::to_string(c.run.devices), format_significant(c.run.tokens_per_s_per_device, 4),
                    format_significant(c.projected, 4), format_signed(c.error * 100.0, 1),
                    format_significant(c.loo_projected, 4), format_signed(c.loo_error * 100.0, 1)});
  }
  std::string out = render_rows(rows, {false, false, false, true, true, true, true, true, true});
  out += skipped;
  std::vector<std::vector<std::string>> classes = {
      {"device class", "runs", "calibration runs", "MAE", "leave-one-out MAE", "fitted gemm compute efficiency"},
      {"", "count", "count", "%", "%", "fraction"}};
  for (const ClassError* c : [&] {
         std::vector<const ClassError*> all;
         for (const ClassError& e : report.classes) all.push_back(&e);
         all.push_back(&report.overall);
         return all;
       }()) {
    classes.push_back({c->device_class, std::to_string(c->runs), std::to_string(c->calibration_runs),
                       percent(c->mean_abs_error), percent(c->loo_mean_abs_error),
                       c->fitted ? format_fixed(*c->fitted, 3) : std::string("-")});
  }
  out += "\n" + render_rows(classes, {false, true, true, true, true, true});
  out += "error = (projected - published) / published. Leave-one-out: each calibration row projected with the factor "
         "fitted without it; validation rows are never fitted.\n";
  if (!report.cost_ratios.empty()) {
    std::vector<std::vector<std::string>> ratios = {
        {"model", "USD/1M tokens of", "over", "published", "projected", "error", "leave-one-out", "LOO error"},
        {"", "", "", "ratio", "ratio", "%", "ratio", "%"}};
    for (const CostRatio& c : report.cost_ratios) {
      ratios.push_back({c.model, c.instance_a + " (" + c.run_a + ")", c.instance_b + " (" + c.run_b + ")",
                        format_fixed(c.published_ratio, 3), format_fixed(c.projected_ratio, 3),
                        format_signed(c.error * 100.0, 1), format_fixed(c.loo_ratio, 3),
                        format_signed(c.loo_error * 100.0, 1)});
    }
    out += "\n" + render_rows(ratios, {false, false, false, true, true, true, true, true});
    out += "USD per 1M tokens at the catalog's on-demand prices, whole instances; projected: the run's layout with "
           "the table's factors, as trainbench project gives it.\n";
  }
  return out;
}

}  // namespace tb
