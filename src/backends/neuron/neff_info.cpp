#include "backends/neuron/neff_info.h"

#include <cstdlib>
#include <memory>
#include <utility>

#include "backends/neuron/nrt_library.h"

namespace tb {

std::vector<RuntimeTensorInfo> runtime_tensor_info(const nrt::NrtTensorInfo& info) {
  std::vector<RuntimeTensorInfo> out;
  for (const nrt::NrtTensorDesc& d : info) {
    RuntimeTensorInfo r;
    r.name = d.name;
    r.usage = d.is_input() ? NeffTensorUsage::kInput : NeffTensorUsage::kOutput;
    r.size_bytes = static_cast<std::int64_t>(d.size);
    r.dtype = nrt::nrt_dtype_name(static_cast<std::uint32_t>(d.dtype));
    for (std::uint32_t s : d.shape) r.shape.push_back(s);
    out.push_back(std::move(r));
  }
  return out;
}

Status use_logical_core_size(int lnc, const std::string& whose) {
  const std::string want = std::to_string(lnc);
  if (const char* set = std::getenv(kLogicalCoreSizeEnv); set != nullptr && *set != '\0') {
    if (want == set) return {};
    return bad_input(std::string(kLogicalCoreSizeEnv) + "=" + set + " in the environment, but " + whose +
                     " were compiled for LNC=" + want + ": unset it or set it to " + want);
  }
  ::setenv(kLogicalCoreSizeEnv, want.c_str(), 1);
  return {};
}

Expected<NeffInfo> read_neff_info(const std::string& neff_path, const std::string& runtime_path, int lnc) {
  if (lnc != 1 && lnc != 2) return bad_input("--lnc " + std::to_string(lnc) + ": expected 1 or 2");
  TB_ASSIGN_OR_RETURN(const std::vector<char> neff, nrt::read_neff_file(neff_path));
  TB_ASSIGN_OR_RETURN(std::unique_ptr<nrt::NrtLibrary> library, nrt::open_default_runtime(runtime_path));
  NeffInfo out;
  TB_ASSIGN_OR_RETURN(const nrt::RuntimeVersion version, nrt::runtime_version(library->api()));
  out.runtime_version = version.to_string();
  out.runtime_library = library->loaded_from();
  TB_RETURN_IF_ERROR(use_logical_core_size(lnc, "the NEFF '" + neff_path + "'"));
  // Destroyed in reverse: the tensor info, the model, the runtime (nrt_close).
  TB_ASSIGN_OR_RETURN(std::unique_ptr<nrt::NrtRuntime> runtime, nrt::NrtRuntime::init(*library));
  TB_ASSIGN_OR_RETURN(nrt::NrtModel model, nrt::NrtModel::load(*runtime, neff));
  TB_ASSIGN_OR_RETURN(nrt::NrtTensorInfo info, nrt::NrtTensorInfo::query(model));
  out.tensors = runtime_tensor_info(info);
  return out;
}

}  // namespace tb
