// The Neuron (AWS Trainium / Inferentia) backend: GEMM and attention run as
// precompiled NEFFs through the Neuron runtime (libnrt.so.1, bound at run time
// by nrt_library.h), one NEFF per problem as the manifest lists it
// (neff_manifest.h). No Neuron SDK is needed to build it; without a runtime the
// backend reports itself unavailable, naming every place it looked.
// Verified against the fake runtime of tests/fake_nrt only; see docs/neuron.md.
#pragma once

#include <memory>

#include "backends/backend.h"

namespace tb {

std::unique_ptr<Backend> make_neuron_backend(const BackendOptions& options);

// Whether the Neuron backend measures an all-reduce problem, without a
// runtime: all-reduce runs through nccom-test (nccom_test.h), Neuron's own
// collectives, which the problem string calls algo=ring (the default);
// algo=mpi (MPI_Allreduce, --backend cpu) and algo=nccl (NCCL, --backend cuda)
// are unsupported with a reason naming the backend that runs them. Only fp32
// is supported: nccom-test checks no other dtype. A problem that is not an
// all-reduce is unsupported.
Support neuron_allreduce_support(const Problem& problem);

}  // namespace tb
