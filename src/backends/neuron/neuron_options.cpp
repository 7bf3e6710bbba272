#include "backends/neuron/neuron_options.h"

namespace tb {

std::span<const BackendOptionSpec> neuron_options() {
  using Kind = BackendOptionSpec::Kind;
  static const BackendOptionSpec table[] = {
      {"--neuron-runtime", Kind::kText, "",
       "neuron: the runtime library (default: TRAINBENCH_NEURON_RUNTIME, libnrt.so.1, /opt/aws/neuron/lib/libnrt.so.1)",
       {}, 0, 0},
      {"--neuron-manifest", Kind::kText, "", "neuron: the NEFF manifest (default: src/backends/neuron/nki/manifest.json)",
       {}, 0, 0},
      {"--instance-type", Kind::kText, "",
       "neuron: this machine's instance type, for the catalog's peaks (default: the runtime's "
       "nrt_get_instance_info, else DMI)",
       {}, 0, 0},
      {"--nccom-test", Kind::kText, "",
       "neuron: nccom-test for all-reduce (default: TRAINBENCH_NCCOM_TEST, /opt/aws/neuron/bin, PATH)", {}, 0, 0},
  };
  return table;
}

}  // namespace tb
