#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace tb::cli {

Progress::Progress(std::size_t total)
    : enabled_(isatty(STDERR_FILENO) == 1 && total > 1), total_(total), begin_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { clear(); }

void Progress::start(std::size_t index, const std::string& problem) {
  if (!enabled_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin_).count();
  char eta[48] = "ETA --";
  if (index > 0) {
    std::snprintf(eta, sizeof eta, "ETA %.0f s", elapsed / static_cast<double>(index) * static_cast<double>(total_ - index));
  }
  std::fprintf(stderr, "\r\033[K[%zu/%zu] %.0f s elapsed, %s: %s", index + 1, total_, elapsed, eta, problem.c_str());
  std::fflush(stderr);
}

void Progress::clear() {
  if (!enabled_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace tb::cli
