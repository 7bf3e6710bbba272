// --backend auto: the first available of cuda, neuron, cpu (backends/backend_registry.h),
// with backends whose availability the test controls.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "backends/backend_registry.h"

namespace tb {
namespace {

class StubBackend final : public Backend {
 public:
  explicit StubBackend(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  Status available() const override { return {}; }
  DeviceInfo device_info() const override { return {}; }
  Support supports(const Problem&) const override { return {false, "stub"}; }
  std::int64_t device_bytes(const Problem&) const override { return 0; }
  Expected<std::unique_ptr<Workload>> prepare(const ProblemPtr&, const std::vector<HostTensor>&) override {
    return unavailable("stub");
  }

 private:
  std::string name_;
};

// A factory whose backends are available exactly where `why_not` has no entry.
BackendFactory controlled(const std::map<std::string, std::string>& why_not, std::vector<std::string>* tried) {
  return [why_not, tried](const std::string& name) -> Expected<std::unique_ptr<Backend>> {
    tried->push_back(name);
    if (auto it = why_not.find(name); it != why_not.end()) return unavailable(it->second);
    return std::unique_ptr<Backend>(std::make_unique<StubBackend>(name));
  };
}

TEST(BackendChoice, TheOrderIsGpuThenNeuronThenCpu) {
  EXPECT_EQ(auto_backend_order(), (std::vector<std::string>{"cuda", "neuron", "cpu"}));
}

TEST(BackendChoice, AVisibleGpuIsChosenAndTheOthersAreNotTried) {
  std::vector<std::string> tried;
  AutoChoice choice;
  const auto backend = choose_backend(auto_backend_order(), controlled({}, &tried), choice);
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ((*backend)->name(), "cuda");
  EXPECT_EQ(tried, (std::vector<std::string>{"cuda"}));
  ASSERT_EQ(choice.passed_over.size(), 2u);
  EXPECT_EQ(choice.describe(), "auto: chose cuda\n  not neuron: not tried: cuda comes first\n  not cpu: not tried: cuda comes first");
}

TEST(BackendChoice, WithoutAGpuANeuronDeviceIsChosenAndTheGpusReasonIsGiven) {
  std::vector<std::string> tried;
  AutoChoice choice;
  const auto backend = choose_backend(auto_backend_order(), controlled({{"cuda", "no CUDA device"}}, &tried), choice);
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ((*backend)->name(), "neuron");
  EXPECT_EQ(choice.chosen, "neuron");
  EXPECT_NE(choice.describe().find("not cuda: no CUDA device"), std::string::npos) << choice.describe();
}

TEST(BackendChoice, WithNeitherTheCpuIsChosenNamingBothReasons) {
  std::vector<std::string> tried;
  AutoChoice choice;
  const auto backend = choose_backend(
      auto_backend_order(), controlled({{"cuda", "no CUDA device"}, {"neuron", "libnrt.so.1 not found"}}, &tried), choice);
  ASSERT_TRUE(backend.ok());
  EXPECT_EQ((*backend)->name(), "cpu");
  EXPECT_EQ(tried, auto_backend_order());
  EXPECT_EQ(choice.describe(), "auto: chose cpu\n  not cuda: no CUDA device\n  not neuron: libnrt.so.1 not found");
}

TEST(BackendChoice, NoneAvailableIsUnavailableWithEveryReason) {
  std::vector<std::string> tried;
  AutoChoice choice;
  const auto backend = choose_backend({"cuda", "cpu"}, controlled({{"cuda", "no GPU"}, {"cpu", "no CPU?"}}, &tried), choice);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(backend.error().message.find("not cuda: no GPU"), std::string::npos) << backend.error().message;
  EXPECT_NE(backend.error().message.find("not cpu: no CPU?"), std::string::npos) << backend.error().message;
}

TEST(BackendChoice, AutoThroughTheRegistryPicksAnAvailableBackendHere) {
  AutoChoice choice;
  const auto backend = create_backend("auto", BackendOptions{}, &choice);
  ASSERT_TRUE(backend.ok()) << backend.error().message;
  EXPECT_EQ((*backend)->name(), choice.chosen);
  EXPECT_TRUE((*backend)->available().ok());
}

}  // namespace
}  // namespace tb
