#include "backends/cpu/onednn_attention.h"

#include <omp.h>

#include <cmath>
#include <dnnl.hpp>
#include <limits>
#include <new>
#include <vector>

namespace tb {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using Dim = dnnl::memory::dim;

// dst = alpha * src x weights, batched over the first dimension.
dnnl::matmul::primitive_desc matmul_desc(const dnnl::engine& eng, const dnnl::memory::desc& src,
                                         const dnnl::memory::desc& wei, const dnnl::memory::desc& dst, float alpha) {
  dnnl::primitive_attr attr;
  if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wei, dst), attr, eng);
}

}  // namespace

struct OneDnnAttention::Primitives {
  AttentionShape s;
  AttentionTensors t;
  Dim batch = 0, rows = 0, keys = 0;  // b * kvh, group * sq, skv
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::vector<float> p, dp;       // [batch, rows, keys]: S then P; dP then dS
  std::vector<float> row_max;     // per row of S: the largest unmasked score (-inf: none)
  std::vector<std::int64_t> arg;  // ... and where it is
  dnnl::memory q, k, v, kt, vt, o, p_mem, pt_mem, dout, dq, dk, dv, dp_mem, dpt_mem;
  dnnl::matmul qk, pv, pt_do, do_vt, ds_k, dst_q;
  dnnl::softmax_forward softmax;
  dnnl::softmax_backward softmax_bwd;
  std::string impl;

  void note(const char* what, const char* info) { impl += std::string(impl.empty() ? "" : ", ") + what + " " + info; }

  // Masks S (causal) and finds each row's largest score and its position.
  void mask_and_find_max() {
    const std::int64_t off = s.skv - s.sq;
    const Dim n = batch * rows;
    float* S = p.data();
#pragma omp parallel for schedule(static)
    for (Dim r = 0; r < n; ++r) {
      float* row = S + r * keys;
      const std::int64_t i = (r % rows) % s.sq;
      const std::int64_t last = s.causal ? std::min<std::int64_t>(keys - 1, i + off) : keys - 1;  // < 0: all masked
      float m = -std::numeric_limits<float>::infinity();
      std::int64_t at = 0;
      for (std::int64_t j = 0; j <= last; ++j) {
        if (row[j] > m) {
          m = row[j];
          at = j;
        }
      }
      for (std::int64_t j = last + 1 < 0 ? 0 : last + 1; j < keys; ++j) row[j] = -std::numeric_limits<float>::infinity();
      row_max[static_cast<std::size_t>(r)] = last < 0 ? -std::numeric_limits<float>::infinity() : m;
      arg[static_cast<std::size_t>(r)] = at;
    }
  }

  // lse from the row maxima and P; fully masked rows: P = 0, lse = -inf.
  void finish_rows() {
    const Dim n = batch * rows;
    float* P = p.data();
#pragma omp parallel for schedule(static)
    for (Dim r = 0; r < n; ++r) {
      const float m = row_max[static_cast<std::size_t>(r)];
      if (m == -std::numeric_limits<float>::infinity()) {
        std::fill(P + r * keys, P + (r + 1) * keys, 0.0f);
        t.lse[r] = m;
      } else {
        t.lse[r] = m - std::log(P[r * keys + arg[static_cast<std::size_t>(r)]]);
      }
    }
  }
};

std::int64_t OneDnnAttention::score_bytes(const AttentionShape& s, bool backward) {
  return (backward ? 2 : 1) * s.b * s.h * s.sq * s.skv * static_cast<std::int64_t>(sizeof(float));
}

OneDnnAttention::OneDnnAttention(std::unique_ptr<Primitives> p) : p_(std::move(p)) {}
OneDnnAttention::~OneDnnAttention() = default;

Expected<std::unique_ptr<OneDnnAttention>> OneDnnAttention::create(const AttentionShape& s,
                                                                   const AttentionTensors& t) {
  const bool backward = t.dout != nullptr;
  try {
    auto a = std::make_unique<Primitives>();
    a->s = s;
    a->t = t;
    a->batch = s.b * s.kvh;
    a->rows = (s.h / s.kvh) * s.sq;
    a->keys = s.skv;
    const Dim B = a->batch, R = a->rows, N = a->keys, d = s.d;
    const dnnl::memory::desc q_md({B, R, d}, dt::f32, tag::abc);   // q, o, dout, dq
    const dnnl::memory::desc k_md({B, N, d}, dt::f32, tag::abc);   // k, v, dk, dv
    const dnnl::memory::desc kt_md({B, d, N}, dt::f32, tag::acb);  // k^T, v^T: the same storage
    const dnnl::memory::desc s_md({B, R, N}, dt::f32, tag::abc);   // S, P, dP, dS
    const dnnl::memory::desc st_md({B, N, R}, dt::f32, tag::acb);  // P^T, dS^T: the same storage
    const auto mem = [&](const dnnl::memory::desc& md, const float* data) {
      return dnnl::memory(md, a->eng, const_cast<float*>(data));  // oneDNN takes non-const handles; inputs are only read
    };
    a->p.resize(static_cast<std::size_t>(B * R * N));
    a->row_max.resize(static_cast<std::size_t>(B * R));
    a->arg.resize(static_cast<std::size_t>(B * R));
    a->q = mem(q_md, t.q);
    a->k = mem(k_md, t.k);
    a->v = mem(k_md, t.v);
    a->kt = mem(kt_md, t.k);
    a->o = mem(q_md, t.o);
    a->p_mem = mem(s_md, a->p.data());

    const auto qk_pd = matmul_desc(a->eng, q_md, kt_md, s_md, s.scale);
    a->qk = dnnl::matmul(qk_pd);
    a->note("S matmul", qk_pd.impl_info_str());
    const auto prop = backward ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference;
    const dnnl::softmax_forward::primitive_desc sm_pd(dnnl::softmax_forward::desc(prop, s_md, 2), a->eng);
    a->softmax = dnnl::softmax_forward(sm_pd);
    a->note("softmax", sm_pd.impl_info_str());
    const auto pv_pd = matmul_desc(a->eng, s_md, k_md, q_md, 1.0f);
    a->pv = dnnl::matmul(pv_pd);
    a->note("PV matmul", pv_pd.impl_info_str());
    if (backward) {
      a->dp.resize(a->p.size());
      a->pt_mem = mem(st_md, a->p.data());
      a->vt = mem(kt_md, t.v);
      a->dout = mem(q_md, t.dout);
      a->dq = mem(q_md, t.dq);
      a->dk = mem(k_md, t.dk);
      a->dv = mem(k_md, t.dv);
      a->dp_mem = mem(s_md, a->dp.data());
      a->dpt_mem = mem(st_md, a->dp.data());
      a->pt_do = dnnl::matmul(matmul_desc(a->eng, st_md, q_md, k_md, 1.0f));      // dv = P^T dout
      a->do_vt = dnnl::matmul(matmul_desc(a->eng, q_md, kt_md, s_md, 1.0f));      // dP = dout v^T
      const dnnl::softmax_backward::primitive_desc smb_pd(dnnl::softmax_backward::desc(s_md, s_md, 2), a->eng, sm_pd);
      a->softmax_bwd = dnnl::softmax_backward(smb_pd);
      a->note("softmax backward", smb_pd.impl_info_str());
      a->ds_k = dnnl::matmul(matmul_desc(a->eng, s_md, k_md, q_md, s.scale));   // dq = scale dS k
      a->dst_q = dnnl::matmul(matmul_desc(a->eng, st_md, q_md, k_md, s.scale));  // dk = scale dS^T q
    }
    return std::unique_ptr<OneDnnAttention>(new OneDnnAttention(std::move(a)));
  } catch (const dnnl::error& e) {
    return run_failure(std::string("oneDNN attention composition could not be created: ") + e.what());
  } catch (const std::bad_alloc&) {
    return run_failure("oneDNN attention composition: out of memory for its " +
                       std::to_string(score_bytes(s, backward) >> 20) + " MiB of scores");
  }
}

Status OneDnnAttention::forward() {
  Primitives& a = *p_;
  try {
    a.qk.execute(a.strm, {{DNNL_ARG_SRC, a.q}, {DNNL_ARG_WEIGHTS, a.kt}, {DNNL_ARG_DST, a.p_mem}});
    a.strm.wait();
    a.mask_and_find_max();
    a.softmax.execute(a.strm, {{DNNL_ARG_SRC, a.p_mem}, {DNNL_ARG_DST, a.p_mem}});
    a.strm.wait();
    a.finish_rows();
    a.pv.execute(a.strm, {{DNNL_ARG_SRC, a.p_mem}, {DNNL_ARG_WEIGHTS, a.v}, {DNNL_ARG_DST, a.o}});
    a.strm.wait();
  } catch (const dnnl::error& e) {
    return run_failure(std::string("oneDNN attention forward failed: ") + e.what());
  }
  return {};
}

Status OneDnnAttention::backward() {
  Primitives& a = *p_;
  if (a.dp.empty()) return run_failure("oneDNN attention: backward() on a composition made for the forward only");
  try {
    a.pt_do.execute(a.strm, {{DNNL_ARG_SRC, a.pt_mem}, {DNNL_ARG_WEIGHTS, a.dout}, {DNNL_ARG_DST, a.dv}});
    a.do_vt.execute(a.strm, {{DNNL_ARG_SRC, a.dout}, {DNNL_ARG_WEIGHTS, a.vt}, {DNNL_ARG_DST, a.dp_mem}});
    a.softmax_bwd.execute(a.strm,
                          {{DNNL_ARG_DST, a.p_mem}, {DNNL_ARG_DIFF_DST, a.dp_mem}, {DNNL_ARG_DIFF_SRC, a.dp_mem}});
    a.ds_k.execute(a.strm, {{DNNL_ARG_SRC, a.dp_mem}, {DNNL_ARG_WEIGHTS, a.k}, {DNNL_ARG_DST, a.dq}});
    a.dst_q.execute(a.strm, {{DNNL_ARG_SRC, a.dpt_mem}, {DNNL_ARG_WEIGHTS, a.q}, {DNNL_ARG_DST, a.dk}});
    a.strm.wait();
  } catch (const dnnl::error& e) {
    return run_failure(std::string("oneDNN attention backward failed: ") + e.what());
  }
  return {};
}

std::string OneDnnAttention::implementation() const {
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         " composition, scores materialized (" + p_->impl + ")";
}

}  // namespace tb
