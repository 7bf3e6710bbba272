// Cost figures against values computed by hand (exact rational arithmetic,
// then rounded once): the "USD per 1M tokens to 1e-9 relative".
#include <gtest/gtest.h>

#include <limits>

#include "cost/cost.h"
#include "cost_fixtures.h"

namespace tb {
namespace {

constexpr double kRelative = 1e-9;

// p4d.24xlarge's price after 2025-06-01 (USD/h).
constexpr double kP4dUsdPerHour = 21.957642;

StepFigures p4d_like() { return tbtest::p4d_like_step(kP4dUsdPerHour); }

TEST(CostTest, HandComputedCaseMatchesToOnePartInABillion) {
  const Expected<CostFigures> c = cost_figures(p4d_like());
  ASSERT_TRUE(c.ok()) << c.error().message;
  // tokens/s = 4096 / 5 x 8 = 6553.6; USD per 1M = 21.957642 / 3600 / 6553.6 x 1e6.
  EXPECT_NEAR(c->tokens_per_s_device, 819.2, 819.2 * kRelative);
  EXPECT_NEAR(c->tokens_per_s_instance, 6553.6, 6553.6 * kRelative);
  EXPECT_NEAR(c->usd_per_million_tokens, 0.9306861877441406, 0.9306861877441406 * kRelative);
  EXPECT_NEAR(c->usd_per_pflop_hour, 69.5406865064115, 69.5406865064115 * kRelative);
  EXPECT_NEAR(c->mfu, 0.12650338461538463, 0.12650338461538463 * kRelative);
}

TEST(CostTest, TrainingBudgetForOneTrillionTokens) {
  const Expected<CostFigures> c = cost_figures(p4d_like());
  ASSERT_TRUE(c.ok());
  const Expected<TrainingBudget> b = training_budget(*c, 21.957642, 1e12);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_NEAR(b->hours, 42385.52517361111, 42385.52517361111 * kRelative);
  EXPECT_NEAR(b->usd, 930686.1877441406, 930686.1877441406 * kRelative);
}

TEST(CostTest, UnknownPeakLeavesMfuUnknown) {
  StepFigures s = p4d_like();
  s.peak_flop_per_s = 0.0;
  const Expected<CostFigures> c = cost_figures(s);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->mfu, -1.0);
  EXPECT_GT(c->usd_per_million_tokens, 0.0);
}

TEST(CostTest, ZeroPriceIsUnpricedKeepingTokensPerSecondAndMfu) {
  StepFigures s = p4d_like();
  s.usd_per_hour = 0.0;
  const Expected<CostFigures> c = cost_figures(s);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_NEAR(c->tokens_per_s_device, 819.2, 819.2 * kRelative);
  EXPECT_NEAR(c->tokens_per_s_instance, 6553.6, 6553.6 * kRelative);
  EXPECT_NEAR(c->mfu, 0.12650338461538463, 0.12650338461538463 * kRelative);
  EXPECT_EQ(c->usd_per_million_tokens, 0.0);
  EXPECT_EQ(c->usd_per_pflop_hour, 0.0);
}

TEST(CostTest, NonPositiveOrNonFiniteInputsAreBadInputNamingTheField) {
  struct Case {
    void (*spoil)(StepFigures&);
    const char* field;
  };
  const Case cases[] = {
      {[](StepFigures& s) { s.step_time_s = 0.0; }, "step time"},
      {[](StepFigures& s) { s.tokens_per_step = -1.0; }, "tokens per step"},
      {[](StepFigures& s) { s.flop_per_token = std::numeric_limits<double>::quiet_NaN(); }, "FLOP per token"},
      {[](StepFigures& s) { s.devices_per_instance = 0; }, "devices per instance"},
      {[](StepFigures& s) { s.usd_per_hour = -0.5; }, "price"},
      {[](StepFigures& s) { s.usd_per_hour = std::numeric_limits<double>::infinity(); }, "price"},
      {[](StepFigures& s) { s.peak_flop_per_s = -1.0; }, "peak FLOP/s"},
  };
  for (const Case& c : cases) {
    StepFigures s = p4d_like();
    c.spoil(s);
    const Expected<CostFigures> r = cost_figures(s);
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().message.find(c.field), std::string::npos) << r.error().message;
  }
  const Expected<CostFigures> ok = cost_figures(p4d_like());
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(training_budget(*ok, 21.957642, 0.0).ok());
  EXPECT_FALSE(training_budget(*ok, 0.0, 1e12).ok());
}

}  // namespace
}  // namespace tb
