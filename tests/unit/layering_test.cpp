// The layers of docs/layers.txt hold over the whole tree, and the check
// itself catches what it is there to catch: a planted upward include, a peer
// include and one backend reaching into another; CMake's links likewise.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/layering.h"
#include "support/temp_dir.h"

namespace tbtest {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = TRAINBENCH_SOURCE_DIR;

std::string joined(const std::vector<LayerViolation>& violations) {
  std::string out;
  for (const LayerViolation& v : violations) out += v.to_string() + "\n";
  return out;
}

TEST(LayeringTest, LayersFileListsEveryFolderOfSrc) {
  const auto layers = read_layers(kSourceDir / "docs/layers.txt");
  ASSERT_FALSE(layers.empty());
  EXPECT_EQ(layers.front(), std::vector<std::string>{"common"});
  EXPECT_EQ(layers.back(), std::vector<std::string>{"cli"});
  for (const auto& entry : fs::directory_iterator(kSourceDir / "src")) {
    if (!entry.is_directory()) continue;
    const std::string name = entry.path().filename().string();
    bool listed = false;
    for (const auto& line : layers) listed |= std::find(line.begin(), line.end(), name) != line.end();
    EXPECT_TRUE(listed) << "src/" << name << " is in no line of docs/layers.txt";
  }
}

TEST(LayeringTest, TheTreeIncludesOnlyDownwards) {
  const auto violations = find_layer_violations(kSourceDir, read_layers(kSourceDir / "docs/layers.txt"));
  EXPECT_TRUE(violations.empty()) << joined(violations);
}

TEST(LayeringTest, TheCMakeTargetsLinkOnlyDownwards) {
  const auto violations = find_link_violations(kSourceDir, read_layers(kSourceDir / "docs/layers.txt"));
  EXPECT_TRUE(violations.empty()) << joined(violations);
}

class PlantedTree : public ::testing::Test {
 protected:
  void plant(const std::string& rel, const std::string& content) {
    fs::create_directories((dir_.path() / rel).parent_path());
    std::ofstream(dir_.path() / rel) << content;
  }
  static std::vector<std::vector<std::string>> layers() {
    return {{"common"}, {"kernels"}, {"mpi", "model"}, {"backends"}, {"runner"}};
  }
  std::vector<LayerViolation> check() { return find_layer_violations(dir_.path(), layers()); }
  std::vector<LayerViolation> check_links() { return find_link_violations(dir_.path(), layers()); }
  TempDir dir_;
};

TEST_F(PlantedTree, UpwardIncludeIsNamedWithFileAndLine) {
  plant("src/common/error.h", "#pragma once\n#include <string>\n#include \"common/dtype.h\"\n");
  plant("src/common/atomic_file.cpp", "#include \"common/error.h\"\n\n#include \"runner/runner.h\"  // planted\n");
  const auto violations = check();
  ASSERT_EQ(violations.size(), 1u) << joined(violations);
  EXPECT_EQ(violations[0].to_string(),
            "src/common/atomic_file.cpp:3: #include \"runner/runner.h\": common (level 0) includes runner (level 4), "
            "a layer above it");
}

TEST_F(PlantedTree, IncludesSpelledWithSpacesAreReadToo) {
  plant("src/kernels/problem.cpp", "  #  include   \"runner/runner.h\"\n#include <runner/runner.h>\n#includes \"runner/x.h\"\n");
  const auto violations = check();
  ASSERT_EQ(violations.size(), 1u) << joined(violations);
  EXPECT_EQ(violations[0].line, 1);
  EXPECT_EQ(violations[0].include, "runner/runner.h");
}

TEST_F(PlantedTree, DownwardAndSameLayerIncludesPass) {
  plant("src/runner/runner.cpp", "#include \"runner/runner.h\"\n#include \"backends/backend.h\"\n#include \"common/error.h\"\n");
  plant("src/backends/cpu/cpu.cpp", "#include \"backends/backend.h\"\n#include \"backends/cpu/cpu.h\"\n");
  plant("tests/unit/x_test.cpp", "#include \"runner/runner.h\"\n#include \"backends/cpu/cpu.h\"\n#include \"backends/cuda/c.h\"\n");
  EXPECT_TRUE(check().empty()) << joined(check());
}

TEST_F(PlantedTree, PeersDoNotIncludeEachOther) {
  plant("src/model/step.cpp", "#include \"kernels/problem.h\"\n#include \"mpi/mpi_world.h\"\n");
  const auto violations = check();
  ASSERT_EQ(violations.size(), 1u) << joined(violations);
  EXPECT_EQ(violations[0].to_string(), "src/model/step.cpp:2: #include \"mpi/mpi_world.h\": model includes mpi, a peer on the same level");
}

TEST_F(PlantedTree, BackendsDoNotIncludeEachOther) {
  plant("src/backends/neuron/neuron_backend.cpp", "#include \"backends/host_timer.h\"\n#include \"backends/cpu/host_timer.h\"\n");
  plant("src/backends/backend_registry.cpp", "#include \"backends/cpu/cpu_backend.h\"\n#include \"backends/neuron/n.h\"\n");
  plant("src/backends/backend.h", "#include \"backends/cuda/cuda_backend.h\"\n");
  const auto violations = check();
  ASSERT_EQ(violations.size(), 2u) << joined(violations);
  EXPECT_EQ(violations[0].file, "src/backends/backend.h");
  EXPECT_EQ(violations[1].to_string(),
            "src/backends/neuron/neuron_backend.cpp:2: #include \"backends/cpu/host_timer.h\": backend folder 'neuron' "
            "includes backend 'cpu': backends share only the headers directly in src/backends/");
}

TEST_F(PlantedTree, UpwardAndPeerLinksAreNamedWithFileAndLine) {
  plant("src/common/CMakeLists.txt",
        "add_library(tb_common STATIC a.cpp)\n"
        "# target_link_libraries(tb_common tb_runner) in a comment is not a link\n"
        "target_link_libraries(tb_common\n"
        "  PUBLIC Threads::Threads\n"
        "  PRIVATE tb_runner)  # planted\n");
  plant("src/model/CMakeLists.txt", "add_library(tb_model STATIC m.cpp)\ntarget_link_libraries(tb_model PUBLIC tb_mpi tb_kernels)\n");
  plant("src/mpi/CMakeLists.txt", "add_library(tb_mpi STATIC w.cpp)\n");
  plant("src/kernels/CMakeLists.txt", "add_library(tb_kernels STATIC p.cpp)\ntarget_link_libraries(tb_kernels PUBLIC tb_common)\n");
  plant("src/runner/CMakeLists.txt",
        "add_library(tb_runner STATIC r.cpp)\ntarget_link_libraries(tb_runner PUBLIC tb_kernels tb_model m)\n");
  const auto violations = check_links();
  ASSERT_EQ(violations.size(), 2u) << joined(violations);
  EXPECT_EQ(violations[0].to_string(),
            "src/common/CMakeLists.txt:5: links tb_runner: common (level 0) links runner (level 4), a layer above it");
  EXPECT_EQ(violations[1].to_string(),
            "src/model/CMakeLists.txt:2: links tb_mpi: model links mpi, a peer on the same level");
}

}  // namespace
}  // namespace tbtest
