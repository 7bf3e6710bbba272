// Runs a program as a child process with an argument vector (never a shell
// string), capturing stdout, stderr and how it ended. Used by the CLI tests to
// drive the real trainbench executable.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace tbtest {

struct ProcessOptions {
  std::string cwd;         // working directory of the child; empty: inherit
  double timeout_s = 120;  // wait() kills the child with SIGKILL after this long
  // NAME=VALUE entries set in the child's environment (replacing inherited ones
  // of the same name); everything else is inherited.
  std::vector<std::string> env;
  // The child starts a new session (setsid), so that everything it starts,
  // grandchildren in their own process groups included (mpirun's ranks), can
  // be found and killed: a time-out and the destructor SIGKILL the whole session.
  bool new_session = false;
};

struct ProcessResult {
  bool exited = false;     // ended by exit(); exit_code is valid
  int exit_code = -1;
  int term_signal = 0;     // the signal that ended it, when !exited
  bool timed_out = false;  // killed by wait() after ProcessOptions::timeout_s
  double seconds = 0.0;    // wall time from start to end
  long long peak_rss_bytes = -1;  // the child's peak resident memory (getrusage's ru_maxrss); -1 when unknown
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr

  // One paragraph for assertion messages: how it ended, stdout and stderr.
  std::string describe() const;
};

// A started child. stdin is /dev/null; stdout and stderr go to anonymous
// temporary files, so a chatty child can never block on a full pipe.
// Signal dispositions are reset to the defaults in the child (a test runner
// started in the background may ignore SIGINT, and that would be inherited).
class ChildProcess {
 public:
  // Throws std::runtime_error when the program cannot be started (exec failed).
  ChildProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();                // false once it has ended (reaps it)
  void send_signal(int signal);  // no-op once it has ended
  ProcessResult wait();          // waits for the end (or the timeout), then collects output
  // With new_session: the live processes of the child's session other than
  // the child itself (its descendants, unless one left the session).
  std::vector<pid_t> session_processes() const;
  // With new_session: SIGKILLs every live process of the session; returns the
  // processes that were still there (the child included while it runs).
  std::vector<pid_t> kill_session();

 private:
  bool reap(bool block);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  bool new_session_ = false;
  int wait_status_ = 0;
  double timeout_s_ = 0.0;
  double start_ = 0.0;
  double end_ = 0.0;
  long long peak_rss_bytes_ = -1;
};

// Live (not zombie) processes whose session id is `sid`.
std::vector<pid_t> processes_in_session(pid_t sid);
// The value of `name` in the environment process `pid` started with
// (/proc/PID/environ); nullopt when unset or unreadable.
std::optional<std::string> environment_of(pid_t pid, const std::string& name);
// /proc/PID/cmdline as words; empty when unreadable.
std::vector<std::string> command_line_of(pid_t pid);
// Resident memory of `pid` in bytes (VmRSS); -1 when unreadable.
long long resident_bytes_of(pid_t pid);

// Starts `argv` and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Splits a POSIX shell command line into words: whitespace separates words;
// '...' quotes literally; "..." quotes with \-escapes of \ " $ `; a backslash
// outside quotes escapes the next character. Throws std::invalid_argument on an
// unterminated quote. No expansions are performed.
std::vector<std::string> split_shell_words(const std::string& command_line);

}  // namespace tbtest
