# The glibc floor of the shipped libraries: they must load on glibc 2.17
# (RHEL 7, Amazon Linux 2) although the build machine's glibc is newer.
# native/compat/glibc_compat.h says why, symbol by symbol; this module
# applies it to a target:
#   s4j_glibc_compat(target)     force-include the header (C, C++, CUDA host)
#   s4j_glibc_wrap(target)       --wrap the libc list for prebuilt objects
#                                (libcudart_static.a), with glibc_wrap.c
#   s4j_glibc_needed(target so…) keep libpthread.so.0 etc. in NEEDED: on
#                                2.17 the old-version symbols live there
# The JNI glue is compiled by JavaCPP, not CMake: this module writes the
# options for it into <build>/glibc_compat_jni.rsp, which java/core/pom.xml
# hands to g++ (@file). native/test/check_glibc.sh verifies the outcome.
option(S4J_GLIBC_COMPAT "bind glibc symbols to the versions glibc 2.17 has" ON)
set(S4J_GLIBC_COMPAT_DIR ${CMAKE_CURRENT_LIST_DIR}/../native/compat)
set(S4J_GLIBC_COMPAT_HEADER ${S4J_GLIBC_COMPAT_DIR}/glibc_compat.h)

if(S4J_GLIBC_COMPAT AND NOT (CMAKE_SYSTEM_NAME STREQUAL "Linux"
                             AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$"))
  set(S4J_GLIBC_COMPAT OFF)
endif()

# the functions to --wrap: the S4J_LIBC_SYM entries of the header
file(READ ${S4J_GLIBC_COMPAT_HEADER} _s4j_header)
string(REGEX MATCHALL "S4J_LIBC_SYM\\([a-z_0-9]+," _s4j_entries "${_s4j_header}")
string(REGEX REPLACE "S4J_LIBC_SYM\\(([a-z_0-9]+)," "--wrap=\\1" _s4j_wraps "${_s4j_entries}")
list(JOIN _s4j_wraps "," S4J_GLIBC_WRAP_OPTIONS)

# JavaCPP's g++ command for the JNI glue (libjniJni*.so, C++):
#  - the header, for the generated code (dlopen, dlsym);
#  - -static-libstdc++: RHEL 7's libstdc++ (GLIBCXX_3.4.19, CXXABI_1.3.7) is
#    older than what gcc 12's code asks for (CXXABI_1.3.8). libgcc stays
#    shared: gcc 12's static unwinder (libgcc_eh.a) finds FDEs with
#    _dl_find_object, GLIBC_2.35, while libgcc_s.so.1 is the system's and
#    asks only for GCC_3.0 to GCC_4.2.0 (gcc 4.8.5's goes to GCC_4.8.0);
#  - glibc_wrap.c for libstdc++.a: __libc_single_threaded (GLIBC_2.32) and
#    any libc call in the list; --gc-sections drops the trampolines nothing
#    calls (and their glibc references);
#  - libdl/libpthread in NEEDED (where glibc 2.17 has dlopen, pthread_*).
if(S4J_GLIBC_COMPAT)
  set(_s4j_jni_options
      "'--include=${S4J_GLIBC_COMPAT_HEADER}'"
      -static-libstdc++
      -DS4J_GLIBC_WRAP_LIBSTDCXX
      "'${S4J_GLIBC_COMPAT_DIR}/glibc_wrap.c'"
      -Wl,--gc-sections
      "-Wl,${S4J_GLIBC_WRAP_OPTIONS},--wrap=__libc_single_threaded"
      "-Wl,--push-state,--no-as-needed,-l:libdl.so.2,-l:libpthread.so.0,--pop-state")
else()
  set(_s4j_jni_options "")
endif()
list(JOIN _s4j_jni_options "\n" _s4j_jni_rsp)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/glibc_compat_jni.rsp CONTENT "${_s4j_jni_rsp}\n" @ONLY)

function(s4j_glibc_compat target)
  if(NOT S4J_GLIBC_COMPAT)
    return()
  endif()
  target_compile_options(${target} PRIVATE
      "$<$<COMPILE_LANGUAGE:C,CXX>:--include=${S4J_GLIBC_COMPAT_HEADER}>"
      "$<$<COMPILE_LANGUAGE:CUDA>:--pre-include=${S4J_GLIBC_COMPAT_HEADER}>")
endfunction()

function(s4j_glibc_wrap target)
  if(NOT S4J_GLIBC_COMPAT)
    return()
  endif()
  target_sources(${target} PRIVATE ${S4J_GLIBC_COMPAT_DIR}/glibc_wrap.c)
  target_link_options(${target} PRIVATE "LINKER:${S4J_GLIBC_WRAP_OPTIONS}")
endfunction()

# --no-as-needed: nothing resolves to these stubs on glibc >= 2.34, and a
# toolchain that defaults to --as-needed would drop them.
function(s4j_glibc_needed target)
  if(NOT S4J_GLIBC_COMPAT)
    return()
  endif()
  set(_libs "")
  foreach(_so IN LISTS ARGN)
    string(APPEND _libs ",-l:${_so}")
  endforeach()
  target_link_options(${target} PRIVATE "LINKER:--push-state,--no-as-needed${_libs},--pop-state")
endfunction()
