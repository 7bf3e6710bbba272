#include "run_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

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

}  // namespace

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
    : timeout_s_(options.timeout_s) {
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
    if (in < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out_fd_, STDOUT_FILENO) < 0 ||
        ::dup2(err_fd_, STDERR_FILENO) < 0 || (cwd != nullptr && ::chdir(cwd) != 0)) {
      failure = errno;
    } else {
      ::execv(args[0], args.data());
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
    const pid_t r = ::waitpid(pid_, &wait_status_, block ? 0 : WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      end_ = now_s();
      return true;
    }
    if (r == 0) return false;
    if (errno != EINTR) throw std::runtime_error(errno_text("waitpid"));
  }
}

bool ChildProcess::running() { return !reap(false); }

void ChildProcess::send_signal(int signal) {
  if (!reaped_) ::kill(pid_, signal);
}

ProcessResult ChildProcess::wait() {
  ProcessResult result;
  const double deadline = start_ + timeout_s_;
  while (!reap(false)) {
    if (now_s() > deadline) {
      ::kill(pid_, SIGKILL);
      reap(true);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.seconds = end_ - start_;
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
