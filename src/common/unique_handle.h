// Owner of one handle of a C API (a vendor library's descriptor, stream,
// model, communicator ...), released exactly once by its deleter when the
// owner goes. The one RAII shape of every adapter's handles: the deleter says
// how to release (and holds what must outlive the handle, such as the loaded
// library whose table has the destroy function). Move-only; a moved-from or
// default-made owner holds nothing. Errors from releasing are ignored: a
// destructor cannot report them (call the API's own release first where its
// error matters).
#pragma once

#include <memory>
#include <utility>

namespace tb {

template <typename Handle, typename Deleter>
class UniqueHandle {
 public:
  UniqueHandle() = default;
  UniqueHandle(Handle handle, Deleter deleter) : handle_(handle), deleter_(std::move(deleter)) {}
  UniqueHandle(UniqueHandle&& other) noexcept
      : handle_(std::exchange(other.handle_, Handle{})), deleter_(std::move(other.deleter_)) {}
  UniqueHandle& operator=(UniqueHandle&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, Handle{});
      deleter_ = std::move(other.deleter_);
    }
    return *this;
  }
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  ~UniqueHandle() { reset(); }

  Handle get() const { return handle_; }
  const Deleter& deleter() const { return deleter_; }
  explicit operator bool() const { return handle_ != Handle{}; }
  // Releases the handle now (if any); the owner then holds nothing.
  void reset() {
    if (handle_ != Handle{}) deleter_(handle_);
    handle_ = Handle{};
  }
  // Gives the handle up without releasing it.
  Handle release() { return std::exchange(handle_, Handle{}); }

 private:
  Handle handle_{};
  Deleter deleter_{};
};

// The deleter of a handle made through a loaded library's table: the
// library (shared, so that it stays mapped while any of its handles lives) and
// its destroy function.
template <typename Library, typename Destroy>
struct LibraryDeleter {
  std::shared_ptr<const Library> library;
  Destroy destroy = nullptr;
  template <typename Handle>
  void operator()(Handle handle) const {
    destroy(handle);
  }
};

}  // namespace tb
