#include "common/mpi_launch.h"

#include <cstdlib>
#include <initializer_list>

namespace tb {

bool launched_by_mpi() {
  // Open MPI's mpirun, then PMIx and PMI launchers (Slurm, MPICH's hydra).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

}  // namespace tb
