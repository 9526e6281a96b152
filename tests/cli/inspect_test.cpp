// End-to-end: `inspect -o DIR` on a database made as SQLAlchemy's create_all makes it, then
// a fresh project built from those models reproduces the database exactly.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>  // getpid, which the harness uses

#include "tests/support/revision_text.hpp"
#include "tests/support/cli_harness.hpp"

using distil::testing::Project;
using distil::testing::read_text;
using distil::testing::RunResult;
using distil::testing::write_text;

namespace {

using distil::testing::contains;

// The DDL SQLAlchemy's create_all emits for SQLite (its layout, types and constraint order).
const char* const kCreateAll = R"(
CREATE TABLE tenants (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	meta TEXT DEFAULT '{}', 
	PRIMARY KEY (id)
);
CREATE TABLE projects (
	tenant_id VARCHAR(64) NOT NULL, 
	id INTEGER NOT NULL, 
	name VARCHAR(255) DEFAULT 'it''s "new"', 
	PRIMARY KEY (tenant_id, id), 
	FOREIGN KEY(tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
);
CREATE TABLE usage_entries (
	id INTEGER NOT NULL, 
	tenant_id VARCHAR(64) NOT NULL, 
	project_id INTEGER NOT NULL, 
	resource VARCHAR(255) NOT NULL, 
	volume NUMERIC(12, 4) NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	created_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE, 
	UNIQUE (tenant_id, resource), 
	CONSTRAINT ck_usage_volume CHECK (volume >= 0), 
	CHECK (active IN (0, 1))
);
CREATE INDEX ix_usage_entries_created_at ON usage_entries (created_at);
CREATE INDEX ix_usage_active ON usage_entries (resource) WHERE active = 1;
)";

const std::vector<std::string> kTables = {"projects", "tenants", "usage_entries"};

// What SQLite itself says of a table: columns, indexes (with their columns) and foreign keys.
std::vector<std::string> describe(const Project& p, const std::string& table) {
  std::vector<std::string> out;
  for (const std::string& row :
       p.query("SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo('" +
               table + "')")) {
    out.push_back("column " + row);
  }
  for (const std::string& row :
       p.query("SELECT name, \"unique\", origin, partial FROM pragma_index_list('" + table +
               "') ORDER BY name")) {
    out.push_back("index " + row);
    const std::string name = row.substr(0, row.find('|'));
    for (const std::string& col :
         p.query("SELECT seqno, cid, name, \"desc\", coll, key FROM pragma_index_xinfo('" + name +
                 "')")) {
      out.push_back("  index column " + col);
    }
  }
  for (const std::string& row :
       p.query("SELECT seq, \"table\", \"from\", \"to\", on_update, on_delete, match FROM "
               "pragma_foreign_key_list('" + table + "') ORDER BY id, seq")) {
    out.push_back("foreign key " + row);
  }
  return out;
}

}  // namespace

TEST_CASE("inspect writes models from which a fresh project rebuilds the database exactly") {
  Project src("inspect-src");
  REQUIRE(src.exec(kCreateAll));
  REQUIRE(src.tables() == kTables);

  RunResult printed = src.run("inspect");
  INFO(printed.err);
  REQUIRE(printed.status == 0);
  CHECK(printed.out.starts_with("tables:\n"));
  CHECK(printed.out.find("  tenants:") < printed.out.find("  projects:"));
  CHECK(printed.out.find("  projects:") < printed.out.find("  usage_entries:"));
  CHECK(contains(printed.out, "{name: created_at, type: DATETIME, nullable: false}"));
  CHECK(contains(printed.out, "type: \"NUMERIC(12, 4)\""));
  CHECK_FALSE(contains(printed.out, "WARNING"));
  CHECK_FALSE(contains(printed.err, "WARNING"));

  RunResult wrote = src.run("inspect -o models");
  INFO(wrote.err);
  REQUIRE(wrote.status == 0);
  for (const std::string& table : kTables) {
    CHECK(std::filesystem::exists(src.dir() / "models" / (table + ".yaml")));
    CHECK(contains(wrote.err, table + ".yaml"));
  }
  CHECK(wrote.out.empty());

  // Existing files are kept unless --force.
  const std::string before = read_text(src.dir() / "models" / "tenants.yaml");
  write_text(src.dir() / "models" / "tenants.yaml", before + "# edited\n");
  RunResult again = src.run("inspect -o models");
  CHECK(again.status == 1);
  CHECK(contains(again.err, "--force"));
  CHECK(contains(read_text(src.dir() / "models" / "tenants.yaml"), "# edited"));
  RunResult forced = src.run("inspect -o models --force");
  CHECK(forced.status == 0);
  CHECK(read_text(src.dir() / "models" / "tenants.yaml") == before);

  // A fresh project: the models, an empty database, autogenerate, upgrade.
  Project dst("inspect-dst");
  std::filesystem::copy(src.dir() / "models", dst.dir() / "models");
  write_text(dst.dir() / "distil.conf",
             "[database]\nconnection = sqlite:///test.db\n\n[migration]\nversions = versions\n"
             "models = models\n");
  RunResult rev = dst.run("revision -m init --autogenerate");
  INFO(rev.err);
  REQUIRE(rev.status == 0);
  RunResult up = dst.run("upgrade head");
  INFO(up.err);
  REQUIRE(up.status == 0);
  RunResult check = dst.run("check");
  INFO(check.out);
  INFO(check.err);
  CHECK(check.status == 0);

  CHECK(dst.tables() == std::vector<std::string>{"alembic_version", "projects", "tenants",
                                                 "usage_entries"});
  for (const std::string& table : kTables) {
    CAPTURE(table);
    const std::vector<std::string> original = describe(src, table);
    CHECK(original.size() > 2);
    CHECK(describe(dst, table) == original);
  }

  // And inspecting the new database writes the same models back.
  RunResult reprinted = dst.run("inspect");
  CHECK(reprinted.status == 0);
  CHECK(reprinted.out == printed.out);
}

TEST_CASE("inspect of a missing database fails and writes nothing") {
  Project p("inspect-missing");
  RunResult r = p.run("inspect -o models");
  CHECK(r.status == 1);
  CHECK_FALSE(std::filesystem::exists(p.dir() / "models"));
}
