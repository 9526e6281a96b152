// An LD_PRELOAD shim for tests: dlopen() of the library that DISTIL_TEST_HIDE_LIBRARY names
// (an soname, such as libpq.so.5) fails as it does on a machine without that library, and
// dlerror() then says so in glibc's words. Every other dlopen() goes through unchanged.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

thread_local char pending[512];  // the message of a hidden library's failed dlopen, or ""

}  // namespace

extern "C" void* dlopen(const char* file, int mode) {
  using Dlopen = void* (*)(const char*, int);
  static const auto real = reinterpret_cast<Dlopen>(::dlsym(RTLD_NEXT, "dlopen"));
  const char* hidden = std::getenv("DISTIL_TEST_HIDE_LIBRARY");
  if (file != nullptr && hidden != nullptr && std::strcmp(file, hidden) == 0) {
    std::snprintf(pending, sizeof pending,
                  "%s: cannot open shared object file: No such file or directory", file);
    return nullptr;
  }
  return real(file, mode);
}

extern "C" char* dlerror() {
  using Dlerror = char* (*)();
  static const auto real = reinterpret_cast<Dlerror>(::dlsym(RTLD_NEXT, "dlerror"));
  static thread_local char message[sizeof pending];
  if (pending[0] != '\0') {
    std::memcpy(message, pending, sizeof message);
    pending[0] = '\0';
    return message;
  }
  return real();
}
