// Chromium runs as a child started with posix_spawn (an argument vector, no
// shell) in its own process group, so that a time-out can SIGKILL it and
// every helper process it started. Its stdout (the DOM) and stderr (the log)
// go to files in a fresh temporary directory that also holds the profile.
//
// Console errors: with --enable-logging=stderr --v=0 Chromium writes every
// page console message (script errors, CSP violations, failed loads) to
// stderr as a line with ":CONSOLE" in its prefix, e.g.
//   [1:1:1126/050223.68:INFO:CONSOLE:1] "Loading the image ... violates ...", source: file:///x.html (1)
// (older versions: "INFO:CONSOLE(1)"). A report page has no scripts, so any
// console line is an error. Lines with "Refused to" or "Failed to load
// resource" (Blink's wording for blocked and failed loads) count too. Other
// stderr lines (dbus, GPU, sandbox warnings) are noise and are ignored.
#include "support/chromium.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace tbtest {

namespace fs = std::filesystem;

namespace {

constexpr auto kTimeout = std::chrono::seconds(60);

bool executable(const fs::path& p) { return access(p.c_str(), X_OK) == 0 && !fs::is_directory(p); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// file:// URL of an absolute path, bytes outside [A-Za-z0-9/._~-] percent-encoded.
std::string file_url(const fs::path& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string url = "file://";
  for (const unsigned char c : fs::absolute(path).string()) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '~' || c == '-') {
      url += static_cast<char>(c);
    } else {
      url += '%';
      url += kHex[c >> 4];
      url += kHex[c & 15];
    }
  }
  return url;
}

bool is_console_error(const std::string& line) {
  return line.find(":CONSOLE") != std::string::npos || line.find("Refused to") != std::string::npos ||
         line.find("Failed to load resource") != std::string::npos;
}

struct Spawned {
  bool exited_zero = false;
  std::string problem;  // why it did not start or end well
};

// Runs argv[0] with stdin /dev/null, stdout and stderr to files, in a new
// process group; waits up to kTimeout, then SIGKILLs the group. Helpers left
// behind by a Chromium that exited are killed too.
Spawned spawn_and_wait(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
  Spawned result;
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);  // a test runner in the background may ignore SIGINT
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    result.problem = "cannot start " + args[0] + ": " + std::strerror(rc);
    return result;
  }

  // Waits without reaping (WNOWAIT): while the leader is an unreaped zombie
  // its id, and so its process group's, cannot be reused, and the group
  // SIGKILL below reaches only Chromium's own helpers (ESRCH when none is left).
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (true) {
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      result.problem = std::string("waitid: ") + std::strerror(errno);
      break;
    }
    if (info.si_pid == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      result.problem = "Chromium did not finish within 60 s and was killed";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (result.problem.empty()) {
    result.exited_zero = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!result.exited_zero) {
      result.problem = WIFEXITED(status) ? "Chromium exited with status " + std::to_string(WEXITSTATUS(status))
                                         : "Chromium was killed by signal " + std::to_string(WTERMSIG(status));
    }
  }
  return result;
}

}  // namespace

std::optional<std::string> find_chromium() {
  if (const char* env = std::getenv("TRAINBENCH_CHROMIUM"); env != nullptr && *env != '\0') return std::string(env);
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::vector<std::string> dir_list;
  for (std::string dir; std::getline(dirs, dir, ':');) dir_list.push_back(dir.empty() ? "." : dir);
  for (const char* name : {"chromium", "chromium-browser"}) {
    for (const std::string& dir : dir_list) {
      const fs::path candidate = fs::path(dir) / name;
      if (executable(candidate)) return candidate.string();
    }
  }
  return std::nullopt;
}

BrowserLoad load_in_chromium(const std::string& chromium, const std::string& html_path,
                             const std::string& screenshot_path) {
  BrowserLoad load;
  std::string pattern = (fs::temp_directory_path() / "tb_chromium_XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    load.log = "mkdtemp " + pattern + " failed: " + std::strerror(errno);
    return load;
  }
  const fs::path dir = pattern;
  const fs::path out = dir / "stdout.html", err = dir / "stderr.log";

  std::vector<std::string> args = {chromium,
                                   "--headless",
                                   "--disable-gpu",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-extensions",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + (dir / "profile").string(),
                                   "--enable-logging=stderr",
                                   "--v=0",
                                   "--window-size=1200,3000",
                                   "--dump-dom"};
  if (geteuid() == 0) args.push_back("--no-sandbox");  // Chromium refuses to run as root with its sandbox
  if (!screenshot_path.empty()) {
    std::error_code ec;
    fs::remove(screenshot_path, ec);  // so that a stale file cannot pass for this run's screenshot
    args.push_back("--screenshot=" + fs::absolute(screenshot_path).string());
  }
  args.push_back(file_url(html_path));

  const Spawned run = spawn_and_wait(args, out, err);
  load.dom = read_file(out);
  load.log = read_file(err);
  if (!run.problem.empty()) load.log += "\n[load_in_chromium] " + run.problem;

  std::istringstream lines(load.log);
  for (std::string line; std::getline(lines, line);) {
    if (is_console_error(line)) load.console_errors.push_back(line);
  }
  std::error_code ec;
  const bool screenshot_ok = screenshot_path.empty() || (fs::exists(screenshot_path, ec) &&
                                                          fs::file_size(screenshot_path, ec) > 0);
  if (!screenshot_ok) load.log += "\n[load_in_chromium] no screenshot was written to " + screenshot_path;
  load.loaded = run.exited_zero && load.dom.find("<html") != std::string::npos && screenshot_ok;
  fs::remove_all(dir, ec);
  return load;
}

}  // namespace tbtest
