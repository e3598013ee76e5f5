# Compiler flags of every softmax4j C file. What ships is built for baseline
# x86-64 (-march is never native); ISA-specific files add their own flags
# (Softmax4jIsa.cmake).
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "build type" FORCE)
endif()
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS ON) # _Float16, __attribute__
set(CMAKE_C_FLAGS_RELEASE "-O3 -DNDEBUG")
add_compile_options(-Wall -Wextra -Wno-unused-parameter -fno-math-errno)

# Shared-library link options: no undefined symbols, no executable stack.
function(s4j_link_options target)
  target_link_options(${target} PRIVATE -Wl,--no-undefined -Wl,-z,noexecstack)
endfunction()
