#include "catalog/published_runs.h"

#include <array>
#include <cmath>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "common/csv_line.h"
#include "common/echo.h"

#ifndef TRAINBENCH_DATA_DIR
#error "TRAINBENCH_DATA_DIR must name the data directory (set by src/catalog/CMakeLists.txt)"
#endif

namespace tb {
namespace {

constexpr std::array<const char*, 23> kColumns = {
    "id",  "model", "hardware", "instance", "devices", "tp",          "pp",           "dp",
    "vpp", "cp",    "zero",     "recompute", "seq",    "micro_batch", "global_batch", "precision",
    "stack", "tokens_per_s_per_device", "mfu_published", "source_kind", "source", "date", "notes"};

constexpr std::int64_t kMaxInteger = std::int64_t{1} << 40;

class RowReader {
 public:
  RowReader(const CsvRecord& record, const std::map<std::string, std::size_t>& column_of)
      : record_(record), column_of_(column_of) {}

  const std::string& text(const char* column) const { return record_.fields[column_of_.at(column)]; }

  Expected<std::string> required_text(const char* column) const {
    if (text(column).empty()) return bad_input(record_.where + ": empty " + column + ": expected a value");
    return text(column);
  }

  Expected<std::int64_t> integer(const char* column, std::int64_t lo) const {
    TB_ASSIGN_OR_RETURN(const std::optional<double> v, parse_csv_number(text(column), column, record_.where));
    if (!v || *v != std::floor(*v) || *v < static_cast<double>(lo) || *v > static_cast<double>(kMaxInteger)) {
      return bad_input(record_.where + ": " + column + " '" + echo_value(text(column)) +
                       "' is not an integer >= " + std::to_string(lo));
    }
    return static_cast<std::int64_t>(*v);
  }

  Expected<std::optional<double>> number(const char* column, bool required, double hi) const {
    TB_ASSIGN_OR_RETURN(const std::optional<double> v, parse_csv_number(text(column), column, record_.where));
    if (!v && !required) return v;
    if (!v || !(*v > 0) || *v > hi) {
      return bad_input(record_.where + ": " + column + " '" + echo_value(text(column)) +
                       "' is out of range: expected a number > 0 and <= " + std::to_string(hi));
    }
    return v;
  }

  const std::string& where() const { return record_.where; }

 private:
  const CsvRecord& record_;
  const std::map<std::string, std::size_t>& column_of_;
};

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (const std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

Expected<PublishedRun> read_run(const RowReader& r) {
  PublishedRun run;
  TB_ASSIGN_OR_RETURN(run.id, r.required_text("id"));
  TB_ASSIGN_OR_RETURN(run.model, r.required_text("model"));
  TB_ASSIGN_OR_RETURN(run.hardware, r.required_text("hardware"));
  TB_ASSIGN_OR_RETURN(run.instance, r.required_text("instance"));
  const std::pair<const char*, std::int64_t*> degrees[] = {
      {"devices", &run.devices}, {"tp", &run.tp}, {"pp", &run.pp}, {"dp", &run.dp}, {"vpp", &run.vpp},
      {"cp", &run.cp}, {"seq", &run.seq}, {"micro_batch", &run.micro_batch}, {"global_batch", &run.global_batch}};
  for (const auto& [column, member] : degrees) {
    TB_ASSIGN_OR_RETURN(*member, r.integer(column, 1));
  }
  TB_ASSIGN_OR_RETURN(const std::int64_t zero, r.integer("zero", 0));
  if (zero > 3) return bad_input(r.where() + ": zero '" + r.text("zero") + "' is not a ZeRO stage: expected 0 to 3");
  run.zero = static_cast<int>(zero);
  run.recompute = r.text("recompute");
  if (run.recompute != "none" && run.recompute != "selective" && run.recompute != "full") {
    return bad_input(r.where() + ": recompute '" + echo_value(run.recompute) + "' is not known: expected none, "
                     "selective or full");
  }
  TB_ASSIGN_OR_RETURN(run.precision, r.required_text("precision"));
  run.stack = r.text("stack");
  TB_ASSIGN_OR_RETURN(const std::optional<double> tokens, r.number("tokens_per_s_per_device", true, 1e9));
  run.tokens_per_s_per_device = *tokens;
  TB_ASSIGN_OR_RETURN(run.mfu_published, r.number("mfu_published", false, 1.0));
  const std::string& kind = r.text("source_kind");
  if (kind != "calibration" && kind != "validation") {
    return bad_input(r.where() + ": source_kind '" + echo_value(kind) + "' is not known: expected calibration (a "
                     "source the factors may be fitted on) or validation");
  }
  run.calibration = kind == "calibration";
  TB_ASSIGN_OR_RETURN(run.source, r.required_text("source"));
  run.date = r.text("date");
  if (!is_date(run.date)) {
    return bad_input(r.where() + ": date '" + echo_value(run.date) + "' is not a date: expected YYYY-MM-DD");
  }
  run.notes = r.text("notes");
  return run;
}

}  // namespace

Expected<std::vector<PublishedRun>> read_published_runs(const std::string& path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_file(path, kMaxReadBytes, "published runs file"));
  TB_ASSIGN_OR_RETURN(const std::vector<CsvRecord> records, csv_records(text, path));
  if (records.empty()) return bad_input(path + ": no header line: expected the columns of docs/cost.md");
  TB_ASSIGN_OR_RETURN(const auto column_of, csv_header_columns(records.front(), kColumns, kColumns,
                                                               "the columns of docs/cost.md, \"Published runs\""));
  std::vector<PublishedRun> runs;
  std::map<std::string, int> line_of;
  for (std::size_t i = 1; i < records.size(); ++i) {
    TB_RETURN_IF_ERROR(check_csv_field_count(records[i], column_of.size()));
    TB_ASSIGN_OR_RETURN(PublishedRun run, read_run(RowReader(records[i], column_of)));
    run.line = records[i].line;
    const auto [previous, inserted] = line_of.emplace(run.id, run.line);
    if (!inserted) {
      return bad_input(records[i].where + ": id '" + run.id + "' is already used on line " +
                       std::to_string(previous->second) + ": expected unique ids");
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

std::string default_published_runs_path() { return std::string(TRAINBENCH_DATA_DIR) + "/published-runs.csv"; }

}  // namespace tb
