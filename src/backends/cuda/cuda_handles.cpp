#include "backends/cuda/cuda_handles.h"

#include <utility>

namespace tb::cuda {
namespace {

using Event = UniqueHandle<cudaEvent_t, cudaError_t (*)(cudaEvent_t)>;

Expected<Event> create_event() {
  cudaEvent_t event = nullptr;
  TB_RETURN_IF_ERROR(check(cudaEventCreate(&event), "cudaEventCreate"));
  return Event(event, cudaEventDestroy);
}

// Two events recorded on one stream; destroyed with the timer.
class EventTimer final : public DeviceTimer {
 public:
  EventTimer(cudaStream_t stream, Event start, Event stop)
      : stream_(stream), start_(std::move(start)), stop_(std::move(stop)) {}

  Status start() override { return check(cudaEventRecord(start_.get(), stream_), "cudaEventRecord (start)"); }
  Status stop() override { return check(cudaEventRecord(stop_.get(), stream_), "cudaEventRecord (stop)"); }
  Expected<double> elapsed_seconds() override {
    TB_RETURN_IF_ERROR(check(cudaEventSynchronize(stop_.get()), "cudaEventSynchronize"));
    float ms = 0.0f;
    TB_RETURN_IF_ERROR(check(cudaEventElapsedTime(&ms, start_.get(), stop_.get()), "cudaEventElapsedTime"));
    return static_cast<double>(ms) * 1e-3;
  }

 private:
  cudaStream_t stream_;
  Event start_;
  Event stop_;
};

}  // namespace

Status check(cudaError_t status, const char* call, std::size_t bytes) {
  if (status == cudaSuccess) return {};
  std::string message = call;
  if (status == cudaErrorMemoryAllocation && bytes > 0) message += " of " + std::to_string(bytes) + " B";
  message += std::string(" failed: ") + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")";
  return run_failure(std::move(message));
}

Expected<DeviceBuffer> DeviceBuffer::allocate(std::size_t bytes) {
  DeviceBuffer buffer;
  TB_RETURN_IF_ERROR(check(cudaGetDevice(&buffer.device_), "cudaGetDevice"));
  const cudaError_t status = cudaMalloc(&buffer.ptr_, bytes);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the (non-sticky) allocation error before asking for the free memory
    if (status != cudaErrorMemoryAllocation) return check(status, "cudaMalloc", bytes).error();
    std::size_t free_bytes = 0;
    std::size_t total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) return check(status, "cudaMalloc", bytes).error();
    return run_failure("cudaMalloc of " + std::to_string(bytes) + " B failed: " + std::to_string(free_bytes) +
                       " B free of " + std::to_string(total_bytes) + " B");
  }
  buffer.bytes_ = bytes;
  return buffer;
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      device_(std::exchange(other.device_, -1)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  if (this != &other) {
    DeviceBuffer old(std::move(*this));
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    device_ = std::exchange(other.device_, -1);
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_ == nullptr) return;
  int current = -1;
  const bool switch_device = cudaGetDevice(&current) == cudaSuccess && current != device_;
  if (switch_device) cudaSetDevice(device_);
  cudaFree(ptr_);  // errors ignored: a destructor cannot report them
  if (switch_device) cudaSetDevice(current);
}

Expected<Stream> Stream::create() {
  cudaStream_t stream = nullptr;
  TB_RETURN_IF_ERROR(check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate"));
  return Stream(Owner(stream, cudaStreamDestroy));
}

Status Stream::synchronize() const { return check(cudaStreamSynchronize(get()), "cudaStreamSynchronize"); }

Expected<std::unique_ptr<DeviceTimer>> make_event_timer(cudaStream_t stream) {
  TB_ASSIGN_OR_RETURN(Event start, create_event());
  TB_ASSIGN_OR_RETURN(Event stop, create_event());
  return std::unique_ptr<DeviceTimer>(std::make_unique<EventTimer>(stream, std::move(start), std::move(stop)));
}

namespace {

// A timer whose every call returns the error that prevented creating it.
class FailedTimer final : public DeviceTimer {
 public:
  explicit FailedTimer(Error error) : error_(std::move(error)) {}
  Status start() override { return error_; }
  Status stop() override { return error_; }
  Expected<double> elapsed_seconds() override { return error_; }

 private:
  Error error_;
};

}  // namespace

std::unique_ptr<DeviceTimer> event_timer_or_error(cudaStream_t stream) {
  Expected<std::unique_ptr<DeviceTimer>> timer = make_event_timer(stream);
  if (!timer) return std::make_unique<FailedTimer>(timer.error());
  return std::move(*timer);
}

namespace {

Status check_sizes(std::size_t host_bytes, std::size_t device_bytes, const std::string& tensor) {
  if (host_bytes <= device_bytes) return {};
  return run_failure("tensor '" + tensor + "' has " + std::to_string(host_bytes) + " B but the device buffer " +
                     std::to_string(device_bytes) + " B");
}

}  // namespace

Status upload(const HostTensor& host, DeviceBuffer& device, cudaStream_t stream) {
  TB_RETURN_IF_ERROR(check_sizes(host.data.size(), device.bytes(), host.spec.name));
  TB_RETURN_IF_ERROR(check(cudaMemcpyAsync(device.data(), host.data.data(), host.data.size(), cudaMemcpyHostToDevice,
                                           stream),
                           "cudaMemcpyAsync (host to device)"));
  return check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (upload)");
}

Status download(const DeviceBuffer& device, HostTensor& host, cudaStream_t stream) {
  TB_RETURN_IF_ERROR(check_sizes(host.data.size(), device.bytes(), host.spec.name));
  TB_RETURN_IF_ERROR(check(cudaMemcpyAsync(host.data.data(), device.data(), host.data.size(), cudaMemcpyDeviceToHost,
                                           stream),
                           "cudaMemcpyAsync (device to host)"));
  return check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (download)");
}

Status poison(DeviceBuffer& device, cudaStream_t stream) {
  return check(cudaMemsetAsync(device.data(), 0xFF, device.bytes(), stream), "cudaMemsetAsync (poison)");
}

}  // namespace tb::cuda
