// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun
// with PMI/PMIx). Read from the launcher's environment, so it needs no MPI
// library: kernels use it to pick the default all-reduce transport.
#pragma once

namespace tb {

bool launched_by_mpi();

}  // namespace tb
