// Internal to emitters: the YAML text helpers the revision writer and the model writer share
// (scalar quoting, flow/block layout, columns and constraints in DESIGN §4's vocabulary).
// Hand-written rather than yaml-cpp's emitter, for exact control of quoting and flow style;
// model/yaml reads the result back.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/schema.hpp"

namespace distil::emitters::yaml_text {

// False only for text that every YAML reader takes back as the same string when written
// plain. In a block value (`block`), a ":" not followed by a space is plain text
// (2026-11-26T01:00:00Z); in flow style some parsers stop at any ":", so there it is quoted.
bool needs_quotes(std::string_view text, bool block = false);
// `text` as a YAML double-quoted scalar, escapes included.
std::string double_quoted(std::string_view text);
std::string plain_or_quoted(std::string_view text, bool block = false);
// Whether a multi-line string reads back exactly from a literal block (`|`).
bool fits_literal_block(std::string_view text);
// Replaces line breaks and control characters, for text that goes into a `#` comment.
std::string one_line(std::string_view text);

// A value to write: scalars already rendered, so layout only decides flow vs block.
struct Value {
  enum class Kind { scalar, literal, list, map };
  Kind kind = Kind::scalar;
  std::string text;  // scalar: as written (quoted if needed); literal: the raw string
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> fields;

  Value& add(std::string key, Value value) {
    fields.emplace_back(std::move(key), std::move(value));
    return *this;
  }
};

Value scalar(std::string_view text);         // plain when safe, else double-quoted
Value always_quoted(std::string_view text);  // double-quoted
Value boolean(bool value);
Value null_value();
Value map();
// SQL text: always quoted, or a literal block when multi-line.
Value sql_text(std::string_view text);
Value names(const std::vector<std::string>& list);
Value list(std::vector<Value> items);

// The value on one line, in flow style.
std::string flow(const Value& value);
// A mapping whose values are all scalars or lists of scalars fits on one flow line.
bool is_flat(const Value& value);
void write_literal(std::string& out, std::string_view text, int indent);
// `key: value` (the key already written) for a value in block position at `indent`: lists
// of mappings one flow item a line, nested mappings in block style, the rest in flow style.
void write_block_value(std::string& out, const Value& value, int indent);

// A column's flow mapping: only what differs from the defaults. `primary_key` marks a
// single-column key (written on the column).
Value column_value(const model::Column& column, bool primary_key);
// The fields of a constraint or index, appended to `v`; an empty name is not written.
Value unique_fields(Value v, const model::Unique& unique);
Value index_fields(Value v, const model::Index& index);
Value foreign_key_fields(Value v, const model::ForeignKey& fk);
Value check_fields(Value v, const model::Check& check);

}  // namespace distil::emitters::yaml_text
