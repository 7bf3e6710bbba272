// Test helpers for problems and backends: parse a problem string into its
// concrete type, check a rejection's code and message, create a backend.
// Each records a GoogleTest failure (and returns null) instead of crashing.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "kernels/attention/attention_shape.h"
#include "kernels/kernel_registry.h"

namespace tb {

// parse_problem(text) as a P (AttentionProblem, AllreduceProblem, ...); null after a test failure.
template <typename P>
std::shared_ptr<const P> parse_as(const std::string& text) {
  const Expected<ProblemPtr> p = parse_problem(text);
  if (!p.ok()) {
    ADD_FAILURE() << text << ": " << p.error().message;
    return nullptr;
  }
  auto typed = std::dynamic_pointer_cast<const P>(*p);
  EXPECT_NE(typed, nullptr) << text << " did not parse to the expected problem type";
  return typed;
}

// The canonical string of parse_as<P>(text), or "<error>".
template <typename P>
std::string canonical_as(const std::string& text) {
  const auto p = parse_as<P>(text);
  return p ? p->to_string() : "<error>";
}

// An AttentionShape from its fields.
AttentionShape attention_shape(std::int64_t b, std::int64_t h, std::int64_t kvh, std::int64_t sq, std::int64_t skv,
                               std::int64_t d, bool causal, float scale);

// Expects parse_problem(text) to fail as bad input with every needle in the message.
void expect_rejected(const std::string& text, const std::vector<std::string>& needles);

// workload.read_outputs(); empty after a test failure.
std::vector<HostTensor> read_back(Workload& workload);

// create_backend(name) with `threads` host threads; null after a test failure.
std::unique_ptr<Backend> make_test_backend(const std::string& name, int threads = 2);

}  // namespace tb
