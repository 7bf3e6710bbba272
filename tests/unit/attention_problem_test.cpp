// AttentionProblem: problem strings (defaults, canonical form, round trip,
// rejections), ParamReader::real and ::choice, FLOP and byte counts, tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "kernels/attention/attention_problem.h"
#include "kernels/kernel_registry.h"
#include "support/problem_helpers.h"
#include "kernels/problem_string.h"

namespace tb {
namespace {

std::shared_ptr<const AttentionProblem> parse_attention(const std::string& text) {
  return parse_as<AttentionProblem>(text);
}

std::string canonical(const std::string& text) { return canonical_as<AttentionProblem>(text); }

TEST(AttentionProblemString, DefaultsAreAppliedAndPrinted) {
  const auto p = parse_attention("attention:b=1,h=4,sq=8,d=16");
  ASSERT_NE(p, nullptr);
  const AttentionShape& s = p->shape();
  EXPECT_EQ(s.b, 1);
  EXPECT_EQ(s.h, 4);
  EXPECT_EQ(s.kvh, 4);
  EXPECT_EQ(s.sq, 8);
  EXPECT_EQ(s.skv, 8);
  EXPECT_EQ(s.d, 16);
  EXPECT_FALSE(s.causal);
  EXPECT_EQ(s.scale, 0.25f);
  EXPECT_FALSE(p->scale_given());
  EXPECT_EQ(p->dtype(), DType::kFp32);
  EXPECT_EQ(p->pass(), AttentionPass::kFwd);
  EXPECT_EQ(p->kernel(), "attention");
  EXPECT_EQ(p->to_string(), "attention:b=1,h=4,kvh=4,sq=8,skv=8,d=16,causal=0,dtype=fp32,pass=fwd");
}

TEST(AttentionProblemString, DefaultScaleIsTheFloatNearestOneOverSqrtD) {
  for (std::int64_t d : {1, 2, 3, 64, 80, 128, 1024}) {
    const auto p = parse_attention("attention:b=1,h=1,sq=1,d=" + std::to_string(d));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->shape().scale, static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)))) << "d=" << d;
  }
}

TEST(AttentionProblemString, CanonicalForms) {
  EXPECT_EQ(canonical("attention:b=2,h=32,kvh=8,sq=2048,skv=2048,d=128,causal=1,dtype=bf16,pass=fwd"),
            "attention:b=2,h=32,kvh=8,sq=2048,skv=2048,d=128,causal=1,dtype=bf16,pass=fwd");
  EXPECT_EQ(canonical("attention:pass=bwd,d=64,sq=2K,h=16,b=1,dtype=fp16,kvh=2,skv=1K,causal=0"),
            "attention:b=1,h=16,kvh=2,sq=2048,skv=1024,d=64,causal=0,dtype=fp16,pass=bwd");
  EXPECT_EQ(canonical("attention:b=1,h=1,sq=3,d=4,scale=0.125,pass=fwdbwd"),
            "attention:b=1,h=1,kvh=1,sq=3,skv=3,d=4,causal=0,dtype=fp32,pass=fwdbwd,scale=0.125");
  // A scale equal to the default is still printed when it was given.
  EXPECT_EQ(canonical("attention:b=1,h=1,sq=3,d=4,scale=0.5"),
            "attention:b=1,h=1,kvh=1,sq=3,skv=3,d=4,causal=0,dtype=fp32,pass=fwd,scale=0.5");
  // Stored as float, printed with 9 significant digits.
  EXPECT_EQ(canonical("attention:b=1,h=1,sq=3,d=4,scale=1e-3"),
            "attention:b=1,h=1,kvh=1,sq=3,skv=3,d=4,causal=0,dtype=fp32,pass=fwd,scale=0.00100000005");
  EXPECT_EQ(canonical("attention:b=1,h=1,sq=3,d=4,scale=1000000"),
            "attention:b=1,h=1,kvh=1,sq=3,skv=3,d=4,causal=0,dtype=fp32,pass=fwd,scale=1000000");
  EXPECT_EQ(canonical("attention:b=1,h=1,sq=3,d=4,scale=2.5e+2"),
            "attention:b=1,h=1,kvh=1,sq=3,skv=3,d=4,causal=0,dtype=fp32,pass=fwd,scale=250");
}

TEST(AttentionProblemString, RoundTripOverAGrid) {
  for (const std::string shape : {"b=1,h=1,sq=1,d=1", "b=3,h=12,kvh=4,sq=100,skv=7,d=80", "b=2,h=8,kvh=1,sq=5,d=1024"}) {
    for (const std::string causal : {"0", "1"}) {
      for (const std::string dtype : {"fp32", "bf16", "fp16"}) {
        for (const std::string pass : {"fwd", "bwd", "fwdbwd"}) {
          for (const std::string scale : {"", ",scale=0.1", ",scale=3", ",scale=1e-6", ",scale=1e-7", ",scale=1e6", ",scale=0.333333333"}) {
            const std::string text =
                "attention:" + shape + ",causal=" + causal + ",dtype=" + dtype + ",pass=" + pass + scale;
            const auto p = parse_attention(text);
            ASSERT_NE(p, nullptr);
            const auto q = parse_attention(p->to_string());
            ASSERT_NE(q, nullptr);
            EXPECT_EQ(q->to_string(), p->to_string()) << text;
            EXPECT_EQ(q->shape().scale, p->shape().scale) << text;
            EXPECT_EQ(q->scale_given(), p->scale_given()) << text;
            EXPECT_EQ(q->flop(), p->flop()) << text;
          }
        }
      }
    }
  }
}

// Near both ends of the scale's range every accepted scale prints a string that parses back.
TEST(AttentionProblemString, ScaleRoundTripsAtTheEndsOfItsRange) {
  std::vector<float> scales;
  float x = static_cast<float>(AttentionProblem::kMinScale);
  for (int n = 0; n < 200; ++n) {
    scales.push_back(x);
    x = std::nextafter(x, 1.0f);
  }
  x = static_cast<float>(AttentionProblem::kMaxScale);
  for (int n = 0; n < 200; ++n) {
    scales.push_back(x);
    x = std::nextafter(x, 0.0f);
  }
  for (const float x : scales) {
    char text[64];
    std::snprintf(text, sizeof text, "attention:b=1,h=1,sq=1,d=1,scale=%.9g", static_cast<double>(x));
    const auto p = parse_attention(text);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->shape().scale, x) << text;
    const auto q = parse_attention(p->to_string());
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->to_string(), p->to_string());
  }
}

TEST(AttentionProblemString, Rejections) {
  const std::string base = "attention:b=1,h=8,sq=16,d=64";
  expect_rejected("attention:h=8,sq=16,d=64", {"attention problem needs 'b=<integer>'"});
  expect_rejected("attention:b=1,sq=16,d=64", {"needs 'h=<integer>'"});
  expect_rejected("attention:b=1,h=8,d=64", {"needs 'sq=<integer>'"});
  expect_rejected("attention:b=1,h=8,sq=16", {"needs 'd=<integer>'"});
  // Zero lengths and sizes.
  expect_rejected("attention:b=0,h=8,sq=16,d=64", {"'b=0' is out of range: expected 1 to 1048576"});
  expect_rejected("attention:b=1,h=0,sq=16,d=64", {"'h=0' is out of range"});
  expect_rejected(base + ",kvh=0", {"'kvh=0' is out of range"});
  expect_rejected("attention:b=1,h=8,sq=0,d=64", {"'sq=0' is out of range"});
  expect_rejected(base + ",skv=0", {"'skv=0' is out of range"});
  expect_rejected("attention:b=1,h=8,sq=16,d=0", {"'d=0' is out of range"});
  // Upper bounds.
  expect_rejected("attention:b=1,h=8,sq=16,d=1025", {"'d=1025' is out of range: expected 1 to 1024"});
  expect_rejected("attention:b=1,h=8,sq=1048577,d=64", {"'sq=1048577' is out of range: expected 1 to 1048576"});
  expect_rejected(base + ",skv=2M", {"'skv=2M' is out of range"});
  expect_rejected("attention:b=1M,h=1M,sq=1M,d=1024", {"too large", "2^48"});
  // Grouped-query heads.
  expect_rejected("attention:b=1,h=6,kvh=4,sq=16,d=64", {"'h=6'", "'kvh=4'", "not a multiple"});
  expect_rejected("attention:b=1,h=4,kvh=8,sq=16,d=64", {"'h=4'", "'kvh=8'", "exceeds"});
  // Flags and enums.
  expect_rejected(base + ",causal=2", {"'causal=2' is not a flag: expected 0 or 1"});
  expect_rejected(base + ",dtype=fp64", {"unknown dtype 'fp64'"});
  expect_rejected(base + ",dtype=fp8", {"attention dtype 'fp8' is not supported: expected fp32, bf16 or fp16"});
  expect_rejected(base + ",pass=back", {"'pass=back' is not one of fwd, bwd, fwdbwd"});
  expect_rejected(base + ",pass=FWD", {"'pass=FWD' is not one of"});
  // Scale: strict, finite, positive, within range.
  for (const std::string bad : {"abc", "0.5x", "+0.5", " 0.5", "0.5 ", "inf", "-inf", "nan", "infinity", "0x1p-3",
                                "1e", "--1", "."}) {
    expect_rejected(base + ",scale=" + bad, {"'scale=" + bad + "' is not a decimal number"});
  }
  for (const std::string out : {"0", "-0.5", "9.9e-8", "1e-8", "1000000.1", "1e7", "0.00000001"}) {
    expect_rejected(base + ",scale=" + out, {"'scale=" + out + "' is out of range: expected 1e-07 to 1e+06"});
  }
  // Unknown keys list the accepted ones.
  expect_rejected(base + ",heads=8", {"unknown key 'heads' for kernel attention", "b, causal, d, dtype, h, kvh, pass, scale, skv, sq"});
}

TEST(AttentionProblemString, RegisteredWithACanonicalExample) {
  bool found = false;
  for (const KernelInfo& k : kernels()) {
    if (k.name != "attention") continue;
    found = true;
    EXPECT_EQ(canonical(k.example), k.example);
    EXPECT_NE(k.keys.find("pass=fwd|bwd|fwdbwd"), std::string::npos);
  }
  EXPECT_TRUE(found);
}

TEST(ParamReaderReal, ParsesDecimalAndExponentForms) {
  const ProblemSpec spec{"x", {{"a", "0.125"}, {"b", "2"}, {"c", "1e-3"}, {"d", ".5"}, {"e", "3.0E2"}}};
  ParamReader r(spec);
  EXPECT_EQ(*r.real("a", 0, 10), 0.125);
  EXPECT_EQ(*r.real("b", 0, 10), 2.0);
  EXPECT_EQ(*r.real("c", 0, 10), 1e-3);
  EXPECT_EQ(*r.real("d", 0, 10), 0.5);
  EXPECT_EQ(*r.real("e", 0, 1000), 300.0);
  EXPECT_EQ(*r.real("f", 0, 10, 7.5), 7.5);  // absent: fallback
  const Expected<double> missing = r.real("g", 0, 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "x problem needs 'g=<number>'");
  EXPECT_TRUE(r.finish().ok());
}

TEST(ParamReaderChoice, AcceptsOnlyTheListedValues) {
  const ProblemSpec spec{"x", {{"mode", "b"}, {"bad", "c"}}};
  ParamReader r(spec);
  EXPECT_EQ(*r.choice("mode", {"a", "b"}, "a"), "b");
  EXPECT_EQ(*r.choice("absent", {"a", "b"}, "a"), "a");
  const Expected<std::string> bad = r.choice("bad", {"a", "b"}, "a");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "'bad=c' is not one of a, b");
}

// FLOP: forward 4*b*h*pairs*d, bwd 2.5x, fwdbwd 3.5x; pairs counted by hand.
TEST(AttentionProblemWork, FlopByHand) {
  // No mask: pairs = sq*skv = 35.
  auto p = parse_attention("attention:b=2,h=3,sq=5,skv=7,d=4");
  EXPECT_EQ(p->flop(), 4.0 * 2 * 3 * 35 * 4);
  p = parse_attention("attention:b=2,h=3,sq=5,skv=7,d=4,pass=bwd");
  EXPECT_EQ(p->flop(), 2.5 * 4.0 * 2 * 3 * 35 * 4);
  p = parse_attention("attention:b=2,h=3,sq=5,skv=7,d=4,pass=fwdbwd");
  EXPECT_EQ(p->flop(), 3.5 * 4.0 * 2 * 3 * 35 * 4);
  // GQA does not change the work: it is counted per query head.
  p = parse_attention("attention:b=2,h=3,kvh=1,sq=5,skv=7,d=4");
  EXPECT_EQ(p->flop(), 4.0 * 2 * 3 * 35 * 4);

  // Causal, sq == skv = 4: rows attend 1, 2, 3, 4 keys: 10 = 4*5/2 pairs.
  p = parse_attention("attention:b=1,h=2,sq=4,d=8,causal=1");
  EXPECT_EQ(p->shape().attended_pairs(), 10);
  EXPECT_EQ(p->flop(), 4.0 * 1 * 2 * 10 * 8);
  // Causal, s = 1024: s(s+1)/2 pairs, about half of s*s.
  p = parse_attention("attention:b=1,h=1,sq=1024,d=64,causal=1");
  EXPECT_EQ(p->flop(), 4.0 * (1024.0 * 1025.0 / 2.0) * 64);
  // Causal, sq = 2 < skv = 5 (bottom-right): row 0 attends keys 0..3, row 1 keys 0..4: 9 pairs.
  p = parse_attention("attention:b=1,h=1,sq=2,skv=5,d=3,causal=1,pass=fwdbwd");
  EXPECT_EQ(p->shape().attended_pairs(), 9);
  EXPECT_EQ(p->flop(), 3.5 * 4.0 * 9 * 3);
  // Causal, sq = 5 > skv = 2: rows 0..2 fully masked, row 3 attends key 0, row 4 keys 0..1: 3 pairs.
  p = parse_attention("attention:b=3,h=2,kvh=2,sq=5,skv=2,d=3,causal=1,pass=bwd");
  EXPECT_EQ(p->shape().attended_pairs(), 3);
  EXPECT_EQ(p->flop(), 2.5 * 4.0 * 3 * 2 * 3 * 3);
}

// Bytes: every input read once, every output written once; lse is fp32.
TEST(AttentionProblemWork, MinBytesByHand) {
  // q, o: 1*2*3*4 = 24 elements; k, v: 1*1*5*4 = 20; lse 1*2*3 = 6.
  const std::string shape = "attention:b=1,h=2,kvh=1,sq=3,skv=5,d=4";
  EXPECT_EQ(parse_attention(shape)->min_bytes(), (24 + 20 + 20 + 24) * 4 + 6 * 4);
  EXPECT_EQ(parse_attention(shape + ",dtype=bf16")->min_bytes(), (24 + 20 + 20 + 24) * 2 + 6 * 4);
  // bwd: q, k, v, do in; dq, dk, dv out.
  EXPECT_EQ(parse_attention(shape + ",dtype=bf16,pass=bwd")->min_bytes(), (24 + 20 + 20 + 24 + 24 + 20 + 20) * 2);
  // fwdbwd: q, k, v, do in; o, lse, dq, dk, dv out.
  EXPECT_EQ(parse_attention(shape + ",dtype=fp16,pass=fwdbwd")->min_bytes(),
            (24 + 20 + 20 + 24 + 24 + 24 + 20 + 20) * 2 + 6 * 4);
}

std::vector<std::string> names(const std::vector<TensorSpec>& specs) {
  std::vector<std::string> out;
  for (const TensorSpec& s : specs) out.push_back(s.name);
  return out;
}

TEST(AttentionProblemTensors, NamesOrderShapesAndDtypesPerPass) {
  using V = std::vector<std::string>;
  const std::vector<std::int64_t> q_shape{2, 6, 5, 8}, kv_shape{2, 3, 7, 8}, lse_shape{2, 6, 5};
  const std::string shape = "attention:b=2,h=6,kvh=3,sq=5,skv=7,d=8,dtype=bf16";

  auto p = parse_attention(shape);
  EXPECT_EQ(names(p->input_specs()), (V{"q", "k", "v"}));
  EXPECT_EQ(names(p->output_specs()), (V{"o", "lse"}));
  EXPECT_TRUE(p->has_forward_outputs());
  EXPECT_FALSE(p->has_backward());

  p = parse_attention(shape + ",pass=bwd");
  EXPECT_EQ(names(p->input_specs()), (V{"q", "k", "v", "do"}));
  EXPECT_EQ(names(p->output_specs()), (V{"dq", "dk", "dv"}));

  p = parse_attention(shape + ",pass=fwdbwd");
  EXPECT_EQ(names(p->input_specs()), (V{"q", "k", "v", "do"}));
  EXPECT_EQ(names(p->output_specs()), (V{"o", "lse", "dq", "dk", "dv"}));
  std::vector<TensorSpec> all = p->input_specs();
  for (const TensorSpec& s : p->output_specs()) all.push_back(s);
  for (const TensorSpec& s : all) {
    if (s.name == "lse") {
      EXPECT_EQ(s.dtype, DType::kFp32);
      EXPECT_EQ(s.shape, lse_shape);
      continue;
    }
    EXPECT_EQ(s.dtype, DType::kBf16) << s.name;
    const bool query_side = s.name == "q" || s.name == "o" || s.name == "do" || s.name == "dq";
    EXPECT_EQ(s.shape, query_side ? q_shape : kv_shape) << s.name;
  }
}

TEST(AttentionProblemTensors, SeededInputsAreFilledAndDifferPerTensor) {
  const auto p = parse_attention("attention:b=1,h=2,sq=3,d=4,pass=bwd");
  const std::vector<HostTensor> in = p->make_inputs(42);
  ASSERT_EQ(in.size(), 4u);
  EXPECT_NE(in[0].at(0), in[3].at(0));  // q and do use different streams
  for (const HostTensor& t : in) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(t.spec.elements()); ++i) EXPECT_NE(t.at(i), 0.0f);
  }
}

}  // namespace
}  // namespace tb
