// Revision headers without re-parsing YAML: `history`, `heads`, `current`, `branches`,
// `stamp` and `graph` need ids, parents, labels, messages and hashes, never ops. A cache in
// the versions folder (`.distil-cache/headers`) keeps the headers of every file, keyed by
// the file's name, size, modification time (ns), inode and ctime, as git's index does; a
// file whose stat changed is parsed again. It also keeps the folder's own stamp: while that is
// unchanged no file was added, removed or renamed, so the folder is not listed again (the
// cache sits in a subfolder so that replacing it leaves that stamp alone). The cache is an
// accelerator only: unreadable, stale or foreign caches are ignored and rewritten, and a
// folder we cannot write to just goes without one.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include "model/result.hpp"
#include "model/revision.hpp"

namespace distil::model {

inline constexpr const char* kRevisionCacheFile = ".distil-cache/headers";

// What a load did: whether it read the folder's entries (not when the folder's stamp is the
// one the cache recorded), and how many files it parsed (not found in the cache).
struct HeaderLoadStats {
  bool read_folder = false;
  size_t parsed = 0;
  size_t threads = 1;  // that took the stats (more than one only from 1000 files)
};

// Every revision of `folder` (as yaml::load_revisions, same order and errors) with
// `ops_loaded == false` and no ops. From 1000 files the stats and decoding run on one thread
// per core (at most 4), less `busy_threads`: threads of the caller that work meanwhile
// (`current` reads the database on one), so that each keeps a core. Always at least one.
Result<std::vector<Revision>> load_revision_headers(const std::filesystem::path& folder,
                                                    HeaderLoadStats* stats = nullptr,
                                                    unsigned busy_threads = 0);

}  // namespace distil::model
