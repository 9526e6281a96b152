// Parsed model files without re-parsing YAML. Parsing the models is most of `check` and of
// autogenerate on a large schema (libyaml scans about 20-40 MB/s here; 2000 tables are 1.3 MB
// of YAML), while introspection of the database is quicker. A cache file in the models
// folder (`.distil-models-cache`) keeps each file's parsed tables, keyed as the revision
// header cache is (model/revision_cache.hpp) by the file's name, size, modification time (ns)
// and inode; a file whose stat changed, or that changed in the last two seconds, is parsed
// again. The cache also names the executable that wrote it (its size, modification time and
// inode): another build of distil-db-manage, whose parser may read a file differently,
// ignores it. It is an accelerator only: unreadable, stale or foreign caches are ignored and
// rewritten, and a folder we cannot write to goes without one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/cache_io.hpp"
#include "model/schema.hpp"

namespace distil::model {

inline constexpr const char* kModelCacheFile = ".distil-models-cache";

class ModelCache {
 public:
  // No cache: every file is parsed, nothing is written.
  ModelCache() = default;
  // The cache of `folder` for `files` (paths of files in it, in load order).
  static ModelCache open(const std::filesystem::path& folder,
                         const std::vector<std::filesystem::path>& files);

  // File i's tables from the cache, or nullopt (not cached, stale or unreadable: parse it).
  // Safe to call from several threads.
  std::optional<std::vector<Table>> tables(std::size_t i) const;
  // Keeps file i's parsed tables for the cache (encoded now). Several threads may record
  // different files at once.
  void record(std::size_t i, const std::vector<Table>& tables);
  // Writes the cache when a file was parsed or an entry went stale. Best effort.
  void save() const;

  // Table <-> cache record, exposed for tests (every field, origins included, round-trips).
  static std::string encode(const std::vector<Table>& tables, const std::string& file);
  static std::optional<std::vector<Table>> decode(std::string_view record,
                                                  const std::string& file);

 private:
  struct Stamp {
    long long size = 0, mtime_ns = 0, inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  std::filesystem::path cache_file_;
  std::string executable_;             // the stamp of the running binary, as the magic line
  std::vector<std::string> files_;     // paths, as the parser names them in origins
  std::vector<std::optional<Stamp>> stamps_;
  cache_io::MappedFile text_;          // the cache as mapped
  std::vector<std::string_view> hits_;  // per file: its record in text_, when fresh
  std::vector<std::string> recorded_;   // per file: its record for the next save, once parsed
  bool enabled_ = false;
  bool dirty_ = false;  // a stale, missing or extra entry: save() rewrites
};

}  // namespace distil::model
