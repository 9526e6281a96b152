# DISTIL_SANITIZE=address,undefined builds everything with those sanitizers.
set(DISTIL_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
if(DISTIL_SANITIZE)
  add_compile_options(-fsanitize=${DISTIL_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${DISTIL_SANITIZE})
endif()
