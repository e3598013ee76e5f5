# The optional CUDA library, libsoftmax4j_cuda.so: built wherever nvcc is
# found (S4J_CUDA=AUTO, the default), required with S4J_CUDA=ON, skipped
# with OFF. The CUDA runtime is linked statically, so a user needs only the
# NVIDIA driver; without one the library still loads and reports "no GPU".
set(S4J_CUDA AUTO CACHE STRING "build the CUDA library: AUTO, ON or OFF")
set(S4J_CUDA_ARCHITECTURES "80;90" CACHE STRING "GPU architectures (sm_80 Ampere, sm_90 Hopper)")

set(S4J_HAVE_CUDA OFF)
if(NOT S4J_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_ARCHITECTURES ${S4J_CUDA_ARCHITECTURES})
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_FLAGS_RELEASE "-O3 -DNDEBUG")
    set(S4J_HAVE_CUDA ON)
  elseif(S4J_CUDA STREQUAL "ON")
    message(FATAL_ERROR "S4J_CUDA=ON but no CUDA compiler (nvcc) was found")
  else()
    message(STATUS "softmax4j: nvcc not found, building without the CUDA library")
  endif()
endif()
