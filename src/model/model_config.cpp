#include "model/model_config.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "common/suggest.h"
#include "common/atomic_file.h"
#include "common/echo.h"

namespace tb {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Plain decimal digits, no sign or suffix, in [1, max].
std::optional<std::int64_t> parse_positive(std::string_view text, std::int64_t max) {
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size() || text.empty() || text[0] == '-') return std::nullopt;
  if (value < 1 || value > max) return std::nullopt;
  return value;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Keys of a model file: required shape keys, then the run defaults.
const std::vector<std::string>& required_keys() {
  static const std::vector<std::string> keys = {"layers", "hidden",      "heads", "kv_heads", "ffn", "mlp",
                                                "vocab",  "seq_len",     "micro_batch", "tp",  "dp",  "dtype"};
  return keys;
}
const std::vector<std::string>& optional_keys() {
  static const std::vector<std::string> keys = {"grad_dtype", "tie_embeddings"};
  return keys;
}

}  // namespace

std::string_view mlp_kind_name(MlpKind kind) { return kind == MlpKind::kGated ? "gated" : "plain"; }

ParameterCount ModelConfig::parameters() const {
  const std::int64_t d = hidden;
  const std::int64_t kv_dim = kv_heads * head_dim();
  const std::int64_t attention = d * d /*q*/ + 2 * d * kv_dim /*k, v*/ + d * d /*o*/;
  const std::int64_t mlp_weights = (mlp == MlpKind::kGated ? 3 : 2) * d * ffn;
  const std::int64_t norms = 2 * d;  // RMSNorm / LayerNorm gains, biases not counted
  const std::int64_t per_layer = attention + mlp_weights + norms;
  const std::int64_t embed = vocab * d;
  ParameterCount p;
  p.non_embedding = layers * per_layer + d /*final norm*/;
  p.embedding = tie_embeddings ? embed : 2 * embed;
  p.total = p.non_embedding + p.embedding;
  p.matmul = layers * (attention + mlp_weights) + embed /*LM head*/;
  return p;
}

Status validate(const ModelConfig& m, const RunSettings& run) {
  const std::string where = m.name.empty() ? std::string("model") : "model '" + m.name + "'";
  const std::pair<const char*, std::int64_t> shape[] = {{"layers", m.layers}, {"hidden", m.hidden},
                                                        {"heads", m.heads},   {"kv_heads", m.kv_heads},
                                                        {"ffn", m.ffn},       {"vocab", m.vocab},
                                                        {"seq_len", m.seq_len}};
  for (const auto& [key, value] : shape) {
    if (value < 1 || value > kMaxModelDim)
      return bad_input(where + ": " + key + "=" + std::to_string(value) + " is out of range: expected 1 to " +
                       std::to_string(kMaxModelDim));
  }
  if (m.hidden % m.heads != 0)
    return bad_input(where + ": hidden=" + std::to_string(m.hidden) + " is not a multiple of heads=" +
                     std::to_string(m.heads));
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0)
    return bad_input(where + ": heads=" + std::to_string(m.heads) + " is not a multiple of kv_heads=" +
                     std::to_string(m.kv_heads));
  if (run.micro_batch < 1 || run.micro_batch > kMaxModelDim)
    return bad_input(where + ": micro_batch=" + std::to_string(run.micro_batch) + " is out of range: expected 1 to " +
                     std::to_string(kMaxModelDim));
  if (run.tp < 1 || run.tp > kMaxParallel)
    return bad_input(where + ": tp=" + std::to_string(run.tp) + " is out of range: expected 1 to " +
                     std::to_string(kMaxParallel));
  if (run.dp < 1 || run.dp > kMaxParallel)
    return bad_input(where + ": dp=" + std::to_string(run.dp) + " is out of range: expected 1 to " +
                     std::to_string(kMaxParallel));
  if (run.seq_len < 0 || run.seq_len > kMaxModelDim)
    return bad_input(where + ": seq_len=" + std::to_string(run.seq_len) + " is out of range: expected 1 to " +
                     std::to_string(kMaxModelDim) + " (or 0 for the model's own)");
  const std::pair<const char*, std::int64_t> sharded[] = {{"heads", m.heads}, {"ffn", m.ffn}};
  for (const auto& [key, value] : sharded) {
    if (value % run.tp != 0)
      return bad_input(where + ": tp=" + std::to_string(run.tp) + " does not divide " + key + "=" +
                       std::to_string(value) + ": tensor parallelism shards heads, kv_heads and ffn evenly");
  }
  // More devices than KV heads: each KV head is replicated on tp / kv_heads devices (Megatron, NxD).
  if (m.kv_heads % run.tp != 0 && run.tp % m.kv_heads != 0)
    return bad_input(where + ": tp=" + std::to_string(run.tp) + " does not divide kv_heads=" +
                     std::to_string(m.kv_heads) + " and is not a multiple of it: tensor parallelism shards the KV "
                     "heads evenly, or replicates each on tp / kv_heads devices");
  const std::int64_t seq = run.seq_len > 0 ? run.seq_len : m.seq_len;
  if (run.micro_batch * seq > 2147483647)
    return bad_input(where + ": micro_batch * seq_len = " + std::to_string(run.micro_batch * seq) +
                     " tokens is too large: expected at most 2147483647");
  return {};
}

Expected<ModelConfig> read_model_file(const std::string& path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_file(path, kMaxReadBytes, "model file"));
  ModelConfig m;
  m.path = path;
  m.name = std::filesystem::path(path).stem().string();
  std::map<std::string, int, std::less<>> seen;  // key -> line
  std::vector<std::string> all_keys = required_keys();
  all_keys.insert(all_keys.end(), optional_keys().begin(), optional_keys().end());
  std::vector<std::string> sorted_keys = all_keys;
  std::sort(sorted_keys.begin(), sorted_keys.end());

  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::string at = path + ":" + std::to_string(line_no) + ": ";
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return bad_input(at + "'" + echo_value(line) + "' is not of the form key = value");
    const std::string key(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    if (std::find(all_keys.begin(), all_keys.end(), key) == all_keys.end())
      return bad_input(at + "unknown key '" + echo_value(key) + "': expected one of " + join(sorted_keys));
    if (const auto it = seen.find(key); it != seen.end())
      return bad_input(at + "key '" + key + "' is given twice (first on line " + std::to_string(it->second) + ")");
    seen.emplace(key, line_no);
    const std::string quoted = "'" + echo_value(key + " = " + std::string(value)) + "'";

    if (key == "mlp") {
      if (value == "gated") m.mlp = MlpKind::kGated;
      else if (value == "plain") m.mlp = MlpKind::kPlain;
      else return bad_input(at + quoted + " is not one of gated, plain");
    } else if (key == "dtype" || key == "grad_dtype") {
      const Expected<DType> dt = parse_dtype(value);
      if (!dt.ok()) return bad_input(at + quoted + ": " + dt.error().message);
      if (*dt == DType::kFp8E4m3) {  // fp8 is a GEMM input type; attention and all-reduce refuse it
        return bad_input(at + quoted + ": fp8 is not a training dtype here: expected fp32, bf16 or fp16");
      }
      (key == "dtype" ? m.defaults.dtype : m.defaults.grad_dtype) = *dt;
    } else if (key == "tie_embeddings") {
      if (value == "0") m.tie_embeddings = false;
      else if (value == "1") m.tie_embeddings = true;
      else return bad_input(at + quoted + " is not a flag: expected 0 or 1");
    } else {
      const std::int64_t max = (key == "tp" || key == "dp") ? kMaxParallel : kMaxModelDim;
      const std::optional<std::int64_t> number = parse_positive(value, max);
      if (!number)
        return bad_input(at + quoted + " is not a positive integer (decimal digits, 1 to " + std::to_string(max) +
                         ")");
      std::int64_t* const field = key == "layers"        ? &m.layers
                                  : key == "hidden"      ? &m.hidden
                                  : key == "heads"       ? &m.heads
                                  : key == "kv_heads"    ? &m.kv_heads
                                  : key == "ffn"         ? &m.ffn
                                  : key == "vocab"       ? &m.vocab
                                  : key == "seq_len"     ? &m.seq_len
                                  : key == "micro_batch" ? &m.defaults.micro_batch
                                  : key == "tp"          ? &m.defaults.tp
                                                         : &m.defaults.dp;
      *field = *number;
    }
  }
  for (const std::string& key : required_keys()) {
    if (!seen.contains(key))
      return bad_input(path + ":" + std::to_string(line_no) + ": missing key '" + key + "' (required: " +
                       join(required_keys()) + ")");
  }
  const Status valid = validate(m, m.defaults);
  if (!valid.ok()) return bad_input(path + ": " + valid.error().message);
  return m;
}

std::string default_models_dir() { return std::string(TRAINBENCH_DATA_DIR) + "/models"; }

std::vector<std::string> list_models(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".model") names.push_back(it->path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Expected<ModelConfig> load_model(std::string_view name, const std::string& dir) {
  const std::vector<std::string> known = list_models(dir);
  if (std::find(known.begin(), known.end(), name) != known.end())
    return read_model_file(dir + "/" + std::string(name) + ".model");
  std::string message = "unknown model '" + echo_value(name) + "'";
  if (known.empty()) return bad_input(message + ": no *.model files in '" + dir + "'");
  if (const std::vector<std::string> nearest = nearest_names(name, known); !nearest.empty()) {
    message += ": did you mean " + quoted_alternatives(nearest) + "?";
  }
  return bad_input(message + " (known models: " + join(known) + "; files in '" + dir + "')");
}

}  // namespace tb
