#include "report/model_run_json.h"

#include <limits>
#include <string>

#include "common/echo.h"

namespace tb {
namespace {

using nlohmann::json;
using json_io::Reader;

constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

json model_to_json(const ModelConfig& m) {
  return {{"name", m.name},
          {"layers", m.layers},
          {"hidden", m.hidden},
          {"heads", m.heads},
          {"kv_heads", m.kv_heads},
          {"ffn", m.ffn},
          {"mlp", mlp_kind_name(m.mlp)},
          {"vocab", m.vocab},
          {"seq_len", m.seq_len},
          {"tie_embeddings", m.tie_embeddings}};
}

json settings_to_json(const RunSettings& s) {
  return {{"micro_batch", s.micro_batch},          {"tp", s.tp},
          {"dp", s.dp},                            {"dtype", dtype_name(s.dtype)},
          {"grad_dtype", dtype_name(s.grad_dtype)}, {"seq_len", s.seq_len}};
}

json item_to_json(const StepItemResult& r) {
  const StepItem& i = r.item;
  return {{"kernel", i.kernel},
          {"phase", i.phase},
          {"what", i.what},
          {"problem", i.problem},
          {"count", i.count},
          {"flop", i.flop},
          {"min_bytes", i.min_bytes},
          {"allreduce_bytes", i.bytes},
          {"measured_problem", r.measured_problem},
          {"scale", r.scale},
          {"time_s", r.time_s}};
}

json step_to_json(const StepTime& t) {
  json shares = json::object();
  for (const auto& [name, fraction] : t.shares) shares[name] = fraction;
  return {{"compute_s", t.compute_s},       {"backward_compute_s", t.backward_compute_s},
          {"tp_comm_s", t.tp_comm_s},       {"dp_comm_s", t.dp_comm_s},
          {"dp_exposed_s", t.dp_exposed_s}, {"step_s", t.step_s},
          {"share_fraction", shares}};
}

Expected<ModelConfig> model_from_json(const Reader& r) {
  ModelConfig m;
  TB_ASSIGN_OR_RETURN(m.name, r.str("name"));
  TB_ASSIGN_OR_RETURN(m.layers, r.integer_in("layers", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(m.hidden, r.integer_in("hidden", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(m.heads, r.integer_in("heads", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(m.kv_heads, r.integer_in("kv_heads", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(m.ffn, r.integer_in("ffn", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(const std::string mlp, r.str("mlp"));
  if (mlp != "gated" && mlp != "plain") {
    return bad_input("field '" + r.path() + ".mlp' is '" + echo_value(mlp) + "': expected gated or plain");
  }
  m.mlp = mlp == "gated" ? MlpKind::kGated : MlpKind::kPlain;
  TB_ASSIGN_OR_RETURN(m.vocab, r.integer_in("vocab", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(m.seq_len, r.integer_in("seq_len", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(m.tie_embeddings, r.boolean("tie_embeddings"));
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
  TB_ASSIGN_OR_RETURN(s.micro_batch, r.integer_in("micro_batch", 1, kMaxModelDim));
  TB_ASSIGN_OR_RETURN(s.tp, r.integer_in("tp", 1, kMaxParallel));
  TB_ASSIGN_OR_RETURN(s.dp, r.integer_in("dp", 1, kMaxParallel));
  TB_ASSIGN_OR_RETURN(s.dtype, dtype_field(r, "dtype"));
  TB_ASSIGN_OR_RETURN(s.grad_dtype, dtype_field(r, "grad_dtype"));
  TB_ASSIGN_OR_RETURN(s.seq_len, r.integer_in("seq_len", 1, kMaxModelDim));
  return s;
}

Expected<StepItemResult> item_from_json(const Reader& r) {
  StepItemResult out;
  StepItem& i = out.item;
  TB_ASSIGN_OR_RETURN(i.kernel, r.str("kernel"));
  TB_ASSIGN_OR_RETURN(i.phase, r.str("phase"));
  TB_ASSIGN_OR_RETURN(i.what, r.str("what"));
  TB_ASSIGN_OR_RETURN(i.problem, r.str("problem"));
  TB_ASSIGN_OR_RETURN(i.count, r.integer_in("count", 1, kNoLimit));
  TB_ASSIGN_OR_RETURN(i.flop, r.non_negative("flop"));
  TB_ASSIGN_OR_RETURN(i.min_bytes, r.non_negative("min_bytes"));
  TB_ASSIGN_OR_RETURN(i.bytes, r.integer_in("allreduce_bytes", 0, kNoLimit));
  TB_ASSIGN_OR_RETURN(out.measured_problem, r.str("measured_problem"));
  TB_ASSIGN_OR_RETURN(out.scale, r.non_negative("scale"));
  TB_ASSIGN_OR_RETURN(out.time_s, r.non_negative("time_s"));
  return out;
}

Expected<StepTime> step_from_json(const Reader& r) {
  StepTime t;
  TB_ASSIGN_OR_RETURN(t.compute_s, r.non_negative("compute_s"));
  TB_ASSIGN_OR_RETURN(t.backward_compute_s, r.non_negative("backward_compute_s"));
  TB_ASSIGN_OR_RETURN(t.tp_comm_s, r.non_negative("tp_comm_s"));
  TB_ASSIGN_OR_RETURN(t.dp_comm_s, r.non_negative("dp_comm_s"));
  TB_ASSIGN_OR_RETURN(t.dp_exposed_s, r.non_negative("dp_exposed_s"));
  TB_ASSIGN_OR_RETURN(t.step_s, r.non_negative("step_s"));
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
  return {{"model", model_to_json(m.model)},
          {"run", settings_to_json(m.run)},
          {"tokens_per_step", m.tokens},
          {"flop_per_token", m.flop_per_token},
          {"device_flop_per_step", m.device_flop},
          {"overlap_dp_with_backward", m.step_options.overlap_dp_with_backward},
          {"items", items},
          {"step_time", m.step ? step_to_json(*m.step) : json(nullptr)},
          {"comparison",
           {{"train_tokens", m.train_tokens},
            {"pricing", m.pricing},
            {"rows", cost_rows_to_json(m.comparison, m.train_tokens)}}}};
}

Expected<ModelRunRecord> model_run_from_json(const Reader& r) {
  ModelRunRecord m;
  TB_ASSIGN_OR_RETURN(const Reader model, r.object("model"));
  TB_ASSIGN_OR_RETURN(m.model, model_from_json(model));
  TB_ASSIGN_OR_RETURN(const Reader run, r.object("run"));
  TB_ASSIGN_OR_RETURN(m.run, settings_from_json(run));
  TB_ASSIGN_OR_RETURN(m.tokens, r.integer_in("tokens_per_step", 1, kNoLimit));
  TB_ASSIGN_OR_RETURN(m.flop_per_token, r.non_negative("flop_per_token"));
  TB_ASSIGN_OR_RETURN(m.device_flop, r.non_negative("device_flop_per_step"));
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
  return m;
}

}  // namespace tb
