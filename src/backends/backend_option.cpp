#include "backends/backend_option.h"

#include <algorithm>
#include <charconv>

#include "common/echo.h"

namespace tb {

std::string option_value(const BackendOptionValues& values, const BackendOptionSpec& spec) {
  const auto it = values.find(spec.flag);
  return it == values.end() ? std::string(spec.default_value) : it->second;
}

Status validate_options(std::span<const BackendOptionSpec> table, const BackendOptionValues& values) {
  using Kind = BackendOptionSpec::Kind;
  for (const BackendOptionSpec& spec : table) {
    const auto it = values.find(spec.flag);
    if (it == values.end()) continue;
    const std::string& v = it->second;
    const std::string what = std::string(spec.flag) + " " + echo_value(v);
    if (spec.kind == Kind::kSwitch && v != "true") return bad_input(what + ": a switch takes no value");
    if (spec.kind == Kind::kChoice &&
        std::find(spec.choices.begin(), spec.choices.end(), std::string_view(v)) == spec.choices.end()) {
      std::string expected;
      for (const std::string_view c : spec.choices) expected += (expected.empty() ? "" : ", ") + std::string(c);
      return bad_input(what + ": expected one of " + expected);
    }
    if (spec.kind == Kind::kInteger) {
      int n = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size() || n < spec.min || n > spec.max) {
        return bad_input(what + ": expected a whole number from " + std::to_string(spec.min) + " to " +
                         std::to_string(spec.max));
      }
    }
  }
  return {};
}

std::string spell_options(std::span<const BackendOptionSpec> table, const BackendOptionValues& values,
                          const BackendOptionValues& resolved) {
  std::string out;
  for (const BackendOptionSpec& spec : table) {
    const auto r = resolved.find(spec.flag);
    const std::string value = r != resolved.end() ? r->second : option_value(values, spec);
    if (r == resolved.end() && value == spec.default_value) continue;
    if (value.empty()) continue;
    out += " " + std::string(spec.flag);
    if (spec.kind != BackendOptionSpec::Kind::kSwitch) out += " " + value;
  }
  return out;
}

}  // namespace tb
