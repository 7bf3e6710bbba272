#include "common/shared_library.h"

namespace tb {
namespace {

// dlerror() text, or a fallback when the loader gave none.
std::string last_dl_error() {
  const char* text = dlerror();
  return text != nullptr ? std::string(text) : std::string("unknown dynamic loader error");
}

}  // namespace

Expected<SharedLibrary> SharedLibrary::open(const std::string& path, int flags) {
  if (path.empty()) return unavailable("cannot load '': empty library path");
  dlerror();  // clear any stale error
  void* handle = dlopen(path.c_str(), flags);
  if (handle == nullptr) return unavailable("cannot load '" + path + "': " + last_dl_error());
  return SharedLibrary(handle, path, flags);
}

SharedLibrary::SharedLibrary(SharedLibrary&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), path_(std::move(other.path_)), flags_(other.flags_) {}

SharedLibrary& SharedLibrary::operator=(SharedLibrary&& other) noexcept {
  if (this != &other) {
    close();
    handle_ = std::exchange(other.handle_, nullptr);
    path_ = std::move(other.path_);
    flags_ = other.flags_;
  }
  return *this;
}

SharedLibrary::~SharedLibrary() { close(); }

void SharedLibrary::close() {
  // RTLD_NODELETE: the library stays mapped anyway; a library that allocated
  // at load and kept the pointer in its globals must not be unmapped.
  if (handle_ != nullptr && (flags_ & RTLD_NODELETE) == 0) dlclose(handle_);
  handle_ = nullptr;
}

void* SharedLibrary::symbol(const char* name) const {
  if (handle_ == nullptr) return nullptr;
  // A function's address is never null, so null means "not exported"; the
  // error text that leaves behind is cleared for the next caller.
  void* address = dlsym(handle_, name);
  dlerror();
  return address;
}

std::string SharedLibrary::file_of(const void* address) const {
  Dl_info info{};
  if (address != nullptr && dladdr(address, &info) != 0 && info.dli_fname != nullptr && info.dli_fname[0] != '\0') {
    return info.dli_fname;
  }
  return path_;
}

void SymbolResolver::note_missing(std::string what) {
  if (missing_++ == 0) first_missing_ = std::move(what);
}

Status SymbolResolver::status(std::string_view what) const {
  if (missing_ == 0) return {};
  std::string message =
      "'" + library_.path() + "' is not " + std::string(what) + ": symbol " + first_missing_ + " missing";
  if (missing_ > 1) message += " (and " + std::to_string(missing_ - 1) + " more entry points)";
  return unavailable(std::move(message));
}

std::vector<LibraryCandidate> candidates_in(const std::vector<std::string>& dirs, const std::vector<std::string>& names,
                                            const std::string& source) {
  std::vector<LibraryCandidate> out;
  for (const std::string& dir : dirs) {
    const std::string prefix = dir.empty() || dir.back() == '/' ? dir : dir + "/";
    for (const std::string& name : names) out.push_back({prefix + name, source});
  }
  return out;
}

Error none_usable(std::string_view what, const std::vector<std::pair<LibraryCandidate, Error>>& failures,
                  std::string_view hint) {
  std::string tried;
  for (const auto& [candidate, error] : failures) {
    tried += (tried.empty() ? "" : "; ") + ("[" + candidate.source + "] " + error.message);
  }
  std::string message = "no usable " + std::string(what) + ": tried " + (tried.empty() ? "nothing" : tried);
  if (!hint.empty()) message += "; " + std::string(hint);
  return unavailable(std::move(message));
}

}  // namespace tb
