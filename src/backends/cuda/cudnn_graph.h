// RAII and checked attribute setters for cuDNN backend-API descriptors
// (cudnnBackendCreateDescriptor / SetAttribute / Finalize / Destroy), the
// pieces every cuDNN graph is built from. Each failure names the descriptor's
// role and the attribute: "cudnnBackendFinalize (tensor s_scaled) failed:
// CUDNN_STATUS_BAD_PARAM: <cuDNN's message>".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda/cudnn_library.h"
#include "common/error.h"
#include "common/unique_handle.h"

namespace tb::cuda {

class BackendDescriptor {
 public:
  // A new descriptor of `type`; `role` names it in messages ("tensor q", "op matmul qk").
  static Expected<BackendDescriptor> create(std::shared_ptr<const CudnnLibrary> lib,
                                            cudnnBackendDescriptorType_t type, std::string role);
  BackendDescriptor() = default;  // move-only, through its owner (common/unique_handle.h)

  cudnnBackendDescriptor_t get() const { return desc_.get(); }
  const std::string& role() const { return role_; }

  // cudnnBackendSetAttribute of `count` values of `type`; `attribute` names it in the message.
  Status set(cudnnBackendAttributeName_t name, const char* attribute, cudnnBackendAttributeType_t type,
             std::int64_t count, const void* values);
  Status set_int64(cudnnBackendAttributeName_t name, const char* attribute, std::int64_t value);
  Status set_int64s(cudnnBackendAttributeName_t name, const char* attribute, const std::vector<std::int64_t>& values);
  Status set_bool(cudnnBackendAttributeName_t name, const char* attribute, bool value);
  Status set_data_type(cudnnBackendAttributeName_t name, const char* attribute, cudnnDataType_t value);
  Status set_descriptor(cudnnBackendAttributeName_t name, const char* attribute, const BackendDescriptor& value);
  Status set_descriptors(cudnnBackendAttributeName_t name, const char* attribute,
                         const std::vector<const BackendDescriptor*>& values);
  Status finalize();

 private:
  using Owner = UniqueHandle<cudnnBackendDescriptor_t,
                             LibraryDeleter<CudnnLibrary, cudnnStatus_t (*)(cudnnBackendDescriptor_t)>>;
  BackendDescriptor(Owner desc, std::string role) : desc_(std::move(desc)), role_(std::move(role)) {}
  const CudnnLibrary& lib() const { return *desc_.deleter().library; }

  Owner desc_;
  std::string role_;
};

}  // namespace tb::cuda
