# distil_warnings: the warning set every target of ours builds with (never exported).
option(DISTIL_WARNINGS_AS_ERRORS "Turn warnings into errors (CI)" OFF)
add_library(distil_warnings INTERFACE)
target_compile_options(distil_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wno-missing-field-initializers)
if(DISTIL_WARNINGS_AS_ERRORS)
  target_compile_options(distil_warnings INTERFACE -Werror)
endif()
