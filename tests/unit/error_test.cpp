// Errors as values: exit statuses and the propagation macros.
#include <gtest/gtest.h>

#include <string>

#include "common/error.h"

namespace tb {
namespace {

TEST(ErrorTest, ExitStatusIsTwoForUserAndEnvironmentErrorsAndOneForRunFailures) {
  EXPECT_EQ(exit_status(ErrorCode::kBadInput), 2);
  EXPECT_EQ(exit_status(ErrorCode::kUnavailable), 2);
  EXPECT_EQ(exit_status(ErrorCode::kIo), 2);
  EXPECT_EQ(exit_status(ErrorCode::kRunFailure), 1);
}

TEST(ErrorTest, HelpersSetCodeAndMessage) {
  EXPECT_EQ(bad_input("x").code, ErrorCode::kBadInput);
  EXPECT_EQ(unavailable("x").code, ErrorCode::kUnavailable);
  EXPECT_EQ(io_error("x").code, ErrorCode::kIo);
  EXPECT_EQ(run_failure("why").code, ErrorCode::kRunFailure);
  EXPECT_EQ(run_failure("why").message, "why");
}

Expected<int> half(int x) {
  if (x % 2 != 0) return bad_input("odd: " + std::to_string(x));
  return x / 2;
}

Expected<int> quarter(int x) {
  TB_ASSIGN_OR_RETURN(const int h, half(x));
  TB_ASSIGN_OR_RETURN(const int q, half(h));
  return q;
}

Status check_even(int x) {
  TB_RETURN_IF_ERROR(half(x));
  return {};
}

TEST(ErrorTest, AssignOrReturnPropagatesTheFirstError) {
  const Expected<int> ok = quarter(12);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);

  const Expected<int> bad = quarter(6);  // 6 -> 3 -> error on 3
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
  EXPECT_EQ(bad.error().message, "odd: 3");
}

TEST(ErrorTest, ReturnIfErrorPropagatesIntoStatus) {
  EXPECT_TRUE(check_even(4).ok());
  const Status s = check_even(5);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "odd: 5");
}

}  // namespace
}  // namespace tb
