#include "report/collective_report.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace tb {
namespace {

// printf into a std::string of whatever length it needs: cells come from
// result files (`trainbench show`), whose strings may be of any length.
template <typename... Args>
std::string fmt(const char* format, Args... args) {
  const int n = std::snprintf(nullptr, 0, format, args...);
  if (n <= 0) return {};
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  std::snprintf(out.data(), out.size(), format, args...);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The problem string without its inplace=… parameter: the key that pairs an
// out-of-place result with its in-place twin. Parameters are the
// comma-separated key=value items after the kernel name and ':'; the inplace
// item is dropped wherever it stands.
std::string pair_key(const std::string& problem) {
  const std::size_t colon = problem.find(':');
  if (colon == std::string::npos) return problem;
  std::string key = problem.substr(0, colon + 1);
  bool first = true;
  std::size_t begin = colon + 1;
  while (begin <= problem.size()) {
    std::size_t end = problem.find(',', begin);
    if (end == std::string::npos) end = problem.size();
    const std::string item = problem.substr(begin, end - begin);
    if (item.rfind("inplace=", 0) != 0) {
      key += (first ? "" : ",") + item;
      first = false;
    }
    begin = end + 1;
  }
  return key;
}

// time(us) algbw(GB/s) busbw(GB/s) #wrong of one result, or dashes when absent.
std::string figures(const ProblemResult* r) {
  if (r == nullptr) return fmt("%10s %8s %8s %8s", "-", "-", "-", "-");
  const std::string wrong = r->collective ? std::to_string(r->collective->wrong_elements) : "-";
  if (r->status != ResultStatus::kPassed || !r->collective) {
    // Not timed: the status instead of the time; the wrong count only where verification failed.
    return fmt("%10s %8s %8s %8s", std::string(status_name(r->status)).c_str(), "-", "-",
               r->status == ResultStatus::kFailed ? wrong.c_str() : "-");
  }
  return fmt("%10.2f %8.3f %8.3f %8s", r->time_s.median * 1e6, r->collective->algbw_bytes_per_s / 1e9,
             r->collective->busbw_bytes_per_s / 1e9, wrong.c_str());
}

}  // namespace

std::string render_collective_table(const RunRecord& record) {
  // Rows in first-seen order; each holds the out-of-place and in-place result
  // of one problem. A result whose slot in its row is already taken (the same
  // problem twice in a plan) starts a new row rather than hiding the first.
  struct Row {
    const ProblemResult* out_of_place = nullptr;
    const ProblemResult* in_place = nullptr;
  };
  std::vector<Row> rows;
  std::map<std::string, std::size_t> open_row;  // pair key -> the latest row with that key
  for (const ProblemResult& r : record.results) {
    if (!r.collective) continue;
    const std::string key = pair_key(r.problem);
    const auto it = open_row.find(key);
    const ProblemResult** slot = nullptr;
    if (it != open_row.end()) {
      Row& row = rows[it->second];
      slot = r.collective->in_place ? &row.in_place : &row.out_of_place;
      if (*slot != nullptr) slot = nullptr;
    }
    if (slot == nullptr) {
      open_row[key] = rows.size();
      rows.emplace_back();
      slot = r.collective->in_place ? &rows.back().in_place : &rows.back().out_of_place;
    }
    *slot = &r;
  }
  if (rows.empty()) return {};

  const char* const columns = "#%12s %12s %5s %5s %5s %4s %9s  %10s %8s %8s %8s  %10s %8s %8s %8s\n";
  std::string out = fmt("# %-62s %-37s %s\n", "", "out-of-place", "in-place");
  out += fmt(columns, "size", "count", "type", "redop", "ranks", "algo", "transport", "time", "algbw", "busbw",
             "#wrong", "time", "algbw", "busbw", "#wrong");
  out += fmt(columns, "(B)", "(elements)", "", "", "", "", "", "(us)", "(GB/s)", "(GB/s)", "(elem.)", "(us)", "(GB/s)",
             "(GB/s)", "(elem.)");
  for (const Row& row : rows) {
    const ProblemResult& any = row.out_of_place ? *row.out_of_place : *row.in_place;
    const CollectiveResult& c = *any.collective;
    out += fmt(" %12.0f %12lld %5s %5s %5d %4s %9s  %s  %s\n", any.min_bytes, static_cast<long long>(c.count),
               any.dtype.c_str(), c.op.c_str(), c.ranks, c.algo.c_str(), c.transport.c_str(),
               figures(row.out_of_place).c_str(), figures(row.in_place).c_str());
  }
  std::int64_t wrong = 0;
  for (const ProblemResult& r : record.results) {
    if (r.collective) wrong += r.collective->wrong_elements;
  }
  out += "# Out of bounds values : " + std::to_string(wrong) + (wrong == 0 ? " OK" : " FAILED") + "\n";
  out += "# Avg bus bandwidth    : " + fmt("%.3f", average_busbw_gb_per_s(record)) + " GB/s\n";
  return out;
}

double average_busbw_gb_per_s(const RunRecord& record) {
  double sum = 0.0;
  int n = 0;
  for (const ProblemResult& r : record.results) {
    if (!r.collective || r.status != ResultStatus::kPassed) continue;
    sum += r.collective->busbw_bytes_per_s / 1e9;
    ++n;
  }
  return n == 0 ? 0.0 : sum / n;
}

Status check_min_busbw(const RunRecord& record, double floor_gb_per_s) {
  int passed = 0;
  for (const ProblemResult& r : record.results) passed += r.collective && r.status == ResultStatus::kPassed;
  if (passed == 0) {
    return run_failure("--min-busbw " + fmt("%g", floor_gb_per_s) + " GB/s: no collective passed, nothing to check");
  }
  const double average = average_busbw_gb_per_s(record);
  if (average < floor_gb_per_s) {
    // As the footer prints it, unless rounding would hide that it is below the floor (11.9996 vs 12).
    std::string shown = fmt("%.3f", average);
    if (std::strtod(shown.c_str(), nullptr) >= floor_gb_per_s) shown = fmt("%.9g", average);
    return run_failure("average bus bandwidth " + shown + " GB/s is below --min-busbw " + fmt("%g", floor_gb_per_s) +
                       " GB/s");
  }
  return {};
}

}  // namespace tb
