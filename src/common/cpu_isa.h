// The x86-64 instruction sets trainbench's own CPU kernels and probes may use:
// what the CPU has, capped by the TRAINBENCH_MAX_ISA environment variable
// (docs/cpu-isa.md). The cap lets an AVX-512 machine run, and test, the code
// paths an AVX2-only CPU takes. Libraries have their own caps
// (ONEDNN_MAX_CPU_ISA, OPENBLAS_CORETYPE); the CPU backend passes this one
// on to oneDNN when ONEDNN_MAX_CPU_ISA is unset.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tb {

// Ordered: each level includes the ones before it.
enum class CpuIsa {
  kPortable,    // baseline x86-64 (SSE2) or a non-x86 CPU
  kAvx2,        // AVX2 + FMA
  kAvx512,      // AVX-512 F, BW, DQ, VL (+ FMA)
  kAvx512Bf16,  // kAvx512 + AVX512_BF16 (vdpbf16ps)
};

std::string_view cpu_isa_name(CpuIsa isa);  // "portable", "avx2", "avx512", "avx512_bf16"

// TRAINBENCH_MAX_ISA's value: one of the names above, any case; "sse2" is
// taken for "portable". Anything else is kBadInput naming the value.
Expected<CpuIsa> parse_cpu_isa(std::string_view text);

// The highest level the CPU itself supports (cpuid; kPortable off x86-64).
CpuIsa detected_cpu_isa();

// The cap from TRAINBENCH_MAX_ISA: nullopt when unset or empty; kBadInput
// when set to something that is not a level (the CLI refuses to start then).
Expected<std::optional<CpuIsa>> cpu_isa_cap_from_env();

// What the kernels and probes may use: min(detected, cap). An invalid cap is
// ignored here (the CLI has refused it before any kernel runs).
CpuIsa usable_cpu_isa();

// One line for device info: "avx512_bf16 (detected avx512_bf16)" or
// "avx2 (detected avx512_bf16, capped by TRAINBENCH_MAX_ISA=avx2)".
std::string cpu_isa_description();

}  // namespace tb
