// The content hash of a revision file: SHA-256 of its bytes, as 64 lowercase hex digits.
// Recorded when a revision is applied, so an edit made afterwards can be told.
#pragma once

#include <string>
#include <string_view>

#include "model/result.hpp"

namespace distil::model {

// An ErrorCode::io error (exit 1) when libcrypto cannot be loaded: it names the library and
// the Debian package to install.
Result<std::string> sha256_hex(std::string_view bytes);

}  // namespace distil::model
