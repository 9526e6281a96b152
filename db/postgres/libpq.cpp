// See libpq.hpp.
#include "db/postgres/libpq.hpp"

#include <dlfcn.h>

#include <mutex>
#include <string>

namespace distil::db::postgres {

namespace {

// libpq's soname has been libpq.so.5 since PostgreSQL 8.x.
constexpr const char* kLibrary = "libpq.so.5";

libpq::Api loaded;
std::string load_error;

void load_once() {
  void* handle = ::dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    load_error = std::string("cannot load the PostgreSQL client library ") + kLibrary + ": " +
                 (why ? why : "unknown error") + " (install libpq5)";
    return;
  }
  // The handle is never closed: libpq stays for the life of the process.
#define DISTIL_LIBPQ_RESOLVE(name)                                                    \
  loaded.name = reinterpret_cast<decltype(loaded.name)>(::dlsym(handle, #name));   \
  if (loaded.name == nullptr) {                                                       \
    load_error = std::string(kLibrary) + " has no function " #name " (libpq too old)"; \
    return;                                                                           \
  }
  DISTIL_LIBPQ_FUNCTIONS(DISTIL_LIBPQ_RESOLVE)
#undef DISTIL_LIBPQ_RESOLVE
}

}  // namespace

const libpq::Api& libpq::api() { return loaded; }

model::Result<void> load_libpq() {
  static std::once_flag once;
  std::call_once(once, load_once);
  if (!load_error.empty())
    return model::fail(model::Error{.code = model::ErrorCode::database, .message = load_error});
  return {};
}

}  // namespace distil::db::postgres
