// RAII for the CUDA runtime objects every CUDA workload uses: device memory,
// streams, events and an event-pair timer, plus the one way CUDA errors become
// trainbench Errors. Compiled only when the CUDA toolkit is found
// (TRAINBENCH_CUDA, docs/cuda.md); the CUDA runtime is linked statically, so
// the binary starts on machines without a GPU or driver.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "backends/backend.h"
#include "common/error.h"
#include "common/unique_handle.h"

namespace tb::cuda {

// Ok for cudaSuccess; otherwise kRunFailure "<call> failed: <cudaGetErrorName>
// (<cudaGetErrorString>)", e.g. "cudaMemcpyAsync failed: cudaErrorIllegalAddress
// (an illegal memory access was encountered)". cudaErrorMemoryAllocation names
// the bytes when `bytes` > 0.
Status check(cudaError_t status, const char* call, std::size_t bytes = 0);

// Device memory of one device (cudaMalloc / cudaFree). Move-only.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // Allocates `bytes` on the current device. Out of memory: kRunFailure
  // naming the bytes asked for and the bytes free ("cudaMalloc of 81604378624 B
  // failed: 79456894976 B free of 85031714816 B").
  static Expected<DeviceBuffer> allocate(std::size_t bytes);
  DeviceBuffer(DeviceBuffer&&) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&&) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();

  void* data() const { return ptr_; }
  std::size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
  int device_ = -1;  // the device it was allocated on (freed with that device current)
};

// A non-blocking stream on the current device. Move-only.
class Stream {
 public:
  static Expected<Stream> create();
  Stream() = default;  // holds no stream

  cudaStream_t get() const { return stream_.get(); }
  Status synchronize() const;

 private:
  using Owner = UniqueHandle<cudaStream_t, cudaError_t (*)(cudaStream_t)>;  // cudaStreamDestroy
  explicit Stream(Owner stream) : stream_(std::move(stream)) {}
  Owner stream_;
};

// A DeviceTimer from two CUDA events recorded on `stream`: device time between
// start() and stop() (cudaEventElapsedTime, 0.5 us resolution).
Expected<std::unique_ptr<DeviceTimer>> make_event_timer(cudaStream_t stream);
// For Workload::make_timer(), which cannot fail: make_event_timer's timer, or
// one whose every call returns the error that prevented making it.
std::unique_ptr<DeviceTimer> event_timer_or_error(cudaStream_t stream);

// Host tensor <-> device buffer, synchronous on `stream`.
Status upload(const HostTensor& host, DeviceBuffer& device, cudaStream_t stream);
Status download(const DeviceBuffer& device, HostTensor& host, cudaStream_t stream);
// Fills `bytes` of `device` with 0xFF (NaN for every float type we use), asynchronously.
Status poison(DeviceBuffer& device, cudaStream_t stream);

}  // namespace tb::cuda
