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

constexpr std::string_view kHeaderColumns = "size(B) count(elems) type time(us) algbw(GB/s) busbw(GB/s)";
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

struct HeaderColumns {
  std::size_t size = 0, count = 0, type = 0, time = 0, algbw = 0, busbw = 0, needed = 0;
};

// The column positions when `line` is the table's header; an error when it looks
// like one (has size(B)) but lacks a column.
std::optional<Expected<HeaderColumns>> header_columns(std::string_view line) {
  const std::vector<std::string_view> words = split_words(line);
  if (std::find(words.begin(), words.end(), "size(B)") == words.end()) return std::nullopt;
  HeaderColumns h;
  const auto find = [&](std::string_view name, std::size_t& index) {
    const auto it = std::find(words.begin(), words.end(), name);
    if (it == words.end()) return false;
    index = static_cast<std::size_t>(it - words.begin());
    h.needed = std::max(h.needed, index + 1);
    return true;
  };
  for (auto [name, index] : {std::pair<std::string_view, std::size_t*>{"size(B)", &h.size},
                             {"count(elems)", &h.count},
                             {"type", &h.type},
                             {"time(us)", &h.time},
                             {"algbw(GB/s)", &h.algbw},
                             {"busbw(GB/s)", &h.busbw}}) {
    if (!find(name, *index)) {
      return Expected<HeaderColumns>(run_failure("cannot read nccom-test's table: its header lacks the column '" +
                                                 std::string(name) + "' (expected '" + std::string(kHeaderColumns) +
                                                 "'): " + quoted(line)));
    }
  }
  return Expected<HeaderColumns>(h);
}

Expected<NccomRow> parse_row(std::string_view line, const HeaderColumns& h) {
  const std::vector<std::string_view> words = split_words(line);
  if (words.size() < h.needed) {
    return run_failure("cannot read nccom-test's table: a row has " + std::to_string(words.size()) +
                       " columns, the header " + std::to_string(h.needed) + ": " + quoted(line));
  }
  const auto bad = [&](std::string_view column, std::string_view value, std::string_view expected) {
    return run_failure("cannot read nccom-test's table: " + std::string(column) + " is '" + std::string(value) +
                       "', expected " + std::string(expected) + ", in the row " + quoted(line));
  };
  NccomRow row;
  const auto size = parse_int(words[h.size]);
  if (!size || *size <= 0) return bad("size(B)", words[h.size], "a positive integer");
  const auto count = parse_int(words[h.count]);
  if (!count || *count < 0) return bad("count(elems)", words[h.count], "a non-negative integer");
  const auto time = parse_double(words[h.time]);
  if (!time || *time <= 0.0) return bad("time(us)", words[h.time], "a positive number");
  const auto algbw = parse_double(words[h.algbw]);
  if (!algbw || *algbw < 0.0) return bad("algbw(GB/s)", words[h.algbw], "a non-negative number");
  const auto busbw = parse_double(words[h.busbw]);
  if (!busbw || *busbw < 0.0) return bad("busbw(GB/s)", words[h.busbw], "a non-negative number");
  row.size_bytes = *size;
  row.count = *count;
  row.dtype = std::string(words[h.type]);
  row.time_us = *time;
  row.algbw_GBps = *algbw;
  row.busbw_GBps = *busbw;
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
  std::vector<std::string> argv = {r.executable,
                                   "-r", std::to_string(r.ranks),
                                   "-N", std::to_string(r.nodes),
                                   "-b", std::to_string(r.min_bytes),
                                   "-e", std::to_string(r.max_bytes)};
  if (r.max_bytes != r.min_bytes) {
    argv.insert(argv.end(), {"-f", std::to_string(r.step_factor)});
  }
  argv.insert(argv.end(), {"-n", std::to_string(r.iters), "-w", std::to_string(r.warmup), "-d",
                           std::string(nccom_dtype_name(r.dtype))});
  // nccom-test checks results for fp32 only; bf16 and fp16 runs go unchecked.
  if (r.dtype == DType::kFp32) argv.emplace_back("-c");
  argv.emplace_back("all_reduce");
  return argv;
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
    return run_failure("nccom-test printed no result table (no header line '" + std::string(kHeaderColumns) + "'); " +
                       (first.empty() ? std::string("its output was empty") : "its output begins: " + first));
  }
  NccomResult result;
  for (; i < lines.size(); ++i) {
    const std::string_view line = trim(lines[i]);
    if (line.empty()) continue;
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
  // nccom-test's "GB/s" is GiB/s: 2^30 B/s (see the header: its published
  // figures fit only this). Our results use bytes per second throughout.
  constexpr double kBytesPerNccomGB = 1024.0 * 1024.0 * 1024.0;
  return gbps * kBytesPerNccomGB;
}

NccomFigures nccom_figures(const NccomRow& row, int ranks) {
  NccomFigures f;
  f.size_bytes = row.size_bytes;
  f.count = row.count;
  f.time_s = row.time_us * 1e-6;
  f.algbw_bytes_per_s = nccom_gbps_to_bytes_per_s(row.algbw_GBps);
  f.busbw_bytes_per_s = nccom_gbps_to_bytes_per_s(row.busbw_GBps);
  f.bus_factor = ranks >= 1 ? 2.0 * (ranks - 1) / ranks : 1.0;
  f.derived_algbw_bytes_per_s = f.time_s > 0.0 ? static_cast<double>(row.size_bytes) / f.time_s : 0.0;

  // The printed figures are rounded (bandwidths to 0.01, time maybe to 1 us):
  // allow that, plus 2% (the GiB/GB confusion it is meant to catch is 7.4%).
  const double half_unit = nccom_gbps_to_bytes_per_s(0.005);
  const double time_rounding = row.time_us > 0.0 ? 0.5 / row.time_us : 0.0;
  const double alg_tolerance = half_unit + f.derived_algbw_bytes_per_s * (time_rounding + 0.02);
  char buf[256];
  if (std::abs(f.algbw_bytes_per_s - f.derived_algbw_bytes_per_s) > alg_tolerance) {
    std::snprintf(buf, sizeof buf,
                  "nccom-test's algbw %.2f \"GB/s\" (read as GiB/s: %.4g B/s) disagrees with size / time = %lld B / "
                  "%.6g s = %.4g B/s",
                  row.algbw_GBps, f.algbw_bytes_per_s, static_cast<long long>(row.size_bytes), f.time_s,
                  f.derived_algbw_bytes_per_s);
    f.warning = buf;
  } else if (std::abs(f.busbw_bytes_per_s - f.algbw_bytes_per_s * f.bus_factor) >
             half_unit * (1.0 + f.bus_factor) + 0.02 * f.busbw_bytes_per_s) {
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
