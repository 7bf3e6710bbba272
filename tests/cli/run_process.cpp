#include "run_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace tbtest {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// An unlinked temporary file: the child writes to it, the parent reads it back.
int anonymous_file() {
  std::string templ = (std::filesystem::temp_directory_path() / "trainbench-cli-out-XXXXXX").string();
  const int fd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errno_text("mkostemp " + templ));
  ::unlink(templ.c_str());
  return fd;
}

std::string read_all(int fd) {
  std::string text;
  if (::lseek(fd, 0, SEEK_SET) < 0) return text;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

void write_all_child(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

// The child's environment: ours, with `overrides` (NAME=VALUE) replacing or adding entries.
std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
  const auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    bool replaced = false;
    for (const std::string& o : overrides) replaced |= name_of(o) == name_of(entry);
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), overrides.begin(), overrides.end());
  return env;
}

std::string read_proc_file(pid_t pid, const char* name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// State and session id from /proc/PID/stat ("pid (comm) state ppid pgrp session ...").
bool stat_of(pid_t pid, char& state, pid_t& session) {
  const std::string stat = read_proc_file(pid, "stat");
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream in(stat.substr(close + 1));
  long ppid = 0, pgrp = 0, sid = 0;
  if (!(in >> state >> ppid >> pgrp >> sid)) return false;
  session = static_cast<pid_t>(sid);
  return true;
}

std::vector<std::string> split_nul(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\0', begin);
    if (end == std::string::npos) end = text.size();
    parts.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

}  // namespace

std::vector<pid_t> processes_in_session(pid_t sid) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    char state = 0;
    pid_t session = 0;
    if (stat_of(pid, state, session) && session == sid && state != 'Z' && state != 'X') pids.push_back(pid);
  }
  return pids;
}

std::optional<std::string> environment_of(pid_t pid, const std::string& name) {
  for (const std::string& entry : split_nul(read_proc_file(pid, "environ"))) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=') {
      return entry.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

std::vector<std::string> command_line_of(pid_t pid) { return split_nul(read_proc_file(pid, "cmdline")); }

long long resident_bytes_of(pid_t pid) {
  std::istringstream in(read_proc_file(pid, "status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "VmRSS:   1234 kB"
  }
  return -1;
}

std::string ProcessResult::describe() const {
  std::string s;
  if (timed_out) {
    s = "timed out and was killed";
  } else if (exited) {
    s = "exited with status " + std::to_string(exit_code);
  } else {
    s = "was killed by signal " + std::to_string(term_signal) + " (" + strsignal(term_signal) + ")";
  }
  s += " after " + std::to_string(seconds) + " s\n--- stdout ---\n" + out + "--- stderr ---\n" + err + "--- end ---";
  return s;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ProcessOptions& options)
    : new_session_(options.new_session), timeout_s_(options.timeout_s) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argument vector");
  out_fd_ = anonymous_file();
  try {
    err_fd_ = anonymous_file();
  } catch (...) {
    ::close(out_fd_);
    throw;
  }

  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::vector<std::string> env_strings = merged_environment(options.env);
  std::vector<char*> envp;
  envp.reserve(env_strings.size() + 1);
  for (const std::string& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const bool new_session = options.new_session;
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  // The destructor does not run when the constructor throws: close what is open.
  const auto fail = [this](const std::string& reason) {
    ::close(out_fd_);
    ::close(err_fd_);
    throw std::runtime_error(reason);
  };
  int exec_pipe[2];  // reports an exec failure (errno) to the parent; closed by a successful exec
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) fail(errno_text("pipe2"));

  start_ = now_s();
  pid_ = ::fork();
  if (pid_ < 0) {
    const std::string reason = errno_text("fork");
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    fail(reason);
  }
  if (pid_ == 0) {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int failure = 0;
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if ((new_session && ::setsid() < 0) || in < 0 || ::dup2(in, STDIN_FILENO) < 0 ||
        ::dup2(out_fd_, STDOUT_FILENO) < 0 || ::dup2(err_fd_, STDERR_FILENO) < 0 ||
        (cwd != nullptr && ::chdir(cwd) != 0)) {
      failure = errno;
    } else {
      ::execve(args[0], args.data(), envp.data());
      failure = errno;
    }
    write_all_child(exec_pipe[1], &failure, sizeof failure);
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  int failure = 0;
  ssize_t n;
  do {
    n = ::read(exec_pipe[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    reap(true);
    errno = failure;
    fail(errno_text("cannot start '" + argv[0] + "'"));
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && new_session_) kill_session();
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool ChildProcess::reap(bool block) {
  if (reaped_) return true;
  while (true) {
    struct rusage usage {};
    const pid_t r = ::wait4(pid_, &wait_status_, block ? 0 : WNOHANG, &usage);
    if (r == pid_) {
      reaped_ = true;
      peak_rss_bytes_ = static_cast<long long>(usage.ru_maxrss) * 1024;  // Linux: kilobytes
      end_ = now_s();
      return true;
    }
    if (r == 0) return false;
    if (errno != EINTR) throw std::runtime_error(errno_text("wait4"));
  }
}

bool ChildProcess::running() { return !reap(false); }

void ChildProcess::send_signal(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

std::vector<pid_t> ChildProcess::session_processes() const {
  std::vector<pid_t> pids;
  if (!new_session_ || pid_ <= 0) return pids;
  for (const pid_t p : processes_in_session(pid_)) {
    if (p != pid_) pids.push_back(p);
  }
  return pids;
}

std::vector<pid_t> ChildProcess::kill_session() {
  std::vector<pid_t> killed;
  if (!new_session_ || pid_ <= 0) return killed;
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    killed.push_back(pid_);
  }
  // Twice: a process forked while we scanned is caught by the second pass.
  for (int pass = 0; pass < 2; ++pass) {
    for (const pid_t p : processes_in_session(pid_)) {
      if (p == pid_) continue;
      ::kill(p, SIGKILL);
      if (pass == 0) killed.push_back(p);
    }
  }
  return killed;
}

ProcessResult ChildProcess::wait() {
  ProcessResult result;
  const double deadline = start_ + timeout_s_;
  while (!reap(false)) {
    if (now_s() > deadline) {
      if (new_session_) kill_session();
      ::kill(pid_, SIGKILL);
      reap(true);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.seconds = end_ - start_;
  result.peak_rss_bytes = peak_rss_bytes_;
  if (WIFEXITED(wait_status_)) {
    result.exited = true;
    result.exit_code = WEXITSTATUS(wait_status_);
  } else if (WIFSIGNALED(wait_status_)) {
    result.term_signal = WTERMSIG(wait_status_);
  }
  result.out = read_all(out_fd_);
  result.err = read_all(err_fd_);
  return result;
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ChildProcess child(argv, options);
  return child.wait();
}

std::vector<std::string> split_shell_words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\'') {
      const std::size_t close = line.find('\'', i + 1);
      if (close == std::string::npos) throw std::invalid_argument("unterminated ' in: " + line);
      word += line.substr(i + 1, close - i - 1);
      i = close;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() && std::strchr("\\\"$`", line[j + 1]) != nullptr) ++j;
        word += line[j];
      }
      if (j >= line.size()) throw std::invalid_argument("unterminated \" in: " + line);
      i = j;
    } else if (c == '\\') {
      if (i + 1 < line.size()) word += line[++i];
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace tbtest
