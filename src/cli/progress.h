// A one-line progress display with ETA on stderr, shown only when stderr is a
// terminal (never in logs or CI output).
#pragma once

#include <chrono>
#include <string>

namespace tb::cli {

class Progress {
 public:
  explicit Progress(std::size_t total);
  ~Progress();
  // Announces problem `index` (0-based) before it runs.
  void start(std::size_t index, const std::string& problem);
  // Clears the line (before other output is printed).
  void clear();

 private:
  bool enabled_;
  std::size_t total_;
  std::chrono::steady_clock::time_point begin_;
};

}  // namespace tb::cli
