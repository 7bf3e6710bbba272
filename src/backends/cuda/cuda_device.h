// What the CUDA backend records about its GPU (DeviceInfo, backends/backend.h):
// the driver's facts, the spec peaks from a small table of known GPUs, and
// which element types a compute capability runs. docs/cuda.md#device-info.
#pragma once

#include <string>
#include <string_view>

#include "backends/backend.h"
#include "common/error.h"

namespace tb::cuda {

// Datasheet figures of one GPU model (dense, no sparsity).
struct GpuSpec {
  const char* model;                 // "NVIDIA H100 SXM"
  double fp32_tflops;                // non-tensor fp32 (TFLOP/s)
  double tf32_tflops;                // fp32 GEMM on tensor cores in TF32 (TFLOP/s)
  double bf16_tflops;                // also fp16 (TFLOP/s)
  double fp8_tflops;                 // 0 where the GPU has no fp8 (TFLOP/s)
  double memory_bandwidth_bytes_per_s;  // HBM (B/s)
  const char* source;                // "NVIDIA H100 datasheet"
};

// The table row for a device name as the driver reports it
// ("NVIDIA H100 80GB HBM3" -> H100 SXM, "NVIDIA H200" -> H200 SXM,
// "NVIDIA A100-SXM4-80GB" -> A100 SXM 80 GB); null for a GPU not in the table
// (PCIe and NVL variants have other clocks and are not in it).
const GpuSpec* find_gpu_spec(std::string_view device_name);

// Whether a device of compute capability cc_major.cc_minor runs `dtype` on
// tensor cores, and why not (docs/cuda.md#element-types): fp32 (as TF32 when
// allowed), fp16 and bf16 need 8.0+ (older GPUs are not supported by this
// backend at all); fp8 (e4m3) needs 8.9+ (Ada, Hopper). The reason reads
// "fp8 needs compute capability 8.9+ (Ada/Hopper); this device is 8.0".
Support dtype_support_on(DType dtype, int cc_major, int cc_minor);

// Peaks (FLOP/s per DType: fp32, bf16, fp16, and fp8 where the GPU has it),
// peak_source and memory bandwidth from `spec` into `info`; with `tf32` the
// fp32 peak is the TF32 tensor-core figure. A null spec leaves the peaks empty
// and says "unknown: <name> is not in the CUDA backend's GPU table".
void fill_spec_peaks(const GpuSpec* spec, const std::string& device_name, bool tf32, DeviceInfo& info);

// The memory ceiling becomes the measured device-to-device copy bandwidth
// (bytes read + written per second): memory_bandwidth_bytes_per_s, and
// memory_bandwidth_source "measured: ...; HBM spec <GB/s>" naming the spec
// figure it replaces. Rooflines and fraction-of-peak of memory-bound
// problems then use what this card moved, as the CPU backend does.
void use_measured_memory_ceiling(double copy_bytes_per_s, DeviceInfo& info);

// DeviceInfo of CUDA device `device` (the current device): name, SMs, free
// memory, clocks, versions, compute capability, spec peaks; with
// `measure_copy`, also the device-to-device copy bandwidth (property
// "d2d_copy_bandwidth": cudaMemcpy of 1 GiB, best of 3; skipped, with the
// reason, when 2 GiB are not free).
DeviceInfo query_device_info(int device, bool tf32, bool measure_copy);

}  // namespace tb::cuda
