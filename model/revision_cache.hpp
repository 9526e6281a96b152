// Revision headers without re-parsing YAML: `history`, `heads`, `current`, `branches`,
// `stamp` and `graph` need ids, parents, labels, messages and hashes, never ops. A cache
// file in the versions folder (`.distil-cache`) keeps the headers of every file, keyed by
// the file's name, size, modification time (ns) and inode, as git's index does; a file whose
// stat changed is parsed again. The cache is an accelerator only: unreadable, stale or
// foreign caches are ignored and rewritten, and a folder we cannot write to just goes
// without one.
#pragma once

#include <filesystem>
#include <vector>

#include "model/result.hpp"
#include "model/revision.hpp"

namespace distil::model {

inline constexpr const char* kRevisionCacheFile = ".distil-cache";

// Every revision of `folder` (as yaml::load_revisions, same order and errors) with
// `ops_loaded == false` and no ops.
Result<std::vector<Revision>> load_revision_headers(const std::filesystem::path& folder);

}  // namespace distil::model
