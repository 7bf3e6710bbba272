// Running a program with a time limit, without a shell, and capturing what it
// prints: how trainbench runs a vendor's command-line tool (nccom-test) whose
// own timing and checks it reports.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace tb {

// What a child process did. A non-zero exit is not an error here: the caller
// reads its output to say why.
struct ProcessOutput {
  int exit_code = 0;
  std::string out;       // everything written to stdout (at most 64 MiB kept)
  std::string err;       // everything written to stderr (at most 64 MiB kept)
  double seconds = 0.0;  // wall time from spawn to exit (s)
};

struct ProcessLimits {
  double timeout_s = 0.0;  // > 0: then SIGTERM to the child's process group (s)
  double grace_s = 2.0;    // after SIGTERM, then SIGKILL (s)
  // Appended to the message when the executable is missing or not executable
  // ("give nccom-test's path with --nccom-test PATH ..."); empty: none.
  std::string not_found_hint;
};

// Runs argv[0] (looked up on PATH when it has no '/') with argv, without a
// shell, stdin from /dev/null, stdout and stderr captured through two pipes
// (read together in a poll loop, so neither can fill up and block the child).
// The child leads a new process group; when it exits, anything left in its
// group is killed. Errors: an empty argv or a timeout <= 0 (kBadInput); the
// executable missing or not executable (kUnavailable, naming the path, then
// the hint); a timeout (kRunFailure: "timed out after N s", with the command
// and its last output line); killed by a signal (kRunFailure).
Expected<ProcessOutput> run_process(const std::vector<std::string>& argv, const ProcessLimits& limits);

// The command as one would type it, for messages: each word through
// shell_quote (common/format.h). Only for display: nothing runs through a shell.
std::string command_text(const std::vector<std::string>& argv);

// The last non-blank line of a program's output, trimmed, cut at 200
// characters and in single quotes, for messages; empty when there is none.
std::string last_output_line(std::string_view text);

}  // namespace tb
