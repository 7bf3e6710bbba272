#include "backends/cuda/cuda_device.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdio>
#include <initializer_list>

#include "backends/cuda/cuda_handles.h"

namespace tb::cuda {
namespace {

// A table row: the device name must contain every `needs` and none of `rejects`.
struct GpuMatch {
  std::initializer_list<std::string_view> needs;
  std::initializer_list<std::string_view> rejects;
  GpuSpec spec;
};

// Figures: NVIDIA's datasheets for each part (docs/cuda.md, "Peaks";
// dense). H200's TF32 is not in its datasheet's table: it has H100's compute (same
// GH100 die and clocks), so H100's TF32 figure is used and the source says so.
const GpuMatch kGpuTable[] = {
    {{"H100"}, {"PCIe", "NVL"}, {"NVIDIA H100 SXM", 67.0, 495.0, 989.0, 1979.0, 3.35e12, "NVIDIA H100 datasheet"}},
    {{"H200"}, {"NVL"},
     {"NVIDIA H200 SXM", 67.0, 495.0, 989.0, 1979.0, 4.8e12,
      "NVIDIA H200 datasheet (TF32: H100 SXM's, same compute)"}},
    {{"A100", "SXM", "80GB"}, {}, {"NVIDIA A100 SXM 80 GB", 19.5, 156.0, 312.0, 0.0, 2.039e12, "NVIDIA A100 datasheet"}},
    {{"A100", "SXM", "40GB"}, {}, {"NVIDIA A100 SXM 40 GB", 19.5, 156.0, 312.0, 0.0, 1.555e12, "NVIDIA A100 datasheet"}},
};

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string version_string(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

std::string fixed(double value, const char* unit) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, unit);
  return buf;
}

// An attribute's value as text via `format`, or "unknown (<error>)".
template <typename Format>
std::string attribute(cudaDeviceAttr attr, int device, const char* name, Format format) {
  int value = 0;
  const Status s = check(cudaDeviceGetAttribute(&value, attr, device), name);
  return s.ok() ? format(value) : "unknown (" + s.error().message + ")";
}

// Bytes read + written per second of one cudaMemcpyAsync device to device of
// `bytes`, best of 3, timed with CUDA events.
Expected<double> measure_copy_bandwidth(std::size_t bytes) {
  TB_ASSIGN_OR_RETURN(DeviceBuffer src, DeviceBuffer::allocate(bytes));
  TB_ASSIGN_OR_RETURN(DeviceBuffer dst, DeviceBuffer::allocate(bytes));
  TB_ASSIGN_OR_RETURN(Stream stream, Stream::create());
  TB_RETURN_IF_ERROR(check(cudaMemsetAsync(src.data(), 0, bytes, stream.get()), "cudaMemsetAsync"));
  TB_ASSIGN_OR_RETURN(std::unique_ptr<DeviceTimer> timer, make_event_timer(stream.get()));
  double best_s = 0.0;
  for (int i = 0; i < 4; ++i) {  // the first copy warms up and is not counted
    TB_RETURN_IF_ERROR(timer->start());
    TB_RETURN_IF_ERROR(check(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, stream.get()),
                             "cudaMemcpyAsync (device to device)"));
    TB_RETURN_IF_ERROR(timer->stop());
    TB_ASSIGN_OR_RETURN(const double s, timer->elapsed_seconds());
    if (i > 0 && (best_s == 0.0 || s < best_s)) best_s = s;
  }
  if (best_s <= 0.0) return run_failure("device-to-device copy took no measurable time");
  return 2.0 * static_cast<double>(bytes) / best_s;
}

}  // namespace

const GpuSpec* find_gpu_spec(std::string_view device_name) {
  for (const GpuMatch& row : kGpuTable) {
    const bool needs = std::all_of(row.needs.begin(), row.needs.end(),
                                   [&](std::string_view p) { return contains(device_name, p); });
    const bool rejects = std::any_of(row.rejects.begin(), row.rejects.end(),
                                     [&](std::string_view p) { return contains(device_name, p); });
    if (needs && !rejects) return &row.spec;
  }
  return nullptr;
}

Support dtype_support_on(DType dtype, int cc_major, int cc_minor) {
  const bool fp8 = dtype == DType::kFp8E4m3;
  const int needed = fp8 ? 89 : 80;  // major * 10 + minor
  if (cc_major * 10 + cc_minor >= needed) return {true, {}};
  const std::string needs = fp8 ? "8.9+ (Ada/Hopper)" : "8.0+ (Ampere)";
  return {false, std::string(dtype_name(dtype)) + " needs compute capability " + needs + "; this device is " +
                     std::to_string(cc_major) + "." + std::to_string(cc_minor)};
}

void fill_spec_peaks(const GpuSpec* spec, const std::string& device_name, bool tf32, DeviceInfo& info) {
  if (spec == nullptr) {
    info.peak_flop_per_s.clear();
    info.peak_source = "unknown: '" + device_name + "' is not in the CUDA backend's GPU table (docs/cuda.md)";
    return;
  }
  info.peak_flop_per_s = {{DType::kFp32, (tf32 ? spec->tf32_tflops : spec->fp32_tflops) * 1e12},
                          {DType::kBf16, spec->bf16_tflops * 1e12},
                          {DType::kFp16, spec->bf16_tflops * 1e12}};
  if (spec->fp8_tflops > 0) info.peak_flop_per_s[DType::kFp8E4m3] = spec->fp8_tflops * 1e12;
  info.peak_source = std::string("spec: ") + spec->source + ", " + spec->model + ", dense" +
                     (tf32 ? "; fp32 is the TF32 tensor-core peak (--cuda-tf32)" : "; fp32 is the non-tensor peak");
  info.memory_bandwidth_bytes_per_s = spec->memory_bandwidth_bytes_per_s;
  info.properties.emplace_back("spec_tf32_tflops", fixed(spec->tf32_tflops, "TFLOP/s"));
  info.properties.emplace_back("memory_bandwidth_source",
                               std::string("spec: ") + spec->source + " (" +
                                   fixed(spec->memory_bandwidth_bytes_per_s / 1e9, "GB/s") + ")");
}

void use_measured_memory_ceiling(double copy_bytes_per_s, DeviceInfo& info) {
  std::string spec = "none (not in the GPU table)";
  if (info.memory_bandwidth_bytes_per_s > 0) spec = fixed(info.memory_bandwidth_bytes_per_s / 1e9, "GB/s");
  info.memory_bandwidth_bytes_per_s = copy_bytes_per_s;
  std::erase_if(info.properties, [](const auto& p) { return p.first == "memory_bandwidth_source"; });
  info.properties.emplace_back("memory_bandwidth_source",
                               "measured: device-to-device copy (d2d_copy_bandwidth); HBM spec " + spec);
}

DeviceInfo query_device_info(int device, bool tf32, bool measure_copy) {
  DeviceInfo info;
  info.kind = "gpu";
  info.shares_host_memory = false;
  cudaDeviceProp prop{};
  if (const Status s = check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties"); !s.ok()) {
    info.name = "CUDA device " + std::to_string(device);
    info.properties.emplace_back("error", s.error().message);
    fill_spec_peaks(nullptr, info.name, tf32, info);
    return info;
  }
  info.name = prop.name;
  info.compute_units = prop.multiProcessorCount;
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  if (check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo").ok()) {
    info.memory_bytes = static_cast<std::int64_t>(free_bytes);
  }
  int driver = 0;
  int runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  const auto khz_to_mhz = [](int khz) { return std::to_string(khz / 1000) + " MHz"; };
  info.properties = {
      {"compute_capability", std::to_string(prop.major) + "." + std::to_string(prop.minor)},
      {"driver_version", version_string(driver)},
      {"runtime_version", version_string(runtime)},
      {"memory_total_bytes", std::to_string(total_bytes)},
      {"memory_free_bytes", std::to_string(free_bytes)},
      {"l2_cache_bytes", std::to_string(prop.l2CacheSize)},
      {"sm_clock", attribute(cudaDevAttrClockRate, device, "cudaDevAttrClockRate", khz_to_mhz)},
      {"memory_clock", attribute(cudaDevAttrMemoryClockRate, device, "cudaDevAttrMemoryClockRate", khz_to_mhz)},
      {"pci_bus_id", std::to_string(prop.pciDomainID) + ":" + std::to_string(prop.pciBusID) + ":" +
                         std::to_string(prop.pciDeviceID)},
  };
  fill_spec_peaks(find_gpu_spec(info.name), info.name, tf32, info);
  if (measure_copy) {
    constexpr std::size_t kCopyBytes = std::size_t{1} << 30;
    if (free_bytes < 2 * kCopyBytes + (std::size_t{256} << 20)) {
      info.properties.emplace_back("d2d_copy_bandwidth", "not measured: needs 2 GiB free, " +
                                                             std::to_string(free_bytes) + " B free");
    } else {
      const Expected<double> bw = measure_copy_bandwidth(kCopyBytes);
      info.properties.emplace_back(
          "d2d_copy_bandwidth",
          bw.ok() ? fixed(*bw / 1e9, "GB/s") +
                        " (measured: bytes read + written per second, cudaMemcpy device to device of 1 GiB, best of 3)"
                  : "not measured: " + bw.error().message);
      if (bw.ok()) use_measured_memory_ceiling(*bw, info);
    }
  }
  return info;
}

}  // namespace tb::cuda
