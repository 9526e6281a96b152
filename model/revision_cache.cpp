// The header cache of a versions folder. Format: the magic line, the folder's stamp, then
// per file in name order its name, stamp and header (one field holding the header's own
// fields), every field a netstring ("<length>:<bytes>,"), so any byte of a message
// round-trips, and a header is decoded only when its file's stamp still matches.
#include "model/revision_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
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

// The cache file as read. `folder` is the versions folder's stamp when `records` name every
// revision file it held (a folder's mtime changes whenever a file is added, removed or
// renamed in it); zero when the listing cannot be trusted.
struct Cache {
  std::string text;
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
  cache.text = cache_io::read_if_starts_with(file, kMagic);
  if (cache.text.empty()) return cache;
  Fields f(std::string_view(cache.text).substr(kMagic.size()));
  cache.folder = read_stamp(f);
  cache.records.reserve(cache.text.size() / 200);
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

// One file of the folder: its name and stat.
struct Listed {
  std::string name;
  FileStamp stamp;
  bool regular = false;
};

// The stat of every file, relative to the folder. A stat walks the path (several
// microseconds each on a virtual machine), so 10,000 files are split among threads, as
// git's preload-index does.
void stat_all(int dir_fd, std::vector<Listed>& files) {
  auto stat_range = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      struct stat st {};
      Listed& file = files[i];
      file.regular = ::fstatat(dir_fd, file.name.c_str(), &st, 0) == 0 && S_ISREG(st.st_mode);
      if (file.regular) file.stamp = stamp_of(st);
    }
  };
  const size_t threads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 4);
  if (files.size() < 1000 || threads == 1) {
    stat_range(0, files.size());
    return;
  }
  std::vector<std::thread> helpers;
  const size_t share = (files.size() + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t)
    helpers.emplace_back(stat_range, std::min(files.size(), t * share),
                         std::min(files.size(), (t + 1) * share));
  stat_range(0, std::min(files.size(), share));
  for (auto& h : helpers) h.join();
}

// The revision files (as yaml::list_revision_files: *.yaml, not starting with '.', regular
// files, sorted by name) with their stat. When the folder's stamp is the one the cache
// recorded, no file was added, removed or renamed since, so the cache's names are the
// listing and the folder is not read.
bool list_with_stamps(int dir_fd, const FileStamp& folder, const Cache& cache,
                      std::vector<Listed>& out, HeaderLoadStats& stats) {
  if (folder.mtime_ns != 0 && folder == cache.folder) {
    out.reserve(cache.records.size());
    for (const Record& r : cache.records) out.push_back({std::string(r.name), {}, false});
    stat_all(dir_fd, out);
    if (std::all_of(out.begin(), out.end(), [](const Listed& l) { return l.regular; }))
      return true;
    out.clear();  // a name is no longer a regular file: read the folder after all
  }
  stats.read_folder = true;
  const int fd = ::dup(dir_fd);
  DIR* dir = fd < 0 ? nullptr : ::fdopendir(fd);
  if (dir == nullptr) {
    if (fd >= 0) ::close(fd);
    return false;
  }
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name(entry->d_name);
    if (yaml::is_revision_file_name(name)) out.push_back({std::string(name), {}, false});
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(),
            [](const Listed& a, const Listed& b) { return a.name < b.name; });
  stat_all(dir_fd, out);
  std::erase_if(out, [](const Listed& l) { return !l.regular; });
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
  std::vector<Listed> files;
  const bool listed = list_with_stamps(dir_fd, folder_stamp, cached, files, stats);
  ::close(dir_fd);
  if (!listed) return listing_error(folder);

  std::vector<Revision> out;
  out.reserve(files.size());
  const long long racy_after = cache_io::racy_after();
  // A new folder stamp is worth writing only once it can be kept (out of the racy window).
  bool changed = cached.records.size() != files.size() ||
                 (!(cached.folder == folder_stamp) && folder_stamp.mtime_ns < racy_after);
  const std::string prefix = (folder / "").string();
  // Both lists are in name order (the cache is written in the listing's order): one merge.
  auto record = cached.records.begin();
  for (const Listed& file : files) {
    while (record != cached.records.end() && record->name < file.name) ++record;
    std::string path = prefix + file.name;
    Revision rev;
    const bool hit = record != cached.records.end() && record->name == file.name &&
                     record->stamp == file.stamp && decode_header(record->header, rev);
    if (!hit) {
      DISTIL_TRY(rev, yaml::load_revision(path));
      rev.upgrade.clear();
      rev.downgrade.clear();
      rev.upgrade_lines.clear();
      rev.downgrade_lines.clear();
      rev.ops_loaded = false;
      changed = true;
      ++stats.parsed;
    }
    rev.path = std::move(path);
    out.push_back(std::move(rev));
  }
  if (changed) write_cache(folder / kRevisionCacheFile, folder_stamp, files, out, racy_after);
  if (stats_out != nullptr) *stats_out = stats;
  return out;
}

}  // namespace distil::model
