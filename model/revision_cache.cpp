// The header cache of a versions folder. Format: the magic line, the folder's stamp, then
// per file in name order its name, stamp and header (one field holding the header's own
// fields), every field a netstring ("<length>:<bytes>,"), so any byte of a message
// round-trips, and a header is decoded only when its file's stamp still matches.
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
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "model/cache_io.hpp"
#include "model/yaml/revision_io.hpp"

namespace distil::model {

namespace {

using cache_io::Fields;
using cache_io::put;

constexpr std::string_view kMagic = "distil-revision-cache 3\n";

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

FileStamp read_stamp(Fields& f) { return {f.number(), f.number(), f.number(), f.number()}; }

void put_stamp(std::string& out, const FileStamp& s) {
  put(out, s.size);
  put(out, s.mtime_ns);
  put(out, s.inode);
  put(out, s.ctime_ns);
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

// A header's fields, as one cache field.
std::string encode_header(const Revision& r) {
  std::string out;
  put(out, r.id);
  put(out, r.down_revisions);
  put(out, r.message);
  put(out, r.create_date);
  put(out, r.branch_labels);
  put(out, r.depends_on);
  put(out, r.transactional ? 1 : 0);
  put(out, r.content_hash);
  put(out, r.number);
  put(out, r.line);
  return out;
}

// encode_header's text back into `r`; false when it is malformed.
bool decode_header(std::string_view header, Revision& r) {
  Fields f(header);
  r.id = f.next();
  r.down_revisions = f.list();
  r.message = f.next();
  r.create_date = f.next();
  r.branch_labels = f.list();
  r.depends_on = f.list();
  r.transactional = f.number() != 0;
  r.content_hash = f.next();
  r.number = static_cast<int>(f.number());
  r.line = static_cast<int>(f.number());
  r.ops_loaded = false;
  return f.ok() && f.done();
}

Cache read_cache(const std::filesystem::path& file) {
  Cache cache;
  cache.file = cache_io::MappedFile(file, kMagic);
  if (cache.file.text().empty()) return cache;
  Fields f(cache.file.text().substr(kMagic.size()));
  cache.folder = read_stamp(f);
  cache.records.reserve(cache.file.text().size() / 200);
  while (f.ok() && !f.done()) {
    Record r;
    r.name = f.next();
    r.stamp = read_stamp(f);
    r.header = f.next();
    if (f.ok()) cache.records.push_back(r);
  }
  if (!f.ok()) {
    cache.records.clear();
    cache.folder = {};
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

// Takes the stat of every file, relative to the folder, and calls `also(i)` for each file
// i after its stat (decoding its cached header, say). A stat walks the path (several
// microseconds each on a virtual machine), so from 1000 files the caller and helper threads
// take batches of files in turn, as git's preload-index does.
template <class Also>
void for_each_file(int dir_fd, std::vector<Listed>& files, Also&& also) {
  constexpr size_t kBatch = 64;
  std::atomic<size_t> next{0};
  auto work = [&] {
    char name[NAME_MAX + 1];
    for (;;) {
      const size_t begin = next.fetch_add(kBatch, std::memory_order_relaxed);
      if (begin >= files.size()) return;
      const size_t end = std::min(files.size(), begin + kBatch);
      for (size_t i = begin; i < end; ++i) {
        Listed& file = files[i];
        file.regular = false;
        if (file.name.size() <= NAME_MAX) {  // else not a name this folder can hold
          std::copy(file.name.begin(), file.name.end(), name);
          name[file.name.size()] = '\0';
          struct stat st {};
          file.regular = ::fstatat(dir_fd, name, &st, 0) == 0 && S_ISREG(st.st_mode);
          if (file.regular) file.stamp = stamp_of(st);
        }
        also(i);
      }
    }
  };
  std::vector<std::thread> helpers;
  if (files.size() >= 1000) {
    const size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 4);
    try {
      for (size_t t = 1; t < threads; ++t) helpers.emplace_back(work);
    } catch (const std::system_error&) {
      // No more threads to be had: those started and the caller do the work.
    }
  }
  work();
  for (auto& h : helpers) h.join();
}

// Maps the pages of [data, data + bytes) at once: one call instead of a page fault per page
// (a few microseconds each on a virtual machine) when thousands of headers are written into
// a new array. Best effort (MADV_POPULATE_WRITE is Linux 5.14).
void prefault(void* data, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(page - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)data;
  (void)bytes;
#endif
}

// The revision files (as yaml::list_revision_files: *.yaml, not starting with '.', sorted
// by name, regular files), stat taken, from the folder's entries. False when the folder
// cannot be read.
bool read_folder(int dir_fd, Listing& out) {
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
  for_each_file(dir_fd, out.files, [](size_t) {});
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
  put_stamp(out, complete ? folder : FileStamp{});
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].stamp.mtime_ns >= racy_after) continue;
    put(out, files[i].name);
    put_stamp(out, files[i].stamp);
    put(out, encode_header(revisions[i]));
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
                                                    HeaderLoadStats* stats_out) {
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
    out.reserve(n);
    prefault(out.data(), n * sizeof(Revision));
    out.resize(n);
    decoded.resize(n);
    for_each_file(dir_fd, listing.files, [&](size_t i) {
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
    if (!read_folder(dir_fd, listing)) {
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
