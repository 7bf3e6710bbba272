// Loading a library at run time (src/common/shared_library.h): the handle,
// the entry-point resolver and the search over candidates, against libm (a
// real library that is not what any adapter wants), a file that is not a
// library, paths that do not exist, and the fake Neuron runtime the tests build.
#include "common/shared_library.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

namespace tb {
namespace {

constexpr const char* kLibm = "libm.so.6";

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }
bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(SharedLibraryTest, PathThatDoesNotExist) {
  const Expected<SharedLibrary> lib = SharedLibrary::open("/nonexistent/dir/libtb-nothing.so.1");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  const std::string& m = lib.error().message;
  EXPECT_TRUE(starts_with(m, "cannot load '/nonexistent/dir/libtb-nothing.so.1': ")) << m;
  EXPECT_TRUE(contains(m, "No such file")) << m;  // dlerror's reason follows
}

TEST(SharedLibraryTest, BareNameTheLoaderCannotFind) {
  const Expected<SharedLibrary> lib = SharedLibrary::open("libtb-no-such-library.so.7");
  ASSERT_FALSE(lib.ok());
  EXPECT_TRUE(starts_with(lib.error().message, "cannot load 'libtb-no-such-library.so.7': ")) << lib.error().message;
}

TEST(SharedLibraryTest, EmptyPath) {
  const Expected<SharedLibrary> lib = SharedLibrary::open("");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(lib.error().message, "cannot load '': empty library path");
}

TEST(SharedLibraryTest, FileThatIsNotALibrary) {
  tbtest::TempDir dir;
  const std::string path = dir.write("libfake.so.1", "not an ELF file\n");
  const Expected<SharedLibrary> lib = SharedLibrary::open(path);
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  const std::string& m = lib.error().message;
  EXPECT_TRUE(starts_with(m, "cannot load '" + path + "': ")) << m;
  EXPECT_GT(m.size(), ("cannot load '" + path + "': ").size()) << "the loader's reason is missing: " << m;
}

TEST(SharedLibraryTest, RealLibraryHasItsSymbolsAndNotOthers) {
  const Expected<SharedLibrary> lib = SharedLibrary::open(kLibm);
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  EXPECT_TRUE(lib->loaded());
  EXPECT_EQ(lib->path(), kLibm);
  void* cos_address = lib->symbol("cos");
  EXPECT_NE(cos_address, nullptr);
  EXPECT_EQ(lib->symbol("tb_no_such_symbol"), nullptr);
  EXPECT_EQ(dlerror(), nullptr) << "a missing symbol leaves no dlerror() state behind";
  // The file the loader mapped for a bare name is a path ending in the name.
  const std::string file = lib->file_of(cos_address);
  EXPECT_TRUE(contains(file, "/") && contains(file, "libm")) << file;
  EXPECT_EQ(lib->file_of(nullptr), kLibm) << "unknown address: the path given";
}

TEST(SharedLibraryTest, TheFakeRuntimeLoadsByPath) {
  const Expected<SharedLibrary> lib = SharedLibrary::open(FAKE_NRT_PATH);
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  EXPECT_NE(lib->symbol("nrt_init"), nullptr);
  EXPECT_EQ(lib->symbol("tb_no_such_symbol"), nullptr);
}

TEST(SharedLibraryTest, MovingHandsTheHandleOver) {
  Expected<SharedLibrary> opened = SharedLibrary::open(kLibm);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  SharedLibrary a = std::move(opened).value();
  SharedLibrary b = std::move(a);
  EXPECT_FALSE(a.loaded());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(a.symbol("cos"), nullptr);
  EXPECT_TRUE(b.loaded());
  EXPECT_NE(b.symbol("cos"), nullptr);
  SharedLibrary c;
  EXPECT_FALSE(c.loaded());
  c = std::move(b);
  EXPECT_NE(c.symbol("cos"), nullptr);
}

TEST(SharedLibraryTest, NoDeleteKeepsTheLibraryMappedAfterTheHandleIsGone) {
  // The library without nrt_execute: no other test keeps state in it.
  {
    const Expected<SharedLibrary> lib =
        SharedLibrary::open(FAKE_NRT_MISSING_PATH, SharedLibrary::kDefaultFlags | RTLD_NODELETE);
    ASSERT_TRUE(lib.ok()) << lib.error().message;
  }
  void* still = dlopen(FAKE_NRT_MISSING_PATH, RTLD_NOW | RTLD_NOLOAD);
  EXPECT_NE(still, nullptr) << "RTLD_NODELETE: never unmapped";
  if (still != nullptr) dlclose(still);
}

// A table of two entry points, as an adapter declares one.
struct MathApi {
  double (*cos)(double) = nullptr;
  double (*tb_missing_a)(double) = nullptr;
  double (*tb_missing_b)(double) = nullptr;
  double (*tb_optional)(double) = nullptr;
};

TEST(SymbolResolverTest, ResolvesPresentSymbolsAndNamesTheFirstMissingOne) {
  const Expected<SharedLibrary> lib = SharedLibrary::open(kLibm);
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  MathApi api;
  SymbolResolver r(*lib);
  r.resolve(api.cos, "cos");
  r.resolve(api.tb_optional, "tb_optional", /*required=*/false);
  EXPECT_TRUE(r.status("libm").ok()) << "a missing optional symbol is no error";
  ASSERT_NE(api.cos, nullptr);
  EXPECT_EQ(api.cos(0.0), 1.0);
  EXPECT_EQ(api.tb_optional, nullptr);

  r.resolve(api.tb_missing_a, "tb_missing_a");
  EXPECT_EQ(api.tb_missing_a, nullptr);
  Status s = r.status("a math library");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(s.error().message, "'libm.so.6' is not a math library: symbol tb_missing_a missing");

  r.resolve(api.tb_missing_b, "tb_missing_b");
  r.note_missing("tb_either (or tb_or)");
  EXPECT_EQ(r.missing(), 3);
  s = r.status("a math library");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "'libm.so.6' is not a math library: symbol tb_missing_a missing (and 2 more entry points)");
}

TEST(SymbolResolverTest, ARequirementNotedFirstIsTheOneNamed) {
  const Expected<SharedLibrary> lib = SharedLibrary::open(kLibm);
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  SymbolResolver r(*lib);
  r.note_missing("tb_either (or tb_or)");
  const Status s = r.status("X");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "'libm.so.6' is not X: symbol tb_either (or tb_or) missing");
}

TEST(LibraryCandidatesTest, EachNameInEachDirectoryInOrder) {
  const std::vector<LibraryCandidate> c = candidates_in({"/a", "/b/", ""}, {"x.so.2", "x.so"}, "here");
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].path, "/a/x.so.2");
  EXPECT_EQ(c[1].path, "/a/x.so");
  EXPECT_EQ(c[2].path, "/b/x.so.2");  // no doubled '/'
  EXPECT_EQ(c[3].path, "/b/x.so");
  EXPECT_EQ(c[4].path, "x.so.2");  // empty directory: the loader's search path
  EXPECT_EQ(c[5].path, "x.so");
  for (const LibraryCandidate& one : c) EXPECT_EQ(one.source, "here");
  EXPECT_TRUE(candidates_in({}, {"x.so"}, "s").empty());
}

TEST(OpenFirstTest, AllFailingNamesEveryPlaceAndWhyInOrder) {
  tbtest::TempDir dir;
  const std::string junk = dir.write("libjunk.so", "junk");
  const std::vector<LibraryCandidate> candidates = {{"/nonexistent/libtb-x.so.1", "TB_TEST_DIR"},
                                                    {"libtb-no-such-x.so.1", "loader search path"},
                                                    {junk, "default install"}};
  int calls = 0;
  const Expected<SharedLibrary> lib = open_first(
      candidates,
      [&](const std::string& path) {
        ++calls;
        return SharedLibrary::open(path);
      },
      "test library", "install it");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(lib.error().code, ErrorCode::kUnavailable);
  const std::string& m = lib.error().message;
  EXPECT_TRUE(starts_with(m, "no usable test library: tried [TB_TEST_DIR] cannot load '/nonexistent/libtb-x.so.1': "))
      << m;
  const std::size_t second = m.find("; [loader search path] cannot load 'libtb-no-such-x.so.1': ");
  const std::size_t third = m.find("; [default install] cannot load '" + junk + "': ");
  EXPECT_NE(second, std::string::npos) << m;
  EXPECT_NE(third, std::string::npos) << m;
  EXPECT_LT(second, third) << m;
  const std::string tail = "; install it";
  EXPECT_TRUE(m.size() > tail.size() && m.compare(m.size() - tail.size(), tail.size(), tail) == 0) << m;
}

TEST(OpenFirstTest, ReturnsTheFirstThatLoadsAndTriesNoFurther) {
  const std::vector<LibraryCandidate> candidates = {
      {"/nonexistent/libtb-x.so.1", "a"}, {kLibm, "b"}, {FAKE_NRT_PATH, "c"}};
  std::vector<std::string> tried;
  const Expected<SharedLibrary> lib = open_first(
      candidates,
      [&](const std::string& path) {
        tried.push_back(path);
        return SharedLibrary::open(path);
      },
      "test library", "");
  ASSERT_TRUE(lib.ok()) << lib.error().message;
  EXPECT_EQ(lib->path(), kLibm);
  EXPECT_EQ(tried, (std::vector<std::string>{"/nonexistent/libtb-x.so.1", kLibm}));
}

TEST(OpenFirstTest, ARejectedLibraryIsReportedWithItsReason) {
  // open_one may refuse a library that loads: the reason is listed like a load failure.
  const Expected<SharedLibrary> lib = open_first(
      {{kLibm, "loader search path"}},
      [](const std::string& path) -> Expected<SharedLibrary> {
        TB_ASSIGN_OR_RETURN(SharedLibrary loaded, SharedLibrary::open(path));
        double (*fn)(double) = nullptr;
        SymbolResolver r(loaded);
        r.resolve(fn, "tb_wanted");
        TB_RETURN_IF_ERROR(r.status("the wanted library"));
        return loaded;
      },
      "wanted library", "");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().message,
            "no usable wanted library: tried [loader search path] 'libm.so.6' is not the wanted library: symbol "
            "tb_wanted missing");
}

TEST(OpenFirstTest, NoCandidates) {
  const Expected<SharedLibrary> lib =
      open_first({}, [](const std::string& path) { return SharedLibrary::open(path); }, "test library", "");
  ASSERT_FALSE(lib.ok());
  EXPECT_EQ(lib.error().message, "no usable test library: tried nothing");
}

}  // namespace
}  // namespace tb
