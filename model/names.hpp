// Deterministic names for unnamed constraints and indexes (DESIGN §4), shared by the YAML
// model loader, the revision parser and the emitters. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace distil::model {

// PostgreSQL's NAMEDATALEN - 1; SQLite has no limit, but one name must fit both.
inline constexpr std::size_t kMaxIdentifierBytes = 63;

// 32-bit FNV-1a of `text`: stable across platforms and releases (names depend on it).
std::uint32_t fnv1a32(std::string_view text);

// `name` itself when it fits kMaxIdentifierBytes; otherwise its first bytes (never half a
// UTF-8 character), "_" and 8 lower-case hex digits of fnv1a32(name), 63 bytes at most.
std::string fit_identifier(std::string_view name);

// pk_<table>
std::string primary_key_name(std::string_view table);
// uq_<table>_<col1>_<col2>...
std::string unique_name(std::string_view table, const std::vector<std::string>& columns);
// ix_<table>_<col1>_<col2>...; characters of expression columns that are not letters,
// digits or "_" become "_".
std::string index_name(std::string_view table, const std::vector<std::string>& columns);
// fk_<table>_<cols>_<ref_table>
std::string foreign_key_name(std::string_view table, const std::vector<std::string>& columns,
                             std::string_view ref_table);
// ck_<table>_<n>, where `n` is the 1-based position of the check in its table.
std::string check_name(std::string_view table, int n);

}  // namespace distil::model
