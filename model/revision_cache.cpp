// The header cache of a versions folder. Format: the magic line, the host's byte-order mark,
// the folder's stamp, then per file in name order its name, stamp and header (one field
// holding the header's own fields), in cache_io's binary fields: a length before every
// string, so any byte of a message round-trips, and nothing to parse but lengths, since
// every command that lists revisions decodes the whole cache.
#include "model/revision_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <exception>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

#include "model/cache_io.hpp"
#include "model/helper_threads.hpp"
#include "model/yaml/revision_io.hpp"

namespace distil::model {

namespace {

using cache_io::BinaryReader;
using cache_io::BinaryWriter;

constexpr std::string_view kMagic = "distil-revision-cache 4\n";
constexpr std::uint32_t kByteOrder = 0x01020304;

// As git's index: size, mtime, inode, and ctime, which no tool can set back (utime() sets
// it to now), so a folder whose entries changed and whose mtime was restored still differs.
struct FileStamp {
  long long size = 0, mtime_ns = 0, inode = 0, ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp stamp_of(const struct stat& st) {
  auto ns = [](const struct timespec& t) {
    return static_cast<long long>(t.tv_sec) * 1'000'000'000LL + t.tv_nsec;
  };
  return {static_cast<long long>(st.st_size), ns(st.st_mtim), static_cast<long long>(st.st_ino),
          ns(st.st_ctim)};
}

FileStamp read_stamp(BinaryReader& in) {
  FileStamp s;
  s.size = in.i64();
  s.mtime_ns = in.i64();
  s.inode = in.i64();
  s.ctime_ns = in.i64();
  return s;
}

void put_stamp(BinaryWriter& out, const FileStamp& s) {
  out.i64(s.size);
  out.i64(s.mtime_ns);
  out.i64(s.inode);
  out.i64(s.ctime_ns);
}

// One record of the cache: the file's name and stamp, and its header's fields (decoded
// only when the file's stat still matches).
struct Record {
  std::string_view name;
  FileStamp stamp;
  std::string_view header;
};

// The cache file as mapped. `folder` is the versions folder's stamp when `records` name
// every revision file it held (a folder's mtime changes whenever a file is added, removed or
// renamed in it); zero when the listing cannot be trusted.
struct Cache {
  cache_io::MappedFile file;
  FileStamp folder;
  std::vector<Record> records;
};

// A header's fields, as one cache field; false when a field is too long to record.
bool encode_header(const Revision& r, std::string& out) {
  BinaryWriter w(out);
  bool ok = w.str(r.id) && w.list(r.down_revisions) && w.str(r.message) &&
            w.str(r.create_date) && w.list(r.branch_labels) && w.list(r.depends_on);
  w.u32(r.transactional ? 1 : 0);
  ok = ok && w.str(r.content_hash);
  w.i64(r.number);
  w.i64(r.line);
  return ok;
}

// encode_header's text back into `r`; false when it is malformed.
bool decode_header(std::string_view header, Revision& r) {
  BinaryReader in(header);
  r.id = in.str();
  r.down_revisions = in.list();
  r.message = in.str();
  r.create_date = in.str();
  r.branch_labels = in.list();
  r.depends_on = in.list();
  r.transactional = in.u32() != 0;
  r.content_hash = in.str();
  r.number = static_cast<int>(in.i64());
  r.line = static_cast<int>(in.i64());
  r.ops_loaded = false;
  return in.ok() && in.done();
}

Cache read_cache(const std::filesystem::path& file) {
  Cache cache;
  cache.file = cache_io::MappedFile(file, kMagic);
  if (cache.file.text().empty()) return cache;
  BinaryReader in(cache.file.text().substr(kMagic.size()));
  if (in.u32() != kByteOrder) return cache;
  const FileStamp folder = read_stamp(in);
  // Each record is at least a name length, a stamp and a header length.
  cache.records.reserve(cache.file.text().size() / (4 + sizeof(FileStamp) + 4));
  while (in.ok() && !in.done()) {
    Record r;
    r.name = in.str();
    r.stamp = read_stamp(in);
    r.header = in.str();
    // A name is only ever one the folder listed (so it names no other folder's file).
    if (!yaml::is_revision_file_name(r.name) || r.name.find('/') != std::string_view::npos ||
        r.name.find('\0') != std::string_view::npos) {
      break;
    }
    if (in.ok()) cache.records.push_back(r);
  }
  if (in.ok() && in.done()) {
    cache.folder = folder;
  } else {
    cache.records.clear();
  }
  return cache;
}

// One file of the folder: its name (in the mapped cache, or in `Listing::owned`) and stat.
struct Listed {
  std::string_view name;
  FileStamp stamp;
  bool regular = false;
};

struct Listing {
  std::vector<Listed> files;
  std::vector<std::string> owned;  // names read from the folder
};

// Takes the stat of every file, relative to the folder, then calls `also(i)` for every file
// i (decoding its cached header, say) once `prepare()` has run. A stat walks the path
// (several microseconds each on a virtual machine), so from 1000 files the caller and helper
// threads take batches of files in turn, as git's preload-index does, and the caller runs
// `prepare()` (building the array that `also` fills) while the helpers start on the stats.
// One thread per core, at most 4, less `busy_threads` (load_revision_headers), at least 1.
// Returns the number of threads that took part.
template <class Prepare, class Also>
size_t for_each_file(int dir_fd, std::vector<Listed>& files, unsigned busy_threads,
                     Prepare&& prepare, Also&& also) {
  constexpr size_t kBatch = 64;
  std::atomic<size_t> next_stat{0}, next_also{0};
  std::atomic<bool> prepared{false};
  bool prepare_failed = false;  // written before `prepared` is set, read after
  auto work = [&] {
    char name[NAME_MAX + 1];
    for (;;) {
      const size_t begin = next_stat.fetch_add(kBatch, std::memory_order_relaxed);
      if (begin >= files.size()) break;
      const size_t end = std::min(files.size(), begin + kBatch);
      for (size_t i = begin; i < end; ++i) {
        Listed& file = files[i];
        file.regular = false;
        if (file.name.size() > NAME_MAX) continue;  // not a name this folder can hold
        std::copy(file.name.begin(), file.name.end(), name);
        name[file.name.size()] = '\0';
        struct stat st {};
        file.regular = ::fstatat(dir_fd, name, &st, 0) == 0 && S_ISREG(st.st_mode);
        if (file.regular) file.stamp = stamp_of(st);
      }
    }
    prepared.wait(false, std::memory_order_acquire);
    if (prepare_failed) return;
    for (;;) {
      const size_t begin = next_also.fetch_add(kBatch, std::memory_order_relaxed);
      if (begin >= files.size()) return;
      const size_t end = std::min(files.size(), begin + kBatch);
      for (size_t i = begin; i < end; ++i) also(i);
    }
  };
  HelperThreads helpers(work, busy_threads, files.size() >= 1000 ? 0 : 1);
  std::exception_ptr failure;
  try {
    prepare();
  } catch (...) {
    failure = std::current_exception();
    prepare_failed = true;
  }
  prepared.store(true, std::memory_order_release);
  prepared.notify_all();
  work();
  helpers.join();
  if (failure) std::rethrow_exception(failure);
  return helpers.count();
}

// Maps the pages of [data, data + bytes) at once: one call instead of a page fault per page
// (a few microseconds each on a virtual machine) when thousands of headers are written into
// a new array, in huge pages where the kernel has them for the asking (THP "madvise"): 10,000
// headers are 3.8 MB, and that halves the time. Best effort (MADV_POPULATE_WRITE is Linux
// 5.14).
void prefault(void* data, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(page - 1);
  if (end <= begin) return;
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
  ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)data;
  (void)bytes;
#endif
}

// The revision files (as yaml::list_revision_files: *.yaml, not starting with '.', sorted
// by name, regular files), stat taken, from the folder's entries. False when the folder
// cannot be read.
bool read_folder(int dir_fd, Listing& out, unsigned busy_threads, HeaderLoadStats& stats) {
  const int fd = ::dup(dir_fd);
  DIR* dir = fd < 0 ? nullptr : ::fdopendir(fd);
  if (dir == nullptr) {
    if (fd >= 0) ::close(fd);
    return false;
  }
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name(entry->d_name);
    if (yaml::is_revision_file_name(name)) out.owned.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(out.owned.begin(), out.owned.end());
  out.files.clear();
  out.files.reserve(out.owned.size());
  for (const std::string& name : out.owned) out.files.push_back({name, {}, false});
  stats.threads = for_each_file(dir_fd, out.files, busy_threads, [] {}, [](size_t) {});
  std::erase_if(out.files, [](const Listed& l) { return !l.regular; });
  return true;
}

void write_cache(const std::filesystem::path& file, const FileStamp& folder,
                 const std::vector<Listed>& files, const std::vector<Revision>& revisions,
                 long long racy_after) {
  // A racy file (cache_io::racy_after) stays out, and is parsed again until older. The
  // folder's stamp is kept only when every file is in and the folder is not racy either.
  bool complete = folder.mtime_ns < racy_after;
  for (const Listed& l : files) complete = complete && l.stamp.mtime_ns < racy_after;
  std::string out(kMagic);
  BinaryWriter w(out);
  w.u32(kByteOrder);
  const size_t folder_at = out.size();
  put_stamp(w, FileStamp{});  // set below, once every file is known to be in
  std::string header;
  for (size_t i = 0; i < files.size(); ++i) {
    header.clear();
    if (files[i].stamp.mtime_ns >= racy_after || !encode_header(revisions[i], header) ||
        header.size() > UINT32_MAX) {
      complete = false;
      continue;
    }
    w.str(files[i].name);
    put_stamp(w, files[i].stamp);
    w.str(header);
  }
  if (complete) {
    std::string stamp;
    BinaryWriter s(stamp);
    put_stamp(s, folder);
    out.replace(folder_at, stamp.size(), stamp);
  }
  // The cache's own folder (a file of that name is the cache of an earlier version).
  std::error_code ec;
  if (std::filesystem::is_regular_file(file.parent_path(), ec))
    std::filesystem::remove(file.parent_path(), ec);
  std::filesystem::create_directory(file.parent_path(), ec);
  cache_io::replace_file(file, [&](std::ostream& o) {
    o.write(out.data(), static_cast<std::streamsize>(out.size()));
  });
}

Result<std::vector<Revision>> listing_error(const std::filesystem::path& folder) {
  DISTIL_TRY(auto listed, yaml::list_revision_files(folder));  // the located error
  (void)listed;
  return fail(Error{.code = ErrorCode::io,
                    .message = "cannot list versions folder \"" + folder.string() + "\""});
}

}  // namespace

Result<std::vector<Revision>> load_revision_headers(const std::filesystem::path& folder,
                                                    HeaderLoadStats* stats_out,
                                                    unsigned busy_threads) {
  HeaderLoadStats stats;
  const int dir_fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return listing_error(folder);
  struct stat dir_st {};
  FileStamp folder_stamp;
  if (::fstat(dir_fd, &dir_st) == 0) folder_stamp = stamp_of(dir_st);
  const Cache cached = read_cache(folder / kRevisionCacheFile);

  const std::string prefix = (folder / "").string();
  auto path_of = [&prefix](const Listed& file) {
    std::string path;
    path.reserve(prefix.size() + file.name.size());
    return path.append(prefix).append(file.name);
  };
  Listing listing;
  std::vector<Revision> out;
  // Per file, when the cache's names are the listing: its cached header decoded into out[i].
  std::vector<char> decoded;
  if (folder_stamp.mtime_ns != 0 && folder_stamp == cached.folder) {
    // No file was added, removed or renamed since the cache was written: its names are the
    // listing and the folder is not read. The headers are decoded along with the stats; a
    // header is kept where its file's stat still matches.
    const size_t n = cached.records.size();
    listing.files.reserve(n);
    for (const Record& r : cached.records) listing.files.push_back({r.name, {}, false});
    auto prepare = [&] {
      out.reserve(n);
      prefault(out.data(), n * sizeof(Revision));
      out.resize(n);
      decoded.resize(n);
    };
    stats.threads = for_each_file(dir_fd, listing.files, busy_threads, prepare, [&](size_t i) {
      decoded[i] = decode_header(cached.records[i].header, out[i]);
      out[i].path = path_of(listing.files[i]);
    });
    if (!std::all_of(listing.files.begin(), listing.files.end(),
                     [](const Listed& l) { return l.regular; })) {
      // A name is no longer a regular file: read the folder after all.
      listing.files.clear();
      out.clear();
      decoded.clear();
    }
  }
  if (listing.files.empty()) {
    stats.read_folder = true;
    if (!read_folder(dir_fd, listing, busy_threads, stats)) {
      ::close(dir_fd);
      return listing_error(folder);
    }
    out.resize(listing.files.size());
  }
  ::close(dir_fd);

  const std::vector<Listed>& files = listing.files;
  const long long racy_after = cache_io::racy_after();
  // A new folder stamp is worth writing only once it can be kept (out of the racy window).
  bool changed = cached.records.size() != files.size() ||
                 (!(cached.folder == folder_stamp) && folder_stamp.mtime_ns < racy_after);
  // Both lists are in name order (the cache is written in the listing's order): one merge.
  auto record = cached.records.begin();
  for (size_t i = 0; i < files.size(); ++i) {
    const Listed& file = files[i];
    bool hit = false;
    if (!decoded.empty()) {
      hit = decoded[i] && cached.records[i].stamp == file.stamp;
    } else {
      while (record != cached.records.end() && record->name < file.name) ++record;
      hit = record != cached.records.end() && record->name == file.name &&
            record->stamp == file.stamp && decode_header(record->header, out[i]);
    }
    if (out[i].path.empty()) out[i].path = path_of(file);
    if (!hit) {
      std::string path = std::move(out[i].path);
      DISTIL_TRY(out[i], yaml::load_revision(path));
      Revision& rev = out[i];
      rev.path = std::move(path);
      rev.upgrade.clear();
      rev.downgrade.clear();
      rev.upgrade_lines.clear();
      rev.downgrade_lines.clear();
      rev.ops_loaded = false;
      changed = true;
      ++stats.parsed;
    }
  }
  if (changed) write_cache(folder / kRevisionCacheFile, folder_stamp, files, out, racy_after);
  if (stats_out != nullptr) *stats_out = stats;
  return out;
}

}  // namespace distil::model
