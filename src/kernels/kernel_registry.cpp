#include "kernels/kernel_registry.h"

#include "common/echo.h"
#include "kernels/allreduce/allreduce_problem.h"
#include "kernels/attention/attention_problem.h"
#include "kernels/gemm/gemm_problem.h"

namespace tb {

const std::vector<KernelInfo>& kernels() {
  static const std::vector<KernelInfo> list = {
      {"gemm", "C[M,N] = op(A)[M,K] * op(B)[K,N], row-major, 2*M*N*K FLOP",
       "m, n, k (required); ta=0|1, tb=0|1 (default 0); dtype=fp32|bf16|fp16 (default fp32)",
       "gemm:m=4096,n=4096,k=4096,dtype=bf16", &GemmProblem::parse},
      {"attention",
       "softmax(scale*Q*K^T)*V with causal mask and GQA; fwd 4*B*H*pairs*D FLOP (pairs: attended query/key "
       "pairs, about half of Sq*Skv when causal), bwd 2.5x, fwdbwd 3.5x",
       "b, h, sq, d (required); kvh (default h); skv (default sq); causal=0|1 (default 0); "
       "dtype=fp32|bf16|fp16 (default fp32); pass=fwd|bwd|fwdbwd (default fwd); scale (default 1/sqrt(d))",
       "attention:b=2,h=32,kvh=8,sq=2048,skv=2048,d=128,causal=1,dtype=bf16,pass=fwd", &AttentionProblem::parse},
      {"allreduce",
       "every rank ends with the element-wise reduction of all ranks' buffers (ring or MPI_Allreduce); "
       "reports algbw = bytes/time and busbw = algbw * 2(ranks-1)/ranks",
       "bytes, ranks (required); dtype=fp32|bf16|fp16 (default fp32); op=sum|max|min (default sum); "
       "inplace=0|1 (default: both); algo=ring|mpi (default ring); transport=threads|mpi (default mpi under "
       "mpirun, else threads)",
       "allreduce:bytes=64M,dtype=fp32,op=sum,ranks=4", &AllreduceProblem::parse, "inplace=0|1", /*collective=*/true},
  };
  return list;
}

const KernelInfo* find_kernel(std::string_view name) {
  for (const KernelInfo& k : kernels()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string kernel_names(bool (*keep)(const KernelInfo&), std::string_view conjunction) {
  std::vector<std::string> names;
  for (const KernelInfo& k : kernels()) {
    if (keep(k)) names.push_back(k.name);
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " " + std::string(conjunction) + " " : ", ";
    out += names[i];
  }
  return out;
}

std::string with_implicit_sweep(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::string(text);
  const std::string_view kernel = text.substr(0, colon);
  for (const KernelInfo& k : kernels()) {
    if (k.name != kernel || k.implicit_sweep.empty()) continue;
    const std::string key = k.implicit_sweep.substr(0, k.implicit_sweep.find('=') + 1);  // "inplace="
    const std::string params = "," + std::string(text.substr(colon + 1));
    if (params.find("," + key) != std::string::npos) return std::string(text);
    return std::string(text) + (colon + 1 == text.size() ? "" : ",") + k.implicit_sweep;
  }
  return std::string(text);
}

Expected<ProblemPtr> parse_problem(std::string_view text) {
  TB_ASSIGN_OR_RETURN(const ProblemSpec spec, parse_problem_spec(text));
  std::string known;
  for (const KernelInfo& k : kernels()) {
    if (k.name != spec.kernel) {
      known += (known.empty() ? "" : ", ") + k.name;
      continue;
    }
    TB_ASSIGN_OR_RETURN(ProblemPtr problem, k.parse(spec));
    TB_RETURN_IF_ERROR(problem->check_sizes());  // every kernel's sizes, before anything is allocated
    return problem;
  }
  return bad_input("unknown kernel '" + spec.kernel + "' in problem '" + echo_value(text) + "': expected one of " +
                   known + " (trainbench list kernels)");
}

}  // namespace tb
