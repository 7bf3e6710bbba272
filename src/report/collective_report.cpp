#include "report/collective_report.h"

#include <algorithm>
#include <cmath>
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

// nccl-tests' number cell of width `width`: the first of %.2f, %.1f, %.0f
// that fits, else the exponent form (as all_reduce_perf 2.19.6 prints time,
// algbw and busbw).
std::string fitted(double value, int width) {
  for (const char* format : {"%*.2f", "%*.1f", "%*.0f"}) {
    const std::string cell = fmt(format, width, value);
    if (static_cast<int>(cell.size()) <= width) return cell;
  }
  return fmt(width >= 7 ? "%*.1e" : "%*.0e", width, value);
}

// The type column: nccl-tests' name of the element type.
std::string nccl_type_name(const std::string& dtype) {
  if (dtype == "fp32") return "float";
  if (dtype == "bf16") return "bfloat16";
  if (dtype == "fp16") return "half";
  if (dtype == "fp8") return "f8e4m3";
  return dtype;
}

// One side's time (us), algbw and busbw (GB/s) and #wrong (elements):
// figures only for a passed result; the wrong count wherever verification ran.
std::string side(const ProblemResult* r) {
  const char* const na = "N/A";
  if (r == nullptr || !r->collective) return fmt("  %7s  %6s  %6s  %6s", na, na, na, na);
  const std::string wrong = r->status == ResultStatus::kPassed || r->status == ResultStatus::kFailed
                                ? fmt("%6g", static_cast<double>(r->collective->wrong_elements))
                                : std::string(na);
  if (r->status != ResultStatus::kPassed) return fmt("  %7s  %6s  %6s  %6s", na, na, na, wrong.c_str());
  return fmt("  %7s  %6s  %6s  %6s", fitted(r->time_s.median * 1e6, 7).c_str(),
             fitted(r->collective->algbw_bytes_per_s / 1e9, 6).c_str(),
             fitted(r->collective->busbw_bytes_per_s / 1e9, 6).c_str(), wrong.c_str());
}

struct Row {
  const ProblemResult* out_of_place = nullptr;
  const ProblemResult* in_place = nullptr;
  const ProblemResult& any() const { return out_of_place ? *out_of_place : *in_place; }
};

// The rows of one all_reduce_perf run: one rank count, transport and algorithm.
struct Block {
  const CollectiveResult* setup = nullptr;  // of the first result: ranks, transport, algo
  std::vector<Row> rows;
};

// Collective results in blocks of the same ranks, transport and algorithm,
// and in each block rows pairing out-of-place and in-place twins, all in
// first-seen order. A result whose slot in its row is already taken (the same
// problem twice in a plan) starts a new row rather than hiding the first.
std::vector<Block> blocks_of(const RunRecord& record) {
  std::vector<Block> blocks;
  std::map<std::string, std::size_t> block_of;              // ranks/transport/algo -> block
  std::map<std::string, std::size_t> open_row;              // pair key -> the latest row with that key
  for (const ProblemResult& r : record.results) {
    if (!r.collective) continue;
    const CollectiveResult& c = *r.collective;
    const std::string setup = std::to_string(c.ranks) + "/" + c.transport + "/" + c.algo;
    const auto b = block_of.try_emplace(setup, blocks.size()).first;
    if (b->second == blocks.size()) blocks.push_back(Block{&c, {}});
    std::vector<Row>& rows = blocks[b->second].rows;
    const std::string key = pair_key(r.problem);
    const auto it = open_row.find(key);
    const ProblemResult** slot = nullptr;
    if (it != open_row.end()) {
      Row& row = rows[it->second];
      slot = c.in_place ? &row.in_place : &row.out_of_place;
      if (*slot != nullptr) slot = nullptr;
    }
    if (slot == nullptr) {
      open_row[key] = rows.size();
      rows.emplace_back();
      slot = c.in_place ? &rows.back().in_place : &rows.back().out_of_place;
    }
    *slot = &r;
  }
  return blocks;
}

// nccl-tests' "step: N(factor)" or "N(bytes)" of a sweep over `sizes` (B,
// any order, repeats allowed: one sweep per type); 0(bytes) for one size or
// sizes no constant step reaches.
std::string step_of(std::vector<double> sizes) {
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  if (sizes.size() < 2 || sizes[0] <= 0) return "0(bytes)";
  const double factor = sizes[1] / sizes[0];
  const double delta = sizes[1] - sizes[0];
  bool geometric = factor >= 2 && factor == std::floor(factor);
  bool arithmetic = delta > 0;
  for (std::size_t i = 2; i < sizes.size(); ++i) {
    geometric = geometric && sizes[i] == sizes[i - 1] * factor;
    arithmetic = arithmetic && sizes[i] - sizes[i - 1] == delta;
  }
  if (geometric) return fmt("%.0f(factor)", factor);
  return fmt("%.0f(bytes)", arithmetic ? delta : 0.0);
}

// The lines before the table: what ran, in a trainbench line; nccl-tests'
// start and parameter lines; how trainbench timed it, where nccl-tests' own
// words would not say it.
std::string preamble(const RunRecord& record, const Block& block) {
  const CollectiveResult& c = *block.setup;
  std::vector<double> sizes;
  std::int64_t min_iters = 0, max_iters = 0;
  const ProblemResult* timed = nullptr;
  for (const Row& row : block.rows) {
    sizes.push_back(row.any().min_bytes);
    for (const ProblemResult* r : {row.out_of_place, row.in_place}) {
      if (r == nullptr || r->status != ResultStatus::kPassed) continue;
      if (timed == nullptr) timed = r;
      min_iters = min_iters == 0 ? r->iterations_per_sample : std::min(min_iters, r->iterations_per_sample);
      max_iters = std::max(max_iters, r->iterations_per_sample);
    }
  }
  const bool mpi = c.transport == "mpi";
  const bool one_thread_many_devices = !mpi && c.algo == "nccl";  // all_reduce_perf -g N
  const RunContext& ctx = record.context;
  std::string out = fmt("# trainbench %s, backend %s: all-reduce over %d ranks, algo %s, transport %s "
                        "(nccl-tests' all_reduce_perf format)\n",
                        ctx.trainbench_version.c_str(), ctx.backend.c_str(), c.ranks, c.algo.c_str(),
                        c.transport.c_str());
  out += "# Collective test starting: all_reduce_perf\n";
  out += fmt("# nThread %d nGpus %d minBytes %.0f maxBytes %.0f step: %s warmup iters: 0 iters: %lld agg iters: 1 "
             "validation: 1 graph: 0 unalign: 0\n",
             mpi || one_thread_many_devices ? 1 : c.ranks, one_thread_many_devices ? c.ranks : 1,
             *std::min_element(sizes.begin(), sizes.end()), *std::max_element(sizes.begin(), sizes.end()),
             step_of(sizes).c_str(), static_cast<long long>(min_iters));
  if (timed != nullptr) {
    out += fmt("# trainbench: time = median of %d samples; a sample = %s; iters = iterations per sample, %lld to "
               "%lld; warm-up %g s by time, not counted in warmup iters; GB/s = 1e9 B/s\n",
               timed->time_s.count, timed->sample_statistic.c_str(), static_cast<long long>(min_iters),
               static_cast<long long>(max_iters), ctx.warmup_time_s);
  }
  return out;
}

}  // namespace

std::string render_collective_table(const RunRecord& record) {
  std::string out;
  for (const Block& block : blocks_of(record)) {
    out += preamble(record, block);
    out += "#\n";
    out += fmt("# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place          \n", "", "",
               "", "", "");
    const char* const columns = "# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s \n";
    out += fmt(columns, "size", "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw",
               "busbw", "#wrong");
    out += fmt(columns, "(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)",
               "");
    int failed_checks = 0;  // nccl-tests' "Out of bounds values": validations that found wrong elements
    double busbw_sum = 0.0;
    int busbw_count = 0;
    for (const Row& row : block.rows) {
      const ProblemResult& any = row.any();
      out += fmt("%12.0f  %12lld  %8s  %6s  %6s", any.min_bytes, static_cast<long long>(any.collective->count),
                 nccl_type_name(any.dtype).c_str(), any.collective->op.c_str(), "-1");
      out += side(row.out_of_place) + side(row.in_place) + "\n";
      for (const ProblemResult* r : {row.out_of_place, row.in_place}) {
        if (r == nullptr) continue;
        failed_checks += r->status == ResultStatus::kFailed;
        if (r->status != ResultStatus::kPassed) continue;
        busbw_sum += r->collective->busbw_bytes_per_s / 1e9;
        ++busbw_count;
      }
    }
    out += fmt("# Out of bounds values : %d %s\n", failed_checks, failed_checks == 0 ? "OK" : "FAILED");
    // As nccl-tests: the mean of the printed busbw, %g, nothing after it but a space (nan when none passed).
    out += "# Avg bus bandwidth    : " +
           (busbw_count == 0 ? std::string("nan") : fmt("%g", busbw_sum / busbw_count)) + " \n";
    out += "#\n# Collective test concluded: all_reduce_perf\n#\n\n";
  }
  return out;
}

bool has_collectives(const RunRecord& record) {
  return std::any_of(record.results.begin(), record.results.end(),
                     [](const ProblemResult& r) { return r.collective.has_value(); });
}

std::string as_comment_lines(const std::string& text) {
  std::string out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    out += (end == begin ? "#" : "# ") + text.substr(begin, end - begin) + "\n";
    begin = end + 1;
  }
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
    // As the footer prints it, unless rounding would hide that it is below the floor (11.9999996 vs 12).
    std::string shown = fmt("%g", average);
    if (std::strtod(shown.c_str(), nullptr) >= floor_gb_per_s) shown = fmt("%.9g", average);
    return run_failure("average bus bandwidth " + shown + " GB/s is below --min-busbw " + fmt("%g", floor_gb_per_s) +
                       " GB/s");
  }
  return {};
}

}  // namespace tb
