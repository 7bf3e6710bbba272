// Where a run's JSON result file goes: shared by run and run --backend projected.
#pragma once

#include <cctype>
#include <string>

#include "runner/result.h"

namespace tb::cli {

// <dir>/<UTC time>_<backend>_<host>, without the .json extension
// (create_result_file adds it, or -2.json, -3.json ... when taken).
inline std::string result_stem(const std::string& dir, const RunContext& c) {
  std::string stamp = c.timestamp_utc;
  std::erase(stamp, ':');
  std::erase(stamp, '-');
  std::string host = c.host_name.empty() ? "host" : c.host_name;
  for (char& ch : host) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') ch = '_';
  }
  return dir + "/" + stamp + "_" + c.backend + "_" + host;
}

}  // namespace tb::cli
