// Step composition on a hand-made decomposition with hand-computed times:
// the overlap rule of src/model/step_time.h.
#include <gtest/gtest.h>

#include "model/step_time.h"

namespace tb {
namespace {

StepItem item(const char* kernel, const char* phase, std::int64_t count) {
  StepItem i;
  i.kernel = kernel;
  i.phase = phase;
  i.problem = std::string(kernel) + "/" + phase;
  i.count = count;
  return i;
}

// gemm: 2 fwd, 2 bwd-data, 2 bwd-weight at 1 ms; attention fwd 2 ms, bwd 5 ms;
// 4 tp all-reduces at 0.5 ms; one dp all-reduce of 10 ms.
// compute 13 ms (backward 9 ms), tp 2 ms, dp 10 ms.
StepDecomposition hand_made(std::vector<double>& seconds) {
  StepDecomposition d;
  d.items = {item("gemm", "fwd", 2),        item("gemm", "bwd-data", 2),    item("gemm", "bwd-weight", 2),
             item("attention", "fwd", 1),   item("attention", "bwd", 1),     item("allreduce", "tp-comm", 4),
             item("allreduce", "dp-comm", 1)};
  seconds = {1e-3, 1e-3, 1e-3, 2e-3, 5e-3, 0.5e-3, 10e-3};
  return d;
}

TEST(StepTimeTest, GradientAllReduceHidesBehindTheBackward) {
  std::vector<double> seconds;
  const StepDecomposition d = hand_made(seconds);
  const Expected<StepTime> t = compose_step(d, seconds, StepTimeOptions{});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_NEAR(t->compute_s, 13e-3, 1e-15);
  EXPECT_NEAR(t->backward_compute_s, 9e-3, 1e-15);
  EXPECT_NEAR(t->tp_comm_s, 2e-3, 1e-15);
  EXPECT_NEAR(t->dp_comm_s, 10e-3, 1e-15);
  EXPECT_NEAR(t->dp_exposed_s, 1e-3, 1e-15);  // 10 - 9
  EXPECT_NEAR(t->step_s, 16e-3, 1e-15);
  ASSERT_EQ(t->shares.size(), 4u);
  EXPECT_NEAR(t->shares[0].second, 6.0 / 16.0, 1e-12);   // gemm
  EXPECT_NEAR(t->shares[1].second, 7.0 / 16.0, 1e-12);   // attention
  EXPECT_NEAR(t->shares[2].second, 2.0 / 16.0, 1e-12);   // tp
  EXPECT_NEAR(t->shares[3].second, 1.0 / 16.0, 1e-12);   // dp exposed
}

TEST(StepTimeTest, WithoutOverlapTheWholeAllReduceIsExposed) {
  std::vector<double> seconds;
  const StepDecomposition d = hand_made(seconds);
  const Expected<StepTime> t = compose_step(d, seconds, StepTimeOptions{false});
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t->dp_exposed_s, 10e-3, 1e-15);
  EXPECT_NEAR(t->step_s, 25e-3, 1e-15);
}

TEST(StepTimeTest, ABackwardLongerThanTheAllReduceHidesItCompletely) {
  std::vector<double> seconds;
  const StepDecomposition d = hand_made(seconds);
  seconds[6] = 4e-3;
  const Expected<StepTime> t = compose_step(d, seconds, StepTimeOptions{});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->dp_exposed_s, 0.0);
  EXPECT_NEAR(t->step_s, 15e-3, 1e-15);
}

TEST(StepTimeTest, BadTimesAreBadInputNamingTheProblem) {
  std::vector<double> seconds;
  const StepDecomposition d = hand_made(seconds);
  std::vector<double> wrong_size(seconds.begin(), seconds.end() - 1);
  EXPECT_FALSE(compose_step(d, wrong_size, StepTimeOptions{}).ok());
  seconds[3] = 0.0;
  const Expected<StepTime> t = compose_step(d, seconds, StepTimeOptions{});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, ErrorCode::kBadInput);
  EXPECT_NE(t.error().message.find("attention/fwd"), std::string::npos) << t.error().message;
}

}  // namespace
}  // namespace tb
