// The content hash of a revision file: SHA-256 of its bytes, as 64 lowercase hex digits.
// Recorded when a revision is applied, so an edit made afterwards can be told.
#pragma once

#include <string>
#include <string_view>

namespace distil::model {

std::string sha256_hex(std::string_view bytes);

}  // namespace distil::model
