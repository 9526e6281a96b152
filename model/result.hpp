// Errors as values: every public function that can fail on input, files or a database
// returns Result<T>. Only cli/main.cpp prints errors and picks the exit status.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace distil::model {

enum class ErrorCode { usage, config, model, revision, unsupported, database, io, internal };

// Where the fault is; every field is optional, set what is known.
struct Where {
  std::string file;
  int line = 0;
  std::string revision, table, column;
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  Where where;
};

// "file:line: revision X: table "t", column "c": message" with the parts that are set.
std::string format_error(const Error& error);

// True for the errors that exit with status 2 (usage and config), false for status 1.
bool is_usage_error(const Error& error);

struct Unexpected {
  Error error;
};
inline Unexpected fail(Error error) { return Unexpected{std::move(error)}; }

// A minimal std::expected<T, Error> (GCC 12 has <expected> only as C++23, and Debian 12
// ships no tl-expected package).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(const T& value) : data_(std::in_place_index<0>, value) {}  // NOLINT: implicit by design
  Result(T&& value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Unexpected u) : data_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, T> &&
             !std::is_same_v<std::decay_t<U>, Unexpected> && !std::is_same_v<std::decay_t<U>, Result>)
  Result(U&& value) : data_(std::in_place_index<0>, T(std::forward<U>(value))) {}  // NOLINT

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { assert(has_value() && "Result holds an error"); return std::get<0>(data_); }
  const T& value() const& { assert(has_value() && "Result holds an error"); return std::get<0>(data_); }
  T&& value() && { assert(has_value() && "Result holds an error"); return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { assert(!has_value() && "Result holds a value"); return std::get<1>(data_); }
  Error& error() { assert(!has_value() && "Result holds a value"); return std::get<1>(data_); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)), ok_(false) {}  // NOLINT: implicit by design
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const { assert(ok_ && "Result holds an error"); }
  const Error& error() const { assert(!ok_ && "Result holds a value"); return error_; }
  Error& error() { assert(!ok_ && "Result holds a value"); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace distil::model

#define DISTIL_CONCAT_INNER_(a, b) a##b
#define DISTIL_CONCAT_(a, b) DISTIL_CONCAT_INNER_(a, b)
// DISTIL_TRY(auto x, expr): evaluates expr (a Result); on error returns it from the
// enclosing function, otherwise declares x with the value.
#define DISTIL_TRY(decl, expr)                                                  \
  auto DISTIL_CONCAT_(distil_try_, __LINE__) = (expr);                         \
  if (!DISTIL_CONCAT_(distil_try_, __LINE__))                                  \
    return ::distil::model::fail(std::move(DISTIL_CONCAT_(distil_try_, __LINE__).error())); \
  decl = std::move(*DISTIL_CONCAT_(distil_try_, __LINE__))
// DISTIL_CHECK(expr): for Result<void>; on error returns it from the enclosing function.
#define DISTIL_CHECK(expr)                                                        \
  do {                                                                            \
    auto distil_check_ = (expr);                                                  \
    if (!distil_check_) return ::distil::model::fail(std::move(distil_check_.error())); \
  } while (false)
