#include "report/result_json.h"

#include <cmath>
#include <limits>

#include "common/atomic_file.h"
#include "common/echo.h"
#include "report/json_reader.h"
#include "report/model_run_json.h"

namespace tb {
namespace {

using nlohmann::json;
using json_io::number;
using json_io::Reader;

json device_to_json(const DeviceInfo& d) {
  json peaks = json::object();
  for (const auto& [dtype, flops] : d.peak_flop_per_s) peaks[std::string(dtype_name(dtype))] = flops;
  json props = json::object();
  for (const auto& [k, v] : d.properties) props[k] = v;
  return {{"name", d.name},
          {"kind", d.kind},
          {"compute_units", d.compute_units},
          {"memory_bytes", d.memory_bytes},
          {"shares_host_memory", d.shares_host_memory},
          {"memory_bandwidth_bytes_per_s", d.memory_bandwidth_bytes_per_s},
          {"peak_flop_per_s", peaks},
          {"peak_source", d.peak_source},
          {"properties", props}};
}

json verification_to_json(const Verification& v) {
  return {{"passed", v.passed},       {"metric", v.metric},       {"max_error", number(v.max_error)},
          {"tolerance", v.tolerance}, {"checked_elements", v.checked}, {"total_elements", v.total},
          {"nonfinite_elements", v.nonfinite}, {"wrong_elements", v.wrong}, {"detail", v.detail}};
}

json collective_to_json(const CollectiveResult& c) {
  return {{"ranks", c.ranks},
          {"transport", c.transport},
          {"algo", c.algo},
          {"op", c.op},
          {"in_place", c.in_place},
          {"count_elements", c.count},
          {"bus_factor", c.bus_factor},
          {"algbw_bytes_per_s", c.algbw_bytes_per_s},
          {"busbw_bytes_per_s", c.busbw_bytes_per_s},
          {"wrong_elements", c.wrong_elements}};
}

json summary_to_json(const SampleSummary& s) {
  return {{"count", s.count}, {"median", s.median}, {"mean", s.mean}, {"stddev", s.stddev}, {"min", s.min},
          {"max", s.max},     {"p10", s.p10},       {"p90", s.p90},   {"cv", s.cv}};
}

json result_to_json(const ProblemResult& r) {
  json j = {{"problem", r.problem},
            {"kernel", r.kernel},
            {"dtype", r.dtype},
            {"status", status_name(r.status)},
            {"reason", r.reason},
            {"implementation", r.implementation},
            {"provenance", r.provenance},
            {"flop", r.flop},
            {"min_bytes", r.min_bytes},
            {"verification", verification_to_json(r.verification)},
            {"time_s", summary_to_json(r.time_s)},
            {"samples_s", r.samples_s},
            {"iterations_per_sample", r.iterations_per_sample},
            {"flop_per_s", r.flop_per_s},
            {"bytes_per_s", r.bytes_per_s},
            {"fraction_of_peak", r.fraction_of_peak},
            {"peak_dtype", r.peak_dtype},
            {"warnings", r.warnings},
            {"reproducer", r.reproducer}};
  // Only collectives have one; readers of files without it get none.
  if (r.collective) j["collective"] = collective_to_json(*r.collective);
  return j;
}

// One GB-shaped entry, with our identifying fields added.
json entry_to_json(const ProblemResult& r, const BenchmarkEntry& e, const RunContext& c) {
  const std::string run_name = r.problem + "/" + c.backend;
  json j = {{"name", e.run_type == "aggregate" ? run_name + "_" + e.aggregate_name : run_name},
            {"family_index", 0},
            {"per_family_instance_index", 0},
            {"run_name", run_name},
            {"run_type", e.run_type},
            {"repetitions", e.repetitions},
            {"threads", 1},
            {"iterations", e.iterations},
            {"real_time", e.real_time},
            {"cpu_time", e.cpu_time},
            {"time_unit", e.time_unit},
            {"backend", c.backend},
            {"device", c.device.name},
            {"problem", r.problem},
            {"kernel", r.kernel},
            {"dtype", r.dtype},
            {"provenance", r.provenance},
            {"verification_status", status_name(r.status)},
            {"verification_max_error", number(r.verification.max_error)}};
  if (e.run_type == "aggregate") {
    j["aggregate_name"] = e.aggregate_name;
    j["aggregate_unit"] = e.aggregate_unit;
  } else {
    j["repetition_index"] = e.repetition_index;
  }
  // Throughput of this entry's time, where the entry is a time (not stddev or cv).
  const bool is_time = e.run_type == "iteration" || e.aggregate_name == "mean" || e.aggregate_name == "median" ||
                       e.aggregate_name == "min" || e.aggregate_name == "max";
  if (is_time && e.real_time > 0.0) j["flop_per_s"] = r.flop / (e.real_time * 1e-3);
  return j;
}

Expected<std::vector<std::string>> string_list(const Reader& r, const std::string& key) {
  TB_ASSIGN_OR_RETURN(const json* arr, r.array(key));
  std::vector<std::string> out;
  for (const json& v : *arr) {
    if (!v.is_string()) return bad_input("field '" + r.path() + "." + key + "' must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Expected<DeviceInfo> device_from_json(const Reader& r) {
  DeviceInfo d;
  TB_ASSIGN_OR_RETURN(d.name, r.str("name"));
  TB_ASSIGN_OR_RETURN(d.kind, r.str("kind"));
  TB_ASSIGN_OR_RETURN(const std::int64_t units, r.integer("compute_units"));
  d.compute_units = static_cast<int>(units);
  TB_ASSIGN_OR_RETURN(d.memory_bytes, r.integer("memory_bytes"));
  TB_ASSIGN_OR_RETURN(d.shares_host_memory, r.boolean("shares_host_memory"));
  TB_ASSIGN_OR_RETURN(d.memory_bandwidth_bytes_per_s, r.non_negative("memory_bandwidth_bytes_per_s"));
  TB_ASSIGN_OR_RETURN(const Reader peaks, r.object("peak_flop_per_s"));
  (void)peaks;
  TB_ASSIGN_OR_RETURN(d.peak_source, r.str("peak_source"));
  TB_ASSIGN_OR_RETURN(const Reader props, r.object("properties"));
  (void)props;
  return d;
}

Expected<SampleSummary> summary_from_json(const Reader& r) {
  SampleSummary s;
  TB_ASSIGN_OR_RETURN(const std::int64_t count, r.integer("count"));
  s.count = static_cast<int>(count);
  TB_ASSIGN_OR_RETURN(s.median, r.non_negative("median"));
  TB_ASSIGN_OR_RETURN(s.mean, r.non_negative("mean"));
  TB_ASSIGN_OR_RETURN(s.stddev, r.non_negative("stddev"));
  TB_ASSIGN_OR_RETURN(s.min, r.non_negative("min"));
  TB_ASSIGN_OR_RETURN(s.max, r.non_negative("max"));
  TB_ASSIGN_OR_RETURN(s.p10, r.non_negative("p10"));
  TB_ASSIGN_OR_RETURN(s.p90, r.non_negative("p90"));
  TB_ASSIGN_OR_RETURN(s.cv, r.non_negative("cv"));
  return s;
}

Expected<Verification> verification_from_json(const Reader& r) {
  Verification v;
  TB_ASSIGN_OR_RETURN(v.passed, r.boolean("passed"));
  TB_ASSIGN_OR_RETURN(v.metric, r.str("metric"));
  TB_ASSIGN_OR_RETURN(v.max_error, r.num_or_nonfinite("max_error"));
  TB_ASSIGN_OR_RETURN(v.tolerance, r.non_negative("tolerance"));
  TB_ASSIGN_OR_RETURN(v.checked, r.integer("checked_elements"));
  TB_ASSIGN_OR_RETURN(v.total, r.integer("total_elements"));
  TB_ASSIGN_OR_RETURN(v.nonfinite, r.integer("nonfinite_elements"));
  if (r.has("wrong_elements")) {  // optional: files written before exact metrics lack it
    TB_ASSIGN_OR_RETURN(v.wrong, r.integer_in("wrong_elements", 0, std::numeric_limits<std::int64_t>::max()));
  }
  TB_ASSIGN_OR_RETURN(v.detail, r.str("detail"));
  return v;
}

Expected<CollectiveResult> collective_from_json(const Reader& r) {
  constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();
  CollectiveResult c;
  TB_ASSIGN_OR_RETURN(const std::int64_t ranks, r.integer_in("ranks", 1, std::numeric_limits<int>::max()));
  c.ranks = static_cast<int>(ranks);
  TB_ASSIGN_OR_RETURN(c.transport, r.str("transport"));
  TB_ASSIGN_OR_RETURN(c.algo, r.str("algo"));
  TB_ASSIGN_OR_RETURN(c.op, r.str("op"));
  TB_ASSIGN_OR_RETURN(c.in_place, r.boolean("in_place"));
  TB_ASSIGN_OR_RETURN(c.count, r.integer_in("count_elements", 0, kNoLimit));
  TB_ASSIGN_OR_RETURN(c.bus_factor, r.non_negative("bus_factor"));
  TB_ASSIGN_OR_RETURN(c.algbw_bytes_per_s, r.non_negative("algbw_bytes_per_s"));
  TB_ASSIGN_OR_RETURN(c.busbw_bytes_per_s, r.non_negative("busbw_bytes_per_s"));
  TB_ASSIGN_OR_RETURN(c.wrong_elements, r.integer_in("wrong_elements", 0, kNoLimit));
  return c;
}

Expected<ProblemResult> result_from_json(const Reader& r) {
  ProblemResult p;
  TB_ASSIGN_OR_RETURN(p.problem, r.str("problem"));
  TB_ASSIGN_OR_RETURN(p.kernel, r.str("kernel"));
  TB_ASSIGN_OR_RETURN(p.dtype, r.str("dtype"));
  TB_ASSIGN_OR_RETURN(const std::string status, r.str("status"));
  TB_ASSIGN_OR_RETURN(p.status, parse_status(status));
  TB_ASSIGN_OR_RETURN(p.reason, r.str("reason"));
  TB_ASSIGN_OR_RETURN(p.implementation, r.str("implementation"));
  TB_ASSIGN_OR_RETURN(p.provenance, r.str("provenance"));
  TB_ASSIGN_OR_RETURN(p.flop, r.non_negative("flop"));
  TB_ASSIGN_OR_RETURN(p.min_bytes, r.non_negative("min_bytes"));
  TB_ASSIGN_OR_RETURN(const Reader ver, r.object("verification"));
  TB_ASSIGN_OR_RETURN(p.verification, verification_from_json(ver));
  TB_ASSIGN_OR_RETURN(const Reader time, r.object("time_s"));
  TB_ASSIGN_OR_RETURN(p.time_s, summary_from_json(time));
  TB_ASSIGN_OR_RETURN(const json* samples, r.array("samples_s"));
  for (const json& s : *samples) {
    if (!s.is_number() || !(s.get<double>() >= 0)) {
      return bad_input("field '" + r.path() + ".samples_s' must hold numbers >= 0 (seconds)");
    }
    p.samples_s.push_back(s.get<double>());
  }
  TB_ASSIGN_OR_RETURN(p.iterations_per_sample, r.integer("iterations_per_sample"));
  TB_ASSIGN_OR_RETURN(p.flop_per_s, r.non_negative("flop_per_s"));
  TB_ASSIGN_OR_RETURN(p.bytes_per_s, r.non_negative("bytes_per_s"));
  TB_ASSIGN_OR_RETURN(p.fraction_of_peak, r.num("fraction_of_peak"));
  if (r.has("peak_dtype")) {  // optional: files written before it compared with the dtype's own peak
    TB_ASSIGN_OR_RETURN(p.peak_dtype, r.str("peak_dtype"));
  } else if (p.status == ResultStatus::kPassed) {
    p.peak_dtype = p.dtype;
  }
  TB_ASSIGN_OR_RETURN(p.warnings, string_list(r, "warnings"));
  if (r.has("collective")) {  // optional: only collectives have it
    TB_ASSIGN_OR_RETURN(const Reader collective, r.object("collective"));
    TB_ASSIGN_OR_RETURN(p.collective, collective_from_json(collective));
  }
  TB_ASSIGN_OR_RETURN(p.reproducer, r.str("reproducer"));
  return p;
}

Expected<BenchmarkEntry> entry_from_json(const Reader& r) {
  BenchmarkEntry e;
  TB_ASSIGN_OR_RETURN(e.run_type, r.str("run_type"));
  if (e.run_type != "iteration" && e.run_type != "aggregate") {
    return bad_input("field '" + r.path() + ".run_type' is '" + echo_value(e.run_type) +
                     "': expected iteration or aggregate");
  }
  if (e.run_type == "aggregate") {
    TB_ASSIGN_OR_RETURN(e.aggregate_name, r.str("aggregate_name"));
    TB_ASSIGN_OR_RETURN(e.aggregate_unit, r.str("aggregate_unit"));
  } else {
    TB_ASSIGN_OR_RETURN(const std::int64_t index, r.integer("repetition_index"));
    e.repetition_index = static_cast<int>(index);
  }
  TB_ASSIGN_OR_RETURN(const std::int64_t reps, r.integer("repetitions"));
  e.repetitions = static_cast<int>(reps);
  TB_ASSIGN_OR_RETURN(e.iterations, r.integer("iterations"));
  TB_ASSIGN_OR_RETURN(e.real_time, r.non_negative("real_time"));
  TB_ASSIGN_OR_RETURN(e.cpu_time, r.non_negative("cpu_time"));
  TB_ASSIGN_OR_RETURN(e.time_unit, r.str("time_unit"));
  return e;
}

}  // namespace

nlohmann::json to_json(const RunRecord& record) {
  const RunContext& c = record.context;
  json context = {{"date", c.date},
                  {"host_name", c.host_name},
                  {"executable", c.executable},
                  {"num_cpus", c.num_cpus},
                  {"mhz_per_cpu", c.mhz_per_cpu},
                  {"cpu_scaling_enabled", c.cpu_scaling_enabled},
                  {"caches", json::array()},
                  {"library_build_type", c.library_build_type},
                  {"json_schema_version", 1},
                  // Ours, beside GB's fields (GB's tools ignore unknown context keys).
                  {"processes", c.processes},
                  {"trainbench",
                   {{"schema_version", kResultSchemaVersion},
                    {"version", c.trainbench_version},
                    {"git_commit", c.git_commit},
                    {"build_type", c.build_type},
                    {"compiler", c.compiler},
                    {"command_line", c.command_line},
                    {"timestamp_utc", c.timestamp_utc},
                    {"cpu_model", c.cpu_model},
                    {"backend", c.backend},
                    {"device", device_to_json(c.device)},
                    {"options",
                     {{"repetitions", c.repetitions},
                      {"min_time_s", c.min_time_s},
                      {"warmup_time_s", c.warmup_time_s},
                      {"seed", c.seed}}}}}};
  json benchmarks = json::array();
  json results = json::array();
  for (const ProblemResult& r : record.results) {
    for (const BenchmarkEntry& e : r.entries) benchmarks.push_back(entry_to_json(r, e, c));
    results.push_back(result_to_json(r));
  }
  json doc = {{"context", context}, {"benchmarks", benchmarks}, {"results", results}};
  if (record.model_run) doc["model_run"] = model_run_to_json(*record.model_run);
  return doc;
}

Expected<RunRecord> from_json(const nlohmann::json& doc) {
  if (!doc.is_object()) return bad_input("the document is not a JSON object");
  const Reader root(doc, "$");
  RunRecord record;
  RunContext& c = record.context;
  TB_ASSIGN_OR_RETURN(const Reader ctx, root.object("context"));
  TB_ASSIGN_OR_RETURN(const Reader tb, ctx.object("trainbench"));
  TB_ASSIGN_OR_RETURN(const std::int64_t version, tb.integer("schema_version"));
  if (version != kResultSchemaVersion) {
    return bad_input("schema_version " + std::to_string(version) + " is not supported: this trainbench reads version " +
                     std::to_string(kResultSchemaVersion));
  }
  TB_ASSIGN_OR_RETURN(c.date, ctx.str("date"));
  TB_ASSIGN_OR_RETURN(c.host_name, ctx.str("host_name"));
  TB_ASSIGN_OR_RETURN(c.executable, ctx.str("executable"));
  TB_ASSIGN_OR_RETURN(const std::int64_t cpus, ctx.integer("num_cpus"));
  c.num_cpus = static_cast<int>(cpus);
  TB_ASSIGN_OR_RETURN(c.mhz_per_cpu, ctx.non_negative("mhz_per_cpu"));
  TB_ASSIGN_OR_RETURN(c.cpu_scaling_enabled, ctx.boolean("cpu_scaling_enabled"));
  TB_ASSIGN_OR_RETURN(c.library_build_type, ctx.str("library_build_type"));
  if (ctx.has("processes")) {  // optional: files written before MPI runs lack it (RunContext's default stays)
    TB_ASSIGN_OR_RETURN(c.processes, ctx.str("processes"));
  }
  TB_ASSIGN_OR_RETURN(c.trainbench_version, tb.str("version"));
  TB_ASSIGN_OR_RETURN(c.git_commit, tb.str("git_commit"));
  TB_ASSIGN_OR_RETURN(c.build_type, tb.str("build_type"));
  TB_ASSIGN_OR_RETURN(c.compiler, tb.str("compiler"));
  TB_ASSIGN_OR_RETURN(c.command_line, tb.str("command_line"));
  TB_ASSIGN_OR_RETURN(c.timestamp_utc, tb.str("timestamp_utc"));
  TB_ASSIGN_OR_RETURN(c.cpu_model, tb.str("cpu_model"));
  TB_ASSIGN_OR_RETURN(c.backend, tb.str("backend"));
  TB_ASSIGN_OR_RETURN(const Reader dev, tb.object("device"));
  TB_ASSIGN_OR_RETURN(c.device, device_from_json(dev));
  // Peaks and properties are free-form maps; read them after the shape checks above.
  const json& device_json = doc["context"]["trainbench"]["device"];
  for (const auto& [name, value] : device_json["peak_flop_per_s"].items()) {
    TB_ASSIGN_OR_RETURN(const DType dtype, parse_dtype(name));
    if (!value.is_number() || !(value.get<double>() >= 0)) {
      return bad_input("field '$.context.trainbench.device.peak_flop_per_s." + name +
                       "' is not a number >= 0");
    }
    c.device.peak_flop_per_s[dtype] = value.get<double>();
  }
  for (const auto& [name, value] : device_json["properties"].items()) {
    if (!value.is_string()) {
      return bad_input("field '$.context.trainbench.device.properties." + echo_value(name) + "' is not a string");
    }
    c.device.properties.emplace_back(name, value.get<std::string>());
  }
  TB_ASSIGN_OR_RETURN(const Reader opts, tb.object("options"));
  TB_ASSIGN_OR_RETURN(const std::int64_t reps, opts.integer("repetitions"));
  c.repetitions = static_cast<int>(reps);
  TB_ASSIGN_OR_RETURN(c.min_time_s, opts.non_negative("min_time_s"));
  TB_ASSIGN_OR_RETURN(c.warmup_time_s, opts.non_negative("warmup_time_s"));
  TB_ASSIGN_OR_RETURN(const std::int64_t seed, opts.integer("seed"));
  c.seed = static_cast<std::uint64_t>(seed);

  TB_ASSIGN_OR_RETURN(const json* results, root.array("results"));
  for (std::size_t i = 0; i < results->size(); ++i) {
    const std::string path = "$.results[" + std::to_string(i) + "]";
    if (!(*results)[i].is_object()) return bad_input("field '" + path + "' is not an object");
    TB_ASSIGN_OR_RETURN(ProblemResult r, result_from_json(Reader((*results)[i], path)));
    record.results.push_back(std::move(r));
  }
  TB_ASSIGN_OR_RETURN(const json* benchmarks, root.array("benchmarks"));
  for (std::size_t i = 0; i < benchmarks->size(); ++i) {
    const std::string path = "$.benchmarks[" + std::to_string(i) + "]";
    const json& b = (*benchmarks)[i];
    if (!b.is_object()) return bad_input("field '" + path + "' is not an object");
    const Reader reader(b, path);
    TB_ASSIGN_OR_RETURN(const std::string problem, reader.str("problem"));
    TB_ASSIGN_OR_RETURN(BenchmarkEntry e, entry_from_json(reader));
    bool placed = false;
    for (ProblemResult& r : record.results) {
      if (r.problem == problem) {
        r.entries.push_back(std::move(e));
        placed = true;
        break;
      }
    }
    if (!placed) {
      return bad_input("field '" + path + ".problem' names '" + echo_value(problem) +
                       "', which has no entry in $.results");
    }
  }
  if (root.has("model_run")) {  // optional: only run --model writes it
    TB_ASSIGN_OR_RETURN(const Reader model_run, root.object("model_run"));
    TB_ASSIGN_OR_RETURN(record.model_run, model_run_from_json(model_run));
  }
  return record;
}

Status write_result_file(const std::string& path, const RunRecord& record) {
  return write_file_atomically(path, to_json(record).dump(2) + "\n");
}

Expected<std::string> create_result_file(const std::string& stem, const RunRecord& record) {
  const std::string content = to_json(record).dump(2) + "\n";
  for (int i = 1; i <= 1000; ++i) {
    const std::string path = stem + (i == 1 ? "" : "-" + std::to_string(i)) + ".json";
    TB_ASSIGN_OR_RETURN(const bool created, create_file_atomically(path, content));
    if (created) return path;
  }
  return io_error("cannot create a result file: '" + stem + ".json' and 999 numbered variants exist");
}

Expected<RunRecord> read_result_file(const std::string& path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_file(path, kMaxReadBytes, "results file"));
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return bad_input("results file '" + path + "' is not valid JSON");
  Expected<RunRecord> record = from_json(doc);
  if (!record) return bad_input("results file '" + path + "': " + record.error().message);
  return record;
}

}  // namespace tb
