// The parsed-models cache of a models folder. Format: the magic line naming the executable,
// then per file its name, size, mtime (ns), inode and its tables, every field a netstring.
#include "model/model_cache.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "model/cache_io.hpp"

namespace distil::model {

namespace {

using cache_io::Fields;
using cache_io::put;

constexpr std::string_view kMagic = "distil-model-cache 1 ";

std::optional<struct stat> stat_of(const char* path) {
  struct stat st {};
  if (::stat(path, &st) != 0) return std::nullopt;
  return st;
}

long long mtime_ns(const struct stat& st) {
  return static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
}

void put_optional(std::string& out, const std::optional<std::string>& value) {
  put(out, value ? 1LL : 0LL);
  if (value) put(out, *value);
}
std::optional<std::string> optional_text(Fields& f) {
  if (f.number() == 0) return std::nullopt;
  return std::string(f.next());
}

// An origin: 0 = none, 1 = `file` at a line, 2 = another file at a line.
void put_origin(std::string& out, const Origin& origin, const std::string& file) {
  if (origin.file.empty() && origin.line == 0) {
    put(out, 0LL);
  } else if (origin.file == file) {
    put(out, 1LL);
    put(out, origin.line);
  } else {
    put(out, 2LL);
    put(out, origin.file.str());
    put(out, origin.line);
  }
}
Origin read_origin(Fields& f, const FileName& file) {
  switch (f.number()) {
    case 0:
      return Origin{};
    case 1:
      return Origin{.file = file, .line = static_cast<int>(f.number())};
    default: {
      std::string other(f.next());
      return Origin{.file = FileName(std::move(other)), .line = static_cast<int>(f.number())};
    }
  }
}

FkAction read_action(Fields& f) {
  const long long n = f.number();
  if (n < 0 || n > static_cast<long long>(FkAction::set_default)) return FkAction::no_action;
  return static_cast<FkAction>(n);
}

}  // namespace

std::string ModelCache::encode(const std::vector<Table>& tables, const std::string& file) {
  std::string out;
  put(out, static_cast<long long>(tables.size()));
  for (const Table& t : tables) {
    put(out, t.name);
    put_optional(out, t.comment);
    put_optional(out, t.renamed_from);
    put_origin(out, t.origin, file);
    put(out, static_cast<long long>(t.columns.size()));
    for (const Column& c : t.columns) {
      put(out, c.name);
      put(out, c.type);
      put(out, c.nullable ? 1LL : 0LL);
      put_optional(out, c.default_sql);
      put(out, c.autoincrement ? 1LL : 0LL);
      put_optional(out, c.comment);
      put_optional(out, c.renamed_from);
      put_origin(out, c.origin, file);
    }
    put(out, t.primary_key);
    put(out, static_cast<long long>(t.unique.size()));
    for (const Unique& u : t.unique) {
      put(out, u.name);
      put(out, u.columns);
      put_origin(out, u.origin, file);
    }
    put(out, static_cast<long long>(t.indexes.size()));
    for (const Index& i : t.indexes) {
      put(out, i.name);
      put(out, i.columns);
      put(out, i.unique ? 1LL : 0LL);
      put_optional(out, i.where);
      put(out, i.method);
      put_origin(out, i.origin, file);
    }
    put(out, static_cast<long long>(t.foreign_keys.size()));
    for (const ForeignKey& k : t.foreign_keys) {
      put(out, k.name);
      put(out, k.columns);
      put(out, k.ref_table);
      put(out, k.ref_columns);
      put(out, static_cast<long long>(k.on_delete));
      put(out, static_cast<long long>(k.on_update));
      put(out, k.deferrable ? 1LL : 0LL);
      put(out, k.initially_deferred ? 1LL : 0LL);
      put_origin(out, k.origin, file);
    }
    put(out, static_cast<long long>(t.checks.size()));
    for (const Check& c : t.checks) {
      put(out, c.name);
      put(out, c.expression);
      put_origin(out, c.origin, file);
    }
  }
  return out;
}

std::optional<std::vector<Table>> ModelCache::decode(std::string_view record,
                                                     const std::string& file) {
  Fields f(record);
  const FileName shared(file);
  std::vector<Table> tables(static_cast<std::size_t>(f.count()));
  for (Table& t : tables) {
    t.name = f.next();
    t.comment = optional_text(f);
    t.renamed_from = optional_text(f);
    t.origin = read_origin(f, shared);
    t.columns.resize(static_cast<std::size_t>(f.count()));
    for (Column& c : t.columns) {
      c.name = f.next();
      c.type = f.next();
      c.nullable = f.number() != 0;
      c.default_sql = optional_text(f);
      c.autoincrement = f.number() != 0;
      c.comment = optional_text(f);
      c.renamed_from = optional_text(f);
      c.origin = read_origin(f, shared);
    }
    t.primary_key = f.list();
    t.unique.resize(static_cast<std::size_t>(f.count()));
    for (Unique& u : t.unique) {
      u.name = f.next();
      u.columns = f.list();
      u.origin = read_origin(f, shared);
    }
    t.indexes.resize(static_cast<std::size_t>(f.count()));
    for (Index& i : t.indexes) {
      i.name = f.next();
      i.columns = f.list();
      i.unique = f.number() != 0;
      i.where = optional_text(f);
      i.method = f.next();
      i.origin = read_origin(f, shared);
    }
    t.foreign_keys.resize(static_cast<std::size_t>(f.count()));
    for (ForeignKey& k : t.foreign_keys) {
      k.name = f.next();
      k.columns = f.list();
      k.ref_table = f.next();
      k.ref_columns = f.list();
      k.on_delete = read_action(f);
      k.on_update = read_action(f);
      k.deferrable = f.number() != 0;
      k.initially_deferred = f.number() != 0;
      k.origin = read_origin(f, shared);
    }
    t.checks.resize(static_cast<std::size_t>(f.count()));
    for (Check& c : t.checks) {
      c.name = f.next();
      c.expression = f.next();
      c.origin = read_origin(f, shared);
    }
    if (!f.ok()) return std::nullopt;
  }
  if (!f.ok() || !f.done()) return std::nullopt;
  return tables;
}

ModelCache ModelCache::open(const std::filesystem::path& folder,
                            const std::vector<std::filesystem::path>& files) {
  ModelCache cache;
  // The running binary: another build may parse differently, so its cache is not ours.
  const auto exe = stat_of("/proc/self/exe");
  if (!exe) return cache;
  cache.enabled_ = true;
  cache.cache_file_ = folder / kModelCacheFile;
  cache.executable_ = std::string(kMagic) + std::to_string(exe->st_size) + " " +
                      std::to_string(mtime_ns(*exe)) + " " + std::to_string(exe->st_ino) + "\n";
  cache.hits_.resize(files.size());
  cache.recorded_.resize(files.size());
  for (const auto& path : files) {
    cache.files_.push_back(path.string());
    std::optional<Stamp> stamp;
    if (auto st = stat_of(path.c_str()); st && S_ISREG(st->st_mode)) {
      stamp = Stamp{static_cast<long long>(st->st_size), mtime_ns(*st),
                    static_cast<long long>(st->st_ino)};
    }
    cache.stamps_.push_back(stamp);
  }
  cache.text_ = cache_io::MappedFile(cache.cache_file_, cache.executable_);
  std::unordered_map<std::string_view, std::pair<Stamp, std::string_view>> entries;
  if (!cache.text_.text().empty()) {
    Fields f(cache.text_.text().substr(cache.executable_.size()));
    while (f.ok() && !f.done()) {
      const std::string_view name = f.next();
      Stamp stamp{f.number(), f.number(), f.number()};
      const std::string_view record = f.next();
      if (f.ok()) entries.emplace(name, std::pair{stamp, record});
    }
    if (!f.ok()) entries.clear();
  }
  std::size_t used = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto hit = entries.find(files[i].filename().string());
    if (hit != entries.end() && cache.stamps_[i] && hit->second.first == *cache.stamps_[i]) {
      cache.hits_[i] = hit->second.second;
      ++used;
    }
  }
  cache.dirty_ = used != files.size() || entries.size() != files.size();
  if (used == 0) cache.text_.reset();  // another build's, or all stale: unmapped now
  return cache;
}

std::optional<std::vector<Table>> ModelCache::tables(std::size_t i) const {
  if (!enabled_ || hits_[i].empty()) return std::nullopt;
  return decode(hits_[i], files_[i]);
}

void ModelCache::record(std::size_t i, const std::vector<Table>& tables) {
  if (enabled_) recorded_[i] = encode(tables, files_[i]);
}

void ModelCache::save() const {
  bool parsed = false;
  for (const auto& r : recorded_) parsed = parsed || !r.empty();
  if (!enabled_ || (!dirty_ && !parsed)) return;
  // A racy file (cache_io::racy_after) stays out, and is parsed again until older.
  const long long racy_after = cache_io::racy_after();
  // Streamed record by record: a copy of the whole cache would add to the command's peak.
  cache_io::replace_file(cache_file_, [&](std::ostream& o) {
    o << executable_;
    std::string head;
    for (std::size_t i = 0; i < files_.size() && o; ++i) {
      // A file read from the cache keeps its record; a parsed one gets its new record; one
      // that failed to parse, or vanished, has none.
      const std::string_view record = !recorded_[i].empty() ? std::string_view(recorded_[i])
                                                            : hits_[i];
      if (record.empty() || !stamps_[i] || stamps_[i]->mtime_ns >= racy_after) continue;
      head.clear();
      put(head, std::filesystem::path(files_[i]).filename().string());
      put(head, stamps_[i]->size);
      put(head, stamps_[i]->mtime_ns);
      put(head, stamps_[i]->inode);
      head += std::to_string(record.size());
      head += ':';
      o << head;
      o.write(record.data(), static_cast<std::streamsize>(record.size()));
      o << ',';
    }
  });
}

}  // namespace distil::model
