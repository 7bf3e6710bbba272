#include "runner/plan.h"

#include <sstream>

#include "common/atomic_file.h"
#include "common/echo.h"
#include "kernels/kernel_registry.h"
#include "kernels/problem_string.h"

namespace tb {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

}  // namespace

Expected<std::vector<std::string>> read_suite_file(const std::string& path, int devices) {
  Expected<std::string> text = read_file(path, kMaxReadBytes, "suite file");
  if (!text) return bad_input(text.error().message);  // a wrong path is bad input
  std::vector<std::string> problems;
  std::istringstream in(*text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    const std::string content =
        substitute_devices(trim(hash == std::string::npos ? line : line.substr(0, hash)), devices);
    if (content.empty()) continue;
    Expected<std::vector<ProblemPtr>> parsed = build_plan({content});
    if (!parsed) return bad_input("suite file '" + path + "' line " + std::to_string(number) + ": " + parsed.error().message);
    problems.push_back(content);
  }
  if (problems.empty()) return bad_input("suite file '" + path + "' has no problems");
  return problems;
}

Expected<std::vector<ProblemPtr>> build_plan(const std::vector<std::string>& problem_strings) {
  std::vector<ProblemPtr> plan;
  for (const std::string& text : problem_strings) {
    TB_ASSIGN_OR_RETURN(const std::vector<std::string> expanded, expand_sweep(with_implicit_sweep(text)));
    for (const std::string& concrete : expanded) {
      Expected<ProblemPtr> problem = parse_problem(concrete);
      if (!problem) {
        // The problem string is quoted once: as the message names it already, or as a prefix.
        const std::string& message = problem.error().message;
        const std::string quoted = "'" + echo_value(concrete) + "'";
        if (message.find(quoted) != std::string::npos) return problem.error();
        return bad_input("problem " + quoted + ": " + message);
      }
      plan.push_back(std::move(problem).value());
    }
  }
  return plan;
}

std::string default_suite_path(std::string_view backend) {
  const std::string dir = TRAINBENCH_SUITES_DIR;
  if (backend == "cuda") return dir + "/gpu.suite";
  if (backend == "neuron") return dir + "/neuron.suite";
  return dir + "/default.suite";
}

std::string substitute_devices(std::string text, int devices) {
  static constexpr std::string_view kDevices = "{devices}";
  for (std::size_t at = text.find(kDevices); at != std::string::npos; at = text.find(kDevices, at)) {
    text.replace(at, kDevices.size(), std::to_string(devices));
  }
  return text;
}

Expected<std::vector<std::string>> problem_strings(const std::vector<std::string>& problems,
                                                   const std::vector<std::string>& suites, int devices) {
  std::vector<std::string> strings = problems;
  for (const std::string& suite : suites) {
    TB_ASSIGN_OR_RETURN(const std::vector<std::string> lines, read_suite_file(suite, devices));
    strings.insert(strings.end(), lines.begin(), lines.end());
  }
  return strings;
}

}  // namespace tb
