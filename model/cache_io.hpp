// What the caches (revision_cache, model_cache) share: their records are netstrings
// ("<length>:<bytes>,") or length-prefixed binary fields, so any byte of a name or message
// round-trips, and their files are mapped to be read and replaced whole.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace distil::model::cache_io {

inline void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}
inline void put(std::string& out, long long n) { put(out, std::to_string(n)); }
inline void put(std::string& out, const std::vector<std::string>& list) {
  put(out, static_cast<long long>(list.size()));
  for (const auto& s : list) put(out, s);
}

// Reads fields back; any malformation makes the whole text unusable (ok() false).
class Fields {
 public:
  explicit Fields(std::string_view text) : rest_(text) {}
  bool ok() const { return ok_; }
  bool done() const { return rest_.empty(); }
  std::string_view rest() const { return rest_; }  // what is left to read
  std::string_view next() {
    size_t colon = rest_.find(':');
    size_t length = 0;
    if (!ok_ || colon == std::string_view::npos ||
        std::from_chars(rest_.data(), rest_.data() + colon, length).ec != std::errc() ||
        length >= rest_.size() - colon - 1 || rest_[colon + 1 + length] != ',') {
      ok_ = false;
      return {};
    }
    std::string_view field = rest_.substr(colon + 1, length);
    rest_.remove_prefix(colon + 2 + length);
    return field;
  }
  long long number() {
    std::string_view f = next();
    long long n = 0;
    if (ok_ && std::from_chars(f.data(), f.data() + f.size(), n).ec != std::errc()) ok_ = false;
    return n;
  }
  // A count of items that follow, each at least one field ("0:," is 3 bytes): a count the
  // rest of the text cannot hold is refused, so a corrupt count is never an allocation.
  long long count() {
    long long n = number();
    if (n < 0 || n > static_cast<long long>(rest_.size() / 3)) ok_ = false;
    return ok_ ? n : 0;
  }
  std::vector<std::string> list() {
    long long n = count();
    std::vector<std::string> out;
    for (long long i = 0; ok_ && i < n; ++i) out.emplace_back(next());
    return out;
  }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

// Binary fields (the revision cache, where decoding is on every command's path): a 32-bit
// length before each string, 64-bit numbers, in the host's byte order (a cache records its
// order and is ignored by a host of the other order); read with memcpy, at any alignment.
class BinaryWriter {
 public:
  explicit BinaryWriter(std::string& out) : out_(out) {}
  void u32(std::uint32_t n) { out_.append(reinterpret_cast<const char*>(&n), sizeof n); }
  void i64(long long n) {
    const std::int64_t v = n;
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  // False when the text is too long to record (4 GiB), which the caller then leaves out.
  bool str(std::string_view text) {
    if (text.size() > UINT32_MAX) return false;
    u32(static_cast<std::uint32_t>(text.size()));
    out_ += text;
    return true;
  }
  bool list(const std::vector<std::string>& items) {
    u32(static_cast<std::uint32_t>(items.size()));
    return std::all_of(items.begin(), items.end(), [&](const std::string& s) { return str(s); });
  }

 private:
  std::string& out_;
};

// Reads BinaryWriter's fields back; any read past the end makes the text unusable (ok()
// false, and every later read gives zero or empty).
class BinaryReader {
 public:
  explicit BinaryReader(std::string_view text) : rest_(text) {}
  bool ok() const { return ok_; }
  bool done() const { return rest_.empty(); }
  std::uint32_t u32() {
    std::uint32_t n = 0;
    take(&n, sizeof n);
    return n;
  }
  long long i64() {
    std::int64_t n = 0;
    take(&n, sizeof n);
    return n;
  }
  std::string_view str() {
    const std::uint32_t length = u32();
    if (!ok_ || length > rest_.size()) return fail();
    const std::string_view text = rest_.substr(0, length);
    rest_.remove_prefix(length);
    return text;
  }
  // Each item takes at least its 4-byte length, so a count the rest cannot hold is refused
  // before anything is allocated.
  std::vector<std::string> list() {
    const std::uint32_t n = u32();
    std::vector<std::string> out;
    if (!ok_ || n > rest_.size() / 4) {
      fail();
      return out;
    }
    out.reserve(n);
    for (std::uint32_t i = 0; ok_ && i < n; ++i) out.emplace_back(str());
    return out;
  }

 private:
  void take(void* into, std::size_t bytes) {
    if (!ok_ || rest_.size() < bytes) {
      fail();
      return;
    }
    std::memcpy(into, rest_.data(), bytes);
    rest_.remove_prefix(bytes);
  }
  std::string_view fail() {
    ok_ = false;
    rest_ = {};
    return {};
  }
  std::string_view rest_;
  bool ok_ = true;
};

// A cache file mapped read-only, when it starts with `magic` (else empty). Mapping instead
// of reading leaves the kernel's page cache as the only copy: no allocation of megabytes,
// no copy, and pages mapped in batches as they are touched. The caches replace their files
// by rename (replace_file), so a mapped file never changes under its reader.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const std::filesystem::path& file, std::string_view magic) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<std::size_t>(st.st_size) > magic.size()) {
      const auto size = static_cast<std::size_t>(st.st_size);
      void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (data != MAP_FAILED) {
        data_ = static_cast<const char*>(data);
        size_ = size;
        if (!text().starts_with(magic)) reset();
      }
    }
    ::close(fd);
  }
  MappedFile(MappedFile&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  MappedFile& operator=(MappedFile&& other) noexcept {
    if (this != &other) {
      reset();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() { reset(); }

  std::string_view text() const { return {data_, size_}; }
  void reset() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
  }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

// A file modified after this time (ns since the epoch: two seconds ago) may change again
// within the same timestamp tick at the same size ("racy git"): the caches never trust it,
// and parse it again until it is older.
inline long long racy_after() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() -
         2'000'000'000LL;
}

// Writes `file` beside it and renames it into place: a reader sees the old file or the new
// one, never half. Best effort: when the folder cannot be written to or a write fails,
// `file` stays as it was. `write(std::ostream&)` fills the new file.
template <class Write>
void replace_file(const std::filesystem::path& file, Write&& write) {
  std::filesystem::path tmp = file;
  tmp += ".tmp." + std::to_string(::getpid());
  std::error_code ec;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    write(out);
    if (!out.flush()) {
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace distil::model::cache_io
