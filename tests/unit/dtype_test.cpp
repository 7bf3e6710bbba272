// bf16 / fp16 / fp8 e4m3 conversions (round to nearest, ties to even), dtype names and sizes.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <vector>

#include "common/dtype.h"

namespace tb {
namespace {

float from_bits(std::uint32_t bits) { return std::bit_cast<float>(bits); }

// ---- Hand-picked bit patterns ------------------------------------------------

TEST(Bf16Test, ExactValuesAreKept) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(float_to_bf16(0.0f), 0x0000);
  EXPECT_EQ(float_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_bf16(from_bits(0x3F810000)), 0x3F81);
}

TEST(Bf16Test, RoundsToNearestTiesToEven) {
  // Ties: exactly half a bf16 ulp above a bf16 value.
  EXPECT_EQ(float_to_bf16(from_bits(0x3F808000)), 0x3F80);  // even neighbour below
  EXPECT_EQ(float_to_bf16(from_bits(0x3F818000)), 0x3F82);  // even neighbour above
  EXPECT_EQ(float_to_bf16(from_bits(0xBF808000)), 0xBF80);  // negative tie
  EXPECT_EQ(float_to_bf16(from_bits(0xBF818000)), 0xBF82);
  // Not ties.
  EXPECT_EQ(float_to_bf16(from_bits(0x3F808001)), 0x3F81);  // just above half
  EXPECT_EQ(float_to_bf16(from_bits(0x3F807FFF)), 0x3F80);  // just below half
  EXPECT_EQ(float_to_bf16(from_bits(0x3F81FFFF)), 0x3F82);
  // Rounding carries into the exponent: 1.9999999 -> 2.0.
  EXPECT_EQ(float_to_bf16(from_bits(0x3FFFFFFF)), 0x4000);
}

TEST(Bf16Test, OverflowAndInfinity) {
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds up to inf
  EXPECT_EQ(float_to_bf16(from_bits(0x7F7F7FFF)), 0x7F7F);              // largest finite bf16
  EXPECT_EQ(float_to_bf16(from_bits(0x7F7F8000)), 0x7F80);              // tie, odd below: up to inf
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
}

TEST(Bf16Test, Subnormals) {
  EXPECT_EQ(float_to_bf16(from_bits(0x00010000)), 0x0001);  // smallest bf16 subnormal
  EXPECT_EQ(float_to_bf16(from_bits(0x00008000)), 0x0000);  // tie with zero: to even (zero)
  EXPECT_EQ(float_to_bf16(from_bits(0x00018000)), 0x0002);  // tie between 1 and 2: to 2
  EXPECT_EQ(float_to_bf16(from_bits(0x00000001)), 0x0000);  // far below half a unit
  EXPECT_EQ(float_to_bf16(from_bits(0x80008001)), 0x8001);
  EXPECT_EQ(bf16_to_float(0x0001), from_bits(0x00010000));
}

TEST(Bf16Test, NanStaysNan) {
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload lives only in the low 16 bits: plain truncation would make it infinity.
  const std::uint16_t low_payload = float_to_bf16(from_bits(0x7F800001));
  EXPECT_TRUE(std::isnan(bf16_to_float(low_payload))) << std::hex << low_payload;
  const std::uint16_t negative = float_to_bf16(from_bits(0xFF800001));
  EXPECT_TRUE(std::isnan(bf16_to_float(negative))) << std::hex << negative;
  // A NaN whose mantissa would round up into the sign bit must not become zero or inf.
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(from_bits(0x7FFFFFFF)))));
}

TEST(Bf16Test, ToFloatOfHandPickedPatterns) {
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_float(0xC040), -3.0f);
  EXPECT_EQ(bf16_to_float(0x3EAB), 0.333984375f);
  EXPECT_EQ(bf16_to_float(0x7F7F), from_bits(0x7F7F0000));
  EXPECT_TRUE(std::isinf(bf16_to_float(0xFF80)));
  EXPECT_LT(bf16_to_float(0xFF80), 0.0f);
}

TEST(Fp16Test, ExactValuesAreKept) {
  EXPECT_EQ(float_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(float_to_fp16(-2.0f), 0xC000);
  EXPECT_EQ(float_to_fp16(0.5f), 0x3800);
  EXPECT_EQ(float_to_fp16(0.0f), 0x0000);
  EXPECT_EQ(float_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(float_to_fp16(65504.0f), 0x7BFF);  // largest finite fp16
}

TEST(Fp16Test, RoundsToNearestTiesToEven) {
  // An fp16 ulp at 1.0 is 2^-10; ties are odd multiples of 2^-11.
  EXPECT_EQ(float_to_fp16(1.0f + 0x1p-11f), 0x3C00);         // tie: even below
  EXPECT_EQ(float_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);     // tie: even above
  EXPECT_EQ(float_to_fp16(-(1.0f + 3 * 0x1p-11f)), 0xBC02);  // negative tie
  EXPECT_EQ(float_to_fp16(1.0f + 0x1p-11f + 0x1p-23f), 0x3C01);
  EXPECT_EQ(float_to_fp16(1.0f + 0x1p-11f - 0x1p-23f), 0x3C00);
  // Rounding carries into the exponent: 2 - 2^-12 -> 2.0.
  EXPECT_EQ(float_to_fp16(2.0f - 0x1p-12f), 0x4000);
  EXPECT_EQ(float_to_fp16(0.1f), 0x2E66);
}

TEST(Fp16Test, OverflowToInfinityFrom65520) {
  EXPECT_EQ(float_to_fp16(std::nextafter(65520.0f, 0.0f)), 0x7BFF);
  EXPECT_EQ(float_to_fp16(65520.0f), 0x7C00);  // the tie between 65504 and 65536 goes to inf
  EXPECT_EQ(float_to_fp16(-65520.0f), 0xFC00);
  EXPECT_EQ(float_to_fp16(1e6f), 0x7C00);
  EXPECT_EQ(float_to_fp16(std::numeric_limits<float>::max()), 0x7C00);
  EXPECT_EQ(float_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(float_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00);
}

TEST(Fp16Test, Subnormals) {
  EXPECT_EQ(float_to_fp16(0x1p-24f), 0x0001);                  // smallest subnormal
  EXPECT_EQ(float_to_fp16(-0x1p-24f), 0x8001);
  EXPECT_EQ(float_to_fp16(0x1p-25f), 0x0000);                  // tie with zero: to zero
  EXPECT_EQ(float_to_fp16(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
  EXPECT_EQ(float_to_fp16(3 * 0x1p-25f), 0x0002);              // 1.5 units: to 2
  EXPECT_EQ(float_to_fp16(5 * 0x1p-25f), 0x0002);              // 2.5 units: to 2
  EXPECT_EQ(float_to_fp16(1023 * 0x1p-24f), 0x03FF);           // largest subnormal
  EXPECT_EQ(float_to_fp16(1023.5f * 0x1p-24f), 0x0400);        // tie: up to the smallest normal
  EXPECT_EQ(float_to_fp16(0x1p-14f), 0x0400);                  // smallest normal
  EXPECT_EQ(float_to_fp16(0x1p-30f), 0x0000);                  // underflows to zero
  EXPECT_EQ(float_to_fp16(-0x1p-30f), 0x8000);                 // keeps the sign
  EXPECT_EQ(fp16_to_float(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_float(0x03FF), 1023 * 0x1p-24f);
  EXPECT_EQ(fp16_to_float(0x8200), -512 * 0x1p-24f);
}

TEST(Fp16Test, NanStaysNan) {
  EXPECT_TRUE(std::isnan(fp16_to_float(float_to_fp16(std::numeric_limits<float>::quiet_NaN()))));
  // Payload only in bits that fp16 drops: truncation would make it infinity.
  const std::uint16_t low_payload = float_to_fp16(from_bits(0x7F800001));
  EXPECT_TRUE(std::isnan(fp16_to_float(low_payload))) << std::hex << low_payload;
  EXPECT_TRUE(std::isnan(fp16_to_float(float_to_fp16(from_bits(0xFFC00000)))));
  EXPECT_TRUE(std::isnan(fp16_to_float(0x7C01)));
  EXPECT_TRUE(std::isnan(fp16_to_float(0xFE00)));
}

TEST(Fp16Test, ToFloatOfHandPickedPatterns) {
  EXPECT_EQ(fp16_to_float(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_float(0xC200), -3.0f);
  EXPECT_EQ(fp16_to_float(0x7BFF), 65504.0f);
  EXPECT_EQ(fp16_to_float(0x3555), 0.333251953125f);
  EXPECT_EQ(fp16_to_float(0x0400), 0x1p-14f);
  EXPECT_TRUE(std::isinf(fp16_to_float(0x7C00)));
  EXPECT_LT(fp16_to_float(0xFC00), 0.0f);
  EXPECT_TRUE(std::signbit(fp16_to_float(0x8000)));
}

// ---- Every representable value survives a round trip through float -----------

template <typename ToFloat, typename FromFloat>
void expect_all_round_trip(ToFloat to_float, FromFloat from_float) {
  int mismatches = 0;
  std::ostringstream first;
  for (std::uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    const float f = to_float(static_cast<std::uint16_t>(bits));
    const std::uint16_t back = from_float(f);
    const bool ok = std::isnan(f) ? std::isnan(to_float(back)) : back == bits;
    if (!ok && mismatches++ == 0) first << std::hex << "0x" << bits << " -> " << f << " -> 0x" << back;
  }
  EXPECT_EQ(mismatches, 0) << "first: " << first.str();
}

TEST(Bf16Test, EveryValueRoundTripsThroughFloat) { expect_all_round_trip(&bf16_to_float, &float_to_bf16); }
TEST(Fp16Test, EveryValueRoundTripsThroughFloat) { expect_all_round_trip(&fp16_to_float, &float_to_fp16); }

// ---- Against an independent round-to-nearest-even in double --------------------

// Value of a non-negative bf16 pattern in double; 0x7F80 counts as 2^128 (the
// next step after the largest finite value, which decides overflow).
double bf16_magnitude(std::uint32_t b) {
  const std::uint32_t e = (b >> 7) & 0xFF;
  const std::uint32_t m = b & 0x7F;
  return e == 0 ? std::ldexp(static_cast<double>(m), -133) : std::ldexp(static_cast<double>(128 + m), static_cast<int>(e) - 134);
}

std::uint16_t reference_bf16(float x) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
  const std::uint32_t sign = (u >> 16) & 0x8000;
  if (std::isinf(x)) return static_cast<std::uint16_t>(sign | 0x7F80);
  const double a = std::fabs(static_cast<double>(x));
  const std::uint32_t lo = (u & 0x7FFFFFFF) >> 16;  // truncation toward zero
  const double dlo = a - bf16_magnitude(lo), dhi = bf16_magnitude(lo + 1) - a;
  const std::uint32_t pick = dlo < dhi ? lo : dhi < dlo ? lo + 1 : (lo % 2 == 0 ? lo : lo + 1);
  return static_cast<std::uint16_t>(sign | pick);
}

// The fp16 value nearest to |x| (ties to even) as a double, inf on overflow.
double reference_fp16_magnitude(float x) {
  const double a = std::fabs(static_cast<double>(x));
  if (a >= 65520.0) return INFINITY;
  if (a == 0.0) return 0.0;
  const int e = std::max(static_cast<int>(std::floor(std::log2(a))), -14);
  const double ulp = std::ldexp(1.0, e - 10);
  return std::nearbyint(a / ulp) * ulp;  // a / ulp is exact; nearbyint rounds ties to even
}

std::vector<std::uint32_t> sample_float_patterns() {
  std::vector<std::uint32_t> v;
  for (std::uint64_t u = 0; u <= 0xFFFFFFFFull; u += 4099) v.push_back(static_cast<std::uint32_t>(u));
  // Dense where the rounding is delicate: around 1.0, the fp16 subnormal boundary,
  // fp16 overflow, tiny subnormals, and bf16 overflow.
  for (std::uint32_t base : {0x3F800000u, 0x387FE000u, 0x477FE000u, 0x00000000u, 0x7F7E0000u, 0x33000000u}) {
    for (std::uint32_t d = 0; d < 0x30000; ++d) {
      v.push_back(base + d);
      v.push_back((base + d) | 0x80000000u);
    }
  }
  return v;
}

TEST(Bf16Test, MatchesIndependentRoundingOnSampledFloats) {
  int mismatches = 0;
  std::ostringstream first;
  for (std::uint32_t u : sample_float_patterns()) {
    const float x = from_bits(u);
    if (std::isnan(x)) continue;
    const std::uint16_t got = float_to_bf16(x), want = reference_bf16(x);
    if (got != want && mismatches++ == 0) first << std::hex << "0x" << u << ": got 0x" << got << ", want 0x" << want;
  }
  EXPECT_EQ(mismatches, 0) << "first: " << first.str();
}

TEST(Fp16Test, MatchesIndependentRoundingOnSampledFloats) {
  int mismatches = 0;
  std::ostringstream first;
  for (std::uint32_t u : sample_float_patterns()) {
    const float x = from_bits(u);
    if (std::isnan(x)) continue;
    const std::uint16_t got = float_to_fp16(x);
    const double want = reference_fp16_magnitude(x);
    const bool ok = std::fabs(static_cast<double>(fp16_to_float(got))) == want &&
                    ((got & 0x8000) != 0) == std::signbit(x);
    if (!ok && mismatches++ == 0) first << std::hex << "0x" << u << ": got 0x" << got << ", want magnitude " << want;
  }
  EXPECT_EQ(mismatches, 0) << "first: " << first.str();
}

#ifdef __FLT16_MANT_DIG__
// The compiler's own float -> _Float16 conversion (IEEE, round to nearest even).
TEST(Fp16Test, MatchesCompilerFloat16Conversion) {
  int mismatches = 0;
  std::ostringstream first;
  for (std::uint32_t u : sample_float_patterns()) {
    const float x = from_bits(u);
    if (std::isnan(x)) continue;
    const auto want = std::bit_cast<std::uint16_t>(static_cast<_Float16>(x));
    const std::uint16_t got = float_to_fp16(x);
    if (got != want && mismatches++ == 0) first << std::hex << "0x" << u << ": got 0x" << got << ", want 0x" << want;
  }
  EXPECT_EQ(mismatches, 0) << "first: " << first.str();
}
#endif

// ---- fp8 e4m3 ("FN": no infinities, NaN = S.1111.111, max 448) ------------------

// The value of an e4m3 code computed from its bit fields in double, independently
// of fp8_e4m3_to_float: (-1)^s * 2^(e-7) * (1 + m/8), subnormals (e = 0) 2^-6 * m/8.
double e4m3_value(unsigned code) {
  const unsigned s = code >> 7, e = (code >> 3) & 0xF, m = code & 0x7;
  const double magnitude = e == 0 ? std::ldexp(m / 8.0, -6) : std::ldexp(1.0 + m / 8.0, static_cast<int>(e) - 7);
  return s ? -magnitude : magnitude;
}

bool is_e4m3_nan(unsigned code) { return (code & 0x7F) == 0x7F; }

TEST(Fp8E4m3Test, EveryCodeDecodesToItsValue) {
  int nans = 0;
  for (unsigned code = 0; code < 256; ++code) {
    const float f = fp8_e4m3_to_float(static_cast<std::uint8_t>(code));
    if (is_e4m3_nan(code)) {
      ++nans;
      EXPECT_TRUE(std::isnan(f)) << std::hex << code;
      continue;
    }
    EXPECT_EQ(static_cast<double>(f), e4m3_value(code)) << std::hex << "0x" << code;
    EXPECT_EQ(std::signbit(f), code >= 0x80) << std::hex << "0x" << code;  // -0 included
  }
  EXPECT_EQ(nans, 2);  // 0x7F and 0xFF only: no infinities
}

TEST(Fp8E4m3Test, HandPickedCodes) {
  EXPECT_EQ(fp8_e4m3_to_float(0x38), 1.0f);
  EXPECT_EQ(fp8_e4m3_to_float(0x7E), 448.0f);   // largest finite
  EXPECT_EQ(fp8_e4m3_to_float(0xFE), -448.0f);
  EXPECT_EQ(fp8_e4m3_to_float(0x08), 0x1p-6f);  // smallest normal
  EXPECT_EQ(fp8_e4m3_to_float(0x01), 0x1p-9f);  // smallest subnormal
  EXPECT_EQ(fp8_e4m3_to_float(0x07), 7 * 0x1p-9f);
  EXPECT_EQ(fp8_e4m3_to_float(0x78), 256.0f);   // S.1111.000 is a finite number, not infinity
  EXPECT_EQ(fp8_e4m3_to_float(0xC4), -3.0f);
}

TEST(Fp8E4m3Test, EveryFiniteCodeRoundTrips) {
  for (unsigned code = 0; code < 256; ++code) {
    if (is_e4m3_nan(code)) continue;
    EXPECT_EQ(float_to_fp8_e4m3(fp8_e4m3_to_float(static_cast<std::uint8_t>(code))), code) << std::hex << "0x" << code;
  }
}

TEST(Fp8E4m3Test, RoundsToNearestTiesToEven) {
  // Near 1 the step is 2^-3: 1.0 is 0x38, 1.125 0x39, 1.25 0x3A.
  EXPECT_EQ(float_to_fp8_e4m3(1.0625f), 0x38);                  // tie: even (1.0) below
  EXPECT_EQ(float_to_fp8_e4m3(1.1875f), 0x3A);                  // tie: even (1.25) above
  EXPECT_EQ(float_to_fp8_e4m3(-1.1875f), 0xBA);                 // negative tie
  EXPECT_EQ(float_to_fp8_e4m3(std::nextafter(1.0625f, 2.0f)), 0x39);  // just above the tie
  EXPECT_EQ(float_to_fp8_e4m3(std::nextafter(1.0625f, 0.0f)), 0x38);  // just below
  EXPECT_EQ(float_to_fp8_e4m3(1.9375f), 0x40);                  // tie carries into the exponent: 2.0
  EXPECT_EQ(float_to_fp8_e4m3(0.1f), 0x1D);                     // 0.1 -> 0.1015625 = 2^-4 * 1.625
  EXPECT_EQ(float_to_fp8_e4m3(400.0f), 0x7C);                   // tie 384|416 (step 32): even 384
  EXPECT_EQ(float_to_fp8_e4m3(432.0f), 0x7E);                   // tie 416|448: even 448
  EXPECT_EQ(float_to_fp8_e4m3(440.0f), 0x7E);
}

TEST(Fp8E4m3Test, SaturatesToFiniteAbove448) {
  EXPECT_EQ(float_to_fp8_e4m3(448.0f), 0x7E);
  EXPECT_EQ(float_to_fp8_e4m3(464.0f), 0x7E);   // the tie 448|480 (480 does not exist)
  EXPECT_EQ(float_to_fp8_e4m3(500.0f), 0x7E);
  EXPECT_EQ(float_to_fp8_e4m3(1e6f), 0x7E);
  EXPECT_EQ(float_to_fp8_e4m3(-1e30f), 0xFE);
  EXPECT_EQ(float_to_fp8_e4m3(std::numeric_limits<float>::max()), 0x7E);
  EXPECT_EQ(float_to_fp8_e4m3(std::numeric_limits<float>::infinity()), 0x7E);
  EXPECT_EQ(float_to_fp8_e4m3(-std::numeric_limits<float>::infinity()), 0xFE);
}

TEST(Fp8E4m3Test, NanStaysNan) {
  EXPECT_EQ(float_to_fp8_e4m3(std::numeric_limits<float>::quiet_NaN()), 0x7F);
  EXPECT_EQ(float_to_fp8_e4m3(from_bits(0xFFC00000)), 0xFF);
  EXPECT_EQ(float_to_fp8_e4m3(from_bits(0x7F800001)), 0x7F);  // payload only in the low bits
  EXPECT_TRUE(std::isnan(fp8_e4m3_to_float(float_to_fp8_e4m3(from_bits(0x7FFFFFFF)))));
}

TEST(Fp8E4m3Test, Subnormals) {
  EXPECT_EQ(float_to_fp8_e4m3(0x1p-9f), 0x01);
  EXPECT_EQ(float_to_fp8_e4m3(-0x1p-9f), 0x81);
  EXPECT_EQ(float_to_fp8_e4m3(0x1p-10f), 0x00);                          // tie with zero: to zero
  EXPECT_EQ(float_to_fp8_e4m3(std::nextafter(0x1p-10f, 1.0f)), 0x01);
  EXPECT_EQ(float_to_fp8_e4m3(3 * 0x1p-10f), 0x02);                      // 1.5 units: to 2
  EXPECT_EQ(float_to_fp8_e4m3(5 * 0x1p-10f), 0x02);                      // 2.5 units: to 2
  EXPECT_EQ(float_to_fp8_e4m3(15 * 0x1p-10f), 0x08);                     // 7.5 units: up to the smallest normal
  EXPECT_EQ(float_to_fp8_e4m3(0x1p-20f), 0x00);                          // underflows to zero
  EXPECT_EQ(float_to_fp8_e4m3(-0x1p-20f), 0x80);                         // keeps the sign
  EXPECT_EQ(float_to_fp8_e4m3(0.0f), 0x00);
  EXPECT_EQ(float_to_fp8_e4m3(-0.0f), 0x80);
}

// Against an independent rounding: the nearest finite e4m3 value by exhaustive
// search over the codes (ties to the even code), saturating beyond 448.
std::uint8_t reference_e4m3(float x) {
  const double a = std::fabs(static_cast<double>(x));
  unsigned best = 0;
  for (unsigned code = 1; code <= 0x7E; ++code) {
    const double d = std::fabs(e4m3_value(code) - a), best_d = std::fabs(e4m3_value(best) - a);
    if (d < best_d || (d == best_d && code % 2 == 0)) best = code;
  }
  return static_cast<std::uint8_t>((std::signbit(x) ? 0x80 : 0) | best);
}

TEST(Fp8E4m3Test, MatchesIndependentRoundingOnSampledFloats) {
  int mismatches = 0;
  std::ostringstream first;
  for (std::uint64_t u = 0; u <= 0xFFFFFFFFull; u += 1048573) {  // about 4096 patterns over every exponent
    const float x = from_bits(static_cast<std::uint32_t>(u));
    if (std::isnan(x)) continue;
    const std::uint8_t got = float_to_fp8_e4m3(x), want = reference_e4m3(x);
    if (got != want && mismatches++ == 0) first << std::hex << "0x" << u << ": got 0x" << +got << ", want 0x" << +want;
  }
  // Dense between 2^-11 and 512, where every rounding decision lies.
  for (std::uint32_t u = 0x3A000000u; u < 0x44000000u; u += 4093) {
    const std::uint8_t got = float_to_fp8_e4m3(from_bits(u)), want = reference_e4m3(from_bits(u));
    if (got != want && mismatches++ == 0) first << std::hex << "0x" << u << ": got 0x" << +got << ", want 0x" << +want;
  }
  EXPECT_EQ(mismatches, 0) << "first: " << first.str();
}

// ---- Names, sizes, buffers ------------------------------------------------------

TEST(DTypeTest, NamesParseBack) {
  for (DType d : kAllDTypes) {
    const Expected<DType> parsed = parse_dtype(dtype_name(d));
    ASSERT_TRUE(parsed.ok()) << dtype_name(d);
    EXPECT_EQ(*parsed, d);
  }
  EXPECT_EQ(dtype_name(DType::kFp32), "fp32");
  EXPECT_EQ(dtype_name(DType::kBf16), "bf16");
  EXPECT_EQ(dtype_name(DType::kFp16), "fp16");
  EXPECT_EQ(dtype_name(DType::kFp8E4m3), "fp8");
}

TEST(DTypeTest, ParseRejectsUnknownNamesNamingThem) {
  for (const char* bad : {"fp64", "FP32", "", "bfloat16", "fp32 ", "fp8_e4m3", "e4m3"}) {
    const Expected<DType> parsed = parse_dtype(bad);
    ASSERT_FALSE(parsed.ok()) << "'" << bad << "'";
    EXPECT_EQ(parsed.error().code, ErrorCode::kBadInput);
    EXPECT_NE(parsed.error().message.find("'" + std::string(bad) + "'"), std::string::npos) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find("fp32, bf16, fp16, fp8"), std::string::npos) << parsed.error().message;
  }
}

TEST(DTypeTest, SizesAndUnitRoundoff) {
  EXPECT_EQ(dtype_size(DType::kFp32), 4u);
  EXPECT_EQ(dtype_size(DType::kBf16), 2u);
  EXPECT_EQ(dtype_size(DType::kFp16), 2u);
  EXPECT_EQ(dtype_size(DType::kFp8E4m3), 1u);
  EXPECT_EQ(unit_roundoff(DType::kFp32), 0x1p-24);
  EXPECT_EQ(unit_roundoff(DType::kBf16), 0x1p-8);
  EXPECT_EQ(unit_roundoff(DType::kFp16), 0x1p-11);
  EXPECT_EQ(unit_roundoff(DType::kFp8E4m3), 0x1p-4);
}

TEST(DTypeTest, LoadAndStoreRoundToTheBufferType) {
  std::vector<std::uint16_t> half(3);
  store_from_float(half.data(), DType::kFp16, 1, 1.0f + 3 * 0x1p-11f);
  EXPECT_EQ(half[0], 0);
  EXPECT_EQ(half[1], 0x3C02);
  EXPECT_EQ(half[2], 0);
  EXPECT_EQ(load_as_float(half.data(), DType::kFp16, 1), 1.0f + 0x1p-9f);

  store_from_float(half.data(), DType::kBf16, 2, from_bits(0x3F818000));
  EXPECT_EQ(half[2], 0x3F82);
  EXPECT_EQ(load_as_float(half.data(), DType::kBf16, 2), from_bits(0x3F820000));

  std::vector<std::uint8_t> bytes(3);
  store_from_float(bytes.data(), DType::kFp8E4m3, 1, 1.1875f);  // a tie: to the even 1.25
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[1], 0x3A);
  EXPECT_EQ(bytes[2], 0);
  EXPECT_EQ(load_as_float(bytes.data(), DType::kFp8E4m3, 1), 1.25f);

  std::vector<float> single(2);
  store_from_float(single.data(), DType::kFp32, 1, 0.1f);
  EXPECT_EQ(single[1], 0.1f);
  EXPECT_EQ(load_as_float(single.data(), DType::kFp32, 1), 0.1f);
}

}  // namespace
}  // namespace tb
