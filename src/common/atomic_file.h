// Files that are either absent or complete: content goes to a temporary file
// in the same directory, is flushed to disk, then renamed over the target.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace tb {

// Writes `content` to `path` atomically. Replaces only a regular file: when
// `path` exists and is not one (a directory, a device, a FIFO, a socket) the
// kIo error says so and nothing is written. A symbolic link is written
// through: the file it resolves to (realpath) is replaced, atomically, by a
// temporary file in the target's directory, and the link stays a link; a link
// to a missing file or to anything but a regular file is refused
// (docs/cli.md, "Files read and written"). Other failures: kIo error naming
// the path and the OS reason.
Status write_file_atomically(const std::string& path, const std::string& content);

// Like write_file_atomically, but never replaces: returns false, writing
// nothing, when `path` already exists.
Expected<bool> create_file_atomically(const std::string& path, const std::string& content);

// Largest file read_file reads unless its caller allows more (B): 256 MiB,
// far above any suite, catalog, model, efficiency, result or manifest file.
inline constexpr std::int64_t kMaxReadBytes = std::int64_t{256} << 20;

// Reads a whole regular file of at most `max_bytes` bytes. Every file trainbench
// reads goes through here. kIo error "cannot read <what> '<path>': <reason>"
// (`what` empty: "cannot read '<path>': ...") when it cannot be opened, is not
// a regular file (a directory, a device such as /dev/zero, a FIFO or a socket:
// refused before any byte is read, so nothing blocks or grows without end),
// or holds more than `max_bytes` bytes (memory stays bounded by the limit).
Expected<std::string> read_file(const std::string& path, std::int64_t max_bytes = kMaxReadBytes,
                                std::string_view what = {});

// What `path` is when it exists but is not a regular file, symbolic links
// followed: "a directory", "a character device", "a block device", "a FIFO",
// "a socket"; nullopt when it is a regular file or does not exist.
std::optional<std::string> non_regular_kind(const std::string& path);

// Ok when `dir` exists (or can be created) and a file can be created in it;
// leaves nothing behind. kIo error naming the directory otherwise.
Status check_writable_directory(const std::string& dir);

}  // namespace tb
