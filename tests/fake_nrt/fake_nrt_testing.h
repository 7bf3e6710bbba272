// Helpers for tests that run against the fake Neuron runtime: an environment
// variable set for one scope, the fake's counters, and a fake NEFF written
// for a problem. Header-only (tests link no extra library).
// FAKE_NRT_PATH / FAKE_NRT_MISSING_PATH are compile definitions of the test
// program (tests/unit/CMakeLists.txt).
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>
#include <utility>

#include "fake_nrt/fake_nrt.h"
#include "kernels/problem.h"

namespace fakenrt {

// Sets (or, with nullopt, unsets) an environment variable and restores its
// previous state when the scope ends. Not thread-safe, like setenv.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = getenv(name_.c_str()); old != nullptr) old_ = old;
    if (value) {
      setenv(name_.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// The fake's environment cleared for one scope, so that a variable exported
// by whoever runs the tests cannot change their outcome.
struct CleanFakeEnv {
  ScopedEnv fail{"FAKE_NRT_FAIL", std::nullopt};
  ScopedEnv noop{"FAKE_NRT_NOOP", std::nullopt};
  ScopedEnv strict{"FAKE_NRT_STRICT", std::nullopt};
  ScopedEnv nc_count{"FAKE_NRT_NC_COUNT", std::nullopt};
};

// The fake's counters. Holds its own reference to the library `path`, so the
// fake's state survives while the probe lives even if the code under test
// closes its handle.
class StatsProbe {
 public:
  explicit StatsProbe(const std::string& path) : handle_(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ == nullptr) {
      ADD_FAILURE() << "dlopen " << path << ": " << dlerror();
      return;
    }
    get_ = reinterpret_cast<FakeNrtStatsFn>(dlsym(handle_, kStatsSymbol));
    if (get_ == nullptr) ADD_FAILURE() << path << " has no " << kStatsSymbol;
  }
  ~StatsProbe() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  StatsProbe(const StatsProbe&) = delete;
  StatsProbe& operator=(const StatsProbe&) = delete;

  FakeNrtStats stats() const {
    FakeNrtStats s;
    if (get_ != nullptr) get_(&s);
    return s;
  }

  // Records a test failure for every live object, leak at close or misuse.
  void expect_clean(const std::string& context) const {
    const FakeNrtStats s = stats();
    EXPECT_EQ(s.models, 0) << context << ": models alive";
    EXPECT_EQ(s.tensors, 0) << context << ": tensors alive";
    EXPECT_EQ(s.tensor_sets, 0) << context << ": tensor sets alive";
    EXPECT_EQ(s.tensor_infos, 0) << context << ": tensor infos alive";
    EXPECT_EQ(s.leaked_at_close, 0) << context << ": objects alive at nrt_close";
    EXPECT_EQ(s.misuse, 0) << context << ": calls with bad handles or outside nrt_init/nrt_close";
    EXPECT_FALSE(s.initialized) << context << ": nrt_close not called";
  }

 private:
  void* handle_ = nullptr;
  FakeNrtStatsFn get_ = nullptr;
};

// The fake NEFF for `problem`: its canonical string and its tensors in
// input_specs() / output_specs() order.
inline FakeNeff fake_neff_for(const tb::Problem& problem) {
  FakeNeff neff;
  neff.kernel = problem.to_string();
  for (const bool input : {true, false}) {
    for (const tb::TensorSpec& spec : input ? problem.input_specs() : problem.output_specs()) {
      neff.tensors.push_back({input, spec.name, std::string(tb::dtype_name(spec.dtype)), spec.shape});
    }
  }
  return neff;
}

}  // namespace fakenrt
