#include "common/cpu_isa.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace tb {

std::string_view cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kPortable: return "portable";
    case CpuIsa::kAvx2: return "avx2";
    case CpuIsa::kAvx512: return "avx512";
    case CpuIsa::kAvx512Bf16: return "avx512_bf16";
  }
  return "portable";
}

Expected<CpuIsa> parse_cpu_isa(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "sse2") return CpuIsa::kPortable;
  for (CpuIsa isa : {CpuIsa::kPortable, CpuIsa::kAvx2, CpuIsa::kAvx512, CpuIsa::kAvx512Bf16}) {
    if (lower == cpu_isa_name(isa)) return isa;
  }
  std::string shown(text.substr(0, 40));
  for (char& c : shown) c = std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  return bad_input("TRAINBENCH_MAX_ISA='" + shown + (text.size() > 40 ? "...'" : "'") +
                   " is not an instruction-set level: expected portable (or sse2), avx2, avx512 or avx512_bf16");
}

CpuIsa detected_cpu_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  if (avx512 && __builtin_cpu_supports("avx512bf16")) return CpuIsa::kAvx512Bf16;
  if (avx512) return CpuIsa::kAvx512;
  if (avx2) return CpuIsa::kAvx2;
#endif
  return CpuIsa::kPortable;
}

Expected<std::optional<CpuIsa>> cpu_isa_cap_from_env() {
  const char* value = std::getenv("TRAINBENCH_MAX_ISA");
  if (value == nullptr || *value == '\0') return std::optional<CpuIsa>{};
  Expected<CpuIsa> isa = parse_cpu_isa(value);
  if (!isa) return isa.error();
  return std::optional<CpuIsa>{*isa};
}

CpuIsa usable_cpu_isa() {
  const CpuIsa detected = detected_cpu_isa();
  const Expected<std::optional<CpuIsa>> cap = cpu_isa_cap_from_env();
  if (!cap || !cap->has_value()) return detected;
  return std::min(detected, **cap);
}

std::string cpu_isa_description() {
  const CpuIsa detected = detected_cpu_isa(), usable = usable_cpu_isa();
  std::string text = std::string(cpu_isa_name(usable)) + " (detected " + std::string(cpu_isa_name(detected));
  if (usable != detected) text += ", capped by TRAINBENCH_MAX_ISA=" + std::string(cpu_isa_name(usable));
  return text + ")";
}

}  // namespace tb
