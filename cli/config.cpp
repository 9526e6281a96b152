// Config file and database URL parsing.
//
// A small INI reader of our own rather than Debian's inih: inih's packaged build does not
// report the line of each key (INI_HANDLER_LINENO is off), and every config error here
// must name its file and line.
#include "cli/config.hpp"

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

namespace distil::cli {

using model::Error;
using model::ErrorCode;
using model::fail;
using model::Result;
using model::Where;

namespace {

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

Error config_error(std::string message, const std::string& file, int line) {
  return Error{.code = ErrorCode::config, .message = std::move(message),
               .where = {.file = file, .line = line}};
}

const std::map<std::string, std::vector<std::string>> kKnownKeys = {
    {"database", {"connection"}},
    {"migration", {"models", "versions", "version_table", "schema"}},
    {"lint", {"large_table_rows", "ignore"}},
};

}  // namespace

Result<void> parse_config(std::string_view text, const std::string& file, Config& config) {
  std::istringstream in{std::string(text)};
  std::filesystem::path dir = std::filesystem::absolute(file).parent_path();
  std::string section, raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      if (line.back() != ']')
        return fail(config_error("malformed section header \"" + line + "\" (missing ']')", file,
                                 line_no));
      section = trim(std::string_view(line).substr(1, line.size() - 2));
      continue;
    }
    size_t eq = line.find_first_of("=:");
    if (eq == std::string::npos)
      return fail(config_error("expected \"key = value\", got \"" + line + "\"", file, line_no));
    if (section.empty())
      return fail(config_error("\"" + trim(line.substr(0, eq)) +
                                   "\" is outside any section (add [database] or [migration])",
                               file, line_no));
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    // oslo.config allows trailing comments only on their own lines; strip " # ..." to be kind.
    if (size_t hash = value.find(" #"); hash != std::string::npos) value = trim(value.substr(0, hash));
    auto known = kKnownKeys.find(section);
    if (known == kKnownKeys.end()) continue;  // other sections belong to the service itself
    bool ok = false;
    for (const auto& k : known->second) ok = ok || k == key;
    if (!ok) {
      std::string list;
      for (const auto& k : known->second) list += (list.empty() ? "" : ", ") + k;
      return fail(config_error("unknown key \"" + key + "\" in [" + section + "] (known: " +
                                   list + ")",
                               file, line_no));
    }
    if (section == "database") {
      config.connection = value;
      config.connection_where = Where{.file = file, .line = line_no};
    } else if (key == "models") {
      config.models = dir / value;
    } else if (key == "versions") {
      config.versions = dir / value;
    } else if (key == "version_table") {
      if (value.empty() || value.size() > 63)
        return fail(config_error("version_table must be 1 to 63 characters", file, line_no));
      config.version_table = value;
    } else if (key == "schema") {
      config.schema = value;
    } else if (key == "large_table_rows") {
      std::int64_t rows = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), rows);
      if (ec != std::errc() || end != value.data() + value.size() || rows < 1)
        return fail(config_error("large_table_rows must be a whole number of rows, at least 1; got \"" +
                                     value + "\"",
                                 file, line_no));
      config.lint_large_table_rows = rows;
    } else if (key == "ignore") {
      config.lint_ignore.clear();
      std::stringstream items(value);
      for (std::string item; std::getline(items, item, ',');)
        if (!trim(item).empty()) config.lint_ignore.push_back(trim(item));
    }
  }
  config.files.push_back(file);
  return {};
}

namespace {

Result<void> read_file(const std::string& file, Config& config) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(config_error("cannot read config file", file, 0));
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file, config);
}

}  // namespace

Result<Config> load_config(const std::vector<std::string>& files) {
  Config config;
  std::vector<std::string> todo = files;
  if (todo.empty() && std::filesystem::exists("distil.conf")) todo.push_back("distil.conf");
  for (const auto& f : todo) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(f, ec))
      return fail(config_error("config file does not exist or is not a file", f, 0));
    DISTIL_CHECK(read_file(f, config));
  }
  return config;
}

Result<DatabaseUrl> parse_database_url(const std::string& url, const Where& where) {
  auto bad = [&](std::string message) {
    return fail(Error{.code = ErrorCode::config, .message = std::move(message), .where = where});
  };
  size_t sep = url.find("://");
  if (sep == std::string::npos)
    return bad("malformed database URL \"" + url +
               "\" (expected e.g. sqlite:///distil.db or postgresql://user@host/db)");
  std::string scheme = url.substr(0, sep);
  std::string dialect = scheme.substr(0, scheme.find('+'));
  std::string rest = url.substr(sep + 3);
  DatabaseUrl out;
  out.text = url;
  if (dialect == "sqlite") {
    out.driver = Driver::sqlite;
    if (rest.empty()) {
      out.sqlite_path = ":memory:";
    } else if (rest[0] != '/') {
      return bad("malformed SQLite URL \"" + url +
                 "\": use sqlite:///relative.db, sqlite:////absolute.db or sqlite:// (memory)");
    } else {
      std::string path = rest.substr(1);  // sqlite:///rel.db -> rel.db; sqlite:////abs -> /abs
      if (size_t q = path.find('?'); q != std::string::npos) path = path.substr(0, q);
      if (path.empty() || path == ":memory:") path = ":memory:";
      out.sqlite_path = path;
    }
    return out;
  }
  if (dialect == "postgresql" || dialect == "postgres") {
    out.driver = Driver::postgresql;
    out.conninfo = "postgresql://" + rest;
    return out;
  }
  return bad("unsupported dialect \"" + dialect + "\" in database URL \"" + url +
             "\": distil-db-manage supports sqlite and postgresql");
}

}  // namespace distil::cli
