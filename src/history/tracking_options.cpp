#include "history/tracking_options.h"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "common/echo.h"

namespace tb {
namespace {

std::string utc_string(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool all_digits(const std::string& s, std::size_t from, std::size_t to) {
  if (from >= to) return false;
  for (std::size_t i = from; i < to; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

// YYYY-MM-DD with a plausible month and day.
bool is_date(const std::string& s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!all_digits(s, 0, 4) || !all_digits(s, 5, 7) || !all_digits(s, 8, 10)) return false;
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// HH:MM:SS with plausible fields.
bool is_time(const std::string& s) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return false;
  if (!all_digits(s, 0, 2) || !all_digits(s, 3, 5) || !all_digits(s, 6, 8)) return false;
  return std::stoi(s.substr(0, 2)) < 24 && std::stoi(s.substr(3, 2)) < 60 && std::stoi(s.substr(6, 2)) < 61;
}

}  // namespace

Expected<std::string> parse_since(const std::string& text, std::chrono::system_clock::time_point now) {
  if (text.empty() || text == "all") return std::string();
  const Error bad = bad_input("--since '" + echo_value(text) +
                              "' is not a window: expected a number of days, hours or weeks (30d, 12h, 2w), a date "
                              "(2026-11-01), a UTC time (2026-11-01T06:00:00Z) or 'all'");
  if (is_date(text)) {
    if (text.size() == 10) return text + "T00:00:00Z";
    if (text.size() == 20 && text[10] == 'T' && text[19] == 'Z' && is_time(text.substr(11, 8))) return text;
    return bad;
  }
  const char unit = text.back();
  const std::string digits = text.substr(0, text.size() - 1);
  long long count = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || count <= 0 ||
      count > 100 * 366) {
    return bad;
  }
  std::chrono::hours hours{0};
  if (unit == 'h') hours = std::chrono::hours(count);
  else if (unit == 'd') hours = std::chrono::hours(24 * count);
  else if (unit == 'w') hours = std::chrono::hours(24 * 7 * count);
  else return bad;
  return utc_string(now - hours);
}

Expected<double> parse_fraction(const std::string& option, const std::string& text, double min, double max) {
  const bool percent = !text.empty() && text.back() == '%';
  const std::string number = percent ? text.substr(0, text.size() - 1) : text;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (!number.empty() && ec == std::errc() && end == number.data() + number.size()) {
    if (percent) value /= 100.0;
    if (value >= min && value < max) return value;
  }
  char range[96];
  std::snprintf(range, sizeof range, "expected a fraction in [%g, %g) or a percentage such as 5%%", min, max);
  return bad_input(option + " '" + echo_value(text) + "' is out of range or not a number: " + range);
}

}  // namespace tb
