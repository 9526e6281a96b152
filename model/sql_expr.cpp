// PostgreSQL SQL normalisation and validation through libpg_query: parse to the protobuf
// tree, rewrite what PostgreSQL itself adds (casts on literals), deparse. The only file that
// sees libpg_query; the protobuf-c runtime it uses is bundled in libpg_query.a.
#include "model/sql_expr.hpp"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include "model/revision.hpp"

namespace distil::model::sql {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// 1-based line and character (not byte) position of the 1-based character `cursor` in
// `text`; PostgreSQL's cursorpos counts characters of the server encoding (UTF-8 here).
std::pair<int, int> line_and_position(std::string_view text, int cursor) {
  int line = 1, position = 0, chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte & 0xC0U) == 0x80U) continue;  // UTF-8 continuation byte
    if (++chars >= cursor) return {line, position + 1};
    if (text[i] == '\n') {
      ++line;
      position = 0;
    } else {
      ++position;
    }
  }
  return {line, position + 1};
}

// The parse tree as protobuf-c messages, freed on destruction.
struct TreeDeleter {
  void operator()(PgQuery__ParseResult* tree) const {
    pg_query__parse_result__free_unpacked(tree, nullptr);
  }
};
using Tree = std::unique_ptr<PgQuery__ParseResult, TreeDeleter>;

struct ParseError {
  std::string message;
  int cursor = 0;  // 1-based character in the parsed text, 0 if unknown
};

// Parses `sql`; on failure returns libpg_query's message and cursor position.
std::variant<Tree, ParseError> parse(const std::string& sql) {
  PgQueryProtobufParseResult result = pg_query_parse_protobuf(sql.c_str());
  if (result.error) {
    ParseError error{.message = result.error->message ? result.error->message : "parse error",
                     .cursor = result.error->cursorpos};
    pg_query_free_protobuf_parse_result(result);
    return error;
  }
  PgQuery__ParseResult* tree = pg_query__parse_result__unpack(
      nullptr, result.parse_tree.len, reinterpret_cast<const uint8_t*>(result.parse_tree.data));
  pg_query_free_protobuf_parse_result(result);
  if (!tree) return ParseError{.message = "libpg_query returned an unreadable parse tree"};
  return Tree(tree);
}

// The SQL text of the (possibly rewritten) tree.
std::optional<std::string> deparse(const PgQuery__ParseResult& tree) {
  const size_t size = pg_query__parse_result__get_packed_size(&tree);
  std::string buffer(size, '\0');
  pg_query__parse_result__pack(&tree, reinterpret_cast<uint8_t*>(buffer.data()));
  PgQueryProtobuf protobuf{.len = size, .data = buffer.data()};
  PgQueryDeparseResult result = pg_query_deparse_protobuf(protobuf);
  std::optional<std::string> text;
  if (!result.error && result.query) text = result.query;
  pg_query_free_deparse_result(result);
  return text;
}

// Messages are allocated with protobuf-c's default allocator (malloc), so that
// free_unpacked releases nodes we create exactly as it releases the parsed ones.
template <class T>
T* new_message(void (*init)(T*)) {
  auto* message = static_cast<T*>(std::malloc(sizeof(T)));  // NOLINT: protobuf-c owns it
  if (!message) std::abort();
  init(message);
  return message;
}

char* new_c_string(std::string_view text) {
  auto* out = static_cast<char*>(std::malloc(text.size() + 1));  // NOLINT: protobuf-c owns it
  if (!out) std::abort();
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

void free_message(void* message) {
  if (message) protobuf_c_message_free_unpacked(static_cast<ProtobufCMessage*>(message), nullptr);
}

// The last name of a type ("pg_catalog.int4" -> "int4"), lower case.
std::string type_base_name(const PgQuery__TypeName& type) {
  if (type.n_names == 0) return {};
  const PgQuery__Node* last = type.names[type.n_names - 1];
  if (last->node_case != PG_QUERY__NODE__NODE_STRING || !last->string) return {};
  return lower(last->string->sval);
}

bool is_integer_type(std::string_view name) {
  return name == "int2" || name == "int4" || name == "int8" || name == "smallint" ||
         name == "integer" || name == "int" || name == "bigint";
}

bool is_numeric_type(std::string_view name) {
  return is_integer_type(name) || name == "numeric" || name == "decimal" || name == "float4" ||
         name == "float8" || name == "real";
}

bool is_integer_literal(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

bool is_numeric_literal(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  bool digit = false, dot = false;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

// PostgreSQL's boolin(): the spellings a boolean literal accepts.
std::optional<bool> boolean_value(const PgQuery__AConst& constant) {
  switch (constant.val_case) {
    case PG_QUERY__A__CONST__VAL_BOOLVAL:
      return constant.boolval->boolval != 0;
    case PG_QUERY__A__CONST__VAL_IVAL:
      if (constant.ival->ival == 0 || constant.ival->ival == 1) return constant.ival->ival == 1;
      return std::nullopt;
    case PG_QUERY__A__CONST__VAL_SVAL: {
      const std::string text = lower(trim(constant.sval->sval));
      static constexpr std::array<std::string_view, 6> kTrue{"t", "true", "y", "yes", "on", "1"};
      static constexpr std::array<std::string_view, 6> kFalse{"f", "false", "n", "no", "off", "0"};
      if (std::find(kTrue.begin(), kTrue.end(), text) != kTrue.end()) return true;
      if (std::find(kFalse.begin(), kFalse.end(), text) != kFalse.end()) return false;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

void clear_value(PgQuery__AConst& constant) {
  switch (constant.val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL:
      free_message(constant.ival);
      break;
    case PG_QUERY__A__CONST__VAL_FVAL:
      free_message(constant.fval);
      break;
    case PG_QUERY__A__CONST__VAL_BOOLVAL:
      free_message(constant.boolval);
      break;
    case PG_QUERY__A__CONST__VAL_SVAL:
      free_message(constant.sval);
      break;
    case PG_QUERY__A__CONST__VAL_BSVAL:
      free_message(constant.bsval);
      break;
    default:
      break;
  }
  constant.val_case = PG_QUERY__A__CONST__VAL__NOT_SET;
}

void set_boolean(PgQuery__AConst& constant, bool value) {
  clear_value(constant);
  constant.boolval = new_message(pg_query__boolean__init);
  constant.boolval->boolval = value ? 1 : 0;
  constant.val_case = PG_QUERY__A__CONST__VAL_BOOLVAL;
}

// '42'::integer is the number 42, as the literal 42 parses ('-1'::integer == -1).
void set_number(PgQuery__AConst& constant, const std::string& text) {
  if (is_integer_literal(text) && text.size() <= 9) {
    clear_value(constant);
    constant.ival = new_message(pg_query__integer__init);
    constant.ival->ival = std::stoi(text);
    constant.val_case = PG_QUERY__A__CONST__VAL_IVAL;
  } else {
    clear_value(constant);
    constant.fval = new_message(pg_query__float__init);
    constant.fval->fval = new_c_string(text);
    constant.val_case = PG_QUERY__A__CONST__VAL_FVAL;
  }
}

// Replaces the TypeCast in `node` by its argument.
void unwrap_cast(PgQuery__Node& node) {
  PgQuery__TypeCast* cast = node.type_cast;
  PgQuery__Node* arg = cast->arg;
  const PgQuery__Node inner = *arg;
  arg->node_case = PG_QUERY__NODE__NODE__NOT_SET;  // now owned by `node`, not by `arg`
  node = inner;
  free_message(cast);  // frees the emptied arg and the type name
}

// "x IN (a, b)" is stored by PostgreSQL as "x = ANY (ARRAY[a, b])", and "x NOT IN (a, b)"
// as "x <> ALL (ARRAY[a, b])": rewrite the list form to the array form.
void rewrite_in_list(PgQuery__AExpr& expr) {
  if (expr.kind != PG_QUERY__A__EXPR__KIND__AEXPR_IN || !expr.rexpr ||
      expr.rexpr->node_case != PG_QUERY__NODE__NODE_LIST || expr.n_name != 1 ||
      expr.name[0]->node_case != PG_QUERY__NODE__NODE_STRING) {
    return;
  }
  const std::string op = expr.name[0]->string->sval;
  if (op != "=" && op != "<>") return;
  PgQuery__List* list = expr.rexpr->list;
  PgQuery__AArrayExpr* array = new_message(pg_query__a__array_expr__init);
  array->n_elements = list->n_items;
  array->elements = list->items;  // moved: the list gives up its items
  list->n_items = 0;
  list->items = nullptr;
  free_message(list);
  expr.rexpr->a_array_expr = array;
  expr.rexpr->node_case = PG_QUERY__NODE__NODE_A_ARRAY_EXPR;
  expr.kind =
      op == "=" ? PG_QUERY__A__EXPR__KIND__AEXPR_OP_ANY : PG_QUERY__A__EXPR__KIND__AEXPR_OP_ALL;
}

// A deep copy of `node` (packed and unpacked, so protobuf-c owns it like the rest).
PgQuery__Node* copy_node(const PgQuery__Node& node) {
  std::string buffer(pg_query__node__get_packed_size(&node), '\0');
  pg_query__node__pack(&node, reinterpret_cast<uint8_t*>(buffer.data()));
  PgQuery__Node* copy = pg_query__node__unpack(nullptr, buffer.size(),
                                               reinterpret_cast<const uint8_t*>(buffer.data()));
  if (!copy) std::abort();
  return copy;
}

// A new "left <op> right" node; takes ownership of both operands.
PgQuery__Node* new_operator(std::string_view op, PgQuery__Node* left, PgQuery__Node* right) {
  auto* name = new_message(pg_query__node__init);
  name->string = new_message(pg_query__string__init);
  name->string->sval = new_c_string(op);
  name->node_case = PG_QUERY__NODE__NODE_STRING;
  auto* expr = new_message(pg_query__a__expr__init);
  expr->kind = PG_QUERY__A__EXPR__KIND__AEXPR_OP;
  expr->n_name = 1;
  expr->name = static_cast<PgQuery__Node**>(std::malloc(sizeof(PgQuery__Node*)));  // NOLINT
  if (!expr->name) std::abort();
  expr->name[0] = name;
  expr->lexpr = left;
  expr->rexpr = right;
  expr->location = -1;
  auto* node = new_message(pg_query__node__init);
  node->a_expr = expr;
  node->node_case = PG_QUERY__NODE__NODE_A_EXPR;
  return node;
}

// PostgreSQL stores "x BETWEEN a AND b" as "x >= a AND x <= b", and "x NOT BETWEEN a AND
// b" as "x < a OR x > b": rewrite the BETWEEN forms to those.
void rewrite_between(PgQuery__Node& node) {
  PgQuery__AExpr& expr = *node.a_expr;
  const bool between = expr.kind == PG_QUERY__A__EXPR__KIND__AEXPR_BETWEEN;
  if ((!between && expr.kind != PG_QUERY__A__EXPR__KIND__AEXPR_NOT_BETWEEN) || !expr.lexpr ||
      !expr.rexpr || expr.rexpr->node_case != PG_QUERY__NODE__NODE_LIST ||
      expr.rexpr->list->n_items != 2) {
    return;
  }
  PgQuery__List* bounds = expr.rexpr->list;
  PgQuery__Node* low = new_operator(between ? ">=" : "<", copy_node(*expr.lexpr),
                                    copy_node(*bounds->items[0]));
  PgQuery__Node* high = new_operator(between ? "<=" : ">", copy_node(*expr.lexpr),
                                     copy_node(*bounds->items[1]));
  auto* combined = new_message(pg_query__bool_expr__init);
  combined->boolop = between ? PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR : PG_QUERY__BOOL_EXPR_TYPE__OR_EXPR;
  combined->n_args = 2;
  combined->args = static_cast<PgQuery__Node**>(std::malloc(2 * sizeof(PgQuery__Node*)));  // NOLINT
  if (!combined->args) std::abort();
  combined->args[0] = low;
  combined->args[1] = high;
  combined->location = -1;
  free_message(node.a_expr);
  node.bool_expr = combined;
  node.node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
}

// Rewrites one node whose children are already rewritten: a cast of a literal to a type is
// the literal ('nz'::character varying -> 'nz', '-1'::integer -> -1, 'f'::boolean -> false,
// ARRAY['a'::varchar]::text[] -> ARRAY['a']), since PostgreSQL adds these casts itself
// when it stores a default or a check; and an IN list is the array form PostgreSQL stores.
void rewrite(PgQuery__Node& node) {
  if (node.node_case == PG_QUERY__NODE__NODE_A_EXPR) {
    PgQuery__AExpr& expr = *node.a_expr;
    // "a LIKE b" is stored as the operator "a ~~ b" (NOT LIKE !~~, ILIKE ~~*, ...).
    if (expr.kind == PG_QUERY__A__EXPR__KIND__AEXPR_LIKE ||
        expr.kind == PG_QUERY__A__EXPR__KIND__AEXPR_ILIKE) {
      expr.kind = PG_QUERY__A__EXPR__KIND__AEXPR_OP;
    }
    rewrite_in_list(expr);
    rewrite_between(node);
    return;
  }
  if (node.node_case != PG_QUERY__NODE__NODE_TYPE_CAST || !node.type_cast->arg ||
      !node.type_cast->type_name) {
    return;
  }
  PgQuery__Node& arg = *node.type_cast->arg;
  const PgQuery__TypeName& type = *node.type_cast->type_name;
  const std::string base = type_base_name(type);
  const bool array = type.n_array_bounds > 0;
  if (arg.node_case == PG_QUERY__NODE__NODE_A_ARRAY_EXPR) {
    unwrap_cast(node);
    return;
  }
  // PostgreSQL casts a varchar/char column to text to compare it ("(country)::text <>
  // 'au'::text"); the column alone means the same.
  if (arg.node_case == PG_QUERY__NODE__NODE_COLUMN_REF && !array &&
      (base == "text" || base == "varchar" || base == "bpchar")) {
    unwrap_cast(node);
    return;
  }
  if (arg.node_case != PG_QUERY__NODE__NODE_A_CONST) return;
  PgQuery__AConst& constant = *arg.a_const;
  if (!array && (base == "bool" || base == "boolean") && !constant.isnull) {
    const std::optional<bool> value = boolean_value(constant);
    if (!value) return;  // not a boolean spelling: keep the cast, PostgreSQL would reject it
    set_boolean(constant, *value);
  } else if (!array && is_numeric_type(base) && constant.val_case == PG_QUERY__A__CONST__VAL_SVAL) {
    const std::string text(trim(constant.sval->sval));
    if (is_numeric_literal(text)) set_number(constant, text);
  }
  unwrap_cast(node);
}

// Visits every message of the tree depth first, children before parents, calling
// rewrite() on each Node. Generic over protobuf-c descriptors, so no node type is missed.
// Set by walk() when a type name carries a modifier that is not a constant: the grammar
// takes any expression there, PostgreSQL refuses it, and the deparser drops it ("::t(f())"
// comes out as "::t()", which does not parse).
// A parameter ($1; "$0" deparses as "?") has no place in a default, check or predicate either.
thread_local const char* t_unsupported = nullptr;

void walk(ProtobufCMessage* message) {
  const ProtobufCMessageDescriptor* descriptor = message->descriptor;
  if (descriptor == &pg_query__type_name__descriptor) {
    const auto& type_name = *reinterpret_cast<PgQuery__TypeName*>(message);
    for (size_t i = 0; i < type_name.n_typmods; ++i)
      if (type_name.typmods[i]->node_case != PG_QUERY__NODE__NODE_A_CONST)
        t_unsupported = "type modifiers must be constants, e.g. varchar(20)";
  } else if (descriptor == &pg_query__param_ref__descriptor) {
    t_unsupported = "a parameter ($n) cannot appear in a schema expression";
  }
  auto* base = reinterpret_cast<char*>(message);
  for (unsigned i = 0; i < descriptor->n_fields; ++i) {
    const ProtobufCFieldDescriptor& field = descriptor->fields[i];
    if (field.type != PROTOBUF_C_TYPE_MESSAGE) continue;
    if (field.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
      uint32_t which = 0;
      std::memcpy(&which, base + field.quantifier_offset, sizeof which);
      if (which != field.id) continue;
    }
    if (field.label == PROTOBUF_C_LABEL_REPEATED) {
      size_t count = 0;
      std::memcpy(&count, base + field.quantifier_offset, sizeof count);
      ProtobufCMessage** items = nullptr;
      std::memcpy(&items, base + field.offset, sizeof items);
      for (size_t k = 0; k < count; ++k) {
        if (items[k]) walk(items[k]);
      }
    } else {
      ProtobufCMessage* child = nullptr;
      std::memcpy(&child, base + field.offset, sizeof child);
      if (child) walk(child);
    }
  }
  if (descriptor == &pg_query__node__descriptor) {
    rewrite(*reinterpret_cast<PgQuery__Node*>(message));
  }
}

// The single target of "SELECT <x>", or null if the text is more than one expression.
PgQuery__Node* single_target(const PgQuery__ParseResult& tree) {
  if (tree.n_stmts != 1 || !tree.stmts[0]->stmt ||
      tree.stmts[0]->stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
    return nullptr;
  }
  const PgQuery__SelectStmt& select = *tree.stmts[0]->stmt->select_stmt;
  if (select.n_target_list != 1 || select.n_from_clause != 0 || select.where_clause ||
      select.n_group_clause != 0 || select.having_clause || select.n_sort_clause != 0 ||
      select.limit_count || select.limit_offset || select.n_window_clause != 0 ||
      select.n_distinct_clause != 0 || select.into_clause || select.with_clause ||
      select.n_locking_clause != 0 || select.op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
    return nullptr;
  }
  PgQuery__Node* target = select.target_list[0];
  if (target->node_case != PG_QUERY__NODE__NODE_RES_TARGET || !target->res_target->val ||
      (target->res_target->name && *target->res_target->name)) {
    return nullptr;
  }
  return target;
}

Error model_error(std::string message) {
  return Error{.code = ErrorCode::model, .message = std::move(message)};
}

// Parses "SELECT <prefix><text>", rewrites, and returns the deparsed text after "SELECT ".
Result<std::string> normalize_once(std::string_view prefix, std::string_view text,
                                   std::string_view what);

// The normal form is a fixed point: the deparser's parentheses can differ between a text and
// its own normal form ("(a AND b) AND c" -> "a AND b AND c"), so normalise until it no longer
// changes (the differ compares normal forms with ==). Found by the fuzzer.
Result<std::string> normalize_select(std::string_view prefix, std::string_view text,
                                     std::string_view what) {
  DISTIL_TRY(std::string normal, normalize_once(prefix, text, what));
  for (int pass = 0; pass < 4; ++pass) {
    auto again = normalize_once(prefix, normal, what);
    if (!again) {
      return fail(model_error(std::string(what) + " \"" + std::string(text) +
                              "\": its normal form does not parse"));
    }
    if (*again == normal) return normal;
    normal = std::move(*again);
  }
  return fail(model_error(std::string(what) + " \"" + std::string(text) +
                          "\": has no stable normal form"));
}

Result<std::string> normalize_once(std::string_view prefix, std::string_view text,
                                   std::string_view what) {
  const std::string head = "SELECT " + std::string(prefix);
  // The parser reads a C string: whatever follows a NUL byte would be silently dropped.
  if (text.find('\0') != std::string_view::npos)
    return fail(model_error(std::string(what) + " contains a NUL byte"));
  auto parsed = parse(head + std::string(text));
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    std::string message = std::string(what) + " \"" + std::string(text) + "\": " + error->message;
    const int at = error->cursor - static_cast<int>(head.size());
    if (at >= 1) message += " at position " + std::to_string(at);
    return fail(model_error(std::move(message)));
  }
  Tree tree = std::move(std::get<Tree>(parsed));
  if (!single_target(*tree)) {
    return fail(
        model_error(std::string(what) + " \"" + std::string(text) + "\": not a single expression"));
  }
  t_unsupported = nullptr;
  walk(&tree->base);
  if (t_unsupported) {
    return fail(model_error(std::string(what) + " \"" + std::string(text) + "\": " + t_unsupported));
  }
  std::optional<std::string> out = deparse(*tree);
  if (!out || !out->starts_with("SELECT ")) {
    return fail(model_error(std::string(what) + " \"" + std::string(text) +
                            "\": libpg_query cannot deparse it"));
  }
  return out->substr(7);
}

// Builtin types by every name the grammar leaves unqualified, mapped to the internal name
// that the grammar itself produces for the SQL-standard spelling ("integer" ->
// pg_catalog.int4), so both spellings deparse alike.
// clang-format off
constexpr std::array<std::pair<std::string_view, std::string_view>, 23> kBuiltinTypes{{
    {"int2", "int2"}, {"int4", "int4"}, {"int8", "int8"},
    {"smallint", "int2"}, {"integer", "int4"}, {"int", "int4"}, {"bigint", "int8"},
    {"bool", "bool"}, {"boolean", "bool"},
    {"float4", "float4"}, {"float8", "float8"}, {"real", "float4"},
    {"numeric", "numeric"}, {"decimal", "numeric"},
    {"varchar", "varchar"}, {"bpchar", "bpchar"},
    {"timestamp", "timestamp"}, {"timestamptz", "timestamptz"},
    {"time", "time"}, {"timetz", "timetz"},
    {"interval", "interval"}, {"bit", "bit"}, {"varbit", "varbit"},
}};
// clang-format on

std::optional<std::string_view> builtin_type(std::string_view name) {
  for (const auto& [alias, internal] : kBuiltinTypes) {
    if (alias == name) return internal;
  }
  return std::nullopt;
}

// Rewrites the TypeName of "NULL::<type>" to its canonical names: builtins qualified as
// pg_catalog.<internal>, "_int4" as int4[].
void canonicalize_type_name(PgQuery__TypeName& type) {
  if (type.n_names == 0 || type.n_names > 2) return;
  auto name_of = [&](size_t i) -> std::optional<std::string> {
    const PgQuery__Node* node = type.names[i];
    if (node->node_case != PG_QUERY__NODE__NODE_STRING || !node->string) return std::nullopt;
    return lower(node->string->sval);
  };
  if (type.n_names == 2 && name_of(0) != "pg_catalog") return;
  std::optional<std::string> name = name_of(type.n_names - 1);
  if (!name) return;
  bool array = false;
  if (name->size() > 1 && name->front() == '_' && builtin_type(name->substr(1))) {
    array = true;
    name = name->substr(1);
  }
  const std::optional<std::string_view> internal = builtin_type(*name);
  if (!internal) return;
  for (size_t i = 0; i < type.n_names; ++i) free_message(type.names[i]);
  std::free(type.names);  // NOLINT: allocated by protobuf-c
  type.names = static_cast<PgQuery__Node**>(std::malloc(2 * sizeof(PgQuery__Node*)));  // NOLINT
  if (!type.names) std::abort();
  type.n_names = 2;
  const std::array<std::string_view, 2> parts{"pg_catalog", *internal};
  for (size_t i = 0; i < 2; ++i) {
    PgQuery__Node* node = new_message(pg_query__node__init);
    node->string = new_message(pg_query__string__init);
    node->string->sval = new_c_string(parts[i]);
    node->node_case = PG_QUERY__NODE__NODE_STRING;
    type.names[i] = node;
  }
  if (array && type.n_array_bounds == 0) {
    PgQuery__Node* bound = new_message(pg_query__node__init);
    bound->integer = new_message(pg_query__integer__init);
    bound->integer->ival = -1;
    bound->node_case = PG_QUERY__NODE__NODE_INTEGER;
    std::free(type.array_bounds);  // NOLINT: allocated by protobuf-c
    type.array_bounds =
        static_cast<PgQuery__Node**>(std::malloc(sizeof(PgQuery__Node*)));  // NOLINT
    if (!type.array_bounds) std::abort();
    type.array_bounds[0] = bound;
    type.n_array_bounds = 1;
  }
}

// Array bounds as written ("integer[3]") are not enforced by PostgreSQL and not stored: every
// bound compares as "[]".
void drop_array_sizes(PgQuery__TypeName& type) {
  for (size_t i = 0; i < type.n_array_bounds; ++i) {
    PgQuery__Node* bound = type.array_bounds[i];
    if (bound->node_case == PG_QUERY__NODE__NODE_INTEGER && bound->integer) {
      bound->integer->ival = -1;
    }
  }
}

// The deparser prints internal names; people (and psql) read the SQL-standard ones.
// clang-format off
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kReadableTypes{{
    {"int", "integer"}, {"int4", "integer"}, {"int2", "smallint"}, {"int8", "bigint"},
    {"bool", "boolean"}, {"float8", "double precision"}, {"float4", "real"},
    {"bpchar", "character"}, {"varchar", "character varying"},
}};
// clang-format on

std::string readable_type(std::string text) {
  // Split "name(mods)[]" and rename the name part only.
  size_t end = text.find_first_of("([");
  if (end == std::string::npos) end = text.size();
  const std::string name = text.substr(0, end);
  for (const auto& [internal, readable] : kReadableTypes) {
    if (name == internal) return std::string(readable) + text.substr(end);
  }
  return text;
}

// A schema names the same few types and defaults thousands of times, and each normal form
// costs a libpg_query parse, a deparse and a parse of the result: at 5000 tables that was
// most of `check`'s CPU on PostgreSQL. Both functions are pure, so their results are kept
// per thread (thread_local: no lock) and bounded, for inputs such as a fuzzer's.
class Memo {
 public:
  template <class Compute>
  Result<std::string> get(std::string_view key, Compute compute) {
    if (auto found = results_.find(std::string(key)); found != results_.end())
      return found->second;
    Result<std::string> result = compute();
    if (results_.size() >= kMaxEntries) results_.clear();
    results_.emplace(std::string(key), result);
    return result;
  }

 private:
  static constexpr std::size_t kMaxEntries = 1 << 16;
  std::unordered_map<std::string, Result<std::string>> results_;
};

Result<std::string> normalize_expression_uncached(std::string_view expression) {
  if (trim(expression).empty()) return fail(model_error("empty SQL expression"));
  return normalize_select("", expression, "expression");
}

Result<std::string> normalize_type_uncached(std::string_view type) {
  const std::string text(trim(type));
  if (text.empty()) return fail(model_error("empty type name"));
  const std::string head = "SELECT NULL::";
  if (text.find('\0') != std::string::npos) return fail(model_error("type name contains a NUL byte"));
  auto parsed = parse(head + text);
  auto bad = [&](const std::string& why) {
    return fail(model_error("type \"" + text + "\": " + why));
  };
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    std::string message = error->message;
    const int at = error->cursor - static_cast<int>(head.size());
    if (at >= 1) message += " at position " + std::to_string(at);
    return bad(message);
  }
  Tree tree = std::move(std::get<Tree>(parsed));
  PgQuery__Node* target = single_target(*tree);
  if (!target || target->res_target->val->node_case != PG_QUERY__NODE__NODE_TYPE_CAST ||
      !target->res_target->val->type_cast->type_name) {
    return bad("not a type name");
  }
  PgQuery__TypeName& type_name = *target->res_target->val->type_cast->type_name;
  // The grammar takes any expression as a type modifier; PostgreSQL then refuses all but
  // constants, and the deparser drops them ("hex(randomblob(4))" came out as "hex()").
  for (size_t i = 0; i < type_name.n_typmods; ++i) {
    if (type_name.typmods[i]->node_case != PG_QUERY__NODE__NODE_A_CONST)
      return bad("type modifiers must be constants, e.g. varchar(20) or numeric(12,2)");
  }
  canonicalize_type_name(type_name);
  drop_array_sizes(type_name);
  std::optional<std::string> out = deparse(*tree);
  if (!out || !out->starts_with(head)) return bad("libpg_query cannot deparse it");
  std::string normal = readable_type(out->substr(head.size()));
  // The grammar lets "int8(3)" through as a generic name with a modifier, but the canonical
  // "bigint(3)" does not parse: a type whose normal form does not parse is refused.
  if (std::holds_alternative<ParseError>(parse(head + normal)))
    return bad("not a valid type (does \"" + normal + "\" take modifiers?)");
  return normal;
}

}  // namespace

Result<std::string> normalize_expression(std::string_view expression) {
  thread_local Memo memo;
  return memo.get(expression, [&] { return normalize_expression_uncached(expression); });
}

Result<std::string> normalize_type(std::string_view type) {
  thread_local Memo memo;
  return memo.get(type, [&] { return normalize_type_uncached(type); });
}

Result<void> validate_sql(std::string_view sql) {
  auto parsed = parse(std::string(sql));
  if (auto* error = std::get_if<ParseError>(&parsed)) {
    std::string message = error->message;
    if (error->cursor >= 1) {
      const auto [line, position] = line_and_position(sql, error->cursor);
      message += " at line " + std::to_string(line) + ", position " + std::to_string(position);
    }
    return fail(Error{.code = ErrorCode::revision, .message = std::move(message)});
  }
  return {};
}

std::optional<std::string> outside_transaction_reason(std::string_view sql) {
  PgQueryParseResult result = pg_query_parse(std::string(sql).c_str());
  std::optional<std::string> reason;
  if (!result.error && result.parse_tree) {
    // The JSON parse tree names each statement's node; these are the statements PostgreSQL
    // refuses inside a transaction block.
    std::string_view tree = result.parse_tree;
    auto has = [&](std::string_view needle) { return tree.find(needle) != std::string_view::npos; };
    if (has("\"IndexStmt\"") && has("\"concurrent\":true")) {
      reason = "CREATE/DROP INDEX CONCURRENTLY";
    } else if (has("\"ReindexStmt\"") && has("\"concurrently\"")) {
      reason = "REINDEX CONCURRENTLY";
    } else if (has("\"DropStmt\"") && has("\"concurrent\":true")) {
      reason = "DROP INDEX CONCURRENTLY";
    } else if (has("\"AlterEnumStmt\"")) {
      reason = "ALTER TYPE ... ADD VALUE";
    } else if (has("\"VacuumStmt\"")) {
      reason = "VACUUM";
    } else if (has("\"CreatedbStmt\"") || has("\"DropdbStmt\"")) {
      reason = "CREATE/DROP DATABASE";
    } else if (has("\"AlterSystemStmt\"")) {
      reason = "ALTER SYSTEM";
    }
  }
  pg_query_free_parse_result(result);
  return reason;
}

Result<void> validate_revision_sql(const Revision& revision, bool include_any) {
  auto check = [&](const std::vector<Op>& ops, const std::vector<int>& lines,
                   std::string_view direction) -> Result<void> {
    for (size_t i = 0; i < ops.size(); ++i) {
      const auto* raw = std::get_if<RawSql>(&ops[i]);
      if (!raw) continue;
      const std::string* text = nullptr;
      if (auto it = raw->by_dialect.find("postgresql"); it != raw->by_dialect.end()) {
        text = &it->second;
      } else if (raw->any && include_any) {
        text = &*raw->any;
      }
      if (!text) continue;
      if (auto valid = validate_sql(*text); !valid) {
        return fail(Error{.code = ErrorCode::revision,
                          .message = std::string(direction) + " op " + std::to_string(i + 1) +
                                     ": " + valid.error().message,
                          .where = {.file = revision.path,
                                    .line = i < lines.size() ? lines[i] : 0,
                                    .revision = revision.id}});
      }
      if (!revision.transactional) continue;
      if (auto reason = outside_transaction_reason(*text)) {
        return fail(Error{.code = ErrorCode::revision,
                          .message = std::string(direction) + " op " + std::to_string(i + 1) +
                                     ": " + *reason +
                                     " cannot run inside a transaction; add `transaction: false` "
                                     "to this revision (its ops then run outside a transaction, "
                                     "so keep it to this one op)",
                          .where = {.file = revision.path,
                                    .line = i < lines.size() ? lines[i] : 0,
                                    .revision = revision.id}});
      }
    }
    return {};
  };
  DISTIL_CHECK(check(revision.upgrade, revision.upgrade_lines, "upgrade"));
  DISTIL_CHECK(check(revision.downgrade, revision.downgrade_lines, "downgrade"));
  return {};
}

}  // namespace distil::model::sql
