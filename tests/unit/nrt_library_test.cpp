// Binding the Neuron runtime with dlopen (backends/neuron/nrt_library.h):
// status names, the error of every way a library can fail to be a runtime,
// and the search order, against the fake runtime the tests build.
#include "backends/neuron/nrt_library.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "backends/neuron/nrt_api.h"
#include "fake_nrt/fake_nrt_testing.h"
#include "support/temp_dir.h"

namespace tb::nrt {
namespace {

using fakenrt::ScopedEnv;

const std::string kFake = FAKE_NRT_PATH;
const std::string kFakeMissing = FAKE_NRT_MISSING_PATH;

TEST(NrtStatusTest, NamesEveryDocumentedCode) {
  EXPECT_STREQ(status_name(0), "SUCCESS");
  EXPECT_STREQ(status_name(1), "FAILURE");
  EXPECT_STREQ(status_name(2), "INVALID");
  EXPECT_STREQ(status_name(4), "RESOURCE");
  EXPECT_STREQ(status_name(5), "TIMEOUT");
  EXPECT_STREQ(status_name(9), "LOAD_NOT_ENOUGH_NC");
  EXPECT_STREQ(status_name(10), "UNSUPPORTED_NEFF_VERSION");
  EXPECT_STREQ(status_name(11), "FAIL_HOST_MEM_ALLOC");
  EXPECT_STREQ(status_name(13), "UNINITIALIZED");
  EXPECT_STREQ(status_name(14), "CLOSED");
  EXPECT_STREQ(status_name(15), "QUEUE_EMPTY");
  EXPECT_STREQ(status_name(101), "EXEC_UNIT_UNRECOVERABLE");
  EXPECT_STREQ(status_name(1002), "EXEC_BAD_INPUT");
  EXPECT_STREQ(status_name(1003), "EXEC_COMPLETED_WITH_NUM_ERR");
  EXPECT_STREQ(status_name(1005), "EXEC_NC_BUSY");
  EXPECT_STREQ(status_name(1006), "EXEC_OOB");
  EXPECT_STREQ(status_name(1100), "COLL_PENDING");
  EXPECT_STREQ(status_name(1200), "EXEC_HW_ERR_COLLECTIVES");
  EXPECT_STREQ(status_name(1204), "EXEC_SW_NQ_OVERFLOW");
  EXPECT_STREQ(status_name(1206), "NETWORK_PROXY_FAILURE");
  // Every code from 0 to 1300 is either documented (a name) or "UNKNOWN", never empty.
  int named = 0;
  for (int code = 0; code <= 1300; ++code) {
    const std::string name = status_name(code);
    EXPECT_FALSE(name.empty()) << code;
    if (name != "UNKNOWN") ++named;
  }
  EXPECT_EQ(named, 28);  // the 28 codes of nrt_status.h
}

TEST(NrtStatusTest, UnknownCodesKeepTheirNumber) {
  for (const int code : {8, 12, 16, 1001, 1207, -1, 4242}) EXPECT_STREQ(status_name(code), "UNKNOWN") << code;
  EXPECT_EQ(describe_status(4242), "UNKNOWN (4242)");
  EXPECT_EQ(describe_status(-1), "UNKNOWN (-1)");
  EXPECT_EQ(describe_status(5), "TIMEOUT (5)");
}

TEST(NrtStatusTest, CheckTurnsAStatusIntoAnError) {
  EXPECT_TRUE(check(NRT_SUCCESS, "nrt_load").ok());
  const Status s = check(NRT_UNSUPPORTED_NEFF_VERSION, "nrt_load");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kRunFailure);
  EXPECT_EQ(s.error().message, "nrt_load failed: UNSUPPORTED_NEFF_VERSION (10)");
  const Status init = check(NRT_FAILURE, "nrt_init", ErrorCode::kUnavailable);
  ASSERT_FALSE(init.ok());
  EXPECT_EQ(init.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(init.error().message, "nrt_init failed: FAILURE (1)");
  const Status unknown = check(777, "nrt_execute");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "nrt_execute failed: UNKNOWN (777)");
}

TEST(NrtLibraryTest, OpensTheFakeRuntimeAndBindsEveryEntryPoint) {
  const Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open(kFake);
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  const NrtApi& api = (*lib)->api();
#define TB_EXPECT_BOUND(name, ret, params, required) EXPECT_NE(api.name, nullptr) << #name;
  TB_NRT_ENTRY_POINTS(TB_EXPECT_BOUND)  // the fake exports the optional ones too
#undef TB_EXPECT_BOUND
  EXPECT_EQ((*lib)->path(), kFake);
  EXPECT_EQ(std::filesystem::canonical((*lib)->loaded_from()), std::filesystem::canonical(kFake));
  EXPECT_NE(api.nrt_get_status_as_str(NRT_TIMEOUT), nullptr);
}

TEST(NrtLibraryTest, PathThatDoesNotExist) {
  const Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open("/nonexistent/dir/libnrt.so.1");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(lib.error().message.rfind("cannot load '/nonexistent/dir/libnrt.so.1': ", 0), 0u) << lib.error().message;
  EXPECT_NE(lib.error().message.find("No such file"), std::string::npos) << lib.error().message;
}

TEST(NrtLibraryTest, EmptyPath) {
  const Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open("");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(lib.error().message.find("empty"), std::string::npos) << lib.error().message;
}

TEST(NrtLibraryTest, FileThatIsNotALibrary) {
  tbtest::TempDir dir;
  const std::string path = dir.write("libnrt.so.1", "not an ELF file\n");
  const Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open(path);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(lib.error().message.rfind("cannot load '" + path + "': ", 0), 0u) << lib.error().message;
}

TEST(NrtLibraryTest, LibraryThatIsNotANeuronRuntimeNamesAMissingSymbol) {
  const Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open("libm.so.6");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  const std::string& m = lib.error().message;
  EXPECT_EQ(m.rfind("'libm.so.6' is not a Neuron runtime: symbol nrt_init missing", 0), 0u) << m;
  EXPECT_NE(m.find("more entry points"), std::string::npos) << m;
}

TEST(NrtLibraryTest, RuntimeWithoutNrtExecuteNamesIt) {
  const Expected<std::unique_ptr<NrtLibrary>> lib = NrtLibrary::open(kFakeMissing);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(lib.error().message, "'" + kFakeMissing + "' is not a Neuron runtime: symbol nrt_execute missing");
}

TEST(NrtLibraryTest, SearchOrder) {
  const std::vector<RuntimeCandidate> defaults = runtime_search_order("", "");
  ASSERT_EQ(defaults.size(), 2u);
  EXPECT_EQ(defaults[0].path, "libnrt.so.1");
  EXPECT_EQ(defaults[0].source, "loader search path");
  EXPECT_EQ(defaults[1].path, "/opt/aws/neuron/lib/libnrt.so.1");

  const std::vector<RuntimeCandidate> env = runtime_search_order("", "/env/libnrt.so");
  ASSERT_EQ(env.size(), 1u);
  EXPECT_EQ(env[0].path, "/env/libnrt.so");
  EXPECT_EQ(env[0].source, "TRAINBENCH_NEURON_RUNTIME");

  const std::vector<RuntimeCandidate> flag = runtime_search_order("/flag/libnrt.so", "/env/libnrt.so");
  ASSERT_EQ(flag.size(), 1u);  // an explicit choice is used alone
  EXPECT_EQ(flag[0].path, "/flag/libnrt.so");
  EXPECT_EQ(flag[0].source, "flag");
}

TEST(NrtLibraryTest, EnvironmentVariableNamesTheRuntime) {
  ScopedEnv env(kRuntimeEnvVar, kFake);
  const Expected<std::unique_ptr<NrtLibrary>> lib = open_default_runtime("");
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  EXPECT_EQ((*lib)->path(), kFake);
}

TEST(NrtLibraryTest, FlagWinsOverEnvironment) {
  {
    ScopedEnv env(kRuntimeEnvVar, "/nonexistent/env/libnrt.so.1");
    const Expected<std::unique_ptr<NrtLibrary>> lib = open_default_runtime(kFake);
    ASSERT_TRUE(lib.ok()) << lib.error().message;
    EXPECT_EQ((*lib)->path(), kFake);
  }
  {
    ScopedEnv env(kRuntimeEnvVar, kFake);
    const Expected<std::unique_ptr<NrtLibrary>> lib = open_default_runtime("/nonexistent/flag/libnrt.so.1");
    ASSERT_FALSE(lib.ok());  // no silent fallback to the environment's library
    EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
    EXPECT_NE(lib.error().message.find("[flag] cannot load '/nonexistent/flag/libnrt.so.1'"), std::string::npos)
        << lib.error().message;
    EXPECT_EQ(lib.error().message.find(kFake), std::string::npos) << lib.error().message;
  }
  {
    ScopedEnv env(kRuntimeEnvVar, kFakeMissing);
    const Expected<std::unique_ptr<NrtLibrary>> lib = open_default_runtime("");
    ASSERT_FALSE(lib.ok());
    EXPECT_NE(lib.error().message.find("[TRAINBENCH_NEURON_RUNTIME] '" + kFakeMissing +
                                       "' is not a Neuron runtime: symbol nrt_execute missing"),
              std::string::npos)
        << lib.error().message;
  }
}

TEST(NrtLibraryTest, DefaultSearchListsEveryPlaceTried) {
  ScopedEnv env(kRuntimeEnvVar, std::nullopt);
  const Expected<std::unique_ptr<NrtLibrary>> lib = open_default_runtime("");
  if (lib.ok()) GTEST_SKIP() << "a Neuron runtime is installed here: " << (*lib)->loaded_from();
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  const std::string& m = lib.error().message;
  EXPECT_NE(m.find("[loader search path] cannot load 'libnrt.so.1'"), std::string::npos) << m;
  EXPECT_NE(m.find("[default install] cannot load '/opt/aws/neuron/lib/libnrt.so.1'"), std::string::npos) << m;
  EXPECT_NE(m.find("TRAINBENCH_NEURON_RUNTIME"), std::string::npos) << m;
}

TEST(NrtLibraryTest, OpeningTwiceSharesOneLoadedCopy) {
  const Expected<std::unique_ptr<NrtLibrary>> a = NrtLibrary::open(kFake);
  const Expected<std::unique_ptr<NrtLibrary>> b = NrtLibrary::open(kFake);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->api().nrt_init, (*b)->api().nrt_init);
}

}  // namespace
}  // namespace tb::nrt
