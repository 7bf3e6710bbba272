// Model files (data/models/*.model), parameter counts, and the decomposition
// of a training step into kernel problems (docs/models.md).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "kernels/kernel_registry.h"
#include "model/model_config.h"
#include "model/step_decomposition.h"
#include "support/temp_dir.h"
#include "support/text.h"

namespace tb {
namespace {

using tbtest::expect_contains_all;
using tbtest::TempDir;

const std::vector<std::string> kShipped = {"composition-check", "gpt3-175b", "llama2-13b", "llama2-70b",    "llama2-7b",     "llama3-70b",
                                           "llama3-8b", "llama3.1-405b", "llama3.2-1b", "mpt-70b", "mpt-7b",
                                           "nemotron4-15b", "nemotron4-340b"};

ModelConfig load_or_fail(const std::string& name) {
  Expected<ModelConfig> m = load_model(name);
  if (!m.ok()) {
    ADD_FAILURE() << m.error().message;
    return {};
  }
  return *m;
}

RunSettings single_device(const ModelConfig& m) {
  RunSettings run = m.defaults;
  run.tp = 1;
  run.dp = 1;
  return run;
}

StepDecomposition decompose_or_fail(const ModelConfig& m, const RunSettings& run) {
  Expected<StepDecomposition> s = decompose(m, run);
  if (!s.ok()) {
    ADD_FAILURE() << s.error().message;
    return {};
  }
  return *s;
}

const char kValidFile[] =
    "# a tiny model\n"
    "layers = 2\n"
    "hidden = 64   # d_model\n"
    "heads = 4\n"
    "kv_heads = 2\n"
    "ffn = 128\n"
    "mlp = gated\n"
    "vocab = 100\n"
    "seq_len = 16\n"
    "\n"
    "micro_batch = 2\n"
    "tp = 2\n"
    "dp = 1\n"
    "dtype = bf16\n";

// ---- model files ----

TEST(ModelConfigTest, ShippedModelsAreListedAndParse) {
  EXPECT_EQ(list_models(), kShipped);
  for (const std::string& name : kShipped) {
    const Expected<ModelConfig> m = load_model(name);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->name, name);
    EXPECT_TRUE(validate(*m, m->defaults).ok()) << name;
  }
}

TEST(ModelConfigTest, PublishedShapes) {
  const ModelConfig m8 = load_or_fail("llama3-8b");
  EXPECT_EQ(m8.layers, 32);
  EXPECT_EQ(m8.hidden, 4096);
  EXPECT_EQ(m8.heads, 32);
  EXPECT_EQ(m8.kv_heads, 8);
  EXPECT_EQ(m8.ffn, 14336);
  EXPECT_EQ(m8.vocab, 128256);
  EXPECT_EQ(m8.mlp, MlpKind::kGated);
  EXPECT_EQ(m8.head_dim(), 128);
  const ModelConfig g = load_or_fail("gpt3-175b");
  EXPECT_EQ(g.mlp, MlpKind::kPlain);
  EXPECT_EQ(g.layers, 96);
  EXPECT_EQ(g.hidden, 12288);
  EXPECT_EQ(g.ffn, 4 * g.hidden);
  EXPECT_EQ(g.seq_len, 2048);
  EXPECT_EQ(g.vocab, 50257);
}

TEST(ModelConfigTest, ParameterCountsMatchPublishedSizes) {
  const struct {
    const char* name;
    double published;  // total parameters, embeddings included
  } cases[] = {{"llama3.2-1b", 1.24e9}, {"llama3-8b", 8.03e9}, {"llama3-70b", 70.6e9}, {"gpt3-175b", 175e9}};
  for (const auto& c : cases) {
    const ParameterCount p = load_or_fail(c.name).parameters();
    EXPECT_NEAR(static_cast<double>(p.total) / c.published, 1.0, 0.02) << c.name << " total " << p.total;
    EXPECT_EQ(p.total, p.embedding + p.non_embedding) << c.name;
  }
  // Hand count, Llama 3 8B: per layer q,o 4096^2 each, k,v 4096*1024 each,
  // MLP 3*4096*14336, two norms 2*4096; final norm; embedding and LM head 128256*4096 each.
  const std::int64_t per_layer = 2 * 4096LL * 4096 + 2 * 4096LL * 1024 + 3 * 4096LL * 14336 + 2 * 4096;
  const ParameterCount p8 = load_or_fail("llama3-8b").parameters();
  EXPECT_EQ(p8.non_embedding, 32 * per_layer + 4096);
  EXPECT_EQ(p8.embedding, 2 * 128256LL * 4096);
  EXPECT_EQ(p8.total, 8030261248LL);
  EXPECT_EQ(p8.matmul, 32 * (per_layer - 2 * 4096) + 128256LL * 4096);
  // Tied embeddings (Llama 3.2 1B) count the matrix once.
  const ParameterCount p1 = load_or_fail("llama3.2-1b").parameters();
  EXPECT_EQ(p1.embedding, 128256LL * 2048);
}

TEST(ModelConfigTest, ReadsCommentsBlankLinesAndOptionalKeys) {
  const TempDir dir;
  const Expected<ModelConfig> m =
      read_model_file(dir.write("tiny.model", std::string(kValidFile) + "grad_dtype = bf16\n"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->name, "tiny");
  EXPECT_EQ(m->hidden, 64);
  EXPECT_EQ(m->defaults.micro_batch, 2);
  EXPECT_EQ(m->defaults.tp, 2);
  EXPECT_EQ(m->defaults.dtype, DType::kBf16);
  EXPECT_EQ(m->defaults.grad_dtype, DType::kBf16);
  EXPECT_FALSE(m->tie_embeddings);
}

TEST(ModelConfigTest, UnknownKeyNamesFileAndLine) {
  const TempDir dir;
  const std::string path = dir.write("bad.model", std::string(kValidFile) + "layerz = 3\n");
  const Expected<ModelConfig> m = read_model_file(path);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kBadInput);
  expect_contains_all(m.error().message, {path + ":15:", "unknown key 'layerz'", "expected one of", "layers"});
}

TEST(ModelConfigTest, MalformedNumberNamesFileAndLine) {
  const TempDir dir;
  std::string text = kValidFile;
  text.replace(text.find("hidden = 64"), 11, "hidden = 6x4");
  const std::string path = dir.write("bad.model", text);
  const Expected<ModelConfig> m = read_model_file(path);
  ASSERT_FALSE(m.ok());
  expect_contains_all(m.error().message, {path + ":3:", "'hidden = 6x4' is not a positive integer"});
  for (const char* bad : {"layers = -2", "layers = 0", "layers = 2.5", "layers =", "layers = 99999999999999999999"}) {
    std::string t = kValidFile;
    t.replace(t.find("layers = 2"), 10, bad);
    const Expected<ModelConfig> r = read_model_file(dir.write("bad2.model", t));
    ASSERT_FALSE(r.ok()) << bad;
    expect_contains_all(r.error().message, {":2:", "is not a positive integer"});
  }
}

TEST(ModelConfigTest, MissingKeyDuplicateKeyAndBadValues) {
  const TempDir dir;
  std::string text = kValidFile;
  text.erase(text.find("vocab = 100\n"), 12);
  const std::string path = dir.write("bad.model", text);
  const Expected<ModelConfig> m = read_model_file(path);
  ASSERT_FALSE(m.ok());
  expect_contains_all(m.error().message, {path + ":", "missing key 'vocab'"});

  const Expected<ModelConfig> dup = read_model_file(dir.write("dup.model", std::string(kValidFile) + "tp = 1\n"));
  ASSERT_FALSE(dup.ok());
  expect_contains_all(dup.error().message, {":15:", "key 'tp' is given twice (first on line 12)"});

  std::string t = kValidFile;
  t.replace(t.find("mlp = gated"), 11, "mlp = moe");
  const Expected<ModelConfig> mlp2 = read_model_file(dir.write("mlp2.model", t));
  ASSERT_FALSE(mlp2.ok());
  expect_contains_all(mlp2.error().message, {":7:", "'mlp = moe' is not one of gated, plain"});

  t = kValidFile;
  t.replace(t.find("dtype = bf16"), 12, "dtype = fp64");
  const Expected<ModelConfig> dt = read_model_file(dir.write("dt.model", t));
  ASSERT_FALSE(dt.ok());
  expect_contains_all(dt.error().message, {":14:", "'dtype = fp64'", "unknown dtype 'fp64'"});

  t = kValidFile;
  t.replace(t.find("dtype = bf16"), 12, "dtype = fp8");
  const Expected<ModelConfig> fp8 = read_model_file(dir.write("fp8.model", t));
  ASSERT_FALSE(fp8.ok());
  expect_contains_all(fp8.error().message, {":14:", "'dtype = fp8'", "not a training dtype"});

  const Expected<ModelConfig> noeq =
      read_model_file(dir.write("noeq.model", std::string(kValidFile) + "tie_embeddings 1\n"));
  ASSERT_FALSE(noeq.ok());
  expect_contains_all(noeq.error().message, {":15:", "is not of the form key = value"});

  const Expected<ModelConfig> missing = read_model_file(dir.file("absent.model"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

TEST(ModelConfigTest, TpMustDivideHeadsKvHeadsAndFfn) {
  const TempDir dir;
  std::string text = kValidFile;
  text.replace(text.find("tp = 2"), 6, "tp = 3");
  const std::string path = dir.write("tp3.model", text);
  const Expected<ModelConfig> m = read_model_file(path);
  ASSERT_FALSE(m.ok());
  expect_contains_all(m.error().message, {path, "tp=3 does not divide heads=4"});

  ModelConfig m70 = load_or_fail("llama3-70b");
  RunSettings run = m70.defaults;
  run.tp = 16;  // divides heads=64; a multiple of kv_heads=8: each KV head on 2 devices
  ASSERT_TRUE(validate(m70, run).ok());
  const Expected<StepDecomposition> replicated = decompose(m70, run);
  ASSERT_TRUE(replicated.ok());
  EXPECT_NE(replicated->items.front().problem.find("n=" + std::to_string((4 + 2) * 128)), std::string::npos)
      << replicated->items.front().problem;  // QKV of 4 query heads and 1 KV head (K and V)

  ModelConfig odd = m70;
  odd.heads = 12;
  odd.kv_heads = 4;
  odd.hidden = 12 * 128;
  odd.ffn = 6 * 1000;
  run.tp = 6;  // divides heads=12, neither divides kv_heads=4 nor is a multiple of it
  const Status s = validate(odd, run);
  ASSERT_FALSE(s.ok());
  expect_contains_all(s.error().message, {"tp=6 does not divide kv_heads=4 and is not a multiple of it"});
  const Expected<StepDecomposition> d = decompose(odd, run);
  ASSERT_FALSE(d.ok());
  run.tp = 8;
  run.dp = 0;
  const Status s2 = validate(m70, run);
  ASSERT_FALSE(s2.ok());
  expect_contains_all(s2.error().message, {"dp=0 is out of range: expected 1 to 256"});
}

TEST(ModelConfigTest, UnknownModelNameSuggestsNearest) {
  const Expected<ModelConfig> m = load_model("llama3-8");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, ErrorCode::kBadInput);
  expect_contains_all(m.error().message,
                      {"unknown model 'llama3-8'", "did you mean 'llama3-8b'?", "known models: composition-check, gpt3-175b, llama2-13b"});
  const Expected<ModelConfig> far = load_model("mixtral-8x22b");
  ASSERT_FALSE(far.ok());
  EXPECT_FALSE(tbtest::contains(far.error().message, "did you mean")) << far.error().message;
  expect_contains_all(far.error().message, {"unknown model 'mixtral-8x22b'", "known models:"});
}

// ---- step decomposition ----

TEST(StepDecompositionTest, EveryProblemStringParsesAndRoundTrips) {
  for (const std::string& name : kShipped) {
    const ModelConfig m = load_or_fail(name);
    RunSettings run = m.defaults;
    run.tp = 2;
    run.dp = 4;
    const StepDecomposition s = decompose_or_fail(m, run);
    ASSERT_FALSE(s.items.empty()) << name;
    for (const StepItem& item : s.items) {
      const Expected<ProblemPtr> p = parse_problem(item.problem);
      ASSERT_TRUE(p.ok()) << item.problem << ": " << p.error().message;
      EXPECT_EQ((*p)->to_string(), item.problem);
      EXPECT_EQ((*p)->kernel(), item.kernel);
      if (item.kernel != "allreduce") {
        EXPECT_DOUBLE_EQ((*p)->flop(), item.flop) << item.problem;
      }
      EXPECT_GT(item.count, 0);
    }
  }
}

TEST(StepDecompositionTest, HandCheckedLlama8bItems) {
  const ModelConfig m = load_or_fail("llama3-8b");
  const StepDecomposition s = decompose_or_fail(m, single_device(m));
  const auto find = [&](const std::string& phase, const std::string& problem) -> const StepItem* {
    for (const StepItem& item : s.items)
      if (item.phase == phase && item.problem == problem) return &item;
    ADD_FAILURE() << "no " << phase << " item " << problem;
    return nullptr;
  };
  // QKV: X[8192,4096] W[4096, 4096+2*1024]; dX = dY W^T; dW = X^T dY.
  const StepItem* qkv = find("fwd", "gemm:m=8192,n=6144,k=4096,dtype=bf16");
  ASSERT_NE(qkv, nullptr);
  EXPECT_EQ(qkv->count, 32);
  EXPECT_DOUBLE_EQ(qkv->flop, 2.0 * 8192 * 6144 * 4096);
  ASSERT_NE(find("bwd-data", "gemm:m=8192,n=4096,k=6144,tb=1,dtype=bf16"), nullptr);
  ASSERT_NE(find("bwd-weight", "gemm:m=4096,n=6144,k=8192,ta=1,dtype=bf16"), nullptr);
  // Attention output 4096->4096, fused gate+up 4096->2*14336, down 14336->4096, LM head 4096->128256.
  ASSERT_NE(find("fwd", "gemm:m=8192,n=4096,k=4096,dtype=bf16"), nullptr);
  ASSERT_NE(find("fwd", "gemm:m=8192,n=28672,k=4096,dtype=bf16"), nullptr);
  ASSERT_NE(find("fwd", "gemm:m=8192,n=4096,k=14336,dtype=bf16"), nullptr);
  const StepItem* head = find("fwd", "gemm:m=8192,n=128256,k=4096,dtype=bf16");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->count, 1);
  const StepItem* af = find("fwd", "attention:b=1,h=32,kvh=8,sq=8192,skv=8192,d=128,causal=1,dtype=bf16,pass=fwd");
  ASSERT_NE(af, nullptr);
  EXPECT_EQ(af->count, 32);
  EXPECT_DOUBLE_EQ(af->flop, 4.0 * 32 * (8192.0 * 8193 / 2) * 128);
  ASSERT_NE(find("bwd-data", "attention:b=1,h=32,kvh=8,sq=8192,skv=8192,d=128,causal=1,dtype=bf16,pass=bwd"),
            nullptr);
  // 5 linear layers x 3 GEMMs + 2 attention items; no communication at tp = dp = 1.
  EXPECT_EQ(s.items.size(), 17u);
  EXPECT_EQ(s.comm_bytes("tp-comm"), 0);
  EXPECT_EQ(s.comm_bytes("dp-comm"), 0);
  EXPECT_EQ(s.tokens, 8192);
}

TEST(StepDecompositionTest, IdenticalProblemsAreMerged) {
  // With a plain MLP and ffn == hidden, the attention output projection, the
  // MLP up and the MLP down projection are the same GEMM (d -> d).
  ModelConfig m;
  m.name = "square";
  m.layers = 3;
  m.hidden = 64;
  m.heads = 4;
  m.kv_heads = 4;
  m.ffn = 64;
  m.mlp = MlpKind::kPlain;
  m.vocab = 96;
  m.seq_len = 16;
  RunSettings run;
  run.dtype = DType::kFp32;
  const StepDecomposition s = decompose_or_fail(m, run);
  int hits = 0;
  for (const StepItem& item : s.items) {
    if (item.phase == "fwd" && item.problem == "gemm:m=16,n=64,k=64,dtype=fp32") {
      ++hits;
      EXPECT_EQ(item.count, 9);  // attention output, MLP up and MLP down: 3 per layer
      EXPECT_EQ(item.what, "attn-out+mlp-up+mlp-down");
    }
  }
  EXPECT_EQ(hits, 1);
  for (std::size_t i = 0; i < s.items.size(); ++i)
    for (std::size_t j = i + 1; j < s.items.size(); ++j)
      EXPECT_FALSE(s.items[i].phase == s.items[j].phase && s.items[i].problem == s.items[j].problem);
}

// The reference this decomposition must reproduce (docs/models.md):
//   FLOP/token = 6 * N_matmul + 3.5 * 4 * L * (heads * head_dim) * (S + 1) / 2
// N_matmul = ParameterCount::matmul (layer weight matrices + LM head); the
// attention term is AttentionProblem's convention: forward 4*h*d*pairs per
// sequence, causal pairs exactly S(S+1)/2, backward 2.5 x forward.
double reference_flop_per_token(const ModelConfig& m, std::int64_t seq) {
  const double d_attn = static_cast<double>(m.heads * m.head_dim());
  return 6.0 * static_cast<double>(m.parameters().matmul) +
         3.5 * 4.0 * static_cast<double>(m.layers) * d_attn * static_cast<double>(seq + 1) / 2.0;
}

// metrics.md's form with causal halving: 6N + 12 * L * d_model * T / 2, by hand.
double palm_flop_per_token(const ModelConfig& m, std::int64_t seq) {
  return 6.0 * static_cast<double>(m.parameters().matmul) +
         12.0 * static_cast<double>(m.layers * m.hidden) * static_cast<double>(seq) / 2.0;
}

TEST(StepDecompositionTest, AnalyticFlopPerTokenIsMetricsFormula) {
  const ModelConfig m = load_or_fail("llama3-8b");
  EXPECT_DOUBLE_EQ(analytic_flop_per_token(m, 8192), palm_flop_per_token(m, 8192));
  // 8B: N_matmul = 7.50e9 (layers) + 0.53e9 (LM head); 6N = 4.818e10; attention 12*32*4096*8192/2 = 6.44e9.
  EXPECT_NEAR(analytic_flop_per_token(m, 8192), 6.0 * m.parameters().matmul + 6442450944.0, 1.0);
}

TEST(StepDecompositionTest, FlopPerTokenMatchesSixNPlusAttention) {
  std::printf("%-12s %8s %12s %14s %14s %9s %14s %9s\n", "model", "seq", "N_matmul", "decomp FLOP/t",
              "ref FLOP/t", "diff", "PaLM FLOP/t", "diff");
  for (const std::string& name : kShipped) {
    const ModelConfig m = load_or_fail(name);
    const StepDecomposition s = decompose_or_fail(m, single_device(m));
    const double ours = s.flop_per_token();
    const double ref = reference_flop_per_token(m, s.run.seq_len);
    const double palm = palm_flop_per_token(m, s.run.seq_len);
    std::printf("%-12s %8lld %12.4e %14.4e %14.4e %8.4f%% %14.4e %8.3f%%\n", name.c_str(),
                static_cast<long long>(s.run.seq_len), static_cast<double>(m.parameters().matmul), ours, ref,
                100 * (ours / ref - 1), palm, 100 * (ours / palm - 1));
    EXPECT_NEAR(ours / ref, 1.0, 0.03) << name;
    EXPECT_NEAR(ours / ref, 1.0, 1e-9) << name;  // the decomposition is this formula, term by term
    EXPECT_NEAR(ours / palm, 1.0, 0.03) << name;
    // GEMMs alone: exactly 6 FLOP per matmul parameter per token.
    EXPECT_NEAR(s.flop("gemm") / static_cast<double>(s.tokens) / (6.0 * static_cast<double>(m.parameters().matmul)),
                1.0, 1e-12)
        << name;
  }
}

TEST(StepDecompositionTest, BackwardGemmsAreTwiceForward) {
  const ModelConfig m = load_or_fail("llama3-70b");
  const StepDecomposition s = decompose_or_fail(m, single_device(m));
  double fwd = 0, bwd = 0;
  for (const StepItem& item : s.items) {
    if (item.kernel != "gemm") continue;
    (item.phase == "fwd" ? fwd : bwd) += static_cast<double>(item.count) * item.flop;
  }
  EXPECT_NEAR(bwd / fwd, 2.0, 1e-12);
}

TEST(StepDecompositionTest, TensorParallelHalvesGemmFlopAndAddsAllReduces) {
  const ModelConfig m = load_or_fail("llama3-8b");
  const StepDecomposition one = decompose_or_fail(m, single_device(m));
  RunSettings run = single_device(m);
  run.tp = 2;
  const StepDecomposition two = decompose_or_fail(m, run);
  EXPECT_NEAR(two.flop("gemm") / one.flop("gemm"), 0.5, 1e-12);
  EXPECT_NEAR(two.flop("attention") / one.flop("attention"), 0.5, 1e-12);
  EXPECT_NEAR(two.flop_per_token() / one.flop_per_token(), 1.0, 1e-12);  // the model's work is unchanged
  EXPECT_EQ(one.comm_bytes("tp-comm"), 0);
  int found = 0;
  for (const StepItem& item : two.items) {
    if (item.phase != "tp-comm") continue;
    ++found;
    EXPECT_EQ(item.kernel, "allreduce");
    EXPECT_EQ(item.count, 4 * 32);  // 2 per layer forward, 2 backward
    EXPECT_EQ(item.bytes, 8192LL * 4096 * 2);
    EXPECT_EQ(item.problem,
              "allreduce:bytes=64M,dtype=bf16,op=sum,ranks=2,inplace=1,algo=ring,transport=threads");
  }
  EXPECT_EQ(found, 1);
  // Local heads in the attention problems.
  bool attention = false;
  for (const StepItem& item : two.items)
    if (item.kernel == "attention") attention = attention || tbtest::contains(item.problem, "h=16,kvh=4,");
  EXPECT_TRUE(attention);
}

TEST(StepDecompositionTest, DataParallelAddsGradientAllReduce) {
  const ModelConfig m = load_or_fail("llama3-8b");
  RunSettings run = single_device(m);
  run.dp = 8;
  const StepDecomposition s = decompose_or_fail(m, run);
  int found = 0;
  for (const StepItem& item : s.items) {
    if (item.phase != "dp-comm") continue;
    ++found;
    EXPECT_EQ(item.count, 1);
    EXPECT_EQ(item.bytes, m.parameters().total * 4);  // all parameters, fp32 gradients
    EXPECT_EQ(item.problem, "allreduce:bytes=" + format_size(m.parameters().total * 4) +
                                ",dtype=fp32,op=sum,ranks=8,inplace=1,algo=ring,transport=threads");
  }
  EXPECT_EQ(found, 1);
  EXPECT_EQ(s.device_flop(), decompose_or_fail(m, single_device(m)).device_flop());  // communication is not FLOP

  // With tp = 2 each device all-reduces its shards plus the replicated norms.
  run.tp = 2;
  const StepDecomposition t = decompose_or_fail(m, run);
  const ParameterCount p = m.parameters();
  const std::int64_t norms = p.non_embedding - (p.matmul - m.vocab * m.hidden);
  EXPECT_EQ(t.comm_bytes("dp-comm"), ((p.total - norms) / 2 + norms) * 4);
}

TEST(StepDecompositionTest, SeqLenOverrideAndMicroBatch) {
  const ModelConfig m = load_or_fail("llama3.2-1b");
  RunSettings run = single_device(m);
  run.seq_len = 4096;
  run.micro_batch = 4;
  const StepDecomposition s = decompose_or_fail(m, run);
  EXPECT_EQ(s.tokens, 4 * 4096);
  EXPECT_EQ(s.run.seq_len, 4096);
  EXPECT_NEAR(s.flop_per_token() / reference_flop_per_token(m, 4096), 1.0, 1e-9);
  bool attention = false;
  for (const StepItem& item : s.items)
    attention = attention || tbtest::contains(item.problem, "attention:b=4,h=32,kvh=8,sq=4096,skv=4096,d=64,");
  EXPECT_TRUE(attention);
}

}  // namespace
}  // namespace tb
