// The header cache of a versions folder. Format: the magic line, then one record per file,
// every field a netstring ("<length>:<bytes>,"), so any byte of a message round-trips.
#include "model/revision_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>

#include "model/cache_io.hpp"
#include "model/yaml/revision_io.hpp"

namespace distil::model {

namespace {

using cache_io::Fields;
using cache_io::put;

constexpr std::string_view kMagic = "distil-revision-cache 1\n";

struct FileStamp {
  long long size = 0, mtime_ns = 0, inode = 0;
  bool operator==(const FileStamp&) const = default;
};

struct Entry {
  FileStamp stamp;
  Revision header;
};

std::unordered_map<std::string, Entry> read_cache(const std::filesystem::path& file) {
  std::unordered_map<std::string, Entry> entries;
  // One read() of the whole file (an ifstream copied through a stringstream was a tenth of
  // `heads` at 10,000 revisions).
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return entries;
  std::string text;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) {
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    text.resize(done);
  }
  ::close(fd);
  entries.reserve(text.size() / 200);
  if (!std::string_view(text).starts_with(kMagic)) return entries;
  Fields f(std::string_view(text).substr(kMagic.size()));
  while (f.ok() && !f.done()) {
    std::string name(f.next());
    Entry e;
    e.stamp = {f.number(), f.number(), f.number()};
    Revision& r = e.header;
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
    if (f.ok()) entries.emplace(std::move(name), std::move(e));
  }
  if (!f.ok()) entries.clear();
  return entries;
}

// One file of the folder: its name and stat.
struct Listed {
  std::string name;
  FileStamp stamp;
};

// The revision files (as yaml::list_revision_files: *.yaml, not starting with '.', regular
// files, sorted by name) with their stat, one fstatat per file relative to the folder.
bool list_with_stamps(const std::filesystem::path& folder, std::vector<Listed>& out) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return false;
  const int fd = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name(entry->d_name);
    if (!yaml::is_revision_file_name(name)) continue;
    struct stat st {};
    if (::fstatat(fd, entry->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
    out.push_back({std::string(name),
                   {static_cast<long long>(st.st_size),
                    static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec,
                    static_cast<long long>(st.st_ino)}});
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const Listed& a, const Listed& b) { return a.name < b.name; });
  return true;
}

void write_cache(const std::filesystem::path& file, const std::vector<Listed>& files,
                 const std::vector<Revision>& revisions, long long racy_after) {
  std::string out(kMagic);
  for (size_t i = 0; i < files.size(); ++i) {
    // A file modified in the last two seconds may change again within the same timestamp
    // tick at the same size ("racy git"): it stays out, and is parsed again until older.
    if (files[i].stamp.mtime_ns >= racy_after) continue;
    const Revision& r = revisions[i];
    put(out, files[i].name);
    put(out, files[i].stamp.size);
    put(out, files[i].stamp.mtime_ns);
    put(out, files[i].stamp.inode);
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
  }
  cache_io::replace_file(file, [&](std::ostream& o) {
    o.write(out.data(), static_cast<std::streamsize>(out.size()));
  });
}

}  // namespace

Result<std::vector<Revision>> load_revision_headers(const std::filesystem::path& folder) {
  std::vector<Listed> files;
  if (!list_with_stamps(folder, files)) {
    DISTIL_TRY(auto listed, yaml::list_revision_files(folder));  // the located error
    (void)listed;
    return fail(Error{.code = ErrorCode::io,
                      .message = "cannot list versions folder \"" + folder.string() + "\""});
  }
  auto cached = read_cache(folder / kRevisionCacheFile);
  std::vector<Revision> out;
  out.reserve(files.size());
  bool changed = cached.size() != files.size();
  const long long racy_after =
      std::chrono::duration_cast<std::chrono::nanoseconds>(
          std::chrono::system_clock::now().time_since_epoch()).count() - 2'000'000'000LL;
  for (const Listed& file : files) {
    std::filesystem::path path = folder / file.name;
    auto hit = cached.find(file.name);
    if (hit != cached.end() && hit->second.stamp == file.stamp) {
      out.push_back(std::move(hit->second.header));
    } else {
      DISTIL_TRY(Revision rev, yaml::load_revision(path));
      rev.upgrade.clear();
      rev.downgrade.clear();
      rev.upgrade_lines.clear();
      rev.downgrade_lines.clear();
      rev.ops_loaded = false;
      out.push_back(std::move(rev));
      changed = true;
    }
    out.back().path = path.string();
  }
  if (changed) write_cache(folder / kRevisionCacheFile, files, out, racy_after);
  return out;
}

}  // namespace distil::model
