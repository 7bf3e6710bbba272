// A backend's own command-line options (--cuda-tf32, --neuron-runtime ...),
// each declared once, in its backend's table (cuda/cuda_options.h,
// neuron/neuron_options.h): the CLI registers every option of every table
// (flag, help, default, check), the backend reads its values from
// BackendOptions::values, and its reproducer line spells them with the same
// flags (spell_options). Adding an option is one line in one table.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tb {

struct BackendOptionSpec {
  enum class Kind {
    kText,     // any string: a path, an instance type
    kSwitch,   // present or not: "true" when given, default ""
    kInteger,  // a whole number in [min, max]
    kChoice,   // one of `choices`
  };
  std::string_view flag;            // "--cuda-gemm-candidates"
  Kind kind = Kind::kText;
  std::string_view default_value;   // as typed; "" = none
  std::string_view help;            // "cuda: ..." (the backend's name first)
  std::vector<std::string_view> choices;  // kChoice
  int min = 0, max = 0;                   // kInteger, inclusive
};

// The values given on the command line, by flag ("--cuda-tf32" -> "true");
// an option not given is absent and reads as its default.
using BackendOptionValues = std::map<std::string, std::string, std::less<>>;

// The value of `spec` in `values`, or its default.
std::string option_value(const BackendOptionValues& values, const BackendOptionSpec& spec);

// Bad input naming the flag when a value in `values` that belongs to `table`
// does not fit its kind: an integer out of [min, max], a choice not listed, a
// switch other than "true". (The CLI checks the same before; this is for
// library callers.)
Status validate_options(std::span<const BackendOptionSpec> table, const BackendOptionValues& values);

// The reproducer's spelling of every option of `table` whose value differs
// from its default: " --flag value" (" --flag" for a switch), in table order.
// `resolved` replaces a value by what the backend resolved it to (the runtime
// library it actually opened), by flag; a resolved value is spelled whatever
// the default.
std::string spell_options(std::span<const BackendOptionSpec> table, const BackendOptionValues& values,
                          const BackendOptionValues& resolved = {});

}  // namespace tb
