// Throughput over time: per series, the values in run order as a line with
// points (tooltip: run id, timestamp, commit, value), the level between
// change points as a faint line, and each change point as a dashed vertical
// line labelled with its relative change and p-value.
// y axis: the padded data range (10% of the range each side, then out to
// round ticks; never below zero for positive data), not from zero, so that a
// few-percent change is visible; the unit note says so.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "report/html/html_text.h"
#include "report/html/report_sections.h"
#include "report/html/svg_plot.h"

namespace tb::html {

namespace {

constexpr double kWidth = 560;   // SVG viewBox (px)
constexpr double kHeight = 250;
constexpr PlotArea kArea{58, 34, kWidth - 58 - 16, kHeight - 34 - 44};
constexpr std::size_t kCommitChars = 12;  // git commits in tooltips are shortened to this
constexpr double kLabelCharWidth = 6.0;   // px per character of a change label (11 px font), for stacking

// "+4.1%" or "-12.3%": a relative change (fraction) in percent.
std::string percent_text(double relative_change) {
  return (relative_change >= 0 ? "+" : "") + fixed(relative_change * 100.0, 1) + "%";
}

// "p=0.002", "p=0.05", "p<0.001".
std::string p_text(double p) {
  if (p < 0.001) return "p<0.001";
  std::string s = fixed(p, 3);
  while (s.size() > 3 && s.back() == '0') s.pop_back();
  return "p=" + s;
}

std::string value_text(double v, const std::string& unit) { return significant(v, 4) + " " + unit; }

// "run 12 · 2026-11-26T01:02:03Z · commit 0123456789ab".
std::string run_text(const ReportPoint& p) {
  std::string s = "run " + std::to_string(p.run_id);
  if (!p.timestamp_utc.empty()) s += " \xC2\xB7 " + p.timestamp_utc;
  if (!p.git_commit.empty()) s += " \xC2\xB7 commit " + std::string(utf8_prefix(p.git_commit, kCommitChars));
  return s;
}

// The tick label of a point on the x axis: its date and time of day (UTC),
// "12-07 20:03", with the year where the series spans more than one
// ("2025-12-07 20:03"), with seconds where minutes would repeat a label
// ("12-07 20:03:41"); its run id when it has no timestamp.
std::string x_label(const ReportPoint& p, bool with_year, bool with_seconds) {
  const std::string& t = p.timestamp_utc;  // YYYY-MM-DDTHH:MM:SSZ
  if (t.size() < 19 || t[10] != 'T') return t.empty() ? "run " + std::to_string(p.run_id) : t;
  return t.substr(with_year ? 0 : 5, with_year ? 10 : 5) + " " + t.substr(11, with_seconds ? 8 : 5);
}

// Whether the series' timestamps fall in more than one year.
bool spans_years(const std::vector<ReportPoint>& points) {
  std::string first_year;
  for (const ReportPoint& p : points) {
    if (p.timestamp_utc.size() < 4) continue;
    if (first_year.empty()) first_year = p.timestamp_utc.substr(0, 4);
    else if (p.timestamp_utc.compare(0, 4, first_year) != 0) return true;
  }
  return false;
}

struct YRange {
  double lo = 0, hi = 1, step = 1;
};

// The padded range of the finite values (at least one).
YRange y_range(const std::vector<ReportPoint>& points) {
  double lo = INFINITY, hi = -INFINITY;
  for (const ReportPoint& p : points) {
    if (!std::isfinite(p.value)) continue;
    lo = std::min(lo, p.value);
    hi = std::max(hi, p.value);
  }
  const double pad = hi > lo ? 0.1 * (hi - lo) : std::max(0.1 * std::fabs(hi), 1e-9);
  YRange r{lo - pad, hi + pad, 1};
  if (lo >= 0 && r.lo < 0) r.lo = 0;
  r.step = nice_step(r.lo, r.hi, 4);
  r.lo = std::floor(r.lo / r.step) * r.step;
  r.hi = std::ceil(r.hi / r.step) * r.step;
  return r;
}

void append_polyline(std::string& out, const std::vector<ReportPoint>& points, const Scale& x, const Scale& y) {
  out += "<polyline class=\"series-line\" points=\"";
  bool first = true;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].value)) continue;
    if (!first) out += ' ';
    first = false;
    append_coord(out, x(static_cast<double>(i)));
    out += ',';
    append_coord(out, y(points[i].value));
  }
  out += "\"/>";
}

void append_points(std::string& out, const ReportSeries& s, const Scale& x, const Scale& y) {
  const char* radius = s.points.size() > 120 ? "1.6" : "2.6";
  out += "<g class=\"pts\">";
  for (std::size_t i = 0; i < s.points.size(); ++i) {
    const ReportPoint& p = s.points[i];
    if (!std::isfinite(p.value)) continue;
    out += "<circle";
    append_coord_attr(out, "cx", x(static_cast<double>(i)));
    append_coord_attr(out, "cy", y(p.value));
    out += " r=\"";
    out += radius;
    out += "\">";
    append_title(out, run_text(p) + " \xC2\xB7 " + value_text(p.value, s.unit));
    out += "</circle>";
  }
  out += "</g>";
}

// The mean of each level (between change points), as a faint horizontal line.
void append_levels(std::string& out, const ReportSeries& s, const std::vector<std::size_t>& starts, const Scale& x,
                   const Scale& y) {
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const std::size_t begin = starts[k];
    const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : s.points.size();
    double sum = 0;
    std::size_t count = 0;
    for (std::size_t i = begin; i < end; ++i) {
      if (!std::isfinite(s.points[i].value)) continue;
      sum += s.points[i].value;
      ++count;
    }
    if (count == 0) continue;
    const double py = y(sum / static_cast<double>(count));
    append_line(out, "level", x(static_cast<double>(begin)), py, x(static_cast<double>(end - 1)), py);
  }
}

// Dashed verticals between the last point of the old level and the first of
// the new one; labels above the plot, stacked in two rows when they would overlap.
void append_changes(std::string& out, const ReportSeries& s, const std::vector<const ReportChange*>& changes,
                    const Scale& x) {
  double row_end[2] = {-INFINITY, -INFINITY};  // right end (px) of the last label in each row
  for (const ReportChange* c : changes) {
    const ReportPoint& at = s.points[c->index];
    const double px = (x(static_cast<double>(c->index - 1)) + x(static_cast<double>(c->index))) / 2;
    const std::string label = percent_text(c->relative_change) + " (" + p_text(c->p_value) + ")";
    const double label_width = kLabelCharWidth * static_cast<double>(label.size());
    const bool right_aligned = px > kArea.left + 0.7 * kArea.width;
    const double left = right_aligned ? px - 3 - label_width : px + 3;
    const int row = left > row_end[0] ? 0 : 1;
    row_end[row] = left + label_width;

    out += c->relative_change < 0 ? "<g class=\"change down\">" : "<g class=\"change up\">";
    append_title(out, "change point at " + run_text(at) + ": " + percent_text(c->relative_change) + ", " +
                          p_text(c->p_value));
    append_line(out, "change-line", px, kArea.top - (row == 0 ? 4 : 17), px, kArea.bottom());
    append_text(out, "change-label", right_aligned ? px - 3 : px + 3, kArea.top - (row == 0 ? 6 : 19),
                right_aligned ? "end" : "start", label);
    out += "</g>";
  }
}

void append_series_svg(std::string& out, const ReportSeries& s, const std::vector<const ReportChange*>& changes) {
  const std::size_t n = s.points.size();
  const Scale x = n > 1 ? Scale::linear(0, static_cast<double>(n - 1), kArea.left + 6, kArea.right() - 6)
                        : Scale::linear(-1, 1, kArea.left, kArea.right());
  const YRange r = y_range(s.points);
  const Scale y = Scale::linear(r.lo, r.hi, kArea.bottom(), kArea.top);

  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(r.step) + 1e-9)));
  std::vector<Tick> y_ticks;
  for (double v : ticks_at_step(r.lo, r.hi, r.step)) y_ticks.push_back({v, fixed(v, decimals)});
  std::vector<Tick> x_ticks;
  const bool with_year = spans_years(s.points);
  const double x_step = std::max(1.0, std::round(nice_step(0, static_cast<double>(n - 1), 4)));
  for (const bool with_seconds : {false, true}) {
    x_ticks.clear();
    for (double i : ticks_at_step(0, static_cast<double>(n - 1), x_step)) {
      x_ticks.push_back({i, x_label(s.points[static_cast<std::size_t>(i)], with_year, with_seconds)});
    }
    const auto repeats = [](const Tick& a, const Tick& b) { return a.label == b.label; };
    if (std::adjacent_find(x_ticks.begin(), x_ticks.end(), repeats) == x_ticks.end()) break;
  }
  const std::string year = s.points.front().timestamp_utc.substr(0, std::min<std::size_t>(4, s.points.front().timestamp_utc.size()));

  open_svg(out, kWidth, kHeight, "plot throughput", "throughput of " + s.title + " over time");
  append_axes(out, kArea, x, x_ticks, y, y_ticks,
              with_year || year.empty() ? "run (oldest left; UTC date and time)"
                                        : "run (oldest left; UTC date and time, " + year + ")",
              s.unit);
  if (!changes.empty()) {
    std::vector<std::size_t> starts{0};
    for (const ReportChange* c : changes) starts.push_back(c->index);
    append_levels(out, s, starts, x, y);
  }
  append_polyline(out, s.points, x, y);
  append_points(out, s, x, y);
  append_changes(out, s, changes, x);
  out += "</svg>";
}

void append_series_card(std::string& out, const ReportSeries& s) {
  // Change points inside the series (a first point cannot start a new level).
  std::vector<const ReportChange*> changes;
  for (const ReportChange& c : s.changes) {
    if (c.index > 0 && c.index < s.points.size()) changes.push_back(&c);
  }
  const auto finite = std::find_if(s.points.rbegin(), s.points.rend(),
                                   [](const ReportPoint& p) { return std::isfinite(p.value); });

  out += "<figure class=\"card series\">";
  append_element(out, "h3", "", s.title);
  if (!s.subtitle.empty()) append_element(out, "p", "sub", s.subtitle);
  std::string summary = std::to_string(s.points.size()) + (s.points.size() == 1 ? " run" : " runs");
  if (finite != s.points.rend()) summary += " \xC2\xB7 latest " + value_text(finite->value, s.unit);
  summary += " \xC2\xB7 " + std::to_string(changes.size()) +
             (changes.size() == 1 ? " change point" : " change points");
  append_element(out, "p", "summary", summary);
  if (finite == s.points.rend()) {
    append_element(out, "p", "empty", "No measured points in this series.");
  } else {
    append_series_svg(out, s, changes);
    out += "<p class=\"units\">y: ";
    append_escaped(out, s.unit);
    out += ", padded range (not from zero) \xC2\xB7 x: runs in order, by UTC date and time of day \xC2\xB7 dashed: change "
           "point, level change and p-value \xC2\xB7 hover a point for run, commit and value</p>";
  }
  out += "</figure>";
}

}  // namespace

void append_throughput_section(std::string& out, const std::vector<ReportSeries>& series,
                               std::size_t single_run_series) {
  out += "<section id=\"throughput\"><h2>Throughput over time</h2>";
  if (series.empty() && single_run_series > 0) {
    out += "<p class=\"empty\">No series has two runs yet: " + std::to_string(single_run_series) +
           (single_run_series == 1 ? " series has" : " series have") +
           " a single run, plotted once a second run of the same problem, backend and device is recorded.</p>";
  } else if (series.empty()) {
    out += "<p class=\"empty\">No throughput history in the database: record runs with "
           "<code>trainbench run --db</code>.</p>";
  } else {
    out += "<div class=\"cards\">";
    for (const ReportSeries& s : series) append_series_card(out, s);
    out += "</div>";
  }
  out += "</section>";
}

}  // namespace tb::html
