#include "report/result_json.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <map>

#include "common/atomic_file.h"
#include "common/echo.h"
#include "common/json_fields.h"
#include "common/json_reader.h"
#include "report/model_run_json.h"

namespace tb {
namespace {

using nlohmann::json;
using json_io::Check;
using json_io::Field;
using json_io::number;
using json_io::read_fields;
using json_io::Reader;
using json_io::write_fields;

constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

// Each struct's scalar fields, named once for the writer and the reader (docs/results.md has their units).
const Field<DeviceInfo> kDeviceFields[] = {
    {"name", &DeviceInfo::name},
    {"kind", &DeviceInfo::kind},
    {"compute_units", &DeviceInfo::compute_units},
    {"memory_bytes", &DeviceInfo::memory_bytes},
    {"shares_host_memory", &DeviceInfo::shares_host_memory},
    {"memory_bandwidth_bytes_per_s", &DeviceInfo::memory_bandwidth_bytes_per_s, Check::kNonNegative},
    {"peak_source", &DeviceInfo::peak_source},
};
const Field<Verification> kVerificationFields[] = {
    {"passed", &Verification::passed},
    {"metric", &Verification::metric},
    {"max_error", &Verification::max_error, Check::kNonFinite},
    {"tolerance", &Verification::tolerance, Check::kNonNegative},
    {"checked_elements", &Verification::checked},
    {"total_elements", &Verification::total},
    {"nonfinite_elements", &Verification::nonfinite},
    // Optional: files written before exact metrics lack it.
    {"wrong_elements", &Verification::wrong, Check::kRange, 0, kNoLimit, /*optional=*/true},
    {"detail", &Verification::detail},
};
const Field<CollectiveResult> kCollectiveFields[] = {
    {"ranks", &CollectiveResult::ranks, Check::kRange, 1, std::numeric_limits<int>::max()},
    {"transport", &CollectiveResult::transport},
    {"algo", &CollectiveResult::algo},
    {"op", &CollectiveResult::op},
    {"in_place", &CollectiveResult::in_place},
    {"count_elements", &CollectiveResult::count, Check::kRange, 0, kNoLimit},
    {"bus_factor", &CollectiveResult::bus_factor, Check::kNonNegative},
    {"algbw_bytes_per_s", &CollectiveResult::algbw_bytes_per_s, Check::kNonNegative},
    {"busbw_bytes_per_s", &CollectiveResult::busbw_bytes_per_s, Check::kNonNegative},
    {"wrong_elements", &CollectiveResult::wrong_elements, Check::kRange, 0, kNoLimit},
};
const Field<SampleSummary> kSummaryFields[] = {
    {"count", &SampleSummary::count},
    {"median", &SampleSummary::median, Check::kNonNegative},
    {"mean", &SampleSummary::mean, Check::kNonNegative},
    {"stddev", &SampleSummary::stddev, Check::kNonNegative},
    {"min", &SampleSummary::min, Check::kNonNegative},
    {"max", &SampleSummary::max, Check::kNonNegative},
    {"p10", &SampleSummary::p10, Check::kNonNegative},
    {"p90", &SampleSummary::p90, Check::kNonNegative},
    {"cv", &SampleSummary::cv, Check::kNonNegative},
};
// status, verification, time_s, samples_s, peak_dtype, warnings and collective are written and read beside these.
const Field<ProblemResult> kResultFields[] = {
    {"problem", &ProblemResult::problem},
    {"kernel", &ProblemResult::kernel},
    {"dtype", &ProblemResult::dtype},
    {"reason", &ProblemResult::reason},
    {"implementation", &ProblemResult::implementation},
    {"provenance", &ProblemResult::provenance},
    {"flop", &ProblemResult::flop, Check::kNonNegative},
    {"min_bytes", &ProblemResult::min_bytes, Check::kNonNegative},
    {"iterations_per_sample", &ProblemResult::iterations_per_sample},
    // Optional: files written before it had none.
    {"sample_statistic", &ProblemResult::sample_statistic, Check::kAny, 0, 0, /*optional=*/true},
    {"flop_per_s", &ProblemResult::flop_per_s, Check::kNonNegative},
    {"bytes_per_s", &ProblemResult::bytes_per_s, Check::kNonNegative},
    {"fraction_of_peak", &ProblemResult::fraction_of_peak},
    {"reproducer", &ProblemResult::reproducer},
};
// The context's Google Benchmark fields ("context"), and ours ("context.trainbench", "...options").
const Field<RunContext> kContextFields[] = {
    {"date", &RunContext::date},
    {"host_name", &RunContext::host_name},
    {"executable", &RunContext::executable},
    {"num_cpus", &RunContext::num_cpus},
    {"mhz_per_cpu", &RunContext::mhz_per_cpu, Check::kNonNegative},
    {"cpu_scaling_enabled", &RunContext::cpu_scaling_enabled},
    {"library_build_type", &RunContext::library_build_type},
    // Optional: files written before MPI runs lack it (RunContext's default stays).
    {"processes", &RunContext::processes, Check::kAny, 0, 0, /*optional=*/true},
};
const Field<RunContext> kTrainbenchFields[] = {
    {"version", &RunContext::trainbench_version},
    {"git_commit", &RunContext::git_commit},
    {"build_type", &RunContext::build_type},
    {"compiler", &RunContext::compiler},
    {"command_line", &RunContext::command_line},
    {"timestamp_utc", &RunContext::timestamp_utc},
    {"cpu_model", &RunContext::cpu_model},
    {"backend", &RunContext::backend},
};
const Field<RunContext> kOptionFields[] = {
    {"repetitions", &RunContext::repetitions},
    {"min_time_s", &RunContext::min_time_s, Check::kNonNegative},
    {"warmup_time_s", &RunContext::warmup_time_s, Check::kNonNegative},
    {"median_only", &RunContext::median_only, Check::kAny, 0, 0, /*optional=*/true},  // absent from older files
};

template <class T, std::size_t N>
json fields_to_json(const T& value, const Field<T> (&fields)[N]) {
  json j = json::object();
  write_fields<T>(j, value, fields);
  return j;
}

json device_to_json(const DeviceInfo& d) {
  json peaks = json::object();
  for (const auto& [dtype, flops] : d.peak_flop_per_s) peaks[std::string(dtype_name(dtype))] = flops;
  json props = json::object();
  for (const auto& [k, v] : d.properties) props[k] = v;
  json j = fields_to_json(d, kDeviceFields);
  j["peak_flop_per_s"] = peaks;
  j["properties"] = props;
  return j;
}

json result_to_json(const ProblemResult& r) {
  json j = fields_to_json(r, kResultFields);
  j["status"] = status_name(r.status);
  j["verification"] = fields_to_json(r.verification, kVerificationFields);
  j["time_s"] = fields_to_json(r.time_s, kSummaryFields);
  j["samples_s"] = r.samples_s;
  if (!r.tool_statistics_s.empty()) j["tool_statistics_s"] = r.tool_statistics_s;
  j["peak_dtype"] = r.peak_dtype;
  j["warnings"] = r.warnings;
  // Only collectives have one; readers of files without it get none.
  if (r.collective) j["collective"] = fields_to_json(*r.collective, kCollectiveFields);
  return j;
}

// Where an entry sorts in Google Benchmark's order (compare.py sorts by it):
// a family per kernel, in the order the kernels first appear; an instance per
// problem of that kernel.
struct EntryIndex {
  int family = 0;
  int instance = 0;
};

// One GB-shaped entry, with our identifying fields added.
json entry_to_json(const ProblemResult& r, const BenchmarkEntry& e, EntryIndex index, const RunContext& c) {
  const std::string run_name = r.problem + "/" + c.backend;
  json j = {{"name", e.run_type == "aggregate" ? run_name + "_" + e.aggregate_name : run_name},
            {"family_index", index.family},
            {"per_family_instance_index", index.instance},
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
  const Expected<double> unit_s = seconds_per_time_unit(e.time_unit);  // checked when read
  if (is_time && e.real_time > 0.0 && unit_s) j["flop_per_s"] = r.flop / (e.real_time * *unit_s);
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

// The object at `key` of `r`, read through `fields` into `out`.
template <class T, std::size_t N>
Status read_object(const Reader& r, const std::string& key, const Field<T> (&fields)[N], T& out) {
  TB_ASSIGN_OR_RETURN(const Reader object, r.object(key));
  return read_fields<T>(object, out, fields);
}

Expected<DeviceInfo> device_from_json(const Reader& r) {
  DeviceInfo d;
  TB_RETURN_IF_ERROR(read_fields<DeviceInfo>(r, d, kDeviceFields));
  // Peaks and properties are free-form maps: their shape here, their entries by from_json.
  TB_ASSIGN_OR_RETURN(const Reader peaks, r.object("peak_flop_per_s"));
  (void)peaks;
  TB_ASSIGN_OR_RETURN(const Reader props, r.object("properties"));
  (void)props;
  return d;
}

Expected<ProblemResult> result_from_json(const Reader& r) {
  ProblemResult p;
  TB_RETURN_IF_ERROR(read_fields<ProblemResult>(r, p, kResultFields));
  TB_ASSIGN_OR_RETURN(const std::string status, r.str("status"));
  TB_ASSIGN_OR_RETURN(p.status, parse_status(status));
  TB_RETURN_IF_ERROR(read_object(r, "verification", kVerificationFields, p.verification));
  TB_RETURN_IF_ERROR(read_object(r, "time_s", kSummaryFields, p.time_s));
  TB_ASSIGN_OR_RETURN(const json* samples, r.array("samples_s"));
  for (const json& s : *samples) {
    if (!s.is_number() || !(s.get<double>() >= 0)) {
      return bad_input("field '" + r.path() + ".samples_s' must hold numbers >= 0 (seconds)");
    }
    p.samples_s.push_back(s.get<double>());
  }
  if (r.has("tool_statistics_s")) {  // optional: results of external tools only
    TB_ASSIGN_OR_RETURN(const Reader stats, r.object("tool_statistics_s"));
    for (auto it = stats.raw().begin(); it != stats.raw().end(); ++it) {
      const std::string where = "field '" + r.path() + ".tool_statistics_s." + it.key() + "'";
      if (!it.value().is_array()) return bad_input(where + " must be a list of numbers >= 0 (seconds)");
      for (const json& v : it.value()) {
        if (!v.is_number() || !(v.get<double>() >= 0)) return bad_input(where + " must hold numbers >= 0 (seconds)");
        p.tool_statistics_s[it.key()].push_back(v.get<double>());
      }
    }
  }
  if (r.has("peak_dtype")) {  // optional: files written before it compared with the dtype's own peak
    TB_ASSIGN_OR_RETURN(p.peak_dtype, r.str("peak_dtype"));
  } else if (p.status == ResultStatus::kPassed) {
    p.peak_dtype = p.dtype;
  }
  TB_ASSIGN_OR_RETURN(p.warnings, string_list(r, "warnings"));
  if (r.has("collective")) {  // optional: only collectives have it
    p.collective.emplace();
    TB_RETURN_IF_ERROR(read_object(r, "collective", kCollectiveFields, *p.collective));
  }
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
  if (const Expected<double> unit = seconds_per_time_unit(e.time_unit); !unit) {
    return bad_input("field '" + r.path() + ".time_unit': " + unit.error().message);
  }
  return e;
}

}  // namespace

nlohmann::json to_json(const RunRecord& record) {
  const RunContext& c = record.context;
  // GB's fields, and ours beside them (GB's tools ignore unknown context keys).
  json context = fields_to_json(c, kContextFields);
  context["caches"] = json::array();
  context["json_schema_version"] = 1;
  json trainbench = fields_to_json(c, kTrainbenchFields);
  trainbench["schema_version"] = kResultSchemaVersion;
  trainbench["device"] = device_to_json(c.device);
  trainbench["options"] = fields_to_json(c, kOptionFields);
  trainbench["options"]["seed"] = c.seed;
  context["trainbench"] = trainbench;
  json benchmarks = json::array();
  json results = json::array();
  std::map<std::string, EntryIndex> next_index;  // by kernel: the next problem's indices
  for (const ProblemResult& r : record.results) {
    results.push_back(result_to_json(r));
    std::vector<BenchmarkEntry> entries = r.entries;
    if (c.median_only) {
      const std::optional<BenchmarkEntry> median = median_entry(r);
      entries = median ? std::vector<BenchmarkEntry>{*median} : std::vector<BenchmarkEntry>{};
    }
    if (entries.empty()) continue;
    const auto it = next_index.try_emplace(r.kernel, EntryIndex{static_cast<int>(next_index.size()), 0}).first;
    for (const BenchmarkEntry& e : entries) benchmarks.push_back(entry_to_json(r, e, it->second, c));
    ++it->second.instance;
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
  TB_RETURN_IF_ERROR(read_fields<RunContext>(ctx, c, kContextFields));
  TB_RETURN_IF_ERROR(read_fields<RunContext>(tb, c, kTrainbenchFields));
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
  TB_RETURN_IF_ERROR(read_fields<RunContext>(opts, c, kOptionFields));
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

std::string result_file_stem(const std::string& dir, const RunContext& c) {
  std::string stamp = c.timestamp_utc;
  std::erase(stamp, ':');
  std::erase(stamp, '-');
  std::string host = c.host_name.empty() ? "host" : c.host_name;
  for (char& ch : host) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') ch = '_';
  }
  return dir + "/" + stamp + "_" + c.backend + "_" + host;
}

}  // namespace tb
