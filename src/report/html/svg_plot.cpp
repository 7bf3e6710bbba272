#include "report/html/svg_plot.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "report/html/html_text.h"

namespace tb::html {

namespace {

// `v` with `decimals` digits after the point, appended; "-0" comes out as "0".
void append_fixed(std::string& out, double v, int decimals) {
  if (!std::isfinite(v)) {
    out += '0';
    return;
  }
  std::array<char, 64> buf;
  // Values beyond 1e30 would not fit the buffer in fixed notation; nothing we draw is that large.
  v = std::clamp(v, -1e30, 1e30);
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed, decimals);
  std::string_view text(buf.data(), static_cast<std::size_t>(res.ptr - buf.data()));
  if (text.find_first_not_of("-0.") == std::string_view::npos) text = "0";
  out += text;
}

// Drops trailing zeros after a decimal point, and the point itself when bare.
std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void append_coord(std::string& out, double v) {
  const std::size_t start = out.size();
  append_fixed(out, v, 1);
  if (out.size() >= start + 2 && out.compare(out.size() - 2, 2, ".0") == 0) out.resize(out.size() - 2);
}

std::string fixed(double v, int decimals) {
  std::string s;
  append_fixed(s, v, decimals);
  return s;
}

std::string significant(double v, int significant_digits) {
  if (v == 0 || !std::isfinite(v)) return fixed(v, 0);
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::clamp(significant_digits - 1 - magnitude, 0, 12);
  return trim_zeros(fixed(v, decimals));
}

std::string format_si(double v) {
  static constexpr std::array<const char*, 11> kPrefixes = {"f", "p", "n", "\xC2\xB5", "m", "",
                                                           "k", "M", "G", "T", "P"};
  constexpr int kUnitIndex = 5;
  if (v == 0 || !std::isfinite(v)) return fixed(v, 0) + " ";
  int group = static_cast<int>(std::floor(std::log10(std::fabs(v)) / 3.0));
  group = std::clamp(group, -kUnitIndex, static_cast<int>(kPrefixes.size()) - 1 - kUnitIndex);
  const double scaled = v / std::pow(1000.0, group);
  std::string text = significant(scaled, 3);
  if (text == "1000" && group + kUnitIndex + 1 < static_cast<int>(kPrefixes.size())) {
    text = "1";  // 999.95 rounds up to the next prefix
    ++group;
  }
  return text + " " + kPrefixes[static_cast<std::size_t>(group + kUnitIndex)];
}

Scale::Scale(bool log, double lo, double hi, double pixel_lo, double pixel_hi)
    : log_(log), lo_(lo), hi_(hi), t_lo_(log ? std::log10(lo) : lo), t_hi_(log ? std::log10(hi) : hi),
      pixel_lo_(pixel_lo), pixel_hi_(pixel_hi) {}

Scale Scale::linear(double lo, double hi, double pixel_lo, double pixel_hi) {
  return Scale(false, lo, hi, pixel_lo, pixel_hi);
}

Scale Scale::log10(double lo, double hi, double pixel_lo, double pixel_hi) {
  return Scale(true, lo, hi, pixel_lo, pixel_hi);
}

double Scale::operator()(double v) const {
  const double t = log_ ? std::log10(v) : v;
  if (t_hi_ == t_lo_) return (pixel_lo_ + pixel_hi_) / 2;
  return pixel_lo_ + (t - t_lo_) / (t_hi_ - t_lo_) * (pixel_hi_ - pixel_lo_);
}

double nice_step(double lo, double hi, int target) {
  const double raw = (hi - lo) / std::max(target, 1);
  if (!(raw > 0) || !std::isfinite(raw)) return 1.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;
  const double nice = fraction < 1.5 ? 1 : fraction < 3.5 ? 2 : fraction < 7.5 ? 5 : 10;
  return nice * power;
}

std::vector<double> ticks_at_step(double lo, double hi, double step) {
  std::vector<double> ticks;
  if (!(step > 0) || !(hi >= lo)) return ticks;
  const double tolerance = step * 1e-9;
  for (double k = std::ceil((lo - tolerance) / step); k * step <= hi + tolerance; k += 1) {
    ticks.push_back(k * step);
    if (ticks.size() > 1000) break;  // a runaway step; never for nice_step's
  }
  return ticks;
}

std::vector<double> log_ticks(double lo, double hi) {
  std::vector<double> ticks;
  if (!(lo > 0) || !(hi > lo)) return ticks;
  const bool fine = hi / lo <= 1e3 * (1 + 1e-9);
  const std::vector<double> mantissas = fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1};
  for (int e = static_cast<int>(std::floor(std::log10(lo))); e <= std::ceil(std::log10(hi)); ++e) {
    for (const double m : mantissas) {
      const double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  return ticks;
}

bool positive(double v) { return std::isfinite(v) && v > 0; }

std::string colour_class(std::size_t index) {
  constexpr std::size_t kPalette = 6;  // .c0 .. .c5 in html_report.cpp's CSS
  return "c" + std::to_string(index % kPalette);
}

bool Box::overlaps(const Box& o, double gap) const {
  return x < o.x + o.width + gap && o.x < x + width + gap && y < o.y + o.height + gap && o.y < y + height + gap;
}

Box label_box(std::string_view text, double x, double y) {
  constexpr double kCharWidth = 6.5, kHeight = 11;
  return {x, y, kCharWidth * static_cast<double>(text.size()), kHeight};
}

std::vector<std::optional<Box>> place_labels(const std::vector<std::pair<double, double>>& points,
                                             const std::vector<std::string>& texts, const PlotArea& area,
                                             double marker_radius) {
  constexpr double kGap = 2;
  constexpr double kDistances[] = {3, 9, 17, 28};  // px between the marker's edge and the label
  // Directions: right, upper right, lower right, above, below, left, upper left, lower left.
  constexpr std::pair<int, int> kDirections[] = {{1, 0}, {1, -1}, {1, 1}, {0, -1}, {0, 1}, {-1, 0}, {-1, -1}, {-1, 1}};
  std::vector<Box> markers;
  for (const auto& [px, py] : points) {
    markers.push_back({px - marker_radius, py - marker_radius, 2 * marker_radius, 2 * marker_radius});
  }
  std::vector<Box> placed;
  std::vector<std::optional<Box>> out(points.size());
  for (std::size_t i = 0; i < points.size() && i < texts.size(); ++i) {
    const auto [px, py] = points[i];
    const Box size = label_box(texts[i], 0, 0);
    for (const double d : kDistances) {
      const double reach = marker_radius + d;
      for (const auto& [dx, dy] : kDirections) {
        // The box's side facing the point at `reach` from its centre.
        const double left = dx > 0 ? px + reach : dx < 0 ? px - reach - size.width : px - size.width / 2;
        const double top = dy > 0 ? py + reach : dy < 0 ? py - reach - size.height : py - size.height / 2;
        const Box box{left, top, size.width, size.height};
        if (box.x < area.left || box.x + box.width > area.right() || box.y < area.top ||
            box.y + box.height > area.bottom()) {
          continue;
        }
        const auto clashes = [&](const Box& other) { return box.overlaps(other, kGap); };
        if (std::any_of(placed.begin(), placed.end(), clashes) || std::any_of(markers.begin(), markers.end(), clashes)) {
          continue;
        }
        placed.push_back(box);
        out[i] = box;
        break;
      }
      if (out[i]) break;
    }
  }
  return out;
}

void append_coord_attr(std::string& out, std::string_view name, double v) {
  out += ' ';
  out += name;
  out += "=\"";
  append_coord(out, v);
  out += '"';
}

void open_svg(std::string& out, double width, double height, std::string_view css_class,
              std::string_view aria_label) {
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"";
  out += css_class;
  out += "\" viewBox=\"0 0 ";
  append_coord(out, width);
  out += ' ';
  append_coord(out, height);
  out += "\" role=\"img\" aria-label=\"";
  append_escaped(out, aria_label);
  out += "\">";
}

void append_line(std::string& out, std::string_view css_class, double x1, double y1, double x2, double y2) {
  out += "<line class=\"";
  out += css_class;
  out += '"';
  append_coord_attr(out, "x1", x1);
  append_coord_attr(out, "y1", y1);
  append_coord_attr(out, "x2", x2);
  append_coord_attr(out, "y2", y2);
  out += "/>";
}

void append_text(std::string& out, std::string_view css_class, double x, double y, std::string_view anchor,
                 std::string_view text) {
  out += "<text class=\"";
  out += css_class;
  out += '"';
  append_coord_attr(out, "x", x);
  append_coord_attr(out, "y", y);
  if (anchor != "start") {
    out += " text-anchor=\"";
    out += anchor;
    out += '"';
  }
  out += '>';
  append_escaped(out, text);
  out += "</text>";
}

void append_title(std::string& out, std::string_view text) {
  out += "<title>";
  append_escaped(out, text);
  out += "</title>";
}

void append_axes(std::string& out, const PlotArea& area, const Scale& x, const std::vector<Tick>& x_ticks,
                 const Scale& y, const std::vector<Tick>& y_ticks, std::string_view x_title,
                 std::string_view y_title) {
  constexpr double kTickLabelGap = 6;  // px between the axis and a tick label
  for (const Tick& t : y_ticks) {
    const double py = y(t.at);
    append_line(out, "grid", area.left, py, area.right(), py);
    append_text(out, "tick", area.left - kTickLabelGap, py + 4, "end", t.label);
  }
  for (const Tick& t : x_ticks) {
    const double px = x(t.at);
    append_line(out, "grid", px, area.top, px, area.bottom());
    // A label at the right edge ends there, so that it is not cut off.
    const bool at_right_edge = px > area.right() - 30;
    append_text(out, "tick", px, area.bottom() + 16, at_right_edge ? "end" : "middle", t.label);
  }
  append_line(out, "axis", area.left, area.bottom(), area.right(), area.bottom());
  append_line(out, "axis", area.left, area.top, area.left, area.bottom());
  append_text(out, "axis-title", area.left + area.width / 2, area.bottom() + 34, "middle", x_title);
  // The y title runs upwards along the axis, left of the tick labels.
  out += "<text class=\"axis-title\" text-anchor=\"middle\" transform=\"translate(14 ";
  append_coord(out, area.top + area.height / 2);
  out += ") rotate(-90)\">";
  append_escaped(out, y_title);
  out += "</text>";
}

}  // namespace tb::html
