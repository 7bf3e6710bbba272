#include "common/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace tb {
namespace {

std::string os_reason() { return std::strerror(errno); }

// Closes the descriptor (when valid) on every return path.
struct FileDescriptor {
  int fd;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

// "a directory", "a character device", ...: what a path that is not a regular file is.
std::string file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "another kind of file";
}

// Writes `content` to a new temporary file next to `path`, flushed to disk.
Expected<std::string> write_temporary(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("cannot write '" + path + "': " + os_reason());
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = os_reason();
      ::close(fd);
      ::unlink(tmp.c_str());
      return io_error("cannot write '" + path + "': " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string reason = os_reason();
    ::unlink(tmp.c_str());
    return io_error("cannot write '" + path + "': " + reason);
  }
  return tmp;
}

// The file write_file_atomically replaces for `path`: `path` itself when it
// does not exist or is a regular file; the file a symbolic link resolves to
// (realpath) when that is a regular file. Refused: anything else (directories,
// devices, FIFOs, sockets, also behind links) and links whose target is missing.
Expected<std::string> replacement_target(const std::string& path) {
  const std::string refused = "cannot write '" + path + "': ";
  const std::string expected = ": expected a regular file or a path that does not exist";
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return path;  // absent (or unreachable: creating it says why)
  std::string target = path;
  if (S_ISLNK(st.st_mode)) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (resolved == nullptr) {
      return io_error(refused + "it is a symbolic link that does not resolve to a file (" + os_reason() + ")" +
                      expected);
    }
    target = resolved;
    std::free(resolved);
  }
  if (const std::optional<std::string> kind = non_regular_kind(target)) {
    return io_error(refused + (target == path ? "it" : "its link target '" + target + "'") +
                    " is not a regular file (" + *kind + ")" + expected);
  }
  return target;
}

}  // namespace

Status write_file_atomically(const std::string& path, const std::string& content) {
  TB_ASSIGN_OR_RETURN(const std::string target, replacement_target(path));
  TB_ASSIGN_OR_RETURN(const std::string tmp, write_temporary(target, content));
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string reason = os_reason();
    ::unlink(tmp.c_str());
    return io_error("cannot move the finished file into '" + target + "': " + reason);
  }
  return {};
}

Expected<bool> create_file_atomically(const std::string& path, const std::string& content) {
  TB_ASSIGN_OR_RETURN(const std::string tmp, write_temporary(path, content));
  const int rc = ::link(tmp.c_str(), path.c_str());  // fails with EEXIST instead of replacing
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (rc == 0) return true;
  if (link_errno == EEXIST) return false;
  return io_error("cannot create '" + path + "': " + std::strerror(link_errno));
}

Expected<std::string> read_file(const std::string& path, std::int64_t max_bytes, std::string_view what) {
  const std::string prefix = "cannot read " + (what.empty() ? "" : std::string(what) + " ") + "'" + path + "': ";
  // O_NONBLOCK: opening a FIFO does not wait for a writer; fstat then refuses it.
  const FileDescriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  struct stat st {};
  if (file.fd < 0 || ::fstat(file.fd, &st) != 0) return io_error(prefix + os_reason());
  if (!S_ISREG(st.st_mode)) return io_error(prefix + "it is not a regular file (" + file_kind(st.st_mode) + ")");
  const std::string limit = std::to_string(max_bytes) + " bytes trainbench reads from such a file";
  if (st.st_size > max_bytes) {
    return io_error(prefix + "it holds " + std::to_string(st.st_size) + " bytes, more than the " + limit);
  }
  std::string text;
  text.reserve(static_cast<std::size_t>(st.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n == 0) return text;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(prefix + os_reason());
    if (static_cast<std::int64_t>(text.size()) + n > max_bytes) {  // it grew while we read
      return io_error(prefix + "it holds more than the " + limit);
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> non_regular_kind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return std::nullopt;
  return file_kind(st.st_mode);
}

Status check_writable_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error("output directory '" + dir + "' cannot be created: " + ec.message());
  if (!std::filesystem::is_directory(dir, ec)) return io_error("output path '" + dir + "' is not a directory");
  const std::string probe = dir + "/.trainbench-write-test." + std::to_string(getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("output directory '" + dir + "' is not writable: " + os_reason());
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

}  // namespace tb
