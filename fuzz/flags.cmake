# Included by the top-level CMakeLists.txt when DISTIL_FUZZ=ON, before any library is
# defined: every library gets libFuzzer's coverage instrumentation (fuzzer-no-link) and ASan
# + UBSan, with UBSan fatal so that undefined behaviour is a finding, not a log line.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "DISTIL_FUZZ=ON needs clang (libFuzzer): configure with CC=clang CXX=clang++")
endif()
if(DISTIL_SANITIZE)
  message(FATAL_ERROR "DISTIL_FUZZ=ON sets its own sanitizers; leave DISTIL_SANITIZE empty")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
  -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
