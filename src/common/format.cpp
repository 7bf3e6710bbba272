#include "common/format.h"

#include <array>
#include <charconv>
#include <cstdio>

namespace tb {

namespace {

std::string printf_double(const char* format, int precision, double value) {
  char buf[400];  // %.*f of 1e308 with a few decimals fits
  std::snprintf(buf, sizeof buf, format, precision, value);
  return buf;
}

}  // namespace

std::string format_g(double value) { return printf_double("%.*g", 6, value); }

std::string format_significant(double value, int digits) { return printf_double("%.*g", digits, value); }

std::string format_fixed(double value, int decimals) { return printf_double("%.*f", decimals, value); }

std::string format_signed(double value, int decimals) { return printf_double("%+.*f", decimals, value); }

std::string format_shortest(double value) {
  std::array<char, 64> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc()) return format_significant(value, 17);
  return std::string(buffer.data(), end);
}

std::string csv_field(std::string_view value) {
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  const bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!value.empty() && (blank(value.front()) || blank(value.back())));
  if (!quote) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

std::string shell_single_quote(std::string_view word) {
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string shell_quote(std::string_view word) {
  constexpr std::string_view kPlain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,";
  if (!word.empty() && word.find_first_not_of(kPlain) == std::string_view::npos) return std::string(word);
  return shell_single_quote(word);
}

}  // namespace tb
