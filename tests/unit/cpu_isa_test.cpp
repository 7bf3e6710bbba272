// The instruction-set levels and their cap (common/cpu_isa.h).
#include "common/cpu_isa.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <optional>
#include <string>

namespace tb {
namespace {

// Sets TRAINBENCH_MAX_ISA for one scope, restoring what was there.
class ScopedCap {
 public:
  explicit ScopedCap(const char* value) {
    if (const char* old = std::getenv("TRAINBENCH_MAX_ISA")) old_ = old;
    if (value) setenv("TRAINBENCH_MAX_ISA", value, 1);
    else unsetenv("TRAINBENCH_MAX_ISA");
  }
  ~ScopedCap() {
    if (old_) setenv("TRAINBENCH_MAX_ISA", old_->c_str(), 1);
    else unsetenv("TRAINBENCH_MAX_ISA");
  }

 private:
  std::optional<std::string> old_;
};

TEST(CpuIsa, NamesRoundTripInAnyCase) {
  for (CpuIsa isa : {CpuIsa::kPortable, CpuIsa::kAvx2, CpuIsa::kAvx512, CpuIsa::kAvx512Bf16}) {
    const Expected<CpuIsa> parsed = parse_cpu_isa(cpu_isa_name(isa));
    ASSERT_TRUE(parsed.ok()) << cpu_isa_name(isa);
    EXPECT_EQ(*parsed, isa);
  }
  EXPECT_EQ(*parse_cpu_isa("AVX2"), CpuIsa::kAvx2);  // oneDNN's spelling
  EXPECT_EQ(*parse_cpu_isa("sse2"), CpuIsa::kPortable);
}

TEST(CpuIsa, AnUnknownLevelIsBadInputNamingTheValueAndTheChoices) {
  const Expected<CpuIsa> bad = parse_cpu_isa("avx3\x1b[31m");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
  EXPECT_NE(bad.error().message.find("'avx3?[31m'"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("avx2, avx512 or avx512_bf16"), std::string::npos) << bad.error().message;
  EXPECT_EQ(bad.error().message.find('\x1b'), std::string::npos) << "control characters are not echoed";
}

TEST(CpuIsa, TheCapLowersButNeverRaisesWhatTheKernelsMayUse) {
  const CpuIsa detected = detected_cpu_isa();
  {
    const ScopedCap none(nullptr);
    EXPECT_EQ(usable_cpu_isa(), detected);
    EXPECT_EQ(cpu_isa_description().find("capped"), std::string::npos);
  }
  {
    const ScopedCap portable("portable");
    EXPECT_EQ(usable_cpu_isa(), CpuIsa::kPortable);
    if (detected != CpuIsa::kPortable) {
      EXPECT_NE(cpu_isa_description().find("capped by TRAINBENCH_MAX_ISA=portable"), std::string::npos)
          << cpu_isa_description();
    }
  }
  {
    const ScopedCap highest("avx512_bf16");
    EXPECT_EQ(usable_cpu_isa(), detected) << "a cap above the CPU changes nothing";
  }
  {
    const ScopedCap bad("bogus");
    EXPECT_FALSE(cpu_isa_cap_from_env().ok());
    EXPECT_EQ(usable_cpu_isa(), detected) << "the library ignores a bad cap; the CLI refuses it";
  }
}

}  // namespace
}  // namespace tb
