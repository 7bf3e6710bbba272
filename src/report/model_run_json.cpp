#include "report/model_run_json.h"

#include <limits>
#include <string>

#include "common/echo.h"
#include "common/json_fields.h"
#include "report/cost_report.h"

namespace tb {
namespace {

using nlohmann::json;
using json_io::Check;
using json_io::Field;
using json_io::read_fields;
using json_io::Reader;
using json_io::write_fields;

constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

// Each struct's scalar fields, named once for the writer and the reader (docs/results.md, "model_run").
const Field<ModelConfig> kModelFields[] = {
    {"name", &ModelConfig::name},
    {"layers", &ModelConfig::layers, Check::kRange, 1, kMaxModelDim},
    {"hidden", &ModelConfig::hidden, Check::kRange, 1, kMaxModelDim},
    {"heads", &ModelConfig::heads, Check::kRange, 1, kMaxModelDim},
    {"kv_heads", &ModelConfig::kv_heads, Check::kRange, 1, kMaxModelDim},
    {"ffn", &ModelConfig::ffn, Check::kRange, 1, kMaxModelDim},
    {"vocab", &ModelConfig::vocab, Check::kRange, 1, kMaxModelDim},
    {"seq_len", &ModelConfig::seq_len, Check::kRange, 1, kMaxModelDim},
    {"tie_embeddings", &ModelConfig::tie_embeddings},
};
const Field<RunSettings> kSettingsFields[] = {
    {"micro_batch", &RunSettings::micro_batch, Check::kRange, 1, kMaxModelDim},
    {"tp", &RunSettings::tp, Check::kRange, 1, kMaxParallel},
    {"dp", &RunSettings::dp, Check::kRange, 1, kMaxParallel},
    {"seq_len", &RunSettings::seq_len, Check::kRange, 1, kMaxModelDim},
};
const Field<StepItem> kItemFields[] = {
    {"kernel", &StepItem::kernel},
    {"phase", &StepItem::phase},
    {"what", &StepItem::what},
    {"problem", &StepItem::problem},
    {"count", &StepItem::count, Check::kRange, 1, kNoLimit},
    {"flop", &StepItem::flop, Check::kNonNegative},
    {"min_bytes", &StepItem::min_bytes, Check::kNonNegative},
    {"allreduce_bytes", &StepItem::bytes, Check::kRange, 0, kNoLimit},
};
const Field<StepItemResult> kItemResultFields[] = {
    {"measured_problem", &StepItemResult::measured_problem},
    {"scale", &StepItemResult::scale, Check::kNonNegative},
    {"time_s", &StepItemResult::time_s, Check::kNonNegative},
};
const Field<StepTime> kStepFields[] = {
    {"compute_s", &StepTime::compute_s, Check::kNonNegative},
    {"backward_compute_s", &StepTime::backward_compute_s, Check::kNonNegative},
    {"tp_comm_s", &StepTime::tp_comm_s, Check::kNonNegative},
    {"dp_comm_s", &StepTime::dp_comm_s, Check::kNonNegative},
    {"dp_exposed_s", &StepTime::dp_exposed_s, Check::kNonNegative},
    {"step_s", &StepTime::step_s, Check::kNonNegative},
};
const Field<ModelRunRecord> kModelRunFields[] = {
    {"tokens_per_step", &ModelRunRecord::tokens, Check::kRange, 1, kNoLimit},
    {"flop_per_token", &ModelRunRecord::flop_per_token, Check::kNonNegative},
    {"device_flop_per_step", &ModelRunRecord::device_flop, Check::kNonNegative},
};

json model_to_json(const ModelConfig& m) {
  json j = json::object();
  write_fields<ModelConfig>(j, m, kModelFields);
  j["mlp"] = mlp_kind_name(m.mlp);
  return j;
}

json settings_to_json(const RunSettings& s) {
  json j = json::object();
  write_fields<RunSettings>(j, s, kSettingsFields);
  j["dtype"] = dtype_name(s.dtype);
  j["grad_dtype"] = dtype_name(s.grad_dtype);
  return j;
}

json item_to_json(const StepItemResult& r) {
  json j = json::object();
  write_fields<StepItem>(j, r.item, kItemFields);
  write_fields<StepItemResult>(j, r, kItemResultFields);
  return j;
}

json step_to_json(const StepTime& t) {
  json shares = json::object();
  for (const auto& [name, fraction] : t.shares) shares[name] = fraction;
  json j = json::object();
  write_fields<StepTime>(j, t, kStepFields);
  j["share_fraction"] = shares;
  return j;
}

Expected<ModelConfig> model_from_json(const Reader& r) {
  ModelConfig m;
  TB_RETURN_IF_ERROR(read_fields<ModelConfig>(r, m, kModelFields));
  TB_ASSIGN_OR_RETURN(const std::string mlp, r.str("mlp"));
  if (mlp != "gated" && mlp != "plain") {
    return bad_input("field '" + r.path() + ".mlp' is '" + echo_value(mlp) + "': expected gated or plain");
  }
  m.mlp = mlp == "gated" ? MlpKind::kGated : MlpKind::kPlain;
  return m;
}

Expected<DType> dtype_field(const Reader& r, const std::string& key) {
  TB_ASSIGN_OR_RETURN(const std::string name, r.str(key));
  Expected<DType> dtype = parse_dtype(name);
  if (!dtype) return bad_input("field '" + r.path() + "." + key + "': " + dtype.error().message);
  return dtype;
}

Expected<RunSettings> settings_from_json(const Reader& r) {
  RunSettings s;
  TB_RETURN_IF_ERROR(read_fields<RunSettings>(r, s, kSettingsFields));
  TB_ASSIGN_OR_RETURN(s.dtype, dtype_field(r, "dtype"));
  TB_ASSIGN_OR_RETURN(s.grad_dtype, dtype_field(r, "grad_dtype"));
  return s;
}

Expected<StepItemResult> item_from_json(const Reader& r) {
  StepItemResult out;
  TB_RETURN_IF_ERROR(read_fields<StepItem>(r, out.item, kItemFields));
  TB_RETURN_IF_ERROR(read_fields<StepItemResult>(r, out, kItemResultFields));
  return out;
}

Expected<StepTime> step_from_json(const Reader& r) {
  StepTime t;
  TB_RETURN_IF_ERROR(read_fields<StepTime>(r, t, kStepFields));
  TB_ASSIGN_OR_RETURN(const Reader shares, r.object("share_fraction"));
  for (const auto& [name, value] : shares.raw().items()) {
    if (!value.is_number()) return bad_input("field '" + shares.path() + "." + name + "' is not a number");
    t.shares.emplace_back(name, value.get<double>());
  }
  return t;
}

}  // namespace

json model_run_to_json(const ModelRunRecord& m) {
  json items = json::array();
  for (const StepItemResult& item : m.items) items.push_back(item_to_json(item));
  json j = json::object();
  write_fields<ModelRunRecord>(j, m, kModelRunFields);
  j["model"] = model_to_json(m.model);
  j["run"] = settings_to_json(m.run);
  j["overlap_dp_with_backward"] = m.step_options.overlap_dp_with_backward;
  j["items"] = items;
  j["step_time"] = m.step ? step_to_json(*m.step) : json(nullptr);
  j["comparison"] = {{"train_tokens", m.train_tokens},
                     {"pricing", m.pricing},
                     {"rows", cost_rows_to_json(m.comparison, m.train_tokens)},
                     {"error", m.comparison_error}};
  return j;
}

Expected<ModelRunRecord> model_run_from_json(const Reader& r) {
  ModelRunRecord m;
  TB_ASSIGN_OR_RETURN(const Reader model, r.object("model"));
  TB_ASSIGN_OR_RETURN(m.model, model_from_json(model));
  TB_ASSIGN_OR_RETURN(const Reader run, r.object("run"));
  TB_ASSIGN_OR_RETURN(m.run, settings_from_json(run));
  TB_RETURN_IF_ERROR(read_fields<ModelRunRecord>(r, m, kModelRunFields));
  TB_ASSIGN_OR_RETURN(m.step_options.overlap_dp_with_backward, r.boolean("overlap_dp_with_backward"));
  TB_ASSIGN_OR_RETURN(const json* items, r.array("items"));
  for (std::size_t i = 0; i < items->size(); ++i) {
    const std::string path = r.path() + ".items[" + std::to_string(i) + "]";
    if (!(*items)[i].is_object()) return bad_input("field '" + path + "' is not an object");
    TB_ASSIGN_OR_RETURN(StepItemResult item, item_from_json(Reader((*items)[i], path)));
    m.items.push_back(std::move(item));
  }
  if (r.has("step_time") && !r.is_null("step_time")) {
    TB_ASSIGN_OR_RETURN(const Reader step, r.object("step_time"));
    TB_ASSIGN_OR_RETURN(m.step, step_from_json(step));
  }
  // The rows are the cost table as shown (trainbench cost recomputes it); only why it is empty is read back.
  if (r.has("comparison")) {
    TB_ASSIGN_OR_RETURN(const Reader comparison, r.object("comparison"));
    if (comparison.has("error")) {  // optional: absent from files written before it
      TB_ASSIGN_OR_RETURN(m.comparison_error, comparison.str("error"));
    }
  }
  return m;
}

}  // namespace tb
