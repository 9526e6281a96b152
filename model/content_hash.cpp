// SHA-256 through OpenSSL's libcrypto (EVP), which Debian keeps patched; no hash of our own.
// libcrypto is loaded at the first hash (dlopen), not at start: loading it took about a
// millisecond of every command, and most commands hash nothing.
#include "model/content_hash.hpp"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <array>
#include <string>

namespace distil::model {

namespace {

struct Crypto {
  decltype(&EVP_Digest) digest = nullptr;
  decltype(&EVP_sha256) sha256 = nullptr;
  std::string error;  // why it could not be loaded
};

const Crypto& crypto() {
  static const Crypto loaded = [] {
    Crypto c;
    // The soname of OpenSSL 3 is libcrypto.so.3, that of the version we compiled against.
    const std::string library = "libcrypto.so." + std::to_string(OPENSSL_VERSION_MAJOR);
    void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);  // never closed
    if (handle == nullptr) {
      const char* why = ::dlerror();
      c.error = "cannot load " + library + ": " + (why ? why : "unknown error") +
                " (install libssl3)";
      return c;
    }
    c.digest = reinterpret_cast<decltype(&EVP_Digest)>(::dlsym(handle, "EVP_Digest"));
    c.sha256 = reinterpret_cast<decltype(&EVP_sha256)>(::dlsym(handle, "EVP_sha256"));
    if (c.digest == nullptr || c.sha256 == nullptr)
      c.error = library + " has no EVP_Digest or EVP_sha256";
    return c;
  }();
  return loaded;
}

}  // namespace

Result<std::string> sha256_hex(std::string_view bytes) {
  const Crypto& c = crypto();
  if (!c.error.empty()) {
    return fail(Error{.code = ErrorCode::io,
                      .message = "SHA-256 of revision files: " + c.error});
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (c.digest(bytes.data(), bytes.size(), digest.data(), &length, c.sha256(), nullptr) != 1)
    return fail(Error{.code = ErrorCode::io, .message = "SHA-256 failed (OpenSSL EVP_Digest)"});
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace distil::model
