#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tb {
namespace {

std::string os_reason() { return std::strerror(errno); }

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

}  // namespace

Status write_file_atomically(const std::string& path, const std::string& content) {
  TB_ASSIGN_OR_RETURN(const std::string tmp, write_temporary(path, content));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = os_reason();
    ::unlink(tmp.c_str());
    return io_error("cannot move the finished file into '" + path + "': " + reason);
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

Expected<std::string> read_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return io_error("cannot read '" + path + "': it is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read '" + path + "': " + os_reason());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return io_error("cannot read '" + path + "': read error");
  return ss.str();
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
