#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/format.h"

extern char** environ;

namespace tb {
namespace {

using Clock = std::chrono::steady_clock;

// Per-stream capture limit: a runaway child cannot exhaust our memory (the
// rest is read and dropped, so the child never blocks).
constexpr std::size_t kMaxCapturedBytes = std::size_t{64} << 20;

std::string signal_text(int sig) {
  const char* name = ::strsignal(sig);
  return std::to_string(sig) + (name != nullptr ? std::string(" (") + name + ")" : std::string());
}

// Reads what is available on `fd` (non-blocking) into `sink`. Returns false at
// end of file or on an error other than "try again".
bool drain(int fd, std::string& sink) {
  std::array<char, 65536> buf;
  while (true) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n > 0) {
      const std::size_t room = kMaxCapturedBytes - std::min(kMaxCapturedBytes, sink.size());
      sink.append(buf.data(), std::min(room, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // 0: end of file; other errors: give up on this stream
  }
}

// True once `pid` has terminated; leaves it a zombie (WNOWAIT), so that its pid
// and process group id cannot be reused while we still signal the group.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return true;  // ECHILD: nothing to wait for
  }
  return info.si_pid == pid;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

struct Pipe {
  int read = -1, write = -1;
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

// Spawn attributes and file actions, destroyed on every path.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  bool attr_ok = false, actions_ok = false;
  ~SpawnSetup() {
    if (attr_ok) posix_spawnattr_destroy(&attr);
    if (actions_ok) posix_spawn_file_actions_destroy(&actions);
  }
};

Error spawn_error(int err, const std::string& exe, const std::vector<std::string>& argv, std::string_view hint) {
  const std::string override_hint(hint);
  if (err == ENOENT || err == ENOTDIR) {
    const std::string where = exe.find('/') != std::string::npos ? "no such file" : "not found on PATH";
    return unavailable("cannot run '" + exe + "': " + where + (hint.empty() ? "" : "; " + override_hint));
  }
  if (err == EACCES || err == ENOEXEC) {
    return unavailable("cannot run '" + exe + "': " + std::strerror(err) + " (not an executable program)" +
                       (hint.empty() ? "" : "; " + override_hint));
  }
  return run_failure("cannot start '" + command_text(argv) + "': " + std::strerror(err));
}

// Starts `argv` (PATH searched when argv[0] has no '/') with stdin from
// /dev/null and stdout/stderr into the pipes, in its own process group.
Expected<pid_t> spawn_child(const std::vector<std::string>& argv, const std::string& command, const Pipe& out,
                            const Pipe& err, std::string_view hint) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  SpawnSetup setup;
  if (posix_spawnattr_init(&setup.attr) != 0) return run_failure("posix_spawnattr_init failed");
  setup.attr_ok = true;
  if (posix_spawn_file_actions_init(&setup.actions) != 0) return run_failure("posix_spawn_file_actions_init failed");
  setup.actions_ok = true;
  // Its own process group (pgid = its pid), so that a timeout stops it and
  // every process it started; default signal handling and an empty mask,
  // whatever this process had.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  int rc = posix_spawnattr_setflags(&setup.attr, static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                                     POSIX_SPAWN_SETSIGDEF));
  if (rc == 0) rc = posix_spawnattr_setpgroup(&setup.attr, 0);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&setup.attr, &none);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  if (rc == 0) rc = posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, out.write, STDOUT_FILENO);
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, err.write, STDERR_FILENO);
  if (rc != 0) return run_failure("cannot prepare to run '" + command + "': " + std::strerror(rc));

  pid_t pid = -1;
  // posix_spawnp searches PATH when argv[0] has no '/'; glibc reports a failed
  // exec (ENOENT, EACCES) as its return value.
  rc = posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ);
  if (rc != 0) return spawn_error(rc, argv.front(), argv, hint);
  return pid;
}

}  // namespace

Expected<ProcessOutput> run_process(const std::vector<std::string>& argv, const ProcessLimits& limits) {
  const double timeout_s = limits.timeout_s, grace_s = limits.grace_s;
  if (argv.empty() || argv.front().empty()) return bad_input("run_process: no command to run");
  if (!(timeout_s > 0.0)) return bad_input("run_process: the timeout must be positive, got " + format_g(timeout_s));
  const std::string command = command_text(argv);

  Pipe out, err;
  {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return run_failure(std::string("cannot create a pipe: ") + std::strerror(errno));
    out.read = fds[0];
    out.write = fds[1];
    if (::pipe2(fds, O_CLOEXEC) != 0) return run_failure(std::string("cannot create a pipe: ") + std::strerror(errno));
    err.read = fds[0];
    err.write = fds[1];
  }

  const Clock::time_point start = Clock::now();
  TB_ASSIGN_OR_RETURN(const pid_t pid, spawn_child(argv, command, out, err, limits.not_found_hint));
  out.close_write();
  err.close_write();
  for (int fd : {out.read, err.read}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  ProcessOutput result;
  bool out_open = true, err_open = true;
  const auto remaining_ms = [](Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(left, 0, 1000));
  };
  // Reads whatever arrives for up to `wait_ms`.
  const auto pump = [&](int wait_ms) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_open) fds[n++] = {out.read, POLLIN, 0};
    if (err_open) fds[n++] = {err.read, POLLIN, 0};
    // Both streams closed while the child runs: sleep in short steps to notice its exit.
    if (n == 0) wait_ms = std::min(wait_ms, 2);
    const int ready = ::poll(n == 0 ? nullptr : fds, n, wait_ms);
    if (ready <= 0) return;
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == out.read) out_open = drain(out.read, result.out);
      if (fds[i].fd == err.read) err_open = drain(err.read, result.err);
    }
  };

  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  const Clock::time_point deadline = start + timeout;
  bool timed_out = false;
  while (!has_exited(pid)) {
    if (Clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    // Wake at least every 50 ms: a descendant may hold the pipes open after the child exits.
    pump(std::min(remaining_ms(deadline), 50));
  }
  if (timed_out) {
    ::kill(-pid, SIGTERM);
    const Clock::time_point grace_end =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(std::max(0.0, grace_s)));
    while (!has_exited(pid) && Clock::now() < grace_end) pump(std::min(remaining_ms(grace_end), 20));
  }
  // The child has exited (or ignored SIGTERM): collect what it wrote, then kill
  // whatever is left of its process group before reaping it (the zombie keeps
  // the group id from being reused).
  if (out_open) drain(out.read, result.out);
  if (err_open) drain(err.read, result.err);
  ::kill(-pid, SIGKILL);
  const int status = reap(pid);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const std::string tail = last_output_line(result.err.empty() ? result.out : result.err);
  if (timed_out) {
    return run_failure("'" + command + "' timed out after " + format_g(timeout_s) +
                       " s and was stopped (SIGTERM, then SIGKILL, to its process group)" +
                       (tail.empty() ? std::string() : "; its last output: " + tail));
  }
  if (WIFSIGNALED(status)) {
    return run_failure("'" + command + "' was killed by signal " + signal_text(WTERMSIG(status)) +
                       (tail.empty() ? std::string() : "; its last output: " + tail));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}


std::string command_text(const std::vector<std::string>& argv) {
  std::string s;
  for (const std::string& a : argv) s += (s.empty() ? "" : " ") + shell_quote(a);
  return s;
}

std::string last_output_line(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  const std::size_t start = text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1;
  std::string_view line = text.substr(start);
  while (!line.empty() && blank(line.front())) line.remove_prefix(1);
  if (line.empty()) return {};
  constexpr std::size_t kMax = 200;
  return "'" + std::string(line.substr(0, kMax)) + (line.size() > kMax ? "..." : "") + "'";
}

}  // namespace tb
