// trainbench neff-info NEFF: the tensors of a compiled NEFF as the Neuron
// runtime reports them, as JSON on stdout (docs/neuron.md, "Compile the
// NEFFs"): what compile_neffs.py records in the manifest.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "backends/neuron/neff_info.h"
#include "cli/commands.h"

namespace tb::cli {

int neff_info_command(const NeffInfoArgs& args) {
  const Expected<NeffInfo> info = read_neff_info(args.neff, args.runtime, args.lnc);
  if (!info) {
    std::fprintf(stderr, "trainbench: error: %s\n", info.error().message.c_str());
    return 2;
  }
  nlohmann::json tensors = nlohmann::json::array();
  for (const RuntimeTensorInfo& t : info->tensors) {
    tensors.push_back({{"name", t.name},
                       {"usage", t.usage == NeffTensorUsage::kInput ? "input" : "output"},
                       {"dtype", t.dtype},
                       {"shape", t.shape},
                       {"size_bytes", t.size_bytes}});
  }
  const nlohmann::json doc = {{"neff", args.neff},
                              {"lnc", args.lnc},
                              {"runtime_version", info->runtime_version},
                              {"runtime_library", info->runtime_library},
                              {"tensors", tensors}};
  std::printf("%s\n", doc.dump(2).c_str());
  return 0;
}

}  // namespace tb::cli
