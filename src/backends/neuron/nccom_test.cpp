#include "backends/neuron/nccom_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/format.h"

namespace tb {
namespace {

constexpr std::string_view kHeaderColumns = "size(B) count(elems) type time:avg(us) algbw(GB/s) busbw(GB/s)";
constexpr std::string_view kDriverMissing = "Neuron DKMS Driver is not running";
constexpr std::string_view kFailureRow = "Failure running neuron-bench";
constexpr std::string_view kErrorsFound = "errors found - test failed";

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const std::size_t begin = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > begin) words.push_back(line.substr(begin, i - begin));
  }
  return words;
}

// A line quoted in a message: trimmed, and cut when very long.
std::string quoted(std::string_view line) {
  line = trim(line);
  constexpr std::size_t kMax = 200;
  std::string s = "'" + std::string(line.substr(0, kMax));
  if (line.size() > kMax) s += "...";
  return s + "'";
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(std::string_view s) {
  double v = 0.0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<Error> reported_failure(std::string_view text) {
  if (text.find(kDriverMissing) != std::string_view::npos) {
    return unavailable(
        "nccom-test reports \"Neuron DKMS Driver is not running!\": the Neuron kernel driver is not loaded on this "
        "machine; install the aws-neuronx-dkms package (or load the driver: sudo modprobe neuron) and check that "
        "neuron-ls lists the devices");
  }
  std::vector<std::string> failures;
  std::string errors_found;
  for (std::string_view line : split_lines(text)) {
    line = trim(line);
    if (const std::size_t at = line.find(kFailureRow); at != std::string_view::npos) {
      // "<size> <count> <type> Failure running neuron-bench - log file <path>"; the
      // leading columns may be missing.
      const std::vector<std::string_view> words = split_words(line.substr(0, at));
      const std::optional<std::int64_t> size = words.empty() ? std::nullopt : parse_int(words.front());
      std::string what = size ? "size " + std::to_string(*size) + " B" : "a size (not printed: " + quoted(line) + ")";
      constexpr std::string_view kLogFile = "log file";
      if (const std::size_t log = line.find(kLogFile, at); log != std::string_view::npos) {
        const std::string_view path = trim(line.substr(log + kLogFile.size()));
        what += path.empty() ? " (no log file named)" : " (log file " + std::string(path) + ")";
      }
      failures.push_back(std::move(what));
    } else if (line.find(kErrorsFound) != std::string_view::npos) {
      errors_found = std::string(line);
    }
  }
  if (failures.empty() && errors_found.empty()) return std::nullopt;
  std::string message = "nccom-test failed";
  if (!failures.empty()) {
    message += " for ";
    for (std::size_t i = 0; i < failures.size(); ++i) message += (i > 0 ? "; for " : "") + failures[i];
  }
  if (!errors_found.empty()) message += (failures.empty() ? ": it reports " : "; it reports ") + quoted(errors_found);
  return run_failure(std::move(message));
}

constexpr std::string_view kTimePrefix = "time:";
constexpr std::string_view kOldTimeColumn = "time(us)";
constexpr std::string_view kUsSuffix = "(us)";

// Where each column of the table is, found by name in the header.
struct HeaderColumns {
  std::vector<std::string> names;  // every column, in order
  std::size_t size = 0, count = 0, type = 0, algbw = 0, busbw = 0;
  std::optional<std::size_t> input_size, output_size, algorithm;
  std::vector<std::pair<std::size_t, std::string>> times;  // (column, statistic)
};

// The statistic a time column names: "time:p50(us)" -> "p50", the old
// single column "time(us)" -> "time(us)"; else nullopt.
std::optional<std::string> time_statistic(std::string_view name) {
  if (name == kOldTimeColumn) return std::string(kOldTimeColumn);
  if (name.starts_with(kTimePrefix) && name.ends_with(kUsSuffix) &&
      name.size() > kTimePrefix.size() + kUsSuffix.size()) {
    return std::string(name.substr(kTimePrefix.size(), name.size() - kTimePrefix.size() - kUsSuffix.size()));
  }
  return std::nullopt;
}

// The column positions when `line` is the table's header; an error when it looks
// like one (has size(B)) but lacks a required column.
std::optional<Expected<HeaderColumns>> header_columns(std::string_view line) {
  const std::vector<std::string_view> words = split_words(line);
  if (std::find(words.begin(), words.end(), "size(B)") == words.end()) return std::nullopt;
  HeaderColumns h;
  std::optional<std::size_t> size, count, type, algbw, busbw;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string_view w = words[i];
    h.names.emplace_back(w);
    if (w == "size(B)") size = i;
    else if (w == "count(elems)") count = i;
    else if (w == "type") type = i;
    else if (w == "algbw(GB/s)") algbw = i;
    else if (w == "busbw(GB/s)") busbw = i;
    else if (w == "total_input_size(B)") h.input_size = i;
    else if (w == "total_output_size(B)") h.output_size = i;
    else if (w == "algorithm") h.algorithm = i;
    else if (std::optional<std::string> stat = time_statistic(w)) h.times.emplace_back(i, std::move(*stat));
  }
  const auto missing = [&](std::string_view name) {
    return Expected<HeaderColumns>(run_failure("cannot read nccom-test's table: its header lacks the column '" +
                                               std::string(name) + "' (expected '" + std::string(kHeaderColumns) +
                                               "', in any order, with any further columns): " + quoted(line)));
  };
  for (const auto& [name, found] : {std::pair<std::string_view, const std::optional<std::size_t>*>{"size(B)", &size},
                                    {"count(elems)", &count},
                                    {"type", &type},
                                    {"algbw(GB/s)", &algbw},
                                    {"busbw(GB/s)", &busbw}}) {
    if (!found->has_value()) return missing(name);
  }
  if (h.times.empty()) return missing("time:avg(us)' or 'time(us)");
  h.size = *size;
  h.count = *count;
  h.type = *type;
  h.algbw = *algbw;
  h.busbw = *busbw;
  return Expected<HeaderColumns>(std::move(h));
}

Expected<NccomRow> parse_row(std::string_view line, const HeaderColumns& h) {
  const std::vector<std::string_view> words = split_words(line);
  if (words.size() != h.names.size()) {
    return run_failure("cannot read nccom-test's table: a row has " + std::to_string(words.size()) +
                       " columns, the header " + std::to_string(h.names.size()) + ": " + quoted(line));
  }
  const auto bad = [&](std::size_t column, std::string_view expected) {
    return run_failure("cannot read nccom-test's table: " + h.names[column] + " is '" + std::string(words[column]) +
                       "', expected " + std::string(expected) + ", in the row " + quoted(line));
  };
  NccomRow row;
  const auto size = parse_int(words[h.size]);
  if (!size || *size <= 0) return bad(h.size, "a positive integer");
  const auto count = parse_int(words[h.count]);
  if (!count || *count < 0) return bad(h.count, "a non-negative integer");
  for (const auto& [column, target] : {std::pair{h.input_size, &row.total_input_bytes},
                                       std::pair{h.output_size, &row.total_output_bytes}}) {
    if (!column) continue;
    const auto bytes = parse_int(words[*column]);
    if (!bytes || *bytes < 0) return bad(*column, "a non-negative integer");
    *target = *bytes;
  }
  for (const auto& [column, statistic] : h.times) {
    const auto time = parse_double(words[column]);
    if (!time || *time <= 0.0) return bad(column, "a positive number");
    row.times.push_back({statistic, *time});
  }
  const auto algbw = parse_double(words[h.algbw]);
  if (!algbw || *algbw < 0.0) return bad(h.algbw, "a non-negative number");
  const auto busbw = parse_double(words[h.busbw]);
  if (!busbw || *busbw < 0.0) return bad(h.busbw, "a non-negative number");
  row.size_bytes = *size;
  row.count = *count;
  row.dtype = std::string(words[h.type]);
  row.algbw_GBps = *algbw;
  row.busbw_GBps = *busbw;
  if (h.algorithm) row.algorithm = std::string(words[*h.algorithm]);
  return row;
}

// "Avg bus bandwidth:      40.6901GB/s" (the unit may be separated by spaces).
Expected<double> parse_footer(std::string_view line) {
  const std::size_t colon = line.find(':');
  std::string_view value = colon == std::string_view::npos ? std::string_view() : trim(line.substr(colon + 1));
  if (value.size() >= 4 && value.substr(value.size() - 4) == "GB/s") value = trim(value.substr(0, value.size() - 4));
  const auto v = parse_double(value);
  if (!v || *v < 0.0) {
    return run_failure("cannot read nccom-test's footer: expected 'Avg bus bandwidth: <number>GB/s', got " +
                       quoted(line));
  }
  return *v;
}

}  // namespace

std::string resolve_nccom_test(std::string_view flag_value) {
  if (!flag_value.empty()) return std::string(flag_value);
  if (const char* env = std::getenv(std::string(kNccomTestEnv).c_str()); env != nullptr && *env != '\0') return env;
  struct stat st {};
  if (::stat(std::string(kNccomTestDefaultPath).c_str(), &st) == 0) return std::string(kNccomTestDefaultPath);
  return "nccom-test";
}

Expected<std::string> locate_nccom_test(std::string_view flag_value) {
  const std::string name = resolve_nccom_test(flag_value);
  const auto executable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return name;
    return unavailable("nccom-test '" + name + "' is not an executable file");
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "";
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    const std::string candidate = (dir.empty() ? std::string(".") : std::string(dir)) + "/" + name;
    if (executable(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return unavailable("no nccom-test: not at " + std::string(kNccomTestDefaultPath) +
                     " nor on PATH; install aws-neuronx-tools, or give its path with --nccom-test PATH or " +
                     std::string(kNccomTestEnv) + "=PATH");
}

std::string_view nccom_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return "fp32";
    case DType::kBf16: return "bf16";
    case DType::kFp16: return "fp16";
    case DType::kFp8E4m3: break;  // unreachable: all-reduce problems refuse fp8 at parse time
  }
  return "fp32";
}

Status check_nccom_request(const NccomRequest& r) {
  const auto size = static_cast<std::int64_t>(dtype_size(r.dtype));
  const std::string dt(dtype_name(r.dtype));
  if (r.executable.empty()) return bad_input("nccom-test: the executable path is empty");
  if (r.ranks < 1) return bad_input("nccom-test: ranks must be at least 1, got " + std::to_string(r.ranks));
  if (r.nodes < 1) return bad_input("nccom-test: nodes must be at least 1, got " + std::to_string(r.nodes));
  if (r.ranks % r.nodes != 0) {
    return bad_input("nccom-test: ranks (" + std::to_string(r.ranks) + ") must be a multiple of nodes (" +
                     std::to_string(r.nodes) + ")");
  }
  if (r.min_bytes < size) {
    return bad_input("nccom-test: the size must be at least one " + dt + " element (" + std::to_string(size) +
                     " B), got " + std::to_string(r.min_bytes) + " B");
  }
  if (r.max_bytes < r.min_bytes) {
    return bad_input("nccom-test: the largest size (" + std::to_string(r.max_bytes) + " B) is below the smallest (" +
                     std::to_string(r.min_bytes) + " B)");
  }
  for (std::int64_t b : {r.min_bytes, r.max_bytes}) {
    if (b % size != 0) {
      return bad_input("nccom-test: " + std::to_string(b) + " B is not a whole number of " + dt + " elements (" +
                       std::to_string(size) + " B each)");
    }
  }
  if (r.max_bytes != r.min_bytes && r.step_factor < 2) {
    return bad_input("nccom-test: a size sweep needs a step factor of at least 2, got " +
                     std::to_string(r.step_factor));
  }
  if (r.iters < 1) return bad_input("nccom-test: iterations must be at least 1, got " + std::to_string(r.iters));
  if (r.warmup < 0) return bad_input("nccom-test: warm-up iterations must be >= 0, got " + std::to_string(r.warmup));
  return {};
}

std::vector<std::string> nccom_test_arguments(const NccomRequest& r) {
  std::vector<std::string> argv = {r.executable, "all_reduce",
                                   "-r", std::to_string(r.ranks),
                                   "-N", std::to_string(r.nodes),
                                   "-b", std::to_string(r.min_bytes),
                                   "-e", std::to_string(r.max_bytes)};
  if (r.max_bytes != r.min_bytes) {
    argv.insert(argv.end(), {"-f", std::to_string(r.step_factor)});
  }
  argv.insert(argv.end(), {"-n", std::to_string(r.iters), "-w", std::to_string(r.warmup), "-d",
                           std::string(nccom_dtype_name(r.dtype))});
  if (r.options.non_interactive) argv.emplace_back("--non-interactive");
  if (r.options.stats) argv.insert(argv.end(), {"--stats", "avg", "p50"});
  // Last: since SDK 2.28 -c takes an optional value, which must not be the next word.
  if (r.dtype == DType::kFp32) argv.emplace_back("-c");
  return argv;
}

NccomOptions probe_nccom_test(const std::string& executable, double timeout_s) {
  NccomOptions options;
  const Expected<ProcessOutput> help = run_process({executable, "--help"}, {timeout_s, 1.0, ""});
  if (!help || help->exit_code != 0) return options;
  const std::string text = help->out + help->err;
  options.stats = text.find("--stats") != std::string::npos;
  options.non_interactive = text.find("--non-interactive") != std::string::npos;
  return options;
}

Expected<ProcessOutput> run_with_timeout(const std::vector<std::string>& argv, double timeout_s, double grace_s) {
  return run_process(argv, {timeout_s, grace_s,
                            "give nccom-test's path with --nccom-test PATH or " + std::string(kNccomTestEnv) +
                                "=PATH (it is installed by the aws-neuronx-tools package, in /opt/aws/neuron/bin)"});
}

Expected<NccomResult> parse_nccom_output(std::string_view text) {
  if (std::optional<Error> failure = reported_failure(text)) return *failure;
  const std::vector<std::string_view> lines = split_lines(text);
  std::size_t i = 0;
  std::optional<HeaderColumns> header;
  for (; i < lines.size() && !header; ++i) {
    if (auto h = header_columns(lines[i])) {
      if (!h->ok()) return h->error();
      header = h->value();
    }
  }
  if (!header) {
    std::string first;
    for (std::string_view line : lines) {
      if (!trim(line).empty()) {
        first = quoted(line);
        break;
      }
    }
    return run_failure("nccom-test printed no result table (no header line like '" + std::string(kHeaderColumns) + "'); " +
                       (first.empty() ? std::string("its output was empty") : "its output begins: " + first));
  }
  NccomResult result;
  result.columns = header->names;
  for (; i < lines.size(); ++i) {
    const std::string_view line = trim(lines[i]);
    if (line.empty()) continue;
    if (header_columns(line)) return run_failure("nccom-test printed a second table (one is expected): " + quoted(line));
    if (line.starts_with("Avg bus bandwidth")) {
      if (result.avg_busbw_GBps) return run_failure("nccom-test printed its footer twice: " + quoted(line));
      TB_ASSIGN_OR_RETURN(const double avg, parse_footer(line));
      result.avg_busbw_GBps = avg;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(line.front())) && !result.avg_busbw_GBps) {
      TB_ASSIGN_OR_RETURN(NccomRow row, parse_row(line, *header));
      result.rows.push_back(std::move(row));
      continue;
    }
    return run_failure("cannot read nccom-test's table: unexpected line " + quoted(line));
  }
  if (result.rows.empty()) return run_failure("nccom-test printed its table header but no result rows");
  return result;
}

double nccom_gbps_to_bytes_per_s(double gbps) {
  // nccom-test's "GB/s" is GiB/s as its guide defines it: 2^30 B/s. Our
  // results use bytes per second throughout.
  constexpr double kBytesPerNccomGB = 1024.0 * 1024.0 * 1024.0;
  return gbps * kBytesPerNccomGB;
}

std::string_view nccom_unit_name(NccomBandwidthUnit unit) {
  return unit == NccomBandwidthUnit::kGiBps ? "GiB/s" : "GB/s (1e9 B/s)";
}

std::optional<double> NccomRow::time_us(std::string_view statistic) const {
  for (const NccomTime& t : times) {
    if (t.statistic == statistic) return t.us;
  }
  return std::nullopt;
}

NccomSample nccom_sample(const NccomRow& row) {
  if (const auto p50 = row.time_us("p50")) return {*p50, "median", "time:p50(us)"};
  if (const auto old = row.time_us(kOldTimeColumn)) return {*old, "median", std::string(kOldTimeColumn)};
  if (const auto avg = row.time_us("avg")) return {*avg, "mean", "time:avg(us)"};
  const NccomTime& first = row.times.front();  // parse_row guarantees one
  return {first.us, first.statistic, "time:" + first.statistic + "(us)"};
}

NccomFigures nccom_figures(const NccomRow& row, int ranks) {
  NccomFigures f;
  f.size_bytes = row.size_bytes;
  f.count = row.count;
  f.sample = nccom_sample(row);
  f.time_s = f.sample.time_us * 1e-6;
  f.bus_factor = ranks >= 1 ? 2.0 * (ranks - 1) / ranks : 1.0;
  // nccom-test computes algbw from its average (the guide's --stats example:
  // 524288 B / 14.83 us), or from its only time column.
  const double algbw_time_us = row.time_us("avg").value_or(row.time_us(kOldTimeColumn).value_or(f.sample.time_us));
  f.derived_algbw_bytes_per_s = static_cast<double>(row.size_bytes) / (algbw_time_us * 1e-6);

  // The printed figures are rounded (bandwidths to 0.01, time maybe to 1 us):
  // allow that, plus 2% (the two units differ by 7.4%).
  const double time_rounding = 0.5 / algbw_time_us;
  const auto fits = [&](double per_unit) {
    const double algbw = row.algbw_GBps * per_unit;
    const double tolerance = 0.005 * per_unit + f.derived_algbw_bytes_per_s * (time_rounding + 0.02);
    return std::abs(algbw - f.derived_algbw_bytes_per_s) <= tolerance;
  };
  const double bytes_per_gib = nccom_gbps_to_bytes_per_s(1.0);
  const bool gib = fits(bytes_per_gib);
  f.unit = !gib && fits(1e9) ? NccomBandwidthUnit::kGBps : NccomBandwidthUnit::kGiBps;
  const double per_unit = f.unit == NccomBandwidthUnit::kGiBps ? bytes_per_gib : 1e9;
  f.algbw_bytes_per_s = row.algbw_GBps * per_unit;
  f.busbw_bytes_per_s = row.busbw_GBps * per_unit;
  char buf[320];
  if (!gib && f.unit == NccomBandwidthUnit::kGiBps) {
    std::snprintf(buf, sizeof buf,
                  "nccom-test's algbw %.2f \"GB/s\" fits neither GiB/s (%.4g B/s) nor GB/s (%.4g B/s) against size / "
                  "time = %lld B / %.6g us = %.4g B/s",
                  row.algbw_GBps, row.algbw_GBps * bytes_per_gib, row.algbw_GBps * 1e9, static_cast<long long>(row.size_bytes),
                  algbw_time_us, f.derived_algbw_bytes_per_s);
    f.warning = buf;
  } else if (std::abs(f.busbw_bytes_per_s - f.algbw_bytes_per_s * f.bus_factor) >
             0.005 * per_unit * (1.0 + f.bus_factor) + 0.02 * f.busbw_bytes_per_s) {
    std::snprintf(buf, sizeof buf,
                  "nccom-test's busbw %.2f \"GB/s\" is not its algbw %.2f x 2(n-1)/n = %.4g for %d ranks", row.busbw_GBps,
                  row.algbw_GBps, f.bus_factor, ranks);
    f.warning = buf;
  }
  return f;
}

Expected<NccomResult> run_nccom_test(const NccomRequest& request, double timeout_s) {
  TB_RETURN_IF_ERROR(check_nccom_request(request));
  const std::vector<std::string> argv = nccom_test_arguments(request);
  TB_ASSIGN_OR_RETURN(ProcessOutput output, run_with_timeout(argv, timeout_s));
  for (const std::string* text : {&output.out, &output.err}) {
    if (std::optional<Error> failure = reported_failure(*text)) return *failure;
  }
  if (output.exit_code != 0) {
    const std::string tail = last_output_line(output.err.empty() ? output.out : output.err);
    return run_failure("'" + command_text(argv) + "' exited with status " + std::to_string(output.exit_code) +
                       (tail.empty() ? std::string(" and printed nothing") : ": " + tail));
  }
  return parse_nccom_output(output.out);
}

}  // namespace tb
