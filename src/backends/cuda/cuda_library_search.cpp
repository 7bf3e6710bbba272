#include "backends/cuda/cuda_library_search.h"

#include <cstdlib>

namespace tb::cuda {
namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

std::vector<LibraryCandidate> cuda_library_search_order(const std::vector<std::string>& names,
                                                        const std::string& env_dir, const std::string& cuda_home) {
  std::vector<LibraryCandidate> candidates;
  const auto add = [&](const std::string& dir, const std::string& source) {
    for (LibraryCandidate& c : candidates_in({dir}, names, source)) candidates.push_back(std::move(c));
  };
  if (!env_dir.empty()) {
    add(env_dir, kCudaLibDirEnvVar);
    return candidates;
  }
  add("", "loader search path");
  if (!cuda_home.empty()) {
    add(cuda_home + "/lib64", "CUDA_HOME");
    add(cuda_home + "/lib", "CUDA_HOME");
  }
  add("/usr/local/cuda/lib64", "default install");
  add("/usr/local/cuda/lib", "default install");
  return candidates;
}

std::vector<LibraryCandidate> cuda_library_candidates(const std::vector<std::string>& names) {
  return cuda_library_search_order(names, env_or_empty(kCudaLibDirEnvVar), env_or_empty("CUDA_HOME"));
}

std::string cuda_library_hint(const std::string& what, const std::string& file) {
  if (!env_or_empty(kCudaLibDirEnvVar).empty()) {
    return std::string(kCudaLibDirEnvVar) + " is set, so nothing else was searched";
  }
  return "install " + what + " or set " + kCudaLibDirEnvVar + " to the directory holding " + file;
}

}  // namespace tb::cuda
