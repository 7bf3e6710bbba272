// Facts about the host machine, for device info and the run context.
#pragma once

#include <cstdint>
#include <string>

namespace tb {

std::string cpu_model_name();          // /proc/cpuinfo "model name", or "unknown CPU"
int logical_cpu_count();               // logical CPUs this process may run on
std::int64_t host_memory_available();  // MemAvailable from /proc/meminfo (B); 0 if unknown

}  // namespace tb
