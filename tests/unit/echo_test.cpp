// Echoed user input (src/common/echo.h): control characters escaped, long
// values shortened, valid UTF-8 kept.
#include <gtest/gtest.h>

#include <string>

#include "common/echo.h"

namespace tb {
namespace {

using namespace std::string_literals;

TEST(EchoTest, PrintableTextAndUtf8PassUnchanged) {
  EXPECT_EQ(escape_control("gemm:m=1,n=2 k\\x"), "gemm:m=1,n=2 k\\x");
  EXPECT_EQ(escape_control("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(escape_control(""), "");
}

TEST(EchoTest, ControlCharactersAndEscapeSequencesAreEscaped) {
  EXPECT_EQ(escape_control("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(escape_control("m=12\0zz"s), "m=12\\0zz") << "a NUL no longer cuts the message short";
  EXPECT_EQ(escape_control("1\x1B[31mRED\x1B[0m"), "1\\x1B[31mRED\\x1B[0m");
  EXPECT_EQ(escape_control("\x07\x7F"), "\\x07\\x7F");
  EXPECT_EQ(escape_control("\xC2\x9B" "2J"), "\\xC2\\x9B2J") << "C1 controls (here CSI) are escaped";
}

TEST(EchoTest, InvalidUtf8IsEscapedPerByte) {
  EXPECT_EQ(escape_control("\xFF\xFE"), "\\xFF\\xFE");
  EXPECT_EQ(escape_control("\x80" "a"), "\\x80a");                  // stray continuation byte
  EXPECT_EQ(escape_control("\xC3"), "\\xC3");                       // truncated sequence
  EXPECT_EQ(escape_control("\xC0\xAF"), "\\xC0\\xAF");              // overlong
  EXPECT_EQ(escape_control("\xED\xA0\x80"), "\\xED\\xA0\\x80");     // surrogate
}

TEST(EchoTest, LongValuesAreShortenedWithTheirSize) {
  EXPECT_EQ(echo_value(std::string(kMaxEchoBytes, 'x')), std::string(kMaxEchoBytes, 'x'));
  EXPECT_EQ(echo_value(std::string(100000, 'x')), std::string(kMaxEchoBytes, 'x') + "... (100000 bytes)");
  // The cut never splits a UTF-8 character: the euro sign straddling byte 64 is left out whole.
  const std::string straddling = std::string(kMaxEchoBytes - 1, 'a') + "\xE2\x82\xAC" + "tail";
  EXPECT_EQ(echo_value(straddling), std::string(kMaxEchoBytes - 1, 'a') + "... (" +
                                        std::to_string(straddling.size()) + " bytes)");
  EXPECT_EQ(echo_value("\x1B[2J"), "\\x1B[2J");
}

}  // namespace
}  // namespace tb
