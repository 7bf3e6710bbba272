// Internal to tb_html: the pieces every inline SVG plot of the report uses:
// scales (linear, log10), tick choice, compact number text, axes.
// Coordinates are SVG user units (px at 100% zoom); y grows downwards.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

namespace tb::html {

// Appends `v` rounded to one decimal, without a trailing ".0" ("12.3", "-4", "0").
// Keeps the page small: one decimal of a px is below what a screen shows.
void append_coord(std::string& out, double v);

// Appends ` name="v"`, v through append_coord: one coordinate attribute of an SVG element.
void append_coord_attr(std::string& out, std::string_view name, double v);

// `v` with `decimals` digits after the point ("12.30" for 2).
std::string fixed(double v, int decimals);

// `v` with about `significant` significant digits, no exponent, trailing zeros
// dropped: 1234.5 -> "1235" (at 4), 0.012345 -> "0.0123" (at 3).
std::string significant(double v, int significant_digits);

// `v` with an SI prefix and about 3 significant digits: 1.2e12 -> "1.2 T",
// 350 -> "350 ", 0.25 -> "250 m". Append the unit: format_si(v) + "FLOP/s".
std::string format_si(double v);

// A finite value above zero: what a log axis can place and a bar can show.
bool positive(double v);

// The colour class of the index-th dtype or line of a plot: c0..c5 in the
// page's CSS, round again after six.
std::string colour_class(std::size_t index);

// A map from data values to pixels: linear, or linear in log10(value) (values > 0).
class Scale {
 public:
  static Scale linear(double lo, double hi, double pixel_lo, double pixel_hi);
  static Scale log10(double lo, double hi, double pixel_lo, double pixel_hi);  // 0 < lo < hi
  double operator()(double v) const;  // pixel of `v`; outside [lo, hi] it extrapolates
  double lo() const { return lo_; }
  double hi() const { return hi_; }

 private:
  Scale(bool log, double lo, double hi, double pixel_lo, double pixel_hi);
  bool log_;
  double lo_, hi_;              // data range (values, not logs)
  double t_lo_, t_hi_;          // lo, hi after the transform
  double pixel_lo_, pixel_hi_;
};

// The step (1, 2 or 5 x 10^k) giving about `target` intervals over [lo, hi] (lo < hi).
double nice_step(double lo, double hi, int target);

// Multiples of `step` inside [lo, hi] (with a tolerance of 1e-9 step at the ends).
std::vector<double> ticks_at_step(double lo, double hi, double step);

// Ticks of a log axis inside [lo, hi] (0 < lo < hi): 1, 2 and 5 x 10^k when
// the range spans at most three decades, else the powers of ten only.
std::vector<double> log_ticks(double lo, double hi);

// The plot rectangle inside an SVG: margins hold the axis labels.
struct PlotArea {
  double left = 0, top = 0, width = 0, height = 0;
  double right() const { return left + width; }
  double bottom() const { return top + height; }
};

struct Tick {
  double at = 0;      // data value
  std::string label;  // shown as is (escaped when written)
};

// Grid lines at the ticks, the axis lines, tick labels and the axis titles.
void append_axes(std::string& out, const PlotArea& area, const Scale& x, const std::vector<Tick>& x_ticks,
                 const Scale& y, const std::vector<Tick>& y_ticks, std::string_view x_title,
                 std::string_view y_title);

// A label's box in px (x, y its top-left corner).
struct Box {
  double x = 0, y = 0, width = 0, height = 0;
  bool overlaps(const Box& other, double gap) const;  // closer than `gap` px on both axes
};

// The box of `text` in the page's small bold label font (10.5 px): about
// 6.5 px a character, 11 px high, its baseline at y + 9.
Box label_box(std::string_view text, double x, double y);

// Where each point's label goes: for points[i] (marker centres, px) a box of
// the label `texts[i]` next to it, tried at growing distances in eight
// directions, inside `area`, clear (by 2 px) of every label already placed
// and of every marker (radius `marker_radius`). Points are placed in order;
// nullopt where no place is clear (the caller says so and the table keeps the label).
std::vector<std::optional<Box>> place_labels(const std::vector<std::pair<double, double>>& points,
                                             const std::vector<std::string>& texts, const PlotArea& area,
                                             double marker_radius);

// <svg ...> opening tag with a viewBox of width x height and an accessible name.
void open_svg(std::string& out, double width, double height, std::string_view css_class,
              std::string_view aria_label);

// <line class="..." x1 y1 x2 y2/>.
void append_line(std::string& out, std::string_view css_class, double x1, double y1, double x2, double y2);

// <text class="..." x y [text-anchor]>escaped text</text>; anchor "start", "middle" or "end".
void append_text(std::string& out, std::string_view css_class, double x, double y, std::string_view anchor,
                 std::string_view text);

// <title>escaped text</title>: the browser's hover tooltip of the enclosing element.
void append_title(std::string& out, std::string_view text);

}  // namespace tb::html
