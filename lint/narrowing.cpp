// L003: which type changes can lose or reject existing values. Types compare in the
// differ's canonical spelling (differ::canonical_type), so "character varying(100)" and
// "VARCHAR(100)" are the same type.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "differ/diff.hpp"
#include "lint/lint.hpp"

namespace distil::lint {
namespace {

enum class Family { integer, floating, numeric, string, temporal, other };

struct TypeInfo {
  Family family = Family::other;
  int rank = 0;                      // integer: bytes; floating: bytes; temporal: see below
  std::optional<long long> length;   // string: max characters (nullopt: unbounded)
  std::optional<int> precision, scale;  // numeric (nullopt precision: unbounded)
  std::string array;                 // "[]" suffixes
  std::string text;                  // canonical
};

std::optional<long long> number(std::string_view text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

TypeInfo describe(std::string_view type) {
  TypeInfo info;
  info.text = differ::canonical_type(type);
  std::string base = info.text;
  while (base.ends_with("[]")) {
    info.array += "[]";
    base.resize(base.size() - 2);
  }
  std::string args;
  if (const size_t open = base.find('('); open != std::string::npos && base.back() == ')') {
    args = base.substr(open + 1, base.size() - open - 2);
    base = base.substr(0, open);
  } else if (open != std::string::npos) {
    return info;  // modifiers mid-name ("timestamp(3) with time zone"): not judged
  }
  std::optional<long long> first, second;
  if (!args.empty()) {
    const size_t comma = args.find(',');
    first = number(args.substr(0, comma));
    if (comma != std::string::npos) second = number(args.substr(comma + 1));
    if (!first || (comma != std::string::npos && !second)) return info;
  }
  if (base == "smallint" || base == "smallserial") {
    info.family = Family::integer;
    info.rank = 2;
  } else if (base == "integer" || base == "serial" || base == "mediumint") {
    info.family = Family::integer;
    info.rank = 4;
  } else if (base == "bigint" || base == "bigserial") {
    info.family = Family::integer;
    info.rank = 8;
  } else if (base == "real") {
    info.family = Family::floating;
    info.rank = 4;
  } else if (base == "double precision" || base == "float") {
    info.family = Family::floating;
    info.rank = 8;
  } else if (base == "numeric") {
    info.family = Family::numeric;
    if (first) {
      info.precision = static_cast<int>(*first);
      info.scale = static_cast<int>(second.value_or(0));
    }
  } else if (base == "text" || base == "clob" || base == "string") {
    info.family = Family::string;
  } else if (base == "varchar" || base == "nvarchar") {
    info.family = Family::string;
    info.length = first;  // PostgreSQL's bare varchar is unbounded
  } else if (base == "char" || base == "nchar" || base == "bpchar") {
    info.family = Family::string;
    info.length = first.value_or(1);
  } else if (base == "timestamptz" || base == "timestamp") {
    info.family = Family::temporal;
    info.rank = 2;  // date and time of day
  } else if (base == "date") {
    info.family = Family::temporal;
    info.rank = 1;
  }
  return info;
}

// Decimal digits of the largest value of an integer type (and one for the sign).
int integer_digits(int bytes) { return bytes == 2 ? 5 : bytes == 4 ? 10 : 19; }

std::string n(long long value) { return std::to_string(value); }

}  // namespace

std::string narrowing(std::string_view from_type, std::string_view to_type) {
  const TypeInfo from = describe(from_type);
  const TypeInfo to = describe(to_type);
  if (from.text == to.text || from.array != to.array) return {};
  switch (from.family) {
    case Family::integer:
      if (to.family == Family::integer && to.rank < from.rank)
        return to.text + " holds a smaller range than " + from.text +
               ": larger values make the migration fail";
      if (to.family == Family::numeric && to.precision &&
          *to.precision - to.scale.value_or(0) < integer_digits(from.rank))
        return to.text + " has " + n(*to.precision - to.scale.value_or(0)) +
               " digits before the point; " + from.text + " values need up to " +
               n(integer_digits(from.rank));
      if (to.family == Family::string && to.length && *to.length < integer_digits(from.rank) + 1)
        return to.text + " holds " + n(*to.length) + " characters; " + from.text +
               " values need up to " + n(integer_digits(from.rank) + 1);
      return {};
    case Family::floating:
      if (to.family == Family::floating && to.rank < from.rank)
        return to.text + " keeps fewer significant digits than " + from.text;
      if (to.family == Family::integer) return "the fractional part of every value is lost";
      if (to.family == Family::numeric && to.precision)
        return "values are rounded to " + n(to.scale.value_or(0)) +
               " decimal places, and larger ones make the migration fail";
      return {};
    case Family::numeric:
      if (to.family == Family::integer) return "the fractional part of every value is lost";
      if (to.family == Family::floating)
        return to.text + " is approximate: exact decimal values are rounded";
      if (to.family == Family::numeric && to.precision) {
        if (!from.precision) return to.text + " bounds the values of unbounded " + from.text;
        const int from_int = *from.precision - from.scale.value_or(0);
        const int to_int = *to.precision - to.scale.value_or(0);
        if (to.scale.value_or(0) < from.scale.value_or(0))
          return "the scale goes down from " + n(from.scale.value_or(0)) + " to " +
                 n(to.scale.value_or(0)) + ": values are rounded";
        if (to_int < from_int)
          return to.text + " has " + n(to_int) + " digits before the point, " + from.text +
                 " has " + n(from_int) + ": larger values make the migration fail";
      }
      return {};
    case Family::string:
      if (to.family == Family::string && to.length && (!from.length || *to.length < *from.length))
        return to.text + " holds " + n(*to.length) + " characters, " + from.text + " " +
               (from.length ? "up to " + n(*from.length) : std::string("any number")) +
               ": longer values make the migration fail (PostgreSQL) or no longer fit the model";
      return {};
    case Family::temporal:
      if (to.family == Family::temporal && to.rank < from.rank)
        return "the time of day of every value is lost";
      return {};
    case Family::other:
      return {};
  }
  return {};
}

}  // namespace distil::lint
