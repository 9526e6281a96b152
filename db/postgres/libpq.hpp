// libpq, loaded when a PostgreSQL connection is first made (dlopen of libpq.so.5), not when
// the program starts: libpq brings in Kerberos, LDAP, GnuTLS and OpenSSL, whose loading and
// relocation cost every command about 5 ms, SQLite ones included.
//
// Code in namespace distil::db::postgres calls libpq by its own names (PQexec, PQclear...):
// each name below is an object here, so an unqualified call finds it instead of the global
// function (ordinary lookup stops at an object, and argument-dependent lookup is not done),
// and the call goes through the loaded library. Call load() before anything else.
#pragma once

#include <libpq-fe.h>

#include <utility>

#include "model/result.hpp"

namespace distil::db::postgres {

#define DISTIL_LIBPQ_FUNCTIONS(X)                                                       \
  X(PQclear) X(PQcmdStatus) X(PQconnectdb) X(PQconninfoFree) X(PQconninfoParse) X(PQdb) \
  X(PQerrorMessage) X(PQexec) X(PQexecParams) X(PQfinish) X(PQfreemem) X(PQgetisnull)  \
  X(PQgetlength) X(PQgetvalue) X(PQhost) X(PQnfields) X(PQntuples) X(PQport)            \
  X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus)                       \
  X(PQsetClientEncoding) X(PQsetNoticeProcessor) X(PQstatus) X(PQtransactionStatus)     \
  X(PQuser)

namespace libpq {

struct Api {
#define DISTIL_LIBPQ_POINTER(name) decltype(&::name) name = nullptr;
  DISTIL_LIBPQ_FUNCTIONS(DISTIL_LIBPQ_POINTER)
#undef DISTIL_LIBPQ_POINTER
};

// The loaded functions. REQUIRES: load() succeeded.
const Api& api();

}  // namespace libpq

// Loads libpq once (thread-safe); an error names the library and says why (dlerror).
model::Result<void> load_libpq();

#define DISTIL_LIBPQ_CALL(name)                                        \
  inline constexpr auto name = [](auto&&... args) {                    \
    return libpq::api().name(std::forward<decltype(args)>(args)...); \
  };
DISTIL_LIBPQ_FUNCTIONS(DISTIL_LIBPQ_CALL)
#undef DISTIL_LIBPQ_CALL

}  // namespace distil::db::postgres
