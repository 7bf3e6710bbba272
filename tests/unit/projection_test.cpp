// The projection model on hand-computed cases: compute-bound, memory-bound,
// launch overhead, the all-reduce bus factor, and bad input.
#include <gtest/gtest.h>

#include "cost/projection.h"

namespace tb {
namespace {

// An H100-like device: 989e12 FLOP/s bf16, 3.35e12 B/s, 70% / 80% efficient, 5 us per launch.
Roofline h100_like() {
  Roofline d;
  d.peak_flop_per_s = 989e12;
  d.memory_bytes_per_s = 3.35e12;
  d.compute_efficiency = 0.7;
  d.memory_efficiency = 0.8;
  d.launch_overhead_s = 5e-6;
  return d;
}

TEST(ProjectionTest, LargeGemmIsComputeBound) {
  // 8192^3 bf16 GEMM: 2 x 8192^3 FLOP, 3 x 8192^2 x 2 B.
  const double flop = 2.0 * 8192.0 * 8192.0 * 8192.0, bytes = 3.0 * 8192.0 * 8192.0 * 2.0;
  const Expected<double> t = projected_kernel_time_s(flop, bytes, h100_like());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_DOUBLE_EQ(*t, flop / (989e12 * 0.7) + 5e-6);
}

TEST(ProjectionTest, SkinnyKernelIsMemoryBound) {
  const double flop = 1e9, bytes = 4e9;  // 0.25 FLOP per byte
  const Expected<double> t = projected_kernel_time_s(flop, bytes, h100_like());
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(*t, bytes / (3.35e12 * 0.8) + 5e-6);
}

TEST(ProjectionTest, EmptyKernelCostsTheLaunchOverhead) {
  const Expected<double> t = projected_kernel_time_s(0.0, 0.0, h100_like());
  ASSERT_TRUE(t.ok());
  EXPECT_DOUBLE_EQ(*t, 5e-6);
}

TEST(ProjectionTest, AllreduceUsesTheRingBusFactor) {
  LinkModel link;
  link.alpha_s = 20e-6;
  link.bandwidth_bytes_per_s = 100e9;
  link.efficiency = 0.5;
  // 8 ranks, 1 GB: 20 us + 1e9 x 14/8 / 50e9 = 35.02 ms.
  const Expected<double> t = projected_allreduce_time_s(1e9, 8, link);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_NEAR(*t, 20e-6 + 1e9 * 1.75 / 50e9, 1e-15);
  const Expected<double> one = projected_allreduce_time_s(1e9, 1, link);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 0.0);
}

TEST(ProjectionTest, ErrorIsRelativeToTheMeasurement) {
  EXPECT_DOUBLE_EQ(projection_error(1.25, 1.0), 0.25);
  EXPECT_DOUBLE_EQ(projection_error(0.8, 1.0), -0.2);
}

TEST(ProjectionTest, OutOfRangeFieldsAreBadInputNamingThem) {
  struct Case {
    void (*spoil)(Roofline&);
    const char* field;
  };
  const Case cases[] = {
      {[](Roofline& d) { d.peak_flop_per_s = 0.0; }, "peak FLOP/s"},
      {[](Roofline& d) { d.memory_bytes_per_s = -1.0; }, "memory bandwidth"},
      {[](Roofline& d) { d.compute_efficiency = 1.5; }, "compute efficiency"},
      {[](Roofline& d) { d.memory_efficiency = 0.0; }, "memory efficiency"},
      {[](Roofline& d) { d.launch_overhead_s = -1e-6; }, "launch overhead"},
  };
  for (const Case& c : cases) {
    Roofline d = h100_like();
    c.spoil(d);
    const Expected<double> t = projected_kernel_time_s(1e9, 1e9, d);
    ASSERT_FALSE(t.ok()) << c.field;
    EXPECT_EQ(t.error().code, ErrorCode::kBadInput);
    EXPECT_NE(t.error().message.find(c.field), std::string::npos) << t.error().message;
  }
  EXPECT_FALSE(projected_kernel_time_s(-1.0, 0.0, h100_like()).ok());
  LinkModel link;
  link.bandwidth_bytes_per_s = 0.0;
  EXPECT_FALSE(projected_allreduce_time_s(1e6, 2, link).ok());
  link.bandwidth_bytes_per_s = 1e9;
  EXPECT_FALSE(projected_allreduce_time_s(1e6, 0, link).ok());
}

}  // namespace
}  // namespace tb
