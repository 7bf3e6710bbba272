// Atomic file writes, reads, and the output-directory check.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "support/temp_dir.h"

namespace tb {
namespace {

namespace fs = std::filesystem;

using tbtest::TempDir;

TEST(AtomicFileTest, WriteThenReadBack) {
  const TempDir dir;
  const std::string path = dir.file("out.json");
  const std::string content = std::string("{\"a\": 1}\n") + std::string(1, '\0') + "binary\xff tail";
  const Status s = write_file_atomically(path, content);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const Expected<std::string> back = read_file(path);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, content);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.json"}) << "no temporary file may remain";
}

TEST(AtomicFileTest, OverwriteReplacesTheWholeFile) {
  const TempDir dir;
  const std::string path = dir.file("out.txt");
  ASSERT_TRUE(write_file_atomically(path, std::string(10000, 'x')).ok());
  ASSERT_TRUE(write_file_atomically(path, "short").ok());
  const Expected<std::string> back = read_file(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "short");
  ASSERT_TRUE(write_file_atomically(path, "").ok());
  EXPECT_EQ(*read_file(path), "");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFileTest, WriteIntoMissingDirectoryIsIoErrorNamingThePath) {
  const TempDir dir;
  const std::string path = dir.file("no-such-dir") + "/out.json";
  const Status s = write_file_atomically(path, "data");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("'" + path + "'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("No such file or directory"), std::string::npos) << s.error().message;
  EXPECT_TRUE(dir.entries().empty()) << "nothing may be left behind";
  EXPECT_FALSE(fs::exists(path));
}

TEST(AtomicFileTest, WriteOverADirectoryFailsAndLeavesNoTemporary) {
  const TempDir dir;
  const std::string path = dir.file("taken");
  fs::create_directory(path);
  const Status s = write_file_atomically(path, "data");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("'" + path + "'"), std::string::npos) << s.error().message;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken"}) << "the temporary file must be removed";
  EXPECT_TRUE(fs::is_directory(path));
}

// Asserts that write_file_atomically refuses `path` naming it and "not a regular
// file (<kind>)", and leaves the directory's entries as they were.
void expect_write_refused(const TempDir& dir, const std::string& path, const std::string& kind) {
  const std::vector<std::string> before = dir.entries();
  const Status s = write_file_atomically(path, "data");
  ASSERT_FALSE(s.ok()) << path;
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_EQ(s.error().message.rfind("cannot write '" + path + "': ", 0), 0u) << s.error().message;
  EXPECT_NE(s.error().message.find("is not a regular file (" + kind + ")"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("expected a regular file or a path that does not exist"), std::string::npos);
  EXPECT_EQ(dir.entries(), before) << "nothing may be created or replaced";
}

TEST(AtomicFileTest, WriteReplacesNothingButARegularFile) {
  const TempDir dir;
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_write_refused(dir, fifo, "a FIFO");
  EXPECT_EQ(non_regular_kind(fifo), "a FIFO");
  fs::create_directory(dir.file("sub"));
  expect_write_refused(dir, dir.file("sub"), "a directory");
  if (::geteuid() != 0) GTEST_SKIP() << "creating a device node (mknod) needs root";
  const std::string node = dir.file("null-device");  // our own node, never /dev/null itself
  ASSERT_EQ(::mknod(node.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << std::strerror(errno);
  expect_write_refused(dir, node, "a character device");
  struct stat st {};
  ASSERT_EQ(::lstat(node.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node must not be replaced";
}

TEST(AtomicFileTest, WriteThroughASymbolicLinkReplacesItsTarget) {
  const TempDir dir;
  fs::create_directory(dir.file("real"));
  const std::string target = dir.write("real/catalog.csv", "old");
  const std::string link = dir.file("catalog.csv");
  fs::create_symlink(target, link);
  const std::string chain = dir.file("chain.csv");
  fs::create_symlink(link, chain);  // a link to a link: resolved to the end
  ASSERT_TRUE(write_file_atomically(chain, "new").ok());
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(fs::is_symlink(chain));
  EXPECT_EQ(*read_file(target), "new");
  std::vector<std::string> real;
  for (const auto& e : fs::directory_iterator(dir.file("real"))) real.push_back(e.path().filename().string());
  EXPECT_EQ(real, std::vector<std::string>{"catalog.csv"}) << "the temporary file goes next to the target";
}

TEST(AtomicFileTest, WriteRefusesDanglingLinksAndLinksToNonRegularFiles) {
  const TempDir dir;
  const std::string dangling = dir.file("dangling");
  fs::create_symlink(dir.file("missing"), dangling);
  const std::vector<std::string> before = dir.entries();
  const Status s = write_file_atomically(dangling, "data");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("symbolic link that does not resolve"), std::string::npos) << s.error().message;
  EXPECT_EQ(dir.entries(), before);
  EXPECT_FALSE(fs::exists(dir.file("missing")));
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string to_fifo = dir.file("to-fifo");
  fs::create_symlink(fifo, to_fifo);
  expect_write_refused(dir, to_fifo, "a FIFO");
  EXPECT_TRUE(fs::is_symlink(to_fifo));
}

TEST(AtomicFileTest, ReadMissingFileIsIoErrorNamingThePath) {
  const TempDir dir;
  const std::string path = dir.file("absent.txt");
  const Expected<std::string> r = read_file(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_NE(r.error().message.find("'" + path + "'"), std::string::npos) << r.error().message;
}

// Asserts that read_file refuses `path` as "not a regular file (<kind>)", naming it.
void expect_not_regular(const std::string& path, const std::string& kind) {
  const Expected<std::string> r = read_file(path);
  ASSERT_FALSE(r.ok()) << path;
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(r.error().message, "cannot read '" + path + "': it is not a regular file (" + kind + ")");
}

TEST(AtomicFileTest, ReadRefusesWhatIsNotARegularFileWithoutReadingOrBlocking) {
  const TempDir dir;
  expect_not_regular(dir.path().string(), "a directory");
  expect_not_regular("/dev/zero", "a character device");  // endless: only refusing it keeps memory bounded
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_not_regular(fifo, "a FIFO");  // opened without waiting for a writer
  EXPECT_EQ(non_regular_kind(fifo), "a FIFO");
  EXPECT_EQ(non_regular_kind("/dev/zero"), "a character device");
  EXPECT_EQ(non_regular_kind(dir.write("plain.txt", "x")), std::nullopt);
  EXPECT_EQ(non_regular_kind(dir.file("absent")), std::nullopt);
}

TEST(AtomicFileTest, ReadRefusesFilesAboveTheLimitNamingBoth) {
  const TempDir dir;
  const std::string path = dir.write("hundred.txt", std::string(100, 'x'));
  EXPECT_EQ(read_file(path, 100).value(), std::string(100, 'x'));
  const Expected<std::string> r = read_file(path, 99, "suite file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_EQ(r.error().message, "cannot read suite file '" + path + "': it holds 100 bytes, more than the 99 bytes "
                               "trainbench reads from such a file");
  EXPECT_EQ(kMaxReadBytes, 256 << 20);
}

TEST(CheckWritableDirectoryTest, CreatesMissingDirectoriesAndLeavesNothingBehind) {
  const TempDir dir;
  const std::string nested = dir.file("a") + "/b/c";
  const Status s = check_writable_directory(nested);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(fs::is_directory(nested));
  EXPECT_TRUE(fs::is_empty(nested)) << "the probe file must be removed";
  EXPECT_TRUE(check_writable_directory(nested).ok()) << "an existing directory is fine too";
}

TEST(CheckWritableDirectoryTest, ReadOnlyDirectoryIsIoErrorNamingIt) {
  const TempDir dir;
  const std::string ro = dir.file("readonly");
  fs::create_directory(ro);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec, fs::perm_options::replace);
  // Privileged users (root, CAP_DAC_OVERRIDE) can write anyway: then there is nothing to test.
  const std::string probe = ro + "/probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
    GTEST_SKIP() << "this user can write into a mode 0500 directory (running as root?)";
  }
  const Status s = check_writable_directory(ro);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("'" + ro + "'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("not writable"), std::string::npos) << s.error().message;
}

TEST(CheckWritableDirectoryTest, RegularFileIsIoErrorNamingIt) {
  const TempDir dir;
  const std::string file = dir.file("file.txt");
  std::ofstream(file) << "x";
  Status s = check_writable_directory(file);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("'" + file + "'"), std::string::npos) << s.error().message;
  // A directory below a regular file cannot be created either.
  const std::string below = file + "/sub";
  s = check_writable_directory(below);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kIo);
  EXPECT_NE(s.error().message.find("'" + below + "'"), std::string::npos) << s.error().message;
  EXPECT_EQ(*read_file(file), "x") << "the file must be left alone";
}

}  // namespace
}  // namespace tb
