#include "kernels/allreduce/allreduce_problem.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/mpi_launch.h"

namespace tb {
namespace {

int significand_bits(DType dtype) {
  switch (dtype) {
    case DType::kFp32: return 24;
    case DType::kBf16: return 8;
    case DType::kFp16: return 11;
    case DType::kFp8E4m3: return 4;  // unreachable: parse() rejects fp8
  }
  return 8;
}

constexpr double kInputScale = 0.125;  // inputs are k/8: exact in every dtype, not all integers

}  // namespace

std::string_view allreduce_algo_name(AllreduceAlgo algo) {
  switch (algo) {
    case AllreduceAlgo::kRing: return "ring";
    case AllreduceAlgo::kMpi: return "mpi";
    case AllreduceAlgo::kNccl: return "nccl";
  }
  return "ring";
}

std::string_view allreduce_transport_name(AllreduceTransport transport) {
  return transport == AllreduceTransport::kThreads ? "threads" : "mpi";
}

AllreduceProblem::AllreduceProblem(std::int64_t bytes, DType dtype, ReduceOp op, int ranks, bool in_place,
                                   AllreduceAlgo algo, AllreduceTransport transport)
    : bytes_(bytes),
      count_(bytes / static_cast<std::int64_t>(dtype_size(dtype))),
      dtype_(dtype),
      op_(op),
      ranks_(ranks),
      in_place_(in_place),
      algo_(algo),
      transport_(transport),
      magnitude_(std::clamp((1 << significand_bits(dtype)) / std::max(ranks, 1), 1, 16)) {}

Expected<ProblemPtr> AllreduceProblem::parse(const ProblemSpec& spec) {
  ParamReader r(spec);
  TB_ASSIGN_OR_RETURN(const std::int64_t bytes, r.size("bytes", 1, kMaxBytes));
  TB_ASSIGN_OR_RETURN(const std::int64_t ranks, r.size("ranks", 1, kMaxRanks));
  TB_ASSIGN_OR_RETURN(const DType dtype, r.dtype("dtype", DType::kFp32));
  TB_ASSIGN_OR_RETURN(const std::string op_name, r.choice("op", {"sum", "max", "min"}, "sum"));
  TB_ASSIGN_OR_RETURN(const bool in_place, r.flag("inplace", false));
  TB_ASSIGN_OR_RETURN(const std::string algo_name, r.choice("algo", {"ring", "mpi", "nccl"}, "ring"));
  TB_ASSIGN_OR_RETURN(const std::string transport_name,
                      r.choice("transport", {"threads", "mpi"}, launched_by_mpi() ? "mpi" : "threads"));
  TB_RETURN_IF_ERROR(r.finish());
  if (dtype == DType::kFp8E4m3) {
    return bad_input("allreduce dtype 'fp8' is not supported: expected fp32, bf16 or fp16 (fp8 is a GEMM input type "
                     "here; collectives reduce in fp32, bf16 or fp16)");
  }
  const auto size = static_cast<std::int64_t>(dtype_size(dtype));
  if (bytes % size != 0) {
    return bad_input("'bytes=" + std::to_string(bytes) + "' is not a multiple of the " +
                     std::string(dtype_name(dtype)) + " element size (" + std::to_string(size) + " B)");
  }
  const AllreduceAlgo algo = algo_name == "ring"  ? AllreduceAlgo::kRing
                             : algo_name == "mpi" ? AllreduceAlgo::kMpi
                                                  : AllreduceAlgo::kNccl;
  const AllreduceTransport transport = transport_name == "threads" ? AllreduceTransport::kThreads : AllreduceTransport::kMpi;
  if (algo == AllreduceAlgo::kMpi && transport != AllreduceTransport::kMpi) {
    return bad_input("'algo=mpi' is the MPI library's MPI_Allreduce and needs transport=mpi: launch with "
                     "mpirun -np " + std::to_string(ranks) + " trainbench run ...");
  }
  if (algo == AllreduceAlgo::kMpi && bytes / size > kMaxMpiCount) {
    return bad_input("'bytes=" + std::to_string(bytes) + "' is " + std::to_string(bytes / size) +
                     " elements; algo=mpi takes at most " + std::to_string(kMaxMpiCount) + " (MPI's int count)");
  }
  return ProblemPtr(std::make_shared<AllreduceProblem>(bytes, dtype, *parse_reduce_op(op_name), static_cast<int>(ranks),
                                                       in_place, algo, transport));
}

std::string AllreduceProblem::to_string() const {
  return "allreduce:bytes=" + format_size(bytes_) + ",dtype=" + std::string(dtype_name(dtype_)) +
         ",op=" + std::string(reduce_op_name(op_)) + ",ranks=" + std::to_string(ranks_) +
         ",inplace=" + (in_place_ ? "1" : "0") + ",algo=" + std::string(allreduce_algo_name(algo_)) +
         ",transport=" + std::string(allreduce_transport_name(transport_));
}

double AllreduceProblem::flop() const { return static_cast<double>(ranks_ - 1) * static_cast<double>(count_); }

std::vector<TensorSpec> AllreduceProblem::input_specs() const {
  if (transport_ == AllreduceTransport::kMpi) return {{"send", dtype_, {count_}}};
  std::vector<TensorSpec> specs;
  for (int r = 0; r < ranks_; ++r) specs.push_back({"send.r" + std::to_string(r), dtype_, {count_}});
  return specs;
}

std::vector<TensorSpec> AllreduceProblem::output_specs() const {
  if (transport_ == AllreduceTransport::kMpi) return {{"recv", dtype_, {count_}}};
  std::vector<TensorSpec> specs;
  for (int r = 0; r < ranks_; ++r) specs.push_back({"recv.r" + std::to_string(r), dtype_, {count_}});
  return specs;
}

std::vector<HostTensor> AllreduceProblem::make_inputs(std::uint64_t seed, int process_rank) const {
  std::vector<HostTensor> inputs;
  const std::vector<TensorSpec> specs = input_specs();
  for (std::size_t t = 0; t < specs.size(); ++t) {
    const int rank = transport_ == AllreduceTransport::kMpi ? process_rank : static_cast<int>(t);
    HostTensor& tensor = inputs.emplace_back(specs[t]);
    for (std::int64_t i = 0; i < count_; ++i) {
      tensor.set(static_cast<std::size_t>(i), static_cast<float>(input_value(seed, rank, i)));
    }
  }
  return inputs;
}

std::optional<CollectiveInfo> AllreduceProblem::collective() const {
  CollectiveInfo c;
  c.ranks = ranks_;
  c.transport = std::string(allreduce_transport_name(transport_));
  c.algo = std::string(allreduce_algo_name(algo_));
  c.op = std::string(reduce_op_name(op_));
  c.in_place = in_place_;
  c.count = count_;
  c.bus_factor = 2.0 * (ranks_ - 1) / ranks_;
  return c;
}

double AllreduceProblem::input_value(std::uint64_t seed, int rank, std::int64_t i) const {
  const std::uint64_t bits =
      splitmix64(splitmix64(seed ^ (0xA11EDCull << 20) ^ static_cast<std::uint64_t>(rank)) + static_cast<std::uint64_t>(i));
  const auto k = static_cast<int>(bits % static_cast<std::uint64_t>(magnitude_)) + 1;  // 1 .. K
  return ((bits >> 32) & 1 ? -k : k) * kInputScale;
}

double AllreduceProblem::expected_value(std::uint64_t seed, std::int64_t i) const {
  double acc = input_value(seed, 0, i);
  for (int r = 1; r < ranks_; ++r) {
    const double v = input_value(seed, r, i);
    switch (op_) {
      case ReduceOp::kSum: acc += v; break;
      case ReduceOp::kMax: acc = std::max(acc, v); break;
      case ReduceOp::kMin: acc = std::min(acc, v); break;
    }
  }
  return acc;
}

Verification AllreduceProblem::verify(const std::vector<HostTensor>& /*inputs*/, const std::vector<HostTensor>& outputs,
                                      std::uint64_t seed) const {
  Verification v;
  v.metric = "allreduce_exact";
  v.tolerance = 0.0;
  const std::size_t expected_outputs = static_cast<std::size_t>(local_ranks());
  if (outputs.size() != expected_outputs) {
    v.detail = "backend returned " + std::to_string(outputs.size()) + " outputs, expected " +
               std::to_string(expected_outputs);
    return v;
  }
  for (const HostTensor& out : outputs) {
    if (out.spec.elements() != count_ || out.spec.dtype != dtype_) {
      v.detail = "backend returned output " + out.spec.name + " of the wrong shape or dtype";
      return v;
    }
  }
  v.total = count_ * static_cast<std::int64_t>(outputs.size());
  for (std::int64_t i = 0; i < count_; ++i) {
    const double expected = expected_value(seed, i);
    for (const HostTensor& out : outputs) {
      const double got = out.at(static_cast<std::size_t>(i));
      ++v.checked;
      if (got == expected) continue;
      ++v.wrong;
      if (!std::isfinite(got)) ++v.nonfinite;
      const double error = std::isfinite(got) ? std::abs(got - expected) : std::numeric_limits<double>::infinity();
      if (v.wrong == 1 || error > v.max_error) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%s[%lld] = %.9g, expected %.9g", out.spec.name.c_str(),
                      static_cast<long long>(i), got, expected);
        v.detail = buf;
      }
      v.max_error = std::max(v.max_error, error);
    }
  }
  v.passed = v.wrong == 0;
  if (!v.passed) {
    v.detail = std::to_string(v.wrong) + " of " + std::to_string(v.total) + " elements wrong; worst " + v.detail;
  }
  return v;
}

}  // namespace tb
