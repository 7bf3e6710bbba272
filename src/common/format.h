// Numbers, CSV fields and shell words as trainbench prints them: one
// formatter per rule, so that a figure reads the same in every table,
// message and file. (The HTML report's SVG coordinates have their own,
// locale-free rule: report/html/svg_plot.h.)
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tb {

// printf's %g: six significant digits, the shorter of fixed and exponent
// form ("0.5", "-1", "1e+09"): an option's value as a user would type it.
std::string format_g(double value);

// `digits` significant digits, %.*g ("3.142" for 4): p-values, times of any magnitude.
std::string format_significant(double value, int digits);

// `decimals` digits after the point, %.*f ("12.50" for 2).
std::string format_fixed(double value, int decimals);

// printf's %+.*f: the sign always ("+1.5", "-0.0"), `decimals` after the point.
std::string format_signed(double value, int decimals);

// The shortest text that reads back as the same double ("55.04", "0.1", "1e+21").
std::string format_shortest(double value);

// One CSV field (RFC 4180): quoted, with each quote doubled, when it holds a
// comma, a quote or a line break, or starts or ends with a blank or tab that an
// unquoted field would lose; as it is otherwise.
std::string csv_field(std::string_view value);

// The fields joined by commas, each through csv_field, and a newline.
std::string csv_line(const std::vector<std::string>& fields);

// `word` as a POSIX shell reads it back: unchanged when made only of
// letters, digits and _-./=:, (no shell treats those specially), otherwise in
// single quotes, each ' inside written '\''.
std::string shell_quote(std::string_view word);

// `word` always in single quotes (each ' inside written '\''): problem strings
// in reproducer lines, so that a sweep's '|' or '*' stays safe when edited.
std::string shell_single_quote(std::string_view word);

}  // namespace tb
