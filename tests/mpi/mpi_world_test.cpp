// MpiWorld's collectives under a real MPI launcher: ctest runs this program
// as `mpirun --oversubscribe -np 2 mpi_world_tests` (tests/mpi/CMakeLists.txt).
// Every rank runs every test, so each test calls the collectives in the same
// order on every rank; a rank that fails an expectation exits non-zero, and
// mpirun passes that on.
//
// `--timeout-case` runs only MpiWorldTimeout.*, with a short time-out: rank 1
// waits for a broadcast that rank 0 starts only after the time-out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/process_group.h"
#include "mpi/mpi_world.h"

namespace tb {
namespace {

MpiWorld* g_world = nullptr;
constexpr double kTimeoutCaseSeconds = 3.0;  // --timeout-case: the world's time-out (s)

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Bytes whose every element depends on `seed` and its index, so that a
// broadcast from the wrong root, or a partial copy, shows.
std::vector<std::byte> pattern(std::size_t n, int seed) {
  std::vector<std::byte> bytes(n);
  for (std::size_t i = 0; i < n; ++i) {
    bytes[i] = static_cast<std::byte>((i * 131 + static_cast<std::size_t>(seed) * 17 + 1) & 0xFF);
  }
  return bytes;
}

// Each rank starts from its own pattern; after the broadcast every rank holds the root's.
void expect_broadcast_copies_the_roots_bytes(std::size_t n, int root) {
  MpiWorld& world = *g_world;
  std::vector<std::byte> bytes = pattern(n, world.rank());
  ASSERT_TRUE(world.broadcast(bytes, root).ok());
  EXPECT_EQ(bytes, pattern(n, root)) << "rank " << world.rank() << ", " << n << " B from rank " << root;
}

TEST(MpiWorldBroadcast, ANcclSizedIdFromRankZeroReachesEveryRank) {
  ASSERT_GE(g_world->size(), 2) << "run under mpirun -np 2 or more";
  expect_broadcast_copies_the_roots_bytes(128, 0);
}

TEST(MpiWorldBroadcast, EveryRankCanBeTheRoot) {
  for (int root = 0; root < g_world->size(); ++root) expect_broadcast_copies_the_roots_bytes(1000, root);
}

TEST(MpiWorldBroadcast, SeveralMegabytesArriveWhole) { expect_broadcast_copies_the_roots_bytes(3 << 20, 1); }

TEST(MpiWorldBroadcast, NothingToSendSucceeds) {
  std::vector<std::byte> none;
  EXPECT_TRUE(g_world->broadcast(none, 0).ok());
}

TEST(MpiWorldBroadcast, ARootOutsideTheWorldIsBadInputAndLeavesTheWorldUsable) {
  std::vector<std::byte> bytes = pattern(16, g_world->rank());
  for (const int root : {-1, g_world->size()}) {
    const Status s = g_world->broadcast(bytes, root);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
    EXPECT_TRUE(contains(s.error().message, "rank " + std::to_string(root))) << s.error().message;
  }
  EXPECT_EQ(bytes, pattern(16, g_world->rank())) << "a refused broadcast must not touch the bytes";
  EXPECT_FALSE(g_world->broken());
  expect_broadcast_copies_the_roots_bytes(16, 0);
}

TEST(MpiWorldNode, LocalRanksMatchTheLauncher) {
  // mpirun on one host: every rank shares the node.
  EXPECT_EQ(g_world->local_ranks(), g_world->size());
  EXPECT_EQ(g_world->local_rank(), g_world->rank());
  if (const char* env = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK")) {
    EXPECT_EQ(g_world->local_rank(), std::atoi(env));
  }
  if (const char* env = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE")) {
    EXPECT_EQ(g_world->local_ranks(), std::atoi(env));
  }
  EXPECT_FALSE(g_world->node_name().empty());
}

TEST(SingleProcessBroadcast, IsANoOpFromRankZeroAndBadInputFromAnyOther) {
  SingleProcess single;
  std::vector<std::byte> bytes = pattern(128, 5);
  EXPECT_TRUE(single.broadcast(bytes, 0).ok());
  EXPECT_EQ(bytes, pattern(128, 5));
  const Status s = single.broadcast(bytes, 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kBadInput);
}

TEST(MpiWorldTimeout, ABroadcastWhoseRootComesTooLateFailsNamingTheRankAndTheOption) {
  MpiWorld& world = *g_world;
  std::vector<std::byte> bytes = pattern(128, world.rank());
  if (world.rank() == 0) {
    // Late by three time-outs; then the broadcast completes the one rank 1 gave up on.
    ::usleep(static_cast<useconds_t>(3 * kTimeoutCaseSeconds * 1e6));
    EXPECT_TRUE(world.broadcast(bytes, 0).ok());
    EXPECT_FALSE(world.broken());
  } else {
    const Status s = world.broadcast(bytes, 0);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
    for (const std::string& needle : {"rank " + std::to_string(world.rank()), std::string("broadcast from rank 0"),
                                     std::string("--comm-timeout")}) {
      EXPECT_TRUE(contains(s.error().message, needle)) << "no '" << needle << "' in: " << s.error().message;
    }
    EXPECT_TRUE(world.broken());
    // Every later collective fails at once.
    EXPECT_FALSE(world.broadcast(bytes, 0).ok());
  }
  // Both ranks end in step: the abandoned broadcast matched rank 0's, so this barrier completes.
  EXPECT_EQ(MPI_Barrier(MPI_COMM_WORLD), MPI_SUCCESS);
}

}  // namespace
}  // namespace tb

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const bool timeout_case = argc > 1 && std::strcmp(argv[1], "--timeout-case") == 0;
  ::testing::GTEST_FLAG(filter) = timeout_case ? "MpiWorldTimeout.*" : "-MpiWorldTimeout.*";
  tb::Expected<std::unique_ptr<tb::MpiWorld>> world = tb::MpiWorld::init(timeout_case ? tb::kTimeoutCaseSeconds : 60.0);
  if (!world) {
    std::fprintf(stderr, "MpiWorld::init: %s\n", world.error().message.c_str());
    return 1;
  }
  tb::g_world = world->get();
  const int status = RUN_ALL_TESTS();
  // A broken world skips MPI_Finalize in its destructor; here every rank is
  // still in step (see the time-out case), so finalize for it.
  if ((*world)->broken()) MPI_Finalize();
  return status;
}
