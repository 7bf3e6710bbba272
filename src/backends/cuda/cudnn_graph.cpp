#include "backends/cuda/cudnn_graph.h"

namespace tb::cuda {

Expected<BackendDescriptor> BackendDescriptor::create(std::shared_ptr<const CudnnLibrary> lib,
                                                      cudnnBackendDescriptorType_t type, std::string role) {
  cudnnBackendDescriptor_t desc = nullptr;
  TB_RETURN_IF_ERROR(
      check(*lib, lib->api().cudnnBackendCreateDescriptor(type, &desc), "cudnnBackendCreateDescriptor (" + role + ")"));
  const auto destroy = lib->api().cudnnBackendDestroyDescriptor;
  return BackendDescriptor(Owner(desc, {std::move(lib), destroy}), std::move(role));
}

Status BackendDescriptor::set(cudnnBackendAttributeName_t name, const char* attribute,
                              cudnnBackendAttributeType_t type, std::int64_t count, const void* values) {
  return check(lib(), lib().api().cudnnBackendSetAttribute(get(), name, type, count, values),
               "cudnnBackendSetAttribute (" + role_ + ", " + attribute + ")");
}

Status BackendDescriptor::set_int64(cudnnBackendAttributeName_t name, const char* attribute, std::int64_t value) {
  return set(name, attribute, CUDNN_TYPE_INT64, 1, &value);
}

Status BackendDescriptor::set_int64s(cudnnBackendAttributeName_t name, const char* attribute,
                                     const std::vector<std::int64_t>& values) {
  return set(name, attribute, CUDNN_TYPE_INT64, static_cast<std::int64_t>(values.size()), values.data());
}

Status BackendDescriptor::set_bool(cudnnBackendAttributeName_t name, const char* attribute, bool value) {
  return set(name, attribute, CUDNN_TYPE_BOOLEAN, 1, &value);
}

Status BackendDescriptor::set_data_type(cudnnBackendAttributeName_t name, const char* attribute,
                                        cudnnDataType_t value) {
  return set(name, attribute, CUDNN_TYPE_DATA_TYPE, 1, &value);
}

Status BackendDescriptor::set_descriptor(cudnnBackendAttributeName_t name, const char* attribute,
                                         const BackendDescriptor& value) {
  cudnnBackendDescriptor_t raw = value.get();
  return set(name, attribute, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &raw);
}

Status BackendDescriptor::set_descriptors(cudnnBackendAttributeName_t name, const char* attribute,
                                          const std::vector<const BackendDescriptor*>& values) {
  std::vector<cudnnBackendDescriptor_t> raw;
  raw.reserve(values.size());
  for (const BackendDescriptor* d : values) raw.push_back(d->get());
  return set(name, attribute, CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<std::int64_t>(raw.size()), raw.data());
}

Status BackendDescriptor::finalize() {
  return check(lib(), lib().api().cudnnBackendFinalize(get()), "cudnnBackendFinalize (" + role_ + ")");
}

}  // namespace tb::cuda
