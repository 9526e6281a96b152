// model/sql_expr (libpg_query): PostgreSQL expressions and types compare by parse tree, the
// normal form is idempotent, and raw SQL is validated with the position of the error.
#include "model/sql_expr.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using namespace distil::model;

namespace {

std::string expr(std::string_view text) {
  auto normal = sql::normalize_expression(text);
  REQUIRE_MESSAGE(normal, text << ": " << (normal ? "" : normal.error().message));
  auto again = sql::normalize_expression(*normal);
  REQUIRE(again);
  CHECK_MESSAGE(*again == *normal, "not idempotent: " << text);
  return *normal;
}

std::string type(std::string_view text) {
  auto normal = sql::normalize_type(text);
  REQUIRE_MESSAGE(normal, text << ": " << (normal ? "" : normal.error().message));
  auto again = sql::normalize_type(*normal);
  REQUIRE(again);
  CHECK_MESSAGE(*again == *normal, "not idempotent: " << text);
  return *normal;
}

Revision revision_with(std::vector<Op> upgrade, std::vector<int> lines) {
  return Revision{.id = "3f9a1c2b7d4e",
                  .upgrade = std::move(upgrade),
                  .upgrade_lines = std::move(lines),
                  .path = "versions/0003_raw.yaml"};
}

}  // namespace

TEST_CASE("expressions PostgreSQL stores differently normalise alike (issue pairs)") {
  const std::vector<std::pair<std::string, std::string>> pairs{
      {"'nz'", "'nz'::character varying"},
      {"now()", "NOW( )"},
      {"(ratio >= 0)", "ratio >= 0"},
      {"ratio >= 0", "(ratio >= (0)::numeric)"},
      {"false", "'f'::boolean"},
      {"false", "'off'::boolean"},
      {"true", "'t'::boolean"},
      {"TRUE", "'yes'::bool"},
      {"-1", "'-1'::integer"},
      {"1.50", "'1.50'::numeric"},
      {"nextval('seq')", "nextval('seq'::regclass)"},
      {"'{}'", "'{}'::text[]"},
      {"ARRAY['a', 'b']", "(ARRAY['a'::character varying, 'b'::character varying])::text[]"},
      {"a > 0 and (b < 1 or c = 2)", "((a > 0) AND ((b < 1) OR (c = 2)))"},
      {"current_timestamp", "CURRENT_TIMESTAMP"},
      {"status IN ('a', 'b')", "(status = ANY (ARRAY['a'::text, 'b'::text]))"},
      {"status NOT IN ('a', 'b')", "(status <> ALL (ARRAY['a'::text, 'b'::text]))"},
  };
  for (const auto& [a, b] : pairs) CHECK_MESSAGE(expr(a) == expr(b), a << " vs " << b);
}

TEST_CASE("real differences in expressions survive normalisation") {
  CHECK(expr("'nz'") != expr("'au'"));
  CHECK(expr("'NZ'") != expr("'nz'"));
  CHECK(expr("false") != expr("'t'::boolean"));
  CHECK(expr("ratio >= 0") != expr("ratio > 0"));
  CHECK(expr("x::boolean") == "x::boolean");  // a cast of a column is meaning, not noise
  CHECK(expr("'maybe'::boolean") != expr("false"));
  CHECK(expr("status IN ('a', 'b')") != expr("status NOT IN ('a', 'b')"));
  CHECK(expr("status IN ('a', 'b')") != expr("status IN ('a', 'c')"));
}

TEST_CASE("the normal form is readable SQL") {
  CHECK(expr("'nz'::character varying") == "'nz'");
  CHECK(expr("(ratio >= 0)") == "ratio >= 0");
  CHECK(expr("'f'::boolean") == "false");
  CHECK(expr("NOW( )") == "now()");
}

TEST_CASE("an expression that does not parse names the position - several expressions fail") {
  auto bad = sql::normalize_expression("total >");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::model);
  CHECK(bad.error().message.find("syntax error") != std::string::npos);
  CHECK(bad.error().message.find("position 8") != std::string::npos);
  CHECK_FALSE(sql::normalize_expression("1; DROP TABLE t"));
  CHECK_FALSE(sql::normalize_expression("1 FROM t"));
  CHECK_FALSE(sql::normalize_expression("a AS b"));
  CHECK_FALSE(sql::normalize_expression("  "));
}

TEST_CASE("type spellings normalise alike") {
  const std::vector<std::vector<std::string>> groups{
      {"int", "int4", "integer", "INTEGER", "pg_catalog.int4"},
      {"bigint", "int8"},
      {"smallint", "int2"},
      {"bool", "boolean"},
      {"float8", "double precision"},
      {"float4", "real"},
      {"varchar(3)", "character varying(3)", "VARCHAR (3)"},
      {"varchar", "character varying"},
      {"char(3)", "character(3)", "bpchar(3)"},
      {"numeric(12,2)", "decimal(12,2)", "numeric(12, 2)"},
      {"timestamp", "timestamp without time zone"},
      {"timestamptz", "timestamp with time zone"},
      {"time", "time without time zone"},
      {"timetz", "time with time zone"},
      {"integer[]", "int4[]", "_int4", "int[]"},
      {"character varying(3)[]", "varchar(3)[]"},
      {"jsonb"},
      {"json"},
      {"uuid"},
      {"inet"},
      {"text"},
      {"bytea"},
  };
  std::vector<std::string> canonical;
  for (const auto& group : groups) {
    for (const std::string& spelling : group) {
      CHECK_MESSAGE(type(spelling) == type(group.front()), spelling << " vs " << group.front());
    }
    canonical.push_back(type(group.front()));
  }
  for (size_t i = 0; i < canonical.size(); ++i) {
    for (size_t j = i + 1; j < canonical.size(); ++j) CHECK(canonical[i] != canonical[j]);
  }
  CHECK(type("int4") == "integer");
  CHECK(type("varchar(3)") == "character varying(3)");
  CHECK(type("_int4") == "integer[]");
  CHECK(type("varchar(3)") != type("varchar(4)"));
  CHECK(type("timestamp") != type("timestamptz"));
}

TEST_CASE("a type that does not parse is an error naming it") {
  auto bad = sql::normalize_type("nummeric(12,2");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("nummeric(12,2") != std::string::npos);
  CHECK_FALSE(sql::normalize_type("integer; DROP TABLE t"));
}

TEST_CASE("a type modifier that is not a constant is an error, not a silently emptied type") {
  // Found by fuzz/sql_expr_fuzz.cpp: the grammar accepts the expression, the deparser
  // dropped it, and "hex()" does not parse.
  for (const char* text : {"hex(randomblob(4))", "varchar(1 + 2)", "numeric(p, s)"}) {
    auto bad = sql::normalize_type(text);
    REQUIRE_FALSE_MESSAGE(bad, text);
    CHECK(bad.error().message.find(text) != std::string::npos);
  }
  CHECK(sql::normalize_type("hex(randomblob(4))").error().message.find(
            "type modifiers must be constants") != std::string::npos);
  CHECK(type("numeric(12,2)") == type("numeric(12, 2)"));
}

TEST_CASE("the normal form of an expression is a fixed point") {
  // Found by the CI fuzz run: the first pass left parentheses the second removed.
  const char* text = "x BETWEEN (|| 0) AND (\"between\" || 0) AND 3";
  auto once = sql::normalize_expression(text);
  if (once) CHECK(*sql::normalize_expression(*once) == *once);
  auto nested = sql::normalize_expression("(a AND b) AND c");
  REQUIRE(nested);
  CHECK(*sql::normalize_expression(*nested) == *nested);
}

TEST_CASE("a builtin type given modifiers it does not take is an error") {
  // Found by the CI fuzz run: "int8(3)" parses, but its normal form "bigint(3)" does not.
  for (const char* text : {"int8(3)", "int4(10)", "bool(1)"}) {
    auto bad = sql::normalize_type(text);
    REQUIRE_FALSE_MESSAGE(bad, text);
    CHECK(bad.error().message.find(text) != std::string::npos);
  }
  CHECK(type("varchar(3)") == "character varying(3)");
}

TEST_CASE("a cast inside an expression with a non-constant type modifier is an error") {
  // Found by the CI fuzz run: "random()::text5(~~ndom()::text)" normalised to
  // "random()::text5()", which does not parse.
  auto bad = sql::normalize_expression("random()::text5(~~ndom()::text)");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("type modifiers must be constants") != std::string::npos);
  CHECK(sql::normalize_expression("'x'::varchar(20)"));
  CHECK(sql::normalize_expression("(1.5)::numeric(12, 2)"));
}

TEST_CASE("parameters and NUL bytes are errors, not text the normaliser would mangle") {
  // Found by the fuzzer: "$0" deparses as "?", which does not parse; a NUL byte cut the
  // text the parser saw.
  for (const char* text : {"$0", "$1 + 1", "lower($2)"}) {
    auto bad = sql::normalize_expression(text);
    REQUIRE_FALSE_MESSAGE(bad, text);
    CHECK(bad.error().message.find("parameter") != std::string::npos);
  }
  CHECK_FALSE(sql::normalize_expression(std::string("1\0; DROP TABLE t", 16)));
  CHECK_FALSE(sql::normalize_type(std::string("int\0eger", 8)));
}

TEST_CASE("validate_sql accepts scripts and reports line and position of a syntax error") {
  CHECK(sql::validate_sql("CREATE TABLE t (a int); INSERT INTO t VALUES (1);"));
  CHECK(sql::validate_sql(""));
  auto bad = sql::validate_sql("CREATE TABLE t (a int);\nALTER TABLEE t ADD b int;");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::revision);
  CHECK(bad.error().message == "syntax error at or near \"TABLEE\" at line 2, position 7");
  // Positions count characters, not bytes.
  auto utf8 = sql::validate_sql("SELECT 'é';\nSELEC 1;");
  REQUIRE_FALSE(utf8);
  CHECK(utf8.error().message.find("at line 2, position 1") != std::string::npos);
}

TEST_CASE("validate_revision_sql names revision, file, op line and op number") {
  Revision ok = revision_with({RawSql{.any = "UPDATE t SET a = 1"}}, {7});
  CHECK(sql::validate_revision_sql(ok));

  Revision bad =
      revision_with({RawSql{.any = "SELECT 1"}, RawSql{.any = "UPDATE t SETT a = 1"}}, {7, 9});
  auto error = sql::validate_revision_sql(bad);
  REQUIRE_FALSE(error);
  CHECK(error.error().code == ErrorCode::revision);
  CHECK(error.error().where.file == "versions/0003_raw.yaml");
  CHECK(error.error().where.line == 9);
  CHECK(error.error().where.revision == "3f9a1c2b7d4e");
  CHECK(error.error().message.starts_with("upgrade op 2: syntax error"));
  CHECK(error.error().message.find("at line 1, position") != std::string::npos);
}

TEST_CASE("validate_revision_sql checks the postgresql entry, not the sqlite one") {
  Revision pg_only = revision_with(
      {RawSql{.by_dialect = {{"sqlite", "PRAGMA nonsense ((("}, {"postgresql", "SELECT 1"}}}}, {4});
  CHECK(sql::validate_revision_sql(pg_only));
  Revision bad_pg =
      revision_with({RawSql{.any = "SELECT 1", .by_dialect = {{"postgresql", "SELEC 1"}}}}, {4});
  CHECK_FALSE(sql::validate_revision_sql(bad_pg));
  Revision down = revision_with({}, {});
  down.downgrade = {RawSql{.any = "DROP TABLEX t"}};
  down.downgrade_lines = {12};
  auto error = sql::validate_revision_sql(down);
  REQUIRE_FALSE(error);
  CHECK(error.error().message.starts_with("downgrade op 1: "));
  CHECK(error.error().where.line == 12);
}

TEST_CASE("statements PostgreSQL refuses inside a transaction are recognised") {
  CHECK(sql::outside_transaction_reason("CREATE INDEX CONCURRENTLY ix ON t (a)") ==
        "CREATE/DROP INDEX CONCURRENTLY");
  CHECK(sql::outside_transaction_reason("DROP INDEX CONCURRENTLY ix") ==
        "DROP INDEX CONCURRENTLY");
  CHECK(sql::outside_transaction_reason("ALTER TYPE mood ADD VALUE 'meh'") ==
        "ALTER TYPE ... ADD VALUE");
  CHECK(sql::outside_transaction_reason("VACUUM t") == "VACUUM");
  CHECK_FALSE(sql::outside_transaction_reason("CREATE INDEX ix ON t (a)"));
  CHECK_FALSE(sql::outside_transaction_reason("UPDATE t SET concurrent = true"));
  CHECK_FALSE(sql::outside_transaction_reason("not sql at all ((("));
}

TEST_CASE("a revision with CREATE INDEX CONCURRENTLY must say transaction: false") {
  Revision rev = revision_with({RawSql{.any = "CREATE INDEX CONCURRENTLY ix ON t (a)"}}, {6});
  auto error = sql::validate_revision_sql(rev);
  REQUIRE_FALSE(error);
  CHECK(error.error().where.line == 6);
  CHECK(error.error().message.find("add `transaction: false`") != std::string::npos);
  rev.transactional = false;
  CHECK(sql::validate_revision_sql(rev));
  // On SQLite a dialect-independent op is not PostgreSQL's business.
  rev.transactional = true;
  CHECK(sql::validate_revision_sql(rev, /*include_any=*/false));
}

TEST_CASE("expressions PostgreSQL rewrites when it stores them normalise alike") {
  const std::vector<std::pair<std::string, std::string>> pairs{
      {"country <> 'au'", "((country)::text <> 'au'::text)"},
      {"country IN ('nz', 'au')",
       "((country)::text = ANY ((ARRAY['nz'::character varying, 'au'::character varying])::text[]))"},
      {"ratio BETWEEN 0 AND 100", "((ratio >= (0)::numeric) AND (ratio <= (100)::numeric))"},
      {"ratio NOT BETWEEN 0 AND 100", "((ratio < (0)::numeric) OR (ratio > (100)::numeric))"},
      {"code LIKE 'x%'", "((code)::text ~~ 'x%'::text)"},
      {"code NOT ILIKE 'x%'", "((code)::text !~~* 'x%'::text)"},
  };
  for (const auto& [model, stored] : pairs) {
    auto a = sql::normalize_expression(model);
    auto b = sql::normalize_expression(stored);
    REQUIRE_MESSAGE(a, model);
    REQUIRE_MESSAGE(b, stored);
    CHECK_MESSAGE(*a == *b, model << " => " << *a << " but " << stored << " => " << *b);
    auto again = sql::normalize_expression(*a);
    REQUIRE(again);
    CHECK(*again == *a);
  }
  // Real differences survive.
  CHECK(*sql::normalize_expression("ratio BETWEEN 0 AND 100") !=
        *sql::normalize_expression("ratio BETWEEN 0 AND 99"));
  CHECK(*sql::normalize_expression("code LIKE 'x%'") != *sql::normalize_expression("code LIKE 'y%'"));
  CHECK(*sql::normalize_expression("(flag)::integer = 1") != *sql::normalize_expression("flag = 1"));
}

TEST_CASE("normal forms are remembered: the second call gives the same result, errors included") {
  // normalize_type/normalize_expression keep their results per thread (a schema repeats the
  // same types thousands of times); a remembered result must equal a computed one.
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    auto type = distil::model::sql::normalize_type("int4[]");
    REQUIRE(type.has_value());
    CHECK(*type == "integer[]");
    auto expr = distil::model::sql::normalize_expression("a IN (1, 2)");
    REQUIRE(expr.has_value());
    CHECK(*expr == "a = ANY(ARRAY[1, 2])");
    auto bad = distil::model::sql::normalize_type("hex(randomblob(4))");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("type modifiers must be constants") != std::string::npos);
  }
  // Keys are the exact text: spellings that normalise alike are each remembered.
  CHECK(*distil::model::sql::normalize_type("INT4[]") == "integer[]");
}
