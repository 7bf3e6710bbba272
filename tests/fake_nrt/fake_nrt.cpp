// A fake Neuron runtime for tests: exports the documented libnrt entry points
// as its own C declarations say (nrt_c_api.h, written from AWS's documentation,
// not from the adapter's nrt_api.h; tests/abi/nrt_abi_check.cpp compares the
// two) and runs the kernel a fake NEFF names on the CPU with our reference
// code, on host-backed tensors. Format, environment variables and counters:
// fake_nrt.h.
//
// Built twice: libfake_nrt.so, and libfake_nrt_missing_symbol.so with
// FAKE_NRT_OMIT_EXECUTE (no nrt_execute: a library that is not a complete runtime).
// No C++ exception leaves an entry point: each one catches and returns FAILURE.
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

// Every entry point exported (the library is built with hidden visibility):
// a definition below whose signature differs from its declaration does not
// compile (two C functions of one name).
#pragma GCC visibility push(default)
#include "fake_nrt/nrt_c_api.h"
#pragma GCC visibility pop

#include "fake_nrt/fake_nrt.h"
#include "kernels/attention/attention_problem.h"
#include "kernels/attention/attention_reference.h"
#include "kernels/gemm/gemm_problem.h"
#include "kernels/gemm/gemm_reference.h"
#include "kernels/kernel_registry.h"
#include "kernels/tensor.h"

extern "C" __attribute__((visibility("default"))) void fake_nrt_get_stats(fakenrt::FakeNrtStats* stats);

struct nrt_tensor {
  std::string name;
  std::vector<std::byte> data;  // host-backed "device" memory
};

// A loaded fake NEFF: the kernel's tensors (specs, in input_specs() /
// output_specs() order) and, position by position, the NEFF's own names and
// layouts for them.
struct nrt_model {
  tb::ProblemPtr problem;
  std::vector<tb::TensorSpec> inputs, outputs;
  std::vector<fakenrt::FakeTensor> neff_inputs, neff_outputs;
};

namespace {

// Fake device memory: tensors beyond this total fail with RESOURCE.
constexpr std::size_t kDeviceMemoryBytes = std::size_t{4} << 30;
constexpr std::uint32_t kDefaultNcCount = 2;

struct TensorSet {
  std::map<std::string, nrt_tensor_t*> tensors;  // not owned
};

struct FailRule {
  std::string call;  // without "nrt_"
  int status = NRT_FAILURE;
  std::int64_t from_call = 1;
};

struct Config {
  std::vector<FailRule> fail;
  bool strict = false;
  std::uint32_t nc_count = kDefaultNcCount;  // logical NeuronCores reported: physical / LNC
  bool instance_fails = false;
  std::uint32_t instance_family = NRT_INSTANCE_TRN1, instance_size = NRT_INSTANCE_SIZE_32XL;
};

struct State {
  std::mutex mu;
  bool initialized = false;
  bool closed = false;
  Config config;
  std::set<nrt_model_t*> models;
  std::set<nrt_tensor_t*> tensors;
  std::set<TensorSet*> sets;
  std::set<nrt_tensor_info_array_t*> infos;
  std::size_t device_bytes = 0;
  std::map<std::string, std::int64_t> calls;  // per entry point since nrt_init
  std::int64_t leaked_at_close = 0;
  std::int64_t misuse = 0;
  std::int64_t executions = 0;
};

State& state() {
  static State s;
  return s;
}

// Read at nrt_init; nrt_execute checks it without taking the lock.
std::atomic<bool> g_noop{false};

void say(const char* call, const std::string& what) { std::fprintf(stderr, "fake_nrt: %s: %s\n", call, what.c_str()); }

bool env_flag(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::strcmp(v, "1") == 0;
}

Config read_config() {
  Config c;
  c.strict = env_flag("FAKE_NRT_STRICT");
  if (const char* n = std::getenv("FAKE_NRT_NC_COUNT"); n != nullptr) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(n, &end, 10);
    if (end != n && *end == '\0' && v <= 1024) {
      c.nc_count = static_cast<std::uint32_t>(v);
    } else {
      say("config", std::string("ignoring FAKE_NRT_NC_COUNT='") + n + "'");
    }
  }
  // The logical-core size, as the runtime reads it: physical cores per logical core.
  if (const char* lnc = std::getenv("NEURON_LOGICAL_NC_CONFIG"); lnc != nullptr) {
    if (std::strcmp(lnc, "1") == 0 || std::strcmp(lnc, "2") == 0) {
      c.nc_count /= static_cast<std::uint32_t>(lnc[0] - '0');
    } else {
      say("config", std::string("ignoring NEURON_LOGICAL_NC_CONFIG='") + lnc + "' (1 or 2)");
    }
  }
  if (const char* inst = std::getenv("FAKE_NRT_INSTANCE"); inst != nullptr) {
    unsigned family = 0, size = 0;
    if (std::strcmp(inst, "fail") == 0) {
      c.instance_fails = true;
    } else if (std::sscanf(inst, "%u:%u", &family, &size) == 2) {
      c.instance_family = family;
      c.instance_size = size;
    } else {
      say("config", std::string("ignoring FAKE_NRT_INSTANCE='") + inst + "' (<family>:<size> or fail)");
    }
  }
  const char* fail = std::getenv("FAKE_NRT_FAIL");
  if (fail == nullptr) return c;
  std::string text = fail;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (item.empty()) continue;
    FailRule r;
    std::string rest = item;
    if (const std::size_t at = rest.find('@'); at != std::string::npos) {
      r.from_call = std::atoll(rest.c_str() + at + 1);
      rest.resize(at);
    }
    if (const std::size_t colon = rest.find(':'); colon != std::string::npos) {
      r.status = std::atoi(rest.c_str() + colon + 1);
      rest.resize(colon);
    }
    if (rest.rfind("nrt_", 0) == 0) rest.erase(0, 4);
    if (rest.empty() || r.from_call < 1 || r.status == NRT_SUCCESS) {
      say("config", "ignoring FAKE_NRT_FAIL entry '" + item + "'");
      continue;
    }
    r.call = rest;
    c.fail.push_back(r);
  }
  return c;
}

// Counts a call of entry point `call` and returns the status to inject, or SUCCESS.
int injected(State& s, const char* call) {
  const std::int64_t n = ++s.calls[call];
  for (const FailRule& r : s.config.fail) {
    if (r.call == call && n >= r.from_call) {
      say(call, "failing as FAKE_NRT_FAIL asks: status " + std::to_string(r.status));
      return r.status;
    }
  }
  return NRT_SUCCESS;
}

// Status for a call that needs an initialized runtime: SUCCESS, UNINITIALIZED or CLOSED.
int require_init(State& s, const char* call) {
  if (s.initialized) return NRT_SUCCESS;
  ++s.misuse;
  say(call, s.closed ? "called after nrt_close" : "called before nrt_init");
  return s.closed ? NRT_CLOSED : NRT_UNINITIALIZED;
}

int invalid(const char* call, const std::string& why, int status = NRT_INVALID) {
  say(call, why);
  return status;
}

int bad_handle(State& s, const char* call, const char* what) {
  ++s.misuse;
  return invalid(call, std::string("unknown or freed ") + what + " handle", NRT_INVALID_HANDLE);
}

// Runs `body` (returning a status) under the lock; exceptions become FAILURE/RESOURCE.
template <typename F>
int guarded(const char* call, F&& body) {
  try {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mu);
    return body(s);
  } catch (const std::bad_alloc&) {
    say(call, "out of host memory");
    return NRT_RESOURCE;
  } catch (const std::exception& e) {
    say(call, std::string("internal error: ") + e.what());
    return NRT_FAILURE;
  } catch (...) {
    say(call, "internal error");
    return NRT_FAILURE;
  }
}

template <typename F>
void guarded_void(const char* call, F&& body) {
  (void)guarded(call, [&](State& s) {
    body(s);
    return NRT_SUCCESS;
  });
}

std::int64_t live_objects(const State& s) {
  return static_cast<std::int64_t>(s.models.size() + s.tensors.size() + s.sets.size() + s.infos.size());
}

void free_info(nrt_tensor_info_array_t* info) {
  for (std::uint64_t i = 0; i < info->tensor_count; ++i) std::free(info->tensor_array[i].shape);
  std::free(info);
}

// ---- loading a fake NEFF ----

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s;
}

// The spec's shape as a NEFF tensor stores it: the last two dimensions
// swapped when it is transposed.
std::vector<std::int64_t> stored_shape(const tb::TensorSpec& spec, bool transposed) {
  std::vector<std::int64_t> shape = spec.shape;
  if (transposed && shape.size() >= 2) std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  return shape;
}

// Checks the file's tensors against the problem's, position by position
// (names are the NEFF's own); "" when they agree. Fills `out` with the file's
// tensors of that kind.
std::string compare_tensors(const std::vector<fakenrt::FakeTensor>& file, bool input,
                            const std::vector<tb::TensorSpec>& specs, std::vector<fakenrt::FakeTensor>& out) {
  for (const fakenrt::FakeTensor& t : file) {
    if (t.input == input) out.push_back(t);
  }
  const char* kind = input ? "input" : "output";
  if (out.size() != specs.size()) {
    return std::string("the kernel has ") + std::to_string(specs.size()) + " " + kind + "s, the file lists " +
           std::to_string(out.size());
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const fakenrt::FakeTensor& t = out[i];
    const tb::TensorSpec& spec = specs[i];
    const std::vector<std::int64_t> expected = stored_shape(spec, t.transposed);
    if (t.dtype != tb::dtype_name(spec.dtype) || t.shape != expected || (t.transposed && spec.shape.size() < 2)) {
      return std::string(kind) + " " + std::to_string(i) + " ('" + t.name + "') is '" + t.dtype + " " +
             shape_text(t.shape) + (t.transposed ? " transposed" : "") + "', the kernel's " + spec.name + " is '" +
             std::string(tb::dtype_name(spec.dtype)) + " " + shape_text(spec.shape) + "'";
    }
  }
  return "";
}

// Swaps the last two dimensions of row-major bytes whose last two dimensions
// are `rows` x `cols` (element size `element`), giving `cols` x `rows`.
std::vector<std::byte> transpose_planes(const std::vector<std::byte>& in, std::int64_t rows, std::int64_t cols,
                                        std::size_t element) {
  std::vector<std::byte> out(in.size());
  const std::size_t plane = static_cast<std::size_t>(rows * cols) * element;
  for (std::size_t base = 0; base + plane <= in.size(); base += plane) {
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t c = 0; c < cols; ++c) {
        const std::size_t from = base + static_cast<std::size_t>(r * cols + c) * element;
        const std::size_t to = base + static_cast<std::size_t>(c * rows + r) * element;
        std::memcpy(out.data() + to, in.data() + from, element);
      }
    }
  }
  return out;
}

int load_model(State& s, const char* call, const void* bytes, std::size_t size, std::int32_t vnc,
               std::int32_t vnc_count, nrt_model_t** model) {
  if (int st = require_init(s, call); st != NRT_SUCCESS) return st;
  if (int st = injected(s, call + 4); st != NRT_SUCCESS) return st;
  if (model == nullptr || bytes == nullptr || size == 0) return invalid(call, "null model pointer or empty NEFF");
  if (vnc < -1 || vnc >= static_cast<std::int32_t>(s.config.nc_count) || vnc_count == 0 || vnc_count < -1) {
    return invalid(call, "vnc " + std::to_string(vnc) + " / vnc_count " + std::to_string(vnc_count) +
                             " out of range (" + std::to_string(s.config.nc_count) + " NeuronCores)",
                   vnc >= static_cast<std::int32_t>(s.config.nc_count) ? NRT_LOAD_NOT_ENOUGH_NC : NRT_INVALID);
  }
  fakenrt::FakeNeff neff;
  int version = -1;
  const std::string error =
      fakenrt::parse(std::string_view(static_cast<const char*>(bytes), size), neff, version);
  if (!error.empty()) {
    const bool other_version = version >= 0 && version != fakenrt::kVersion;
    return invalid(call, "not a fake NEFF: " + error, other_version ? NRT_UNSUPPORTED_NEFF_VERSION : NRT_INVALID);
  }
  tb::Expected<tb::ProblemPtr> problem = tb::parse_problem(neff.kernel);
  if (!problem.ok()) return invalid(call, "bad kernel line: " + problem.error().message);
  const std::string_view kernel = (*problem)->kernel();
  if (kernel != "gemm" && kernel != "attention") {
    return invalid(call, "kernel '" + std::string(kernel) + "' is not one the fake runs (gemm, attention)");
  }
  auto m = std::make_unique<nrt_model_t>();
  m->inputs = (*problem)->input_specs();
  m->outputs = (*problem)->output_specs();
  for (const auto& [is_input, specs, listed] : {std::tuple{true, &m->inputs, &m->neff_inputs},
                                                std::tuple{false, &m->outputs, &m->neff_outputs}}) {
    if (std::string why = compare_tensors(neff.tensors, is_input, *specs, *listed); !why.empty()) {
      return invalid(call, "tensors disagree with " + neff.kernel + ": " + why);
    }
  }
  std::set<std::string> names;
  for (const fakenrt::FakeTensor& t : neff.tensors) {
    if (!names.insert(t.name).second) return invalid(call, "tensor name '" + t.name + "' repeats");
  }
  m->problem = std::move(problem).value();
  *model = m.get();
  s.models.insert(m.release());
  return NRT_SUCCESS;
}

// ---- running a kernel ----

const nrt_tensor_t* find_tensor(const TensorSet& set, const std::string& name) {
  const auto it = set.tensors.find(name);
  return it == set.tensors.end() ? nullptr : it->second;
}

// Looks up every tensor of the NEFF (by the NEFF's names) in `set`; "" or what is wrong.
std::string bind(State& s, const TensorSet& set, const std::vector<tb::TensorSpec>& specs,
                 const std::vector<fakenrt::FakeTensor>& listed, const char* kind, std::vector<nrt_tensor_t*>& out) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::string& name = listed[i].name;
    nrt_tensor_t* t = const_cast<nrt_tensor_t*>(find_tensor(set, name));
    if (t == nullptr) return std::string(kind) + " tensor '" + name + "' is not in the " + kind + " set";
    if (s.tensors.count(t) == 0) {
      ++s.misuse;
      return std::string(kind) + " tensor '" + name + "' was freed while still in a tensor set";
    }
    if (t->data.size() != static_cast<std::size_t>(specs[i].bytes())) {
      return std::string(kind) + " tensor '" + name + "' has " + std::to_string(t->data.size()) +
             " bytes, the model needs " + std::to_string(specs[i].bytes());
    }
    out.push_back(t);
  }
  return "";
}

// The reference results of the model's problem by output name, in double.
std::map<std::string, std::vector<double>> reference_outputs(const nrt_model_t& m,
                                                             const std::vector<tb::HostTensor>& in) {
  if (const auto* gemm = dynamic_cast<const tb::GemmProblem*>(m.problem.get()); gemm != nullptr) {
    return {{"c", tb::gemm_reference(*gemm, in[0], in[1])}};
  }
  const auto& attn = dynamic_cast<const tb::AttentionProblem&>(*m.problem);
  const tb::HostTensor* dout = attn.has_backward() ? &in[3] : nullptr;
  tb::AttentionReference r = tb::attention_reference(attn.shape(), in[0], in[1], in[2], dout);
  return {{"o", std::move(r.o)}, {"lse", std::move(r.lse)}, {"dq", std::move(r.dq)}, {"dk", std::move(r.dk)},
          {"dv", std::move(r.dv)}};
}

int run_kernel(State& s, const char* call, nrt_model_t* model, const void* inputs, void* outputs) {
  if (s.models.count(model) == 0) return bad_handle(s, call, "model");
  auto* in_set = static_cast<TensorSet*>(const_cast<void*>(inputs));
  auto* out_set = static_cast<TensorSet*>(outputs);
  if (s.sets.count(in_set) == 0 || s.sets.count(out_set) == 0) return bad_handle(s, call, "tensor set");
  std::vector<nrt_tensor_t*> in_tensors, out_tensors;
  if (std::string why = bind(s, *in_set, model->inputs, model->neff_inputs, "input", in_tensors); !why.empty()) {
    return invalid(call, why);
  }
  if (std::string why = bind(s, *out_set, model->outputs, model->neff_outputs, "output", out_tensors); !why.empty()) {
    return invalid(call, why);
  }
  std::vector<tb::HostTensor> host;
  for (std::size_t i = 0; i < model->inputs.size(); ++i) {
    const tb::TensorSpec& spec = model->inputs[i];
    host.emplace_back(spec);
    const std::size_t n = spec.shape.size();
    host.back().data = model->neff_inputs[i].transposed  // stored [.., c, r]: back to [.., r, c]
                           ? transpose_planes(in_tensors[i]->data, spec.shape[n - 1], spec.shape[n - 2],
                                              tb::dtype_size(spec.dtype))
                           : in_tensors[i]->data;
  }
  bool nan = false;
  const std::map<std::string, std::vector<double>> results = reference_outputs(*model, host);
  for (std::size_t i = 0; i < model->outputs.size(); ++i) {
    const tb::TensorSpec& spec = model->outputs[i];
    const auto found = results.find(spec.name);
    static const std::vector<double> kNone;
    const std::vector<double>& values = found != results.end() ? found->second : kNone;
    if (values.size() != static_cast<std::size_t>(spec.elements())) {
      return invalid(call, "no reference for output '" + spec.name + "'", NRT_FAILURE);
    }
    tb::HostTensor out(spec);
    for (std::size_t e = 0; e < values.size(); ++e) {
      nan = nan || std::isnan(values[e]);
      out.set(e, static_cast<float>(values[e]));
    }
    const std::size_t n = spec.shape.size();
    out_tensors[i]->data = model->neff_outputs[i].transposed
                               ? transpose_planes(out.data, spec.shape[n - 2], spec.shape[n - 1], tb::dtype_size(spec.dtype))
                               : out.data;
  }
  if (nan) return invalid(call, "the outputs hold NaN", NRT_EXEC_COMPLETED_WITH_NUM_ERR);
  ++s.executions;
  return NRT_SUCCESS;
}

int execute_impl(const char* call, nrt_model_t* model, const void* inputs, void* outputs, int repeat) {
  return guarded(call, [&](State& s) {
    if (int st = require_init(s, call); st != NRT_SUCCESS) return st;
    if (int st = injected(s, call + 4); st != NRT_SUCCESS) return st;
    if (repeat < 1) return invalid(call, "repeat_count " + std::to_string(repeat) + " < 1");
    for (int r = 0; r < repeat; ++r) {
      if (int st = run_kernel(s, call, model, inputs, outputs); st != NRT_SUCCESS) return st;
    }
    return static_cast<int>(NRT_SUCCESS);
  });
}

// Every count may be called before nrt_init (nrt.h).
int count_impl(const char* call, std::uint32_t* count) {
  return guarded(call, [&](State& s) {
    if (!s.initialized) s.config = read_config();
    if (int st = injected(s, call + 4); st != NRT_SUCCESS) return st;
    if (count == nullptr) return invalid(call, "null count pointer");
    *count = s.config.nc_count;
    return static_cast<int>(NRT_SUCCESS);
  });
}

}  // namespace

extern "C" {

NRT_STATUS nrt_init(nrt_framework_type_t framework, const char* fw_version, const char* fal_version) {
  return static_cast<NRT_STATUS>(guarded("nrt_init", [&](State& s) {
    if (s.initialized) {
      ++s.misuse;
      return invalid("nrt_init", "called twice without nrt_close");
    }
    // A new session: fresh configuration and counters (the count of nrt_init calls stays).
    s.config = read_config();
    g_noop.store(env_flag("FAKE_NRT_NOOP"), std::memory_order_relaxed);
    const std::int64_t init_calls = s.calls["init"];
    s.calls.clear();
    s.calls["init"] = init_calls;
    s.closed = false;
    s.leaked_at_close = 0;
    s.misuse = 0;
    s.executions = 0;
    if (int st = injected(s, "init"); st != NRT_SUCCESS) return st;
    if (framework < NRT_FRAMEWORK_TYPE_NO_FW || framework > NRT_FRAMEWORK_TYPE_PRECHECK || fw_version == nullptr ||
        fal_version == nullptr) {
      return invalid("nrt_init", "bad framework type or null version string");
    }
    s.initialized = true;
    return static_cast<int>(NRT_SUCCESS);
  }));
}

void nrt_close(void) {
  guarded_void("nrt_close", [&](State& s) {
    if (!s.initialized) {
      ++s.misuse;
      say("nrt_close", "called without nrt_init");
      return;
    }
    const std::int64_t leaked = live_objects(s);
    if (leaked > 0) {
      std::fprintf(stderr,
                   "fake_nrt: nrt_close: still alive: %zu model(s), %zu tensor(s), %zu tensor set(s), %zu tensor "
                   "info(s)\n",
                   s.models.size(), s.tensors.size(), s.sets.size(), s.infos.size());
      if (s.config.strict) {
        std::fprintf(stderr, "fake_nrt: FAKE_NRT_STRICT=1: aborting\n");
        std::abort();
      }
    }
    // The runtime releases everything at close; the leak stays counted.
    for (nrt_model_t* m : s.models) delete m;
    for (nrt_tensor_t* t : s.tensors) delete t;
    for (TensorSet* set : s.sets) delete set;
    for (nrt_tensor_info_array_t* info : s.infos) free_info(info);
    s.models.clear();
    s.tensors.clear();
    s.sets.clear();
    s.infos.clear();
    s.device_bytes = 0;
    s.leaked_at_close = leaked;
    s.initialized = false;
    s.closed = true;
  });
}

NRT_STATUS nrt_get_version(nrt_version_t* ver, std::size_t size) {
  return static_cast<NRT_STATUS>(guarded("nrt_get_version", [&](State& s) {
    if (!s.initialized) s.config = read_config();
    if (int st = injected(s, "get_version"); st != NRT_SUCCESS) return st;
    if (ver == nullptr || size == 0) return invalid("nrt_get_version", "null version or zero size");
    nrt_version_t v{};
    v.rt_major = 2;
    v.rt_minor = 99;
    v.rt_patch = 0;
    v.rt_maintenance = 0;
    std::snprintf(v.rt_detail, sizeof v.rt_detail, "fake_nrt: trainbench test runtime (CPU reference kernels)");
    std::snprintf(v.git_hash, sizeof v.git_hash, "fake");
    std::memcpy(ver, &v, size < sizeof v ? size : sizeof v);
    return static_cast<int>(NRT_SUCCESS);
  }));
}

NRT_STATUS nrt_get_instance_info(nrt_instance_info_t* info, std::size_t instance_info_len) {
  return static_cast<NRT_STATUS>(guarded("nrt_get_instance_info", [&](State& s) {
    if (!s.initialized) s.config = read_config();  // callable before nrt_init
    if (int st = injected(s, "get_instance_info"); st != NRT_SUCCESS) return st;
    if (s.config.instance_fails) {
      return invalid("nrt_get_instance_info", "failing as FAKE_NRT_INSTANCE=fail asks", NRT_FAILURE);
    }
    if (info == nullptr || instance_info_len < sizeof(nrt_instance_info_t)) {
      return invalid("nrt_get_instance_info", "null info or a length below sizeof(nrt_instance_info_t)");
    }
    *info = nrt_instance_info_t{};
    info->family = s.config.instance_family;
    info->size = s.config.instance_size;
    std::snprintf(info->arch_name, sizeof info->arch_name, "fake");
    std::snprintf(info->device_revision, sizeof info->device_revision, "0");
    return static_cast<int>(NRT_SUCCESS);
  }));
}

NRT_STATUS nrt_get_total_nc_count(std::uint32_t* count) {
  return static_cast<NRT_STATUS>(count_impl("nrt_get_total_nc_count", count));
}
NRT_STATUS nrt_get_visible_nc_count(std::uint32_t* count) {
  return static_cast<NRT_STATUS>(count_impl("nrt_get_visible_nc_count", count));
}
NRT_STATUS nrt_get_total_vnc_count(std::uint32_t* count) {
  return static_cast<NRT_STATUS>(count_impl("nrt_get_total_vnc_count", count));
}
NRT_STATUS nrt_get_visible_vnc_count(std::uint32_t* count) {
  return static_cast<NRT_STATUS>(count_impl("nrt_get_visible_vnc_count", count));
}

NRT_STATUS nrt_load(const void* neff_bytes, std::size_t size, std::int32_t vnc, std::int32_t vnc_count,
                    nrt_model_t** model) {
  return static_cast<NRT_STATUS>(guarded("nrt_load", [&](State& s) {
    return load_model(s, "nrt_load", neff_bytes, size, vnc, vnc_count, model);
  }));
}

NRT_STATUS nrt_load_collectives(const void* neff_bytes, std::size_t size, std::int32_t vnc, std::int32_t vnc_count,
                                std::uint32_t ctx_device_id, std::uint32_t ctx_device_count, nrt_model_t** model) {
  return static_cast<NRT_STATUS>(guarded("nrt_load_collectives", [&](State& s) {
    if (ctx_device_count == 0 || ctx_device_id >= ctx_device_count) {
      return invalid("nrt_load_collectives", "ctx_device_id " + std::to_string(ctx_device_id) + " of " +
                                                 std::to_string(ctx_device_count));
    }
    return load_model(s, "nrt_load_collectives", neff_bytes, size, vnc, vnc_count, model);
  }));
}

NRT_STATUS nrt_unload(nrt_model_t* model) {
  return static_cast<NRT_STATUS>(guarded("nrt_unload", [&](State& s) {
    if (int st = require_init(s, "nrt_unload"); st != NRT_SUCCESS) return st;
    if (s.models.erase(model) == 0) return bad_handle(s, "nrt_unload", "model");
    delete model;  // released even when a failure is injected below
    return injected(s, "unload");
  }));
}

NRT_STATUS nrt_tensor_allocate(nrt_tensor_placement_t placement, int vnc, std::size_t size, const char* name,
                               nrt_tensor_t** tensor) {
  return static_cast<NRT_STATUS>(guarded("nrt_tensor_allocate", [&](State& s) {
    const char* call = "nrt_tensor_allocate";
    if (int st = require_init(s, call); st != NRT_SUCCESS) return st;
    if (int st = injected(s, "tensor_allocate"); st != NRT_SUCCESS) return st;
    if (tensor == nullptr || name == nullptr || size == 0) return invalid(call, "null pointer or zero size");
    if (placement < NRT_TENSOR_PLACEMENT_DEVICE || placement > NRT_TENSOR_PLACEMENT_VIRTUAL) {
      return invalid(call, "bad placement " + std::to_string(placement));
    }
    if (vnc < 0 || vnc >= static_cast<int>(s.config.nc_count)) return invalid(call, "vnc " + std::to_string(vnc));
    if (size > kDeviceMemoryBytes - s.device_bytes) {
      return invalid(call, "out of fake device memory for '" + std::string(name) + "' (" + std::to_string(size) + " B)",
                     NRT_RESOURCE);
    }
    auto t = std::make_unique<nrt_tensor_t>();
    t->name = name;
    // Device memory starts as garbage: all-ones bytes read as NaN in fp32, bf16 and fp16.
    t->data.assign(size, std::byte{0xFF});
    s.device_bytes += size;
    *tensor = t.get();
    s.tensors.insert(t.release());
    return static_cast<int>(NRT_SUCCESS);
  }));
}

void nrt_tensor_free(nrt_tensor_t** tensor) {
  guarded_void("nrt_tensor_free", [&](State& s) {
    if (tensor == nullptr || *tensor == nullptr) return;
    if (s.tensors.erase(*tensor) == 0) {
      (void)bad_handle(s, "nrt_tensor_free", "tensor");
      return;
    }
    s.device_bytes -= (*tensor)->data.size();
    delete *tensor;
    *tensor = nullptr;
  });
}

NRT_STATUS nrt_tensor_write(nrt_tensor_t* tensor, const void* buf, std::size_t offset, std::size_t size) {
  return static_cast<NRT_STATUS>(guarded("nrt_tensor_write", [&](State& s) {
    const char* call = "nrt_tensor_write";
    if (int st = require_init(s, call); st != NRT_SUCCESS) return st;
    if (int st = injected(s, "tensor_write"); st != NRT_SUCCESS) return st;
    if (s.tensors.count(tensor) == 0) return bad_handle(s, call, "tensor");
    if (buf == nullptr || offset > tensor->data.size() || size > tensor->data.size() - offset) {
      return invalid(call, "null buffer or bytes [" + std::to_string(offset) + ", +" + std::to_string(size) +
                               ") outside tensor '" + tensor->name + "' of " + std::to_string(tensor->data.size()));
    }
    std::memcpy(tensor->data.data() + offset, buf, size);
    return static_cast<int>(NRT_SUCCESS);
  }));
}

NRT_STATUS nrt_tensor_read(const nrt_tensor_t* tensor, void* buf, std::size_t offset, std::size_t size) {
  return static_cast<NRT_STATUS>(guarded("nrt_tensor_read", [&](State& s) {
    const char* call = "nrt_tensor_read";
    if (int st = require_init(s, call); st != NRT_SUCCESS) return st;
    if (int st = injected(s, "tensor_read"); st != NRT_SUCCESS) return st;
    auto* t = const_cast<nrt_tensor_t*>(tensor);
    if (s.tensors.count(t) == 0) return bad_handle(s, call, "tensor");
    if (buf == nullptr || offset > t->data.size() || size > t->data.size() - offset) {
      return invalid(call, "null buffer or bytes [" + std::to_string(offset) + ", +" + std::to_string(size) +
                               ") outside tensor '" + t->name + "' of " + std::to_string(t->data.size()));
    }
    std::memcpy(buf, t->data.data() + offset, size);
    return static_cast<int>(NRT_SUCCESS);
  }));
}

std::size_t nrt_tensor_get_size(const nrt_tensor_t* tensor) {
  std::size_t size = 0;
  guarded_void("nrt_tensor_get_size", [&](State& s) {
    auto* t = const_cast<nrt_tensor_t*>(tensor);
    if (s.tensors.count(t) == 0) {
      (void)bad_handle(s, "nrt_tensor_get_size", "tensor");
      return;
    }
    size = t->data.size();
  });
  return size;
}

NRT_STATUS nrt_allocate_tensor_set(nrt_tensor_set_t** result) {
  return static_cast<NRT_STATUS>(guarded("nrt_allocate_tensor_set", [&](State& s) {
    if (int st = require_init(s, "nrt_allocate_tensor_set"); st != NRT_SUCCESS) return st;
    if (int st = injected(s, "allocate_tensor_set"); st != NRT_SUCCESS) return st;
    if (result == nullptr) return invalid("nrt_allocate_tensor_set", "null result pointer");
    auto set = std::make_unique<TensorSet>();
    *result = set.get();
    s.sets.insert(set.release());
    return static_cast<int>(NRT_SUCCESS);
  }));
}

void nrt_destroy_tensor_set(nrt_tensor_set_t** set) {
  guarded_void("nrt_destroy_tensor_set", [&](State& s) {
    if (set == nullptr || *set == nullptr) return;
    auto* ts = static_cast<TensorSet*>(*set);
    if (s.sets.erase(ts) == 0) {
      (void)bad_handle(s, "nrt_destroy_tensor_set", "tensor set");
      return;
    }
    delete ts;
    *set = nullptr;
  });
}

NRT_STATUS nrt_add_tensor_to_tensor_set(nrt_tensor_set_t* set, const char* name, nrt_tensor_t* tensor) {
  return static_cast<NRT_STATUS>(guarded("nrt_add_tensor_to_tensor_set", [&](State& s) {
    const char* call = "nrt_add_tensor_to_tensor_set";
    if (int st = require_init(s, call); st != NRT_SUCCESS) return st;
    if (int st = injected(s, "add_tensor_to_tensor_set"); st != NRT_SUCCESS) return st;
    auto* ts = static_cast<TensorSet*>(set);
    if (s.sets.count(ts) == 0) return bad_handle(s, call, "tensor set");
    if (s.tensors.count(tensor) == 0) return bad_handle(s, call, "tensor");
    if (name == nullptr || name[0] == '\0') return invalid(call, "null or empty name");
    ts->tensors[name] = tensor;
    return static_cast<int>(NRT_SUCCESS);
  }));
}

#ifndef FAKE_NRT_OMIT_EXECUTE
NRT_STATUS nrt_execute(nrt_model_t* model, const nrt_tensor_set_t* inputs, nrt_tensor_set_t* outputs) {
  if (g_noop.load(std::memory_order_relaxed)) return NRT_SUCCESS;  // FAKE_NRT_NOOP=1
  return static_cast<NRT_STATUS>(execute_impl("nrt_execute", model, inputs, outputs, 1));
}
#endif

NRT_STATUS nrt_execute_repeat(nrt_model_t* model, const nrt_tensor_set_t* inputs, nrt_tensor_set_t* outputs,
                              int repeat_count) {
  if (g_noop.load(std::memory_order_relaxed)) return NRT_SUCCESS;
  return static_cast<NRT_STATUS>(execute_impl("nrt_execute_repeat", model, inputs, outputs, repeat_count));
}

NRT_STATUS nrt_get_model_tensor_info(nrt_model_t* model, nrt_tensor_info_array_t** info) {
  return static_cast<NRT_STATUS>(guarded("nrt_get_model_tensor_info", [&](State& s) {
    const char* call = "nrt_get_model_tensor_info";
    if (int st = require_init(s, call); st != NRT_SUCCESS) return st;
    if (int st = injected(s, "get_model_tensor_info"); st != NRT_SUCCESS) return st;
    if (s.models.count(model) == 0) return bad_handle(s, call, "model");
    if (info == nullptr) return invalid(call, "null info pointer");
    struct Listed {
      const tb::TensorSpec* spec;
      const fakenrt::FakeTensor* neff;
      nrt_tensor_usage_t usage;
    };
    std::vector<Listed> all;
    for (std::size_t i = 0; i < model->inputs.size(); ++i) {
      all.push_back({&model->inputs[i], &model->neff_inputs[i], NRT_TENSOR_USAGE_INPUT});
    }
    for (std::size_t i = 0; i < model->outputs.size(); ++i) {
      all.push_back({&model->outputs[i], &model->neff_outputs[i], NRT_TENSOR_USAGE_OUTPUT});
    }
    auto* array = static_cast<nrt_tensor_info_array_t*>(
        std::calloc(1, sizeof(nrt_tensor_info_array_t) + all.size() * sizeof(nrt_tensor_info_t)));
    if (array == nullptr) return invalid(call, "out of host memory", NRT_FAIL_HOST_MEM_ALLOC);
    array->tensor_count = all.size();
    for (std::size_t i = 0; i < all.size(); ++i) {
      const tb::TensorSpec& spec = *all[i].spec;
      const std::vector<std::int64_t>& shape = all[i].neff->shape;
      nrt_tensor_info_t& t = array->tensor_array[i];
      std::snprintf(t.name, sizeof t.name, "%s", all[i].neff->name.c_str());
      t.usage = all[i].usage;
      t.size = static_cast<std::size_t>(spec.bytes());
      t.dtype = spec.dtype == tb::DType::kFp32   ? NRT_DTYPE_FLOAT32
                : spec.dtype == tb::DType::kBf16 ? NRT_DTYPE_BFLOAT16
                                                 : NRT_DTYPE_FLOAT16;
      t.ndim = static_cast<std::uint32_t>(shape.size());
      t.shape = static_cast<std::uint32_t*>(std::calloc(shape.size() + 1, sizeof(std::uint32_t)));
      if (t.shape == nullptr) {
        free_info(array);
        return invalid(call, "out of host memory", NRT_FAIL_HOST_MEM_ALLOC);
      }
      for (std::size_t d = 0; d < shape.size(); ++d) t.shape[d] = static_cast<std::uint32_t>(shape[d]);
    }
    *info = array;
    s.infos.insert(array);
    return static_cast<int>(NRT_SUCCESS);
  }));
}

NRT_STATUS nrt_free_model_tensor_info(nrt_tensor_info_array_t* info) {
  return static_cast<NRT_STATUS>(guarded("nrt_free_model_tensor_info", [&](State& s) {
    if (int st = require_init(s, "nrt_free_model_tensor_info"); st != NRT_SUCCESS) return st;
    if (s.infos.erase(info) == 0) return bad_handle(s, "nrt_free_model_tensor_info", "tensor info");
    free_info(info);  // released even when a failure is injected below
    return injected(s, "free_model_tensor_info");
  }));
}

const char* nrt_get_status_as_str(NRT_STATUS status) {
  return status == NRT_SUCCESS ? "success" : "fake_nrt: an error (the caller prints the number)";
}

void fake_nrt_get_stats(fakenrt::FakeNrtStats* stats) {
  guarded_void("fake_nrt_get_stats", [&](State& s) {
    if (stats == nullptr) return;
    stats->models = static_cast<std::int64_t>(s.models.size());
    stats->tensors = static_cast<std::int64_t>(s.tensors.size());
    stats->tensor_sets = static_cast<std::int64_t>(s.sets.size());
    stats->tensor_infos = static_cast<std::int64_t>(s.infos.size());
    stats->leaked_at_close = s.leaked_at_close;
    stats->misuse = s.misuse;
    stats->executions = s.executions;
    stats->initialized = s.initialized;
  });
}

}  // extern "C"
