// The config file (DESIGN §3): oslo.config INI, as Distil's distil.conf, and database URLs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/result.hpp"

namespace distil::cli {

enum class Driver { sqlite, postgresql };

// A parsed SQLAlchemy-style database URL.
struct DatabaseUrl {
  Driver driver = Driver::sqlite;
  std::string text;         // as given (for messages)
  std::string sqlite_path;  // file path, or ":memory:"
  std::string conninfo;     // libpq connection string (postgresql)
};

struct Config {
  std::string connection = "sqlite:///distil.db";
  model::Where connection_where;  // where `connection` was set (for errors)
  std::filesystem::path models = "schemas/distil";
  std::filesystem::path versions = "migrations/versions";
  std::string version_table = "alembic_version";
  std::string schema;             // PostgreSQL schema ("" = public)
  // [lint] (docs/lint.md): the row count from which a PostgreSQL index build without
  // CONCURRENTLY is reported (L005), and rule ids accepted project-wide.
  std::int64_t lint_large_table_rows = 100000;
  std::vector<std::string> lint_ignore;
  std::vector<std::string> files;  // the config files read, in order
};

// Reads the config files in order (later files override earlier ones key by key); with no
// files, ./distil.conf if present, else the defaults. Paths in [migration] are relative to
// the file that sets them. Errors (ErrorCode::config) name the file and line.
model::Result<Config> load_config(const std::vector<std::string>& files);

// Parses one config file's text into `config`, as load_config does for each file: keys
// override what `config` holds, paths are relative to `file`'s folder, errors
// (ErrorCode::config) name `file` and the line.
model::Result<void> parse_config(std::string_view text, const std::string& file, Config& config);

// Parses `sqlite:///rel.db`, `sqlite:////abs.db`, `sqlite://` (memory), `postgresql://...`
// (also `postgresql+psycopg2://`). Unsupported dialects and malformed URLs are
// ErrorCode::config errors located at `where`.
model::Result<DatabaseUrl> parse_database_url(const std::string& url, const model::Where& where);

}  // namespace distil::cli
