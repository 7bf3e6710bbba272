// Loading an HTML file in headless Chromium (Debian package `chromium`,
// installed by scripts/install-deps.sh --test) for the report tests.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tbtest {

// The Chromium executable: $TRAINBENCH_CHROMIUM, else chromium or chromium-browser on PATH; nullopt when none.
std::optional<std::string> find_chromium();

struct BrowserLoad {
  bool loaded = false;                       // Chromium ran and printed the document
  std::string dom;                           // the serialized DOM after load (--dump-dom)
  std::vector<std::string> console_errors;   // console errors, CSP violations, failed loads
  std::string log;                           // Chromium's stderr, for failure messages
};

// Loads `html_path` in a fresh headless Chromium profile (no network, no
// sandbox when root), and, when `screenshot_path` is not empty, writes a PNG
// screenshot of the page there.
BrowserLoad load_in_chromium(const std::string& chromium, const std::string& html_path,
                             const std::string& screenshot_path = "");

}  // namespace tbtest
