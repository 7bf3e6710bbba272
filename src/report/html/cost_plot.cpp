// USD per 1M tokens by instance: one horizontal bar per instance, cheapest at
// the top, measured bars solid, projected bars hatched and outlined, the value
// at the end of each bar; a table repeats the numbers with their notes.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "report/html/html_text.h"
#include "report/html/report_sections.h"
#include "report/html/svg_plot.h"

namespace tb::html {

namespace {

constexpr double kWidth = 960;      // SVG viewBox (px)
constexpr double kLegend = 34;      // legend row above the bars
constexpr double kBar = 24;         // bar thickness
constexpr double kPitch = 36;       // bar thickness plus gap
constexpr double kAxis = 46;        // x axis and its title below the bars
constexpr double kLeft = 230;       // instance labels left of the bars
constexpr double kRight = 90;       // value labels right of the longest bar
constexpr std::size_t kLabelChars = 34;  // longer instance labels are cut (full text in the tooltip)

bool measured(const CostBar& b) { return b.provenance == "measured"; }

// "$0.61", "$12.40", "$1234", "$0.0045": cents, except for very large and very small costs.
std::string usd_text(double v) {
  if (v >= 1000) return "$" + fixed(v, 0);
  if (v >= 0.1) return "$" + fixed(v, 2);
  return "$" + significant(v, 2);
}

std::string short_label(const std::string& label) {
  const std::string_view cut = utf8_prefix(label, kLabelChars);
  return cut.size() < label.size() ? std::string(cut) + "\xE2\x80\xA6" : label;  // ellipsis
}

void append_legend(std::string& out) {
  out += "<g class=\"cost-legend\"><rect class=\"bar measured\" x=\"";
  append_coord(out, kLeft);
  out += "\" y=\"8\" width=\"18\" height=\"14\"/>";
  append_text(out, "legend-text", kLeft + 24, 19, "start", "measured (a recorded run on the instance)");
  out += "<rect class=\"bar projected\" x=\"";
  append_coord(out, kLeft + 300);
  out += "\" y=\"8\" width=\"18\" height=\"14\"/>";
  append_text(out, "legend-text", kLeft + 324, 19, "start", "projected (estimated, not run there)");
  out += "</g>";
}

void append_bar(std::string& out, const CostBar& b, double top, const Scale& x) {
  const bool is_measured = measured(b);
  out += is_measured ? "<g class=\"cost measured\">" : "<g class=\"cost projected\">";
  std::string tip = b.label + " \xC2\xB7 " + b.provenance + " \xC2\xB7 " + usd_text(b.usd_per_million_tokens) +
                    " per 1M tokens";
  if (!b.note.empty()) tip += " \xC2\xB7 " + b.note;
  append_title(out, tip);
  out += is_measured ? "<rect class=\"bar measured\"" : "<rect class=\"bar projected\"";
  append_coord_attr(out, "x", kLeft);
  append_coord_attr(out, "y", top);
  append_coord_attr(out, "width", std::max(1.0, x(b.usd_per_million_tokens) - kLeft));
  append_coord_attr(out, "height", kBar);
  out += "/>";
  append_text(out, "bar-label", kLeft - 8, top + kBar / 2 + 4, "end", short_label(b.label));
  append_text(out, "bar-value", x(b.usd_per_million_tokens) + 6, top + kBar / 2 + 4, "start",
              usd_text(b.usd_per_million_tokens));
  out += "</g>";
}

void append_svg(std::string& out, const std::vector<const CostBar*>& bars) {
  double max_usd = 0;
  for (const CostBar* b : bars) max_usd = std::max(max_usd, b->usd_per_million_tokens);
  const double step = nice_step(0, max_usd, 5);
  const double hi = std::ceil(max_usd / step) * step;
  const double height = kLegend + kPitch * static_cast<double>(bars.size()) + kAxis;
  const PlotArea area{kLeft, kLegend, kWidth - kLeft - kRight, kPitch * static_cast<double>(bars.size())};
  const Scale x = Scale::linear(0, hi, area.left, area.right());
  const Scale y = Scale::linear(0, 1, area.bottom(), area.top);  // no y ticks: the bars carry their labels

  // Cents on the ticks when the step is below a dollar ("$0.50"), else whole dollars; finer steps show more.
  const int decimals = std::max(step < 1 ? 2 : 0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  std::vector<Tick> x_ticks;
  for (double v : ticks_at_step(0, hi, step)) x_ticks.push_back({v, "$" + fixed(v, decimals)});

  open_svg(out, kWidth, height, "plot cost", "USD per 1M tokens by instance");
  // The hatching of projected bars, referenced by the page's CSS as url(#tb-hatch).
  out += "<defs><pattern id=\"tb-hatch\" width=\"7\" height=\"7\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"7\" height=\"7\" fill=\"#eef3fb\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"7\" stroke=\"#7f9bc8\" stroke-width=\"3\"/></pattern></defs>";
  append_axes(out, area, x, x_ticks, y, {}, "USD per 1M tokens (lower is better)", "");
  append_legend(out);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    append_bar(out, *bars[i], area.top + kPitch * static_cast<double>(i) + (kPitch - kBar) / 2, x);
  }
  out += "</svg>";
}

void append_table(std::string& out, const std::vector<const CostBar*>& bars) {
  out += "<table><thead><tr><th>instance</th><th>provenance</th><th class=\"num\">USD per 1M tokens</th>"
         "<th>note</th></tr></thead><tbody>";
  for (const CostBar* b : bars) {
    out += measured(*b) ? "<tr class=\"measured\">" : "<tr class=\"projected\">";
    append_element(out, "td", "", b->label);
    append_element(out, "td", "", b->provenance);
    append_element(out, "td", "num", usd_text(b->usd_per_million_tokens));
    append_element(out, "td", "", b->note);
    out += "</tr>";
  }
  out += "</tbody></table>";
}

}  // namespace

void append_cost_section(std::string& out, std::string_view cost_title, const std::vector<CostBar>& costs,
                         std::string_view note) {
  out += "<section id=\"cost\"><h2>USD per 1M tokens by instance</h2>";
  std::vector<const CostBar*> bars;
  for (const CostBar& b : costs) {
    if (positive(b.usd_per_million_tokens)) bars.push_back(&b);
  }
  if (bars.empty()) {
    if (!note.empty()) {
      append_element(out, "p", "empty", "No cost to draw: " + std::string(note));
    } else {
      out += "<p class=\"empty\">No model run in the history: record a <code>trainbench run --model</code> "
             "run.</p>";
    }
    out += "</section>";
    return;
  }
  std::stable_sort(bars.begin(), bars.end(), [](const CostBar* a, const CostBar* b) {
    return a->usd_per_million_tokens < b->usd_per_million_tokens;
  });
  if (!cost_title.empty()) append_element(out, "p", "sub", cost_title);
  if (!note.empty()) append_element(out, "p", "empty", std::string(note));
  out += "<figure class=\"card wide\">";
  append_svg(out, bars);
  out += "<p class=\"units\">USD per 1M training tokens = instance price per hour / (tokens per "
         "hour / 10<sup>6</sup>) \xC2\xB7 cheapest first \xC2\xB7 solid: measured on the instance \xC2\xB7 "
         "hatched: projected \xC2\xB7 hover a bar for the price source</p>";
  append_table(out, bars);
  out += "</figure></section>";
}

}  // namespace tb::html
