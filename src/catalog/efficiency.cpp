#include "catalog/efficiency.h"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <utility>

#include "common/atomic_file.h"
#include "common/csv_line.h"
#include "common/echo.h"
#include "common/format.h"
#include "kernels/kernel_registry.h"

#ifndef TRAINBENCH_DATA_DIR
#error "TRAINBENCH_DATA_DIR must name the data directory (set by src/cost/CMakeLists.txt)"
#endif

namespace tb {
namespace {

// What a row describes: a compute kernel of the registry or "elementwise"
// (roofline fields), a collective of the registry or "network" (link fields).
// "elementwise" is the memory-bound operations of a training step (norms,
// activations, RoPE, residual adds, cross-entropy, embedding, optimizer);
// "network" is the link between instances (EFA), as opposed to the intra-node
// link the collective rows describe.
enum class OpKind { kUnknown, kCompute, kMemoryBound, kLink };

OpKind op_kind(std::string_view op) {
  if (op == kElementwiseOp) return OpKind::kMemoryBound;
  if (op == kNetworkOp) return OpKind::kLink;
  const KernelInfo* k = find_kernel(op);
  if (k == nullptr) return OpKind::kUnknown;
  return k->collective ? OpKind::kLink : OpKind::kCompute;
}

bool is_known_op(std::string_view op) { return op_kind(op) != OpKind::kUnknown; }

// "gemm, attention, allreduce, elementwise or network".
std::string op_names() {
  std::string out;
  for (const KernelInfo& k : kernels()) out += k.name + ", ";
  return out + kElementwiseOp + " or " + kNetworkOp;
}

// One numeric field of a row: its CSV column, its override name, which
// kernels it applies to, its range in the file's unit, and the unit scale to
// the row's member (us -> s for the overheads).
struct Field {
  const char* column;    // CSV column, e.g. "launch_overhead_us"
  const char* name;      // override field, e.g. "launch_us"
  unsigned kinds;        // the OpKinds it applies to (bit 1 << kind)
  bool lower_open;       // range (lo, hi] when true, [lo, hi] otherwise
  double lo, hi;         // range, in the file's unit
  double to_row;         // row value = file value x to_row
  double EfficiencyRow::*member;
};

constexpr double kMaxMicroseconds = 1e6;  // 1 s: no launch or latency is longer

constexpr unsigned bit(OpKind kind) { return 1u << static_cast<unsigned>(kind); }
constexpr unsigned kRoofline = bit(OpKind::kCompute) | bit(OpKind::kMemoryBound);

constexpr std::array<Field, 5> kFields = {{
    {"compute_efficiency", "compute", bit(OpKind::kCompute), true, 0.0, 1.0, 1.0, &EfficiencyRow::compute},
    {"memory_efficiency", "memory", kRoofline, true, 0.0, 1.0, 1.0, &EfficiencyRow::memory},
    {"launch_overhead_us", "launch_us", kRoofline, false, 0.0, kMaxMicroseconds, 1e-6, &EfficiencyRow::launch_overhead_s},
    {"alpha_us", "alpha_us", bit(OpKind::kLink), false, 0.0, kMaxMicroseconds, 1e-6, &EfficiencyRow::alpha_s},
    {"link_efficiency", "link", bit(OpKind::kLink), true, 0.0, 1.0, 1.0, &EfficiencyRow::link},
}};

bool applies(const Field& f, std::string_view op) { return (f.kinds & bit(op_kind(op))) != 0; }

std::string range_text(const Field& f) {
  return std::string(f.lower_open ? "> " : ">= ") + format_g(f.lo) + " and <= " + format_g(f.hi);
}

// Sets `row`'s member from the value as written (file unit); kBadInput
// "<where>: <label> <value> is out of range: expected ..." outside the field's range.
Status set_field(EfficiencyRow& row, const Field& f, double value, const std::string& label, const std::string& text,
                 const std::string& where) {
  const bool ok = (f.lower_open ? value > f.lo : value >= f.lo) && value <= f.hi;
  if (!ok) {
    return bad_input(where + ": " + label + " " + echo_value(text) + " is out of range: expected " + range_text(f));
  }
  row.*(f.member) = value * f.to_row;
  return {};
}

// The fields that apply to `kernel`, by name, for messages ("compute, memory, launch_us").
std::string field_names(std::string_view kernel, bool columns) {
  std::string out;
  for (const Field& f : kFields) {
    if (!applies(f, kernel)) continue;
    if (!out.empty()) out += ", ";
    out += columns ? f.column : f.name;
  }
  return out;
}

// Reads one field's cell: required where it applies, empty where it does not.
Status read_cell(EfficiencyRow& row, const Field& f, const std::string& cell, const std::string& where) {
  if (!applies(f, row.kernel)) {
    if (cell.empty()) return {};
    return bad_input(where + ": " + f.column + " '" + echo_value(cell) + "' does not apply to kernel " + row.kernel +
                     ": expected an empty cell (" + row.kernel + " rows set " + field_names(row.kernel, true) + ")");
  }
  TB_ASSIGN_OR_RETURN(const std::optional<double> value, parse_csv_number(cell, f.column, where));
  if (!value) return bad_input(where + ": empty " + std::string(f.column) + ": expected a number " + range_text(f));
  return set_field(row, f, *value, f.column, cell, where);
}

constexpr std::array<const char*, 8> kColumns = {
    "device_class", "kernel", "compute_efficiency", "memory_efficiency", "launch_overhead_us",
    "alpha_us",     "link_efficiency", "source",
};
// Optional: the published runs (data/published-runs.csv ids, ';'-separated) a fitted factor was fitted on.
constexpr std::array<const char*, 9> kKnownColumns = {
    "device_class", "kernel",          "compute_efficiency", "memory_efficiency", "launch_overhead_us",
    "alpha_us",     "link_efficiency", "source",             "fitted_on",
};

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> ids;
  std::stringstream in(text);
  for (std::string id; std::getline(in, id, ';');) {
    if (!trim(id).empty()) ids.push_back(trim(id));
  }
  return ids;
}

Expected<EfficiencyRow> read_row(const std::vector<std::string>& fields,
                                 const std::map<std::string, std::size_t>& column_of, const std::string& where) {
  const auto cell = [&](const char* column) { return fields[column_of.at(column)]; };
  EfficiencyRow row;
  row.device_class = cell("device_class");
  row.kernel = cell("kernel");
  row.source = cell("source");
  if (row.device_class.empty()) {
    return bad_input(where + ": empty device_class: expected default, cpu, or an accelerator as data/instances.csv "
                             "spells it (H100-SXM)");
  }
  if (!is_known_op(row.kernel)) {
    return bad_input(where + ": kernel '" + echo_value(row.kernel) + "' is not known: expected " + op_names());
  }
  for (const Field& f : kFields) TB_RETURN_IF_ERROR(read_cell(row, f, cell(f.column), where));
  if (column_of.count("fitted_on")) row.fitted_on = split_ids(cell("fitted_on"));
  if (row.source.empty()) {
    return bad_input(where + ": empty source for " + row.device_class + " " + row.kernel +
                     ": expected where the figures come from, or \"assumption: <why>\"");
  }
  return row;
}

// A "default" row for every kernel; `where` names the file's last record.
// (The op classes elementwise and network need no default row here: only
// `trainbench project` and `validate` use them, and find() names the missing row.)
Status check_defaults(const EfficiencyTable& table, const std::string& where) {
  for (const KernelInfo& k : kernels()) {
    const std::string& kernel = k.name;
    const bool found = std::any_of(table.rows.begin(), table.rows.end(), [&](const EfficiencyRow& r) {
      return r.device_class == "default" && r.kernel == kernel;
    });
    if (!found) {
      return bad_input(where + ": end of file without a default row for kernel " + kernel +
                       ": expected a row 'default," + kernel + ",...', used for device classes without their own");
    }
  }
  return {};
}

}  // namespace

Expected<EfficiencyRow> EfficiencyTable::find(std::string_view device_class, std::string_view kernel) const {
  for (std::string_view cls : {device_class, std::string_view("default")}) {
    for (const EfficiencyRow& r : rows) {
      if (r.device_class == cls && r.kernel == kernel) return r;
    }
  }
  return bad_input("no efficiency row for device class '" + std::string(device_class) + "' and kernel '" +
                   std::string(kernel) + "' in " + path + ", and no default row for the kernel: expected a row 'default," +
                   std::string(kernel) + ",...' (docs/cost.md)");
}

Expected<EfficiencyTable> read_efficiency_table(const std::string& path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_file(path, kMaxReadBytes, "efficiency file"));
  TB_ASSIGN_OR_RETURN(const std::vector<CsvRecord> records, csv_records(text, path));
  if (records.empty()) return bad_input(path + ": no header line: expected the columns of docs/cost.md");
  TB_ASSIGN_OR_RETURN(const auto column_of,
                      csv_header_columns(records.front(), kKnownColumns, kColumns,
                                         "device_class, kernel, compute_efficiency, memory_efficiency, "
                                         "launch_overhead_us, alpha_us, link_efficiency, source[, fitted_on] "
                                         "(docs/cost.md)"));
  EfficiencyTable table;
  table.path = path;
  std::map<std::pair<std::string, std::string>, int> line_of_row;
  for (std::size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    TB_RETURN_IF_ERROR(check_csv_field_count(record, column_of.size()));
    TB_ASSIGN_OR_RETURN(EfficiencyRow row, read_row(record.fields, column_of, record.where));
    row.line = record.line;
    const auto [previous, inserted] = line_of_row.emplace(std::pair{row.device_class, row.kernel}, record.line);
    if (!inserted) {
      return bad_input(record.where + ": duplicate row " + row.device_class + " " + row.kernel +
                       ": already on line " + std::to_string(previous->second));
    }
    table.rows.push_back(std::move(row));
  }
  TB_RETURN_IF_ERROR(check_defaults(table, records.back().where));
  return table;
}

std::string default_efficiency_table_path() { return std::string(TRAINBENCH_DATA_DIR) + "/efficiency.csv"; }

Status apply_efficiency_override(EfficiencyTable& table, std::string_view text_view) {
  const std::string text(text_view);
  const std::string where = "efficiency override '" + echo_value(text) + "'";
  const std::size_t dot = text.find('.');
  const std::size_t eq = text.find('=');
  if (dot == std::string::npos || eq == std::string::npos || dot > eq) {
    return bad_input(where + ": expected KERNEL.FIELD=VALUE, e.g. gemm.compute=0.7 or allreduce.alpha_us=20");
  }
  const std::string kernel = trim(text.substr(0, dot));
  const std::string name = trim(text.substr(dot + 1, eq - dot - 1));
  const std::string value_text = trim(text.substr(eq + 1));
  if (!is_known_op(kernel)) {
    return bad_input(where + ": kernel '" + echo_value(kernel) + "' is not known: expected " + op_names());
  }
  const auto f = std::find_if(kFields.begin(), kFields.end(),
                              [&](const Field& c) { return applies(c, kernel) && name == c.name; });
  if (f == kFields.end()) {
    return bad_input(where + ": field '" + echo_value(name) + "' is not known for " + kernel + ": expected " +
                     field_names(kernel, false));
  }
  TB_ASSIGN_OR_RETURN(const std::optional<double> value, parse_csv_number(value_text, name, where));
  if (!value) return bad_input(where + ": no value: expected a number " + range_text(*f));
  EfficiencyRow probe;
  TB_RETURN_IF_ERROR(set_field(probe, *f, *value, name, value_text, where));
  for (EfficiencyRow& row : table.rows) {
    if (row.kernel != kernel) continue;
    row.*(f->member) = probe.*(f->member);
    row.source = "command line: " + text;
    row.fitted_on.clear();
  }
  return {};
}

std::string device_class_of_accelerator(std::string_view accelerator) {
  return accelerator == "none" ? std::string("cpu") : std::string(accelerator);
}

}  // namespace tb
