// Files that are either absent or complete: content goes to a temporary file
// in the same directory, is flushed to disk, then renamed over the target.
#pragma once

#include <string>

#include "common/error.h"

namespace tb {

// Writes `content` to `path` atomically. kIo error naming the path and the OS reason.
Status write_file_atomically(const std::string& path, const std::string& content);

// Like write_file_atomically, but never replaces: returns false, writing
// nothing, when `path` already exists.
Expected<bool> create_file_atomically(const std::string& path, const std::string& content);

// Reads a whole file. kIo error naming the path when it cannot be read.
Expected<std::string> read_file(const std::string& path);

// Ok when `dir` exists (or can be created) and a file can be created in it;
// leaves nothing behind. kIo error naming the directory otherwise.
Status check_writable_directory(const std::string& dir);

}  // namespace tb
