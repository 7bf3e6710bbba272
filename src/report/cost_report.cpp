#include "report/cost_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/format.h"
#include "common/plain_table.h"

namespace tb {
namespace {

constexpr std::size_t kMaxSourceChars = 60;  // price source width in the text table (bytes)

// ---- numbers as text ----

// `value` with `digits` significant digits, whole numbers from 10^digits on
// ("12345", "1.234", "0.123"); "-" when not finite.
std::string significant(double value, int digits) {
  if (!std::isfinite(value)) return "-";
  if (std::fabs(value) >= std::pow(10.0, digits)) return format_fixed(value, 0);
  return format_significant(value, digits);
}

// "1e12", "1.5e13", "4096": %g without the exponent's "+" and leading zeros.
std::string compact_number(double value) {
  std::string text = format_g(value);
  const std::size_t e = text.find('e');
  if (e == std::string::npos) return text;
  std::string exponent = text.substr(e + 1);
  const bool negative = !exponent.empty() && exponent[0] == '-';
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) exponent.erase(0, 1);
  while (exponent.size() > 1 && exponent[0] == '0') exponent.erase(0, 1);
  return text.substr(0, e) + "e" + (negative ? "-" : "") + exponent;
}

// ---- row facts shared by the three renderings ----

// Hours to train `train_tokens` on one instance: the budget's when priced,
// otherwise from tokens/s alone (time needs no price); empty without a budget.
std::optional<double> train_hours(const CostRow& row, double train_tokens) {
  if (row.budget) return row.budget->hours;
  if (!(train_tokens > 0.0) || !(row.figures.tokens_per_s_instance > 0.0)) return std::nullopt;
  return train_tokens / row.figures.tokens_per_s_instance / 3600.0;
}

std::optional<double> train_usd(const CostRow& row) {
  if (row.budget) return row.budget->usd;
  return std::nullopt;
}

std::optional<double> mfu(const CostRow& row) {
  if (row.figures.mfu < 0.0) return std::nullopt;
  return row.figures.mfu;
}

std::optional<double> usd_per_million_tokens(const CostRow& row) {
  if (!row.priced()) return std::nullopt;
  return row.figures.usd_per_million_tokens;
}

std::optional<double> usd_per_pflop_hour(const CostRow& row) {
  if (!row.priced()) return std::nullopt;
  return row.figures.usd_per_pflop_hour;
}

std::optional<double> peak_flop_per_s(const CostRow& row) {
  if (!(row.step.peak_flop_per_s > 0.0)) return std::nullopt;
  return row.step.peak_flop_per_s;
}

std::optional<double> projection_error(const CostRow& row) {
  if (row.projection_error == 0.0) return std::nullopt;
  return row.projection_error;
}

// ---- text table ----

std::string dash_if_empty(const std::string& text) { return text.empty() ? "-" : text; }

std::string table_number(const std::optional<double>& value, double scale, int digits) {
  return value ? significant(*value * scale, digits) : "-";
}

// At most kMaxSourceChars bytes, ending in "..." when cut; never splits a UTF-8 sequence.
std::string truncated_source(const std::string& source) {
  if (source.size() <= kMaxSourceChars) return source;
  std::size_t cut = kMaxSourceChars - 3;
  while (cut > 0 && (static_cast<unsigned char>(source[cut]) & 0xC0) == 0x80) --cut;
  return source.substr(0, cut) + "...";
}

// The footnotes of all rows, identical notes sharing one number (1-based, in
// order of first appearance); `marks[i]` is row i's " [1,2]" (ascending) or "".
struct Footnotes {
  std::vector<std::string> notes;
  std::vector<std::string> marks;
};

Footnotes collect_footnotes(const std::vector<CostRow>& rows) {
  Footnotes f;
  for (const CostRow& row : rows) {
    std::vector<long> numbers;
    for (const std::string& note : row.notes) {
      auto it = std::find(f.notes.begin(), f.notes.end(), note);
      if (it == f.notes.end()) it = f.notes.insert(f.notes.end(), note);
      numbers.push_back(static_cast<long>(it - f.notes.begin()) + 1);
    }
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    std::string mark;
    for (long n : numbers) mark += (mark.empty() ? "" : ",") + std::to_string(n);
    f.marks.push_back(mark.empty() ? "" : " [" + mark + "]");
  }
  return f;
}

std::vector<std::string> table_row(const CostRow& row, const std::string& mark, double train_tokens) {
  std::vector<std::string> cells = {
      row.label + mark,
      row.provenance,
      dash_if_empty(row.settings),
      significant(row.figures.tokens_per_s_instance, 4),
      mfu(row) ? format_fixed(*mfu(row) * 100.0, 1) : "-",
      row.stated_error.cell(),
      table_number(row.price.usd_per_hour, 1.0, 4),
      dash_if_empty(row.price.pricing),
      table_number(usd_per_million_tokens(row), 1.0, 4),
      table_number(usd_per_pflop_hour(row), 1.0, 4),
  };
  if (train_tokens > 0.0) {
    cells.push_back(table_number(train_hours(row, train_tokens), 1.0 / 24.0, 4));
    cells.push_back(table_number(train_usd(row), 1.0, 4));
  }
  cells.push_back(dash_if_empty(truncated_source(row.price.source)));
  cells.push_back(dash_if_empty(row.price.date));
  return cells;
}

// ---- CSV and JSON ----

// One column of the CSV and one field of the JSON: the same name (units in
// it) and the same value; null where unknown.
struct CostField {
  const char* name;
  nlohmann::json value;
};

std::optional<double> budget_tokens(double train_tokens) {
  if (!(train_tokens > 0.0)) return std::nullopt;
  return train_tokens;
}

nlohmann::json json_optional(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json json_optional_text(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

// Every field of a row, in CSV column order; the names never depend on the row.
std::vector<CostField> cost_fields(const CostRow& r, double train_tokens) {
  return {
      {"instance", r.label},
      {"provenance", r.provenance},
      {"settings", r.settings},
      {"devices_per_instance", r.devices},
      {"step_time_s", r.step_time_s},
      {"tokens_per_step", r.step.tokens_per_step},
      {"flop_per_token", r.step.flop_per_token},
      {"peak_flop_per_s", json_optional(peak_flop_per_s(r))},
      {"tokens_per_s_device", r.figures.tokens_per_s_device},
      {"tokens_per_s_instance", r.figures.tokens_per_s_instance},
      {"mfu_fraction", json_optional(mfu(r))},
      {"usd_per_hour", json_optional(r.price.usd_per_hour)},
      {"pricing", r.price.pricing},
      {"usd_per_million_tokens", json_optional(usd_per_million_tokens(r))},
      {"usd_per_pflop_hour", json_optional(usd_per_pflop_hour(r))},
      {"train_tokens", json_optional(budget_tokens(train_tokens))},
      {"train_hours", json_optional(train_hours(r, train_tokens))},
      {"train_usd", json_optional(train_usd(r))},
      {"price_source", json_optional_text(r.price.source)},
      {"price_date", json_optional_text(r.price.date)},
      {"price_status", json_optional_text(r.price.status)},
      {"projection_error_fraction", json_optional(projection_error(r))},
      {"stated_error_fraction", json_optional(r.stated_error.mean_abs_error)},
      {"stated_error_runs", r.stated_error.mean_abs_error ? nlohmann::json(r.stated_error.runs) : nlohmann::json(nullptr)},
      {"stated_error", r.stated_error.device_class.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(r.stated_error.text())},
      {"notes", r.notes},
  };
}

// A field's CSV cell: "" for null, numbers at full precision (10 significant
// digits; JSON keeps the double itself), notes joined by "; ".
std::string csv_cell(const nlohmann::json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
  if (value.is_number()) return format_significant(value.get<double>(), 10);
  std::string joined;
  for (const nlohmann::json& note : value) joined += (joined.empty() ? "" : "; ") + note.get<std::string>();
  return joined;
}

}  // namespace

std::string render_cost_table(const std::vector<CostRow>& rows, double train_tokens) {
  const bool budget = train_tokens > 0.0;
  std::vector<std::vector<std::string>> cells = {
      {"instance", "provenance", "settings", "tokens/s", "MFU", "stated error", "price", "pricing", "USD/1M tok",
       "USD/PFLOP-h"},
      {"", "", "", "tokens/s", "%", "+/-% (runs)", "USD/h", "", "USD", "USD"},
  };
  std::vector<bool> numeric = {false, false, false, true, true, false, true, false, true, true};
  if (budget) {
    cells[0].insert(cells[0].end(), {"train days", "train USD"});
    cells[1].insert(cells[1].end(), {"days", "USD"});
    numeric.insert(numeric.end(), {true, true});
  }
  cells[0].insert(cells[0].end(), {"price source", "price date"});
  cells[1].insert(cells[1].end(), {"", "YYYY-MM-DD"});
  numeric.insert(numeric.end(), {false, false});

  const Footnotes footnotes = collect_footnotes(rows);
  for (std::size_t i = 0; i < rows.size(); ++i) cells.push_back(table_row(rows[i], footnotes.marks[i], train_tokens));

  std::string out;
  if (budget) out += "time and cost to train " + compact_number(train_tokens) + " tokens\n";
  out += render_rows(cells, numeric);
  for (std::size_t n = 0; n < footnotes.notes.size(); ++n) {
    out += "[" + std::to_string(n + 1) + "] " + footnotes.notes[n] + "\n";
  }
  return out;
}

std::string render_cost_csv(const std::vector<CostRow>& rows, double train_tokens) {
  std::vector<std::string> cells;
  for (const CostField& f : cost_fields(CostRow{}, train_tokens)) cells.push_back(f.name);
  std::string out = csv_line(cells);
  for (const CostRow& r : rows) {
    cells.clear();
    for (const CostField& f : cost_fields(r, train_tokens)) cells.push_back(csv_cell(f.value));
    out += csv_line(cells);
  }
  return out;
}

nlohmann::json cost_rows_to_json(const std::vector<CostRow>& rows, double train_tokens) {
  nlohmann::json out = nlohmann::json::array();
  for (const CostRow& r : rows) {
    nlohmann::json row = nlohmann::json::object();
    for (CostField& f : cost_fields(r, train_tokens)) row[f.name] = std::move(f.value);
    out.push_back(std::move(row));
  }
  return out;
}

std::string render_check_table(const Comparison& c) {
  if (c.check.empty()) return {};
  const auto ms = [](double s) { return format_fixed(s * 1e3, 3); };
  const auto pct = [](double f) { return format_signed(f * 100.0, 1); };
  std::vector<std::vector<std::string>> rows = {{"phase", "what", "measured", "projected", "error", "bound", "problem"},
                                                {"", "", "ms", "ms", "%", "", ""}};
  const CheckItem* largest_gemm = nullptr;
  for (const CheckItem& i : c.check) {
    rows.push_back({i.phase, i.what, ms(i.measured_s), ms(i.projected_s), pct(i.error), i.bound, i.problem});
    if (i.problem.rfind("gemm:", 0) == 0 && (largest_gemm == nullptr || i.flop > largest_gemm->flop)) largest_gemm = &i;
  }
  std::string out = render_rows(rows, {false, false, true, true, true, false, false});
  out += "step time: projected vs measured " + pct(c.step_check_error) + "%";
  if (largest_gemm != nullptr) {
    out += "; largest GEMM (" + largest_gemm->problem + ", " + largest_gemm->phase + "): " + pct(largest_gemm->error) +
           "% (target: within 25%)";
  }
  return out + "\n";
}

}  // namespace tb
