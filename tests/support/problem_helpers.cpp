#include "support/problem_helpers.h"

#include "backends/backend_registry.h"

namespace tb {

void expect_rejected(const std::string& text, const std::vector<std::string>& needles) {
  const Expected<ProblemPtr> p = parse_problem(text);
  ASSERT_FALSE(p.ok()) << text << " was accepted as " << (*p)->to_string();
  EXPECT_EQ(p.error().code, ErrorCode::kBadInput) << text;
  for (const std::string& needle : needles) {
    EXPECT_NE(p.error().message.find(needle), std::string::npos)
        << text << ": message '" << p.error().message << "' does not contain '" << needle << "'";
  }
}

std::vector<HostTensor> read_back(Workload& workload) {
  Expected<std::vector<HostTensor>> outputs = workload.read_outputs();
  if (!outputs.ok()) {
    ADD_FAILURE() << "read_outputs: " << outputs.error().message;
    return {};
  }
  return std::move(outputs).value();
}

std::unique_ptr<Backend> make_test_backend(const std::string& name, int threads) {
  BackendOptions options;
  options.threads = threads;
  Expected<std::unique_ptr<Backend>> backend = create_backend(name, options);
  if (!backend.ok()) {
    ADD_FAILURE() << name << ": " << backend.error().message;
    return nullptr;
  }
  return std::move(backend).value();
}

AttentionShape attention_shape(std::int64_t b, std::int64_t h, std::int64_t kvh, std::int64_t sq, std::int64_t skv,
                               std::int64_t d, bool causal, float scale) {
  AttentionShape a;
  a.b = b;
  a.h = h;
  a.kvh = kvh;
  a.sq = sq;
  a.skv = skv;
  a.d = d;
  a.causal = causal;
  a.scale = scale;
  return a;
}

}  // namespace tb
