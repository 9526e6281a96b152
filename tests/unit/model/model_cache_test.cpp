// model/model_cache: a models folder's parsed files, kept across runs and checked by stat.
#include "model/model_cache.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/yaml/model_io.hpp"

namespace {

using namespace distil::model;
using distil::model::yaml::load_models;
namespace fs = std::filesystem;

// Origins never take part in ==, so they are compared here one by one.
void check_origins(const Origin& a, const Origin& b) {
  CHECK(a.file == b.file);
  CHECK(a.line == b.line);
}
void check_same(const std::vector<Table>& a, const std::vector<Table>& b) {
  REQUIRE(a == b);
  for (std::size_t t = 0; t < a.size(); ++t) {
    check_origins(a[t].origin, b[t].origin);
    for (std::size_t i = 0; i < a[t].columns.size(); ++i)
      check_origins(a[t].columns[i].origin, b[t].columns[i].origin);
    for (std::size_t i = 0; i < a[t].unique.size(); ++i)
      check_origins(a[t].unique[i].origin, b[t].unique[i].origin);
    for (std::size_t i = 0; i < a[t].indexes.size(); ++i)
      check_origins(a[t].indexes[i].origin, b[t].indexes[i].origin);
    for (std::size_t i = 0; i < a[t].foreign_keys.size(); ++i)
      check_origins(a[t].foreign_keys[i].origin, b[t].foreign_keys[i].origin);
    for (std::size_t i = 0; i < a[t].checks.size(); ++i)
      check_origins(a[t].checks[i].origin, b[t].checks[i].origin);
  }
}

std::vector<Table> every_field() {
  const std::string file = "models/a.yaml";
  Table full{
      .name = "orders, \"big\"",
      .columns = {{.name = "id", .type = "integer", .nullable = false, .autoincrement = true,
                   .origin = {file, 3}},
                  {.name = "note:", .type = "varchar(10)", .default_sql = "'a,b:c'",
                   .comment = "a\ncomment", .renamed_from = "old", .origin = {file, 4}},
                  {.name = "empty", .type = "", .default_sql = "", .comment = ""}},
      .primary_key = {"id"},
      .unique = {{.name = "uq", .columns = {"id", "note:"}, .origin = {file, 6}}},
      .indexes = {{.name = "ix", .columns = {"lower(note)"}, .unique = true, .where = "id > 0",
                   .method = "gin", .origin = {"models/other.yaml", 7}}},
      .foreign_keys = {{.name = "fk", .columns = {"id"}, .ref_table = "t", .ref_columns = {"x"},
                        .on_delete = FkAction::set_default, .on_update = FkAction::cascade,
                        .deferrable = true, .initially_deferred = true, .origin = {file, 8}}},
      .checks = {{.name = "ck", .expression = "id <> 0", .origin = {file, 9}}},
      .comment = "table comment",
      .renamed_from = "orders_old",
      .origin = {file, 2}};
  Table bare{.name = "t", .columns = {{.name = "x", .type = "text"}}};
  return {full, bare};
}

TEST_CASE("a cache record gives back every field of every table, origins included") {
  const std::vector<Table> tables = every_field();
  const std::string record = ModelCache::encode(tables, "models/a.yaml");
  auto back = ModelCache::decode(record, "models/a.yaml");
  REQUIRE(back.has_value());
  check_same(*back, tables);
  CHECK(ModelCache::decode(ModelCache::encode({}, "f"), "f") == std::vector<Table>{});
  // A cut or padded record is refused, never half read.
  CHECK_FALSE(ModelCache::decode(record.substr(0, record.size() - 1), "models/a.yaml"));
  CHECK_FALSE(ModelCache::decode(record + "1:x,", "models/a.yaml"));
  CHECK_FALSE(ModelCache::decode("99999999999:", "models/a.yaml"));
}

// A models folder whose files are older than the two seconds in which a cache ignores them.
class Folder {
 public:
  Folder()
      : dir_(fs::temp_directory_path() / ("distil-model-cache-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Folder() { fs::remove_all(dir_); }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;

  // Writes `text`, dated an hour ago (or `age` ago).
  void write(const std::string& name, const std::string& text,
             std::chrono::seconds age = std::chrono::hours(1)) {
    {
      std::ofstream out(dir_ / name, std::ios::binary | std::ios::in | std::ios::out);
      if (!out) out.open(dir_ / name, std::ios::binary);  // a new file
      out << text;
    }
    fs::last_write_time(dir_ / name, fs::file_time_type::clock::now() - age);
  }
  const fs::path& path() const { return dir_; }
  fs::path cache() const { return dir_ / kModelCacheFile; }

 private:
  fs::path dir_;
};

const char* kUsers =
    "tables:\n  users:\n    columns:\n      - {name: id, type: integer, primary_key: true}\n"
    "      - {name: tag, type: text}\n";
// The same size as kUsers, another column name.
const char* kPeople =
    "tables:\n  users:\n    columns:\n      - {name: id, type: integer, primary_key: true}\n"
    "      - {name: tax, type: text}\n";
const char* kOrders =
    "tables:\n  orders:\n    columns:\n      - {name: id, type: integer, primary_key: true}\n"
    "      - {name: user_id, type: integer}\n"
    "    foreign_keys: [{columns: [user_id], references: {table: users, columns: [id]}}]\n";

Schema load_ok(const fs::path& folder) {
  Result<Schema> schema = load_models(folder);
  if (!schema) FAIL_CHECK(format_error(schema.error()));
  REQUIRE(schema.has_value());
  return *schema;
}

TEST_CASE("a models folder loads from its cache, and a file whose stat changed is parsed again") {
  Folder folder;
  folder.write("a_users.yaml", kUsers);
  folder.write("b_orders.yaml", kOrders);
  const Schema cold = load_ok(folder.path());
  REQUIRE(fs::exists(folder.cache()));
  const Schema warm = load_ok(folder.path());
  CHECK(warm == cold);
  check_same({warm.tables.at("orders")}, {cold.tables.at("orders")});

  // Same size, same modification time, same inode: the cache is believed (what git's index
  // does too), which shows that the second load did not parse the file.
  const auto stamp = fs::last_write_time(folder.path() / "a_users.yaml");
  folder.write("a_users.yaml", kPeople);
  fs::last_write_time(folder.path() / "a_users.yaml", stamp);
  CHECK(load_ok(folder.path()).tables.at("users").find_column("tag") != nullptr);

  // Any change of the stat (here the time) and the file is read again.
  folder.write("a_users.yaml", kPeople, std::chrono::minutes(30));
  const Schema edited = load_ok(folder.path());
  CHECK(edited.tables.at("users").find_column("tax") != nullptr);
  CHECK(edited.tables.at("users").find_column("tag") == nullptr);
}

TEST_CASE("a cache of another executable, a corrupt one or a racy file is not believed") {
  Folder folder;
  folder.write("a_users.yaml", kUsers);
  load_ok(folder.path());
  const auto stamp = fs::last_write_time(folder.path() / "a_users.yaml");
  folder.write("a_users.yaml", kPeople);
  fs::last_write_time(folder.path() / "a_users.yaml", stamp);
  std::string cache;
  {
    std::ifstream in(folder.cache(), std::ios::binary);
    cache.assign(std::istreambuf_iterator<char>(in), {});
  }
  REQUIRE(cache.starts_with("distil-model-cache 1 "));

  SUBCASE("another build wrote it") {
    std::string foreign = cache;
    char& digit = foreign[foreign.find(' ', 21) - 1];  // the executable's size, changed
    digit = digit == '9' ? '8' : '9';
    std::ofstream(folder.cache(), std::ios::binary) << foreign;
  }
  SUBCASE("it is cut short") {
    std::ofstream(folder.cache(), std::ios::binary) << cache.substr(0, cache.size() - 3);
  }
  SUBCASE("it is garbage") {
    std::ofstream(folder.cache(), std::ios::binary) << "\x01\x02 not a cache";
  }
  const Schema fresh = load_ok(folder.path());
  CHECK(fresh.tables.at("users").find_column("tax") != nullptr);

  // A file changed in the last two seconds stays out of the cache: it could change again
  // within the same timestamp at the same size.
  folder.write("a_users.yaml", kUsers, std::chrono::seconds(0));
  CHECK(load_ok(folder.path()).tables.at("users").find_column("tag") != nullptr);
  const auto now = fs::last_write_time(folder.path() / "a_users.yaml");
  folder.write("a_users.yaml", kPeople, std::chrono::seconds(0));
  fs::last_write_time(folder.path() / "a_users.yaml", now);
  CHECK(load_ok(folder.path()).tables.at("users").find_column("tax") != nullptr);
}

TEST_CASE("errors are the same with a cache: a bad file is parsed, and reported, every time") {
  Folder folder;
  folder.write("a_users.yaml", kUsers);
  folder.write("b_bad.yaml", "tables:\n  orders:\n    columns: 5\n");
  Result<Schema> first = load_models(folder.path());
  Result<Schema> second = load_models(folder.path());
  REQUIRE_FALSE(first.has_value());
  REQUIRE_FALSE(second.has_value());
  CHECK(format_error(first.error()) == format_error(second.error()));
  // A cross-file error (a foreign key to a table no file defines) too.
  folder.write("b_bad.yaml", kOrders);
  fs::remove(folder.path() / "a_users.yaml");
  Result<Schema> third = load_models(folder.path());
  Result<Schema> fourth = load_models(folder.path());
  REQUIRE_FALSE(third.has_value());
  REQUIRE_FALSE(fourth.has_value());
  CHECK(format_error(third.error()) == format_error(fourth.error()));
  CHECK(format_error(fourth.error()).find("users") != std::string::npos);
}

}  // namespace
