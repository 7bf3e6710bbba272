// Loading a vendor library at run time (dlopen), shared by every adapter that
// binds one (libnrt, cuBLASLt, NCCL, ...): an owning handle, a resolver that
// fills an adapter's table of entry points and names what is missing, and a
// search over candidate places that reports every place tried and why.
//
// Every error is kUnavailable: the library is missing or is not what the
// adapter needs, so this machine cannot run that backend (docs/cuda.md,
// docs/neuron.md: how each adapter's libraries are found).
//
// Message formats (tests and docs rely on them):
//   open:        "cannot load '<path>': <dlerror text>"
//                "cannot load '': empty library path"
//   resolver:    "'<path>' is not <what>: symbol <name> missing"
//                "... missing (and <N> more entry points)"
//   open_first:  "no usable <what>: tried [<source>] <error>; [<source>] <error>[; <hint>]"
#pragma once

#include <dlfcn.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/error.h"

namespace tb {

// One dlopen handle. Closed (dlclose) on destruction unless it was opened
// with RTLD_NODELETE, which keeps the library mapped for the rest of the
// process. Move-only; a moved-from or default-made object holds nothing.
class SharedLibrary {
 public:
  // Resolve every symbol at load, keep them out of the global namespace.
  static constexpr int kDefaultFlags = RTLD_NOW | RTLD_LOCAL;

  // dlopen(path, flags). `path` is a file path, or a bare name (no '/') that
  // the dynamic loader searches (LD_LIBRARY_PATH, ld.so.cache, ...).
  static Expected<SharedLibrary> open(const std::string& path, int flags = kDefaultFlags);

  SharedLibrary() = default;
  SharedLibrary(SharedLibrary&& other) noexcept;
  SharedLibrary& operator=(SharedLibrary&& other) noexcept;
  SharedLibrary(const SharedLibrary&) = delete;
  SharedLibrary& operator=(const SharedLibrary&) = delete;
  ~SharedLibrary();

  bool loaded() const { return handle_ != nullptr; }
  // The path given to open().
  const std::string& path() const { return path_; }
  // The address of `name` (dlsym), or nullptr when the library does not
  // export it. Leaves no dlerror() state behind.
  void* symbol(const char* name) const;
  // The file the loader mapped for `address` (dladdr), e.g.
  // "/usr/lib/x86_64-linux-gnu/libm.so.6" for a bare name; path() when the
  // loader cannot say. `address` should be a symbol of this library.
  std::string file_of(const void* address) const;

 private:
  SharedLibrary(void* handle, std::string path, int flags) : handle_(handle), path_(std::move(path)), flags_(flags) {}
  void close();

  void* handle_ = nullptr;
  std::string path_;
  int flags_ = 0;
};

// Fills a table of entry points from one library, remembering the first
// required one that is missing and how many are. Typical use with an
// X-macro list of entry points:
//   SymbolResolver r(lib);
//   #define RESOLVE(name) r.resolve(api.name, #name);
//   ENTRY_POINTS(RESOLVE)
//   TB_RETURN_IF_ERROR(r.status("NCCL"));
class SymbolResolver {
 public:
  explicit SymbolResolver(const SharedLibrary& library) : library_(library) {}

  // Sets `slot` (a function pointer) to symbol `name`, nullptr when absent;
  // an absent `required` symbol counts as missing.
  template <typename Fn>
  void resolve(Fn& slot, const char* name, bool required = true) {
    static_assert(std::is_pointer_v<Fn> && std::is_function_v<std::remove_pointer_t<Fn>>,
                  "an entry point slot is a function pointer");
    slot = reinterpret_cast<Fn>(library_.symbol(name));
    if (slot == nullptr && required) note_missing(name);
  }

  // Counts one more missing requirement; `what` names it in the message
  // when it is the first ("nrt_get_visible_vnc_count (or nrt_get_visible_nc_count)").
  void note_missing(std::string what);
  int missing() const { return missing_; }

  // Ok when nothing is missing; otherwise kUnavailable
  // "'<path>' is not <what>: symbol <first> missing[ (and <N> more entry points)]",
  // `what` as in "a Neuron runtime", "cuBLASLt", "NCCL".
  Status status(std::string_view what) const;

 private:
  const SharedLibrary& library_;
  std::string first_missing_;
  int missing_ = 0;
};

// A vendor library bound through its X-macro table of entry points: the
// dlopen handle and the filled table `Api`, together. The one shape of every
// adapter's library (libnrt, cuBLASLt, cuDNN, NCCL derive from it): open()
// loads the file and `resolve(resolver, api)` fills the table, one
// resolver.resolve() per entry point; the table's pointers are valid while
// this object lives. Move-only.
template <typename Api>
class BoundLibrary {
 public:
  // dlopen(path, flags), then the table. kUnavailable "cannot load '<path>':
  // <dlerror>" or "'<path>' is not <what>: symbol <name> missing ...".
  template <typename Resolve>
  static Expected<BoundLibrary> open(const std::string& path, int flags, std::string_view what, Resolve&& resolve) {
    TB_ASSIGN_OR_RETURN(SharedLibrary library, SharedLibrary::open(path, flags));
    Api api{};
    SymbolResolver resolver(library);
    resolve(resolver, api);
    TB_RETURN_IF_ERROR(resolver.status(what));
    return BoundLibrary(std::move(library), api);
  }

  const Api& api() const { return api_; }
  // The path given to open().
  const std::string& path() const { return library_.path(); }
  // The file the loader mapped, found through one of api()'s entry points
  // (SharedLibrary::file_of); path() when the loader cannot say.
  template <typename Fn>
  std::string file_of(Fn entry_point) const {
    return library_.file_of(reinterpret_cast<const void*>(entry_point));
  }

 private:
  BoundLibrary(SharedLibrary library, const Api& api) : library_(std::move(library)), api_(api) {}
  SharedLibrary library_;
  Api api_;
};

// One place a search tries.
struct LibraryCandidate {
  std::string path;    // a file path, or a bare name for the loader's search path
  std::string source;  // why it is on the list: "loader search path", "TRAINBENCH_CUDA_LIB_DIR", ...
};

// Each of `names` in each of `dirs`, directories in order, then names:
// {dir + "/" + name, source} (no doubled '/' when a directory ends in one).
// An empty directory stands for the loader's search path: the bare names.
std::vector<LibraryCandidate> candidates_in(const std::vector<std::string>& dirs, const std::vector<std::string>& names,
                                            const std::string& source);

// The kUnavailable error after every candidate failed: "no usable <what>:
// tried [<source>] <message>; ...", then "; <hint>" when `hint` is not empty.
// `failures` pairs each candidate tried with its error, in order.
Error none_usable(std::string_view what, const std::vector<std::pair<LibraryCandidate, Error>>& failures,
                  std::string_view hint);

// Calls `open_one(candidate.path)` (returning Expected<T>) for each candidate
// in order and returns the first success; when none succeeds,
// none_usable(what, every candidate with its error, hint). An empty list
// yields "no usable <what>: tried nothing".
template <typename OpenOne>
auto open_first(const std::vector<LibraryCandidate>& candidates, OpenOne&& open_one, std::string_view what,
                std::string_view hint) -> std::invoke_result_t<OpenOne&, const std::string&> {
  std::vector<std::pair<LibraryCandidate, Error>> failures;
  for (const LibraryCandidate& candidate : candidates) {
    auto opened = open_one(candidate.path);
    if (opened.ok()) return opened;
    failures.emplace_back(candidate, opened.error());
  }
  return none_usable(what, failures, hint);
}

}  // namespace tb
