// emitters/model/writer: Schema -> YAML model text (what `inspect` writes), read back by
// model/yaml/model_io to an equal Schema.
#include "emitters/model/writer.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

#include "model/names.hpp"
#include "model/yaml/model_io.hpp"

namespace {

using namespace distil::model;
using distil::emitters::table_order;
using distil::emitters::write_model_files;
using distil::emitters::write_models;
using distil::model::yaml::load_models;
using distil::model::yaml::parse_models;

// The 8 hex digits write_model_files appends to an unsafe table name.
std::string fmt_hash(const std::string& name) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(fnv1a32(name)));
  return buf;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Column col(std::string name, std::string type, bool nullable = true,
           std::optional<std::string> default_sql = std::nullopt) {
  return Column{.name = std::move(name),
                .type = std::move(type),
                .nullable = nullable,
                .default_sql = std::move(default_sql)};
}

void add(Schema& schema, Table table) {
  std::string name = table.name;
  schema.tables.emplace(std::move(name), std::move(table));
}

// Every feature of DESIGN §4, in the canonical form the loader and introspection produce:
// unnamed constraints carry their deterministic names.
Schema rich_schema() {
  Schema s;
  Table tenants{.name = "tenants"};
  tenants.comment = "A tenant: one OpenStack project.\nSecond line, with \"quotes\" and a: colon";
  tenants.columns = {col("id", "VARCHAR(64)", false), col("name", "VARCHAR(64)", false),
                     col("created_at", "DATETIME", false),
                     col("meta", "TEXT", true, "'{}'"),
                     col("note", "text", true, "'it''s, \"quoted\" #not a comment'")};
  tenants.columns[3].comment = "JSON: {\"a\": [1, 2]}";
  tenants.primary_key = {"id"};
  tenants.unique = {Unique{.name = unique_name("tenants", {"name"}), .columns = {"name"}}};
  add(s, tenants);

  Table regions{.name = "regions"};
  regions.columns = {col("tenant_id", "VARCHAR(64)", false), col("code", "varchar(8)", false),
                     col("total", "numeric(12,2)", false, "0"),
                     col("tags", "text[]"), col("ratio", "double precision"),
                     col("ts", "timestamp", false, "CURRENT_TIMESTAMP")};
  regions.primary_key = {"tenant_id", "code"};
  regions.foreign_keys = {ForeignKey{.name = foreign_key_name("regions", {"tenant_id"}, "tenants"),
                                     .columns = {"tenant_id"},
                                     .ref_table = "tenants",
                                     .ref_columns = {"id"},
                                     .on_delete = FkAction::cascade,
                                     .on_update = FkAction::restrict}};
  regions.checks = {Check{.name = "ck_total_positive", .expression = "total >= 0"},
                    Check{.name = check_name("regions", 2), .expression = "code <> ''"}};
  add(s, regions);

  // A child of a composite key, declared before its parent by name.
  Table entries{.name = "a_entries"};
  entries.columns = {col("id", "integer", false), col("tenant_id", "VARCHAR(64)", false),
                     col("region", "varchar(8)"), col("amount", "numeric(12,2)"),
                     col("label", "text")};
  entries.columns[0].autoincrement = true;
  entries.primary_key = {"id"};
  entries.unique = {Unique{.name = "uq_entries_label", .columns = {"tenant_id", "label"}},
                    Unique{.name = unique_name("a_entries", {"region", "label"}),
                           .columns = {"region", "label"}}};
  entries.indexes = {
      Index{.name = index_name("a_entries", {"tenant_id", "region"}),
            .columns = {"tenant_id", "region"}},
      Index{.name = "ix_entries_positive", .columns = {"amount"}, .where = "amount > 0"},
      Index{.name = index_name("a_entries", {"lower(label)"}), .columns = {"lower(label)"}},
      Index{.name = "ux_entries_label", .columns = {"label"}, .unique = true,
            .where = "label IS NOT NULL AND label <> 'x, y'"},
      Index{.name = "ix_entries_label_trgm", .columns = {"label"}, .method = "gin"}};
  entries.foreign_keys = {ForeignKey{.name = "fk_entries_region",
                                     .columns = {"tenant_id", "region"},
                                     .ref_table = "regions",
                                     .ref_columns = {"tenant_id", "code"},
                                     .on_delete = FkAction::set_null,
                                     .deferrable = true,
                                     .initially_deferred = true}};
  add(s, entries);

  // Odd identifiers: a keyword, spaces and capitals, a double quote, YAML words.
  Table end{.name = "end"};
  end.columns = {col("id", "INTEGER", false), col("Mixed Case", "VARCHAR(10)"),
                 col("a\"b", "TEXT"), col("null", "BOOLEAN", true, "false"),
                 col("yes", "int")};
  end.primary_key = {"id"};
  end.unique = {Unique{.name = unique_name("end", {"Mixed Case"}), .columns = {"Mixed Case"}}};
  end.indexes = {Index{.name = index_name("end", {"a\"b"}), .columns = {"a\"b"}}};
  add(s, end);

  Table mixed{.name = "Mixed Case"};
  mixed.columns = {col("key: value", "TEXT", false), col("end", "integer")};
  mixed.primary_key = {"key: value"};
  mixed.foreign_keys = {ForeignKey{.name = foreign_key_name("Mixed Case", {"end"}, "end"),
                                   .columns = {"end"},
                                   .ref_table = "end",
                                   .ref_columns = {"id"},
                                   .on_update = FkAction::set_default,
                                   .deferrable = true}};
  mixed.checks = {Check{.name = check_name("Mixed Case", 1), .expression = "\"end\" > 0"}};
  add(s, mixed);

  Table quoted{.name = "a\"b"};
  quoted.columns = {col("id", "integer", false)};
  quoted.primary_key = {"id"};
  add(s, quoted);

  Table self{.name = "nodes"};
  self.columns = {col("id", "integer", false), col("parent_id", "integer")};
  self.primary_key = {"id"};
  self.foreign_keys = {ForeignKey{.name = foreign_key_name("nodes", {"parent_id"}, "nodes"),
                                  .columns = {"parent_id"},
                                  .ref_table = "nodes",
                                  .ref_columns = {"id"}}};
  add(s, self);
  return s;
}

void check_round_trip(const Schema& schema) {
  const std::string text = write_models(schema);
  INFO(text);
  Result<Schema> back = parse_models(text, "written.yaml");
  if (!back) FAIL_CHECK(format_error(back.error()));
  REQUIRE(back.has_value());
  for (const auto& [name, table] : schema.tables) {
    CAPTURE(name);
    const Table* read = back->find_table(name);
    REQUIRE(read != nullptr);
    CHECK(read->columns == table.columns);
    CHECK(read->primary_key == table.primary_key);
    CHECK(read->unique == table.unique);
    CHECK(read->indexes == table.indexes);
    CHECK(read->foreign_keys == table.foreign_keys);
    CHECK(read->checks == table.checks);
    CHECK(read->comment == table.comment);
  }
  CHECK(*back == schema);
  CHECK(write_models(*back) == text);  // a fixed point
}

// A scratch folder, removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("distil-model-writer-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("write_models loads back to the same schema, every model feature included") {
  check_round_trip(rich_schema());
}

TEST_CASE("write_models writes only what differs from the defaults") {
  const std::string text = write_models(rich_schema());
  INFO(text);
  CHECK_FALSE(contains(text, "nullable: true"));
  CHECK_FALSE(contains(text, "no action"));
  CHECK_FALSE(contains(text, "name: uq_tenants_name"));             // deterministic: omitted
  CHECK_FALSE(contains(text, "name: fk_regions_tenant_id_tenants"));
  CHECK_FALSE(contains(text, "name: ck_regions_2"));
  CHECK(contains(text, "name: ck_total_positive"));                  // chosen names stay
  CHECK(contains(text, "name: uq_entries_label"));
  CHECK(contains(text, "  tenants:\n    comment: "));
  CHECK(contains(text, "{name: id, type: VARCHAR(64), primary_key: true}"));
  CHECK(contains(text, "{name: created_at, type: DATETIME, nullable: false}"));
  CHECK(contains(text, "type: \"numeric(12,2)\""));
  CHECK(contains(text, "type: \"text[]\""));
  CHECK(contains(text, "default: \"'{}'\""));
  CHECK(contains(text, "    primary_key: [tenant_id, code]\n"));
  CHECK(contains(text, "on_delete: cascade, on_update: restrict}"));
  CHECK(contains(text, "on_delete: set null, deferrable: true, initially_deferred: true}"));
  CHECK(contains(text, "on_update: set default, deferrable: true}"));
  CHECK(contains(text, "columns: [label], using: gin}"));
  CHECK_FALSE(contains(text, "deferrable: false"));
  CHECK(contains(text, "  \"a\\\"b\":\n"));
  CHECK(contains(text, "  end:\n"));
}

TEST_CASE("write_models puts a referenced table before the tables that reference it") {
  const Schema s = rich_schema();
  const std::vector<std::string> order = table_order(s);
  REQUIRE(order.size() == s.tables.size());
  const auto at = [&](const std::string& name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  CHECK(at("tenants") < at("regions"));
  CHECK(at("regions") < at("a_entries"));
  CHECK(at("end") < at("Mixed Case"));
  CHECK(order.front() == "a\"b");  // otherwise by name
  const std::string text = write_models(s);
  CHECK(text.find("  tenants:") < text.find("  regions:"));
  CHECK(text.find("  regions:") < text.find("  a_entries:"));

  // A cycle of references still writes every table once.
  Schema cycle;
  for (const auto& [name, ref] : {std::pair{"p", "q"}, std::pair{"q", "p"}}) {
    Table t{.name = name};
    t.columns = {col("id", "integer", false), col("other", "integer")};
    t.primary_key = {"id"};
    t.foreign_keys = {ForeignKey{.name = foreign_key_name(name, {"other"}, ref),
                                 .columns = {"other"},
                                 .ref_table = ref,
                                 .ref_columns = {"id"}}};
    add(cycle, t);
  }
  CHECK(table_order(cycle) == std::vector<std::string>{"p", "q"});
  check_round_trip(cycle);
}

TEST_CASE("write_model_files writes one loadable file per table, with safe file names") {
  Schema s = rich_schema();
  Table users{.name = "Users"}, lower{.name = "users"}, device{.name = "con"};
  for (Table* t : {&users, &lower, &device}) {
    t->columns = {col("id", "integer", false)};
    t->primary_key = {"id"};
    add(s, *t);
  }
  const std::map<std::string, std::string> files = write_model_files(s);
  REQUIRE(files.size() == s.tables.size());
  CHECK(files.count("tenants.yaml") == 1);
  CHECK(files.count("end.yaml") == 1);
  CHECK(files.count("a_entries.yaml") == 1);
  CHECK(files.count("Users.yaml") == 1);
  CHECK(files.count("users.yaml") == 0);  // would clash with Users.yaml on macOS/Windows
  CHECK(files.count("con.yaml") == 0);
  for (const auto& [file, text] : files) {
    CAPTURE(file);
    CHECK(file.ends_with(".yaml"));
    CHECK(file.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz0123456789_-.") == std::string::npos);
    CHECK(file.front() != '.');
    CHECK(text.starts_with("tables:\n"));
  }
  CHECK(files.count("Mixed_Case_" + fmt_hash("Mixed Case") + ".yaml") == 1);

  TempDir dir("files");
  for (const auto& [file, text] : files) std::ofstream(dir.path / file, std::ios::binary) << text;
  Result<Schema> back = load_models(dir.path);
  if (!back) FAIL_CHECK(format_error(back.error()));
  REQUIRE(back.has_value());
  CHECK(*back == s);
}

TEST_CASE("the shipped Distil models survive write_models unchanged") {
  Result<Schema> shipped = load_models(std::string(DISTIL_SOURCE_DIR) + "/schemas/distil");
  if (!shipped) FAIL_CHECK(format_error(shipped.error()));
  REQUIRE(shipped.has_value());
  REQUIRE_FALSE(shipped->tables.empty());
  check_round_trip(*shipped);

  TempDir dir("shipped");
  for (const auto& [file, text] : write_model_files(*shipped)) {
    std::ofstream(dir.path / file, std::ios::binary) << text;
  }
  Result<Schema> back = load_models(dir.path);
  if (!back) FAIL_CHECK(format_error(back.error()));
  REQUIRE(back.has_value());
  CHECK(*back == *shipped);
}
