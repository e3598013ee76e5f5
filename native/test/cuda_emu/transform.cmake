# transform.cmake — a CUDA source (.cu, .cuh) as host C++ for the CUDA
# emulator:  cmake -DIN=native/cuda/gemm.cu -DOUT=gemm.cpp -P transform.cmake
# Three rewrites, none changing the line count (a #line directive then
# points compiler messages and sanitizer reports at the CUDA file):
#   kernel<<<g, b, s, st>>>(args)  ->  emu::launch(kernel, emu::config(g, b, s, st))(args)
#   __shared__ T x[N];             ->  a per-block emu::shared_var<T[N]> x
#   extern __shared__ T x[];       ->  T *const x = the block's dynamic shared memory
#   asm volatile("cp.async.commit_group;\n" ::);  ->  emu::ptx::cp_async_commit_group();
#     (any instruction: its name with _ for ., the operands in order; the
#     emulator defines the ones the kernels use)
file(READ "${IN}" src)
set(id "[A-Za-z_][A-Za-z0-9_]*")
set(type "[^;[\n]*[^;[\n ]") # up to the declared name

# launches (a kernel is a name, maybe with template arguments)
string(REGEX REPLACE "(${id}(<[^<>;()]*>)?)[ ]*<<<([^;]*)>>>"
       "emu::launch(\\1, emu::config(\\3))" src "${src}")

# dynamic, then static shared memory
string(REGEX REPLACE "extern __shared__ __align__\\(([0-9]+)\\) (${type}) (${id})\\[\\];"
       "\\2 *const \\3 = (\\2 *)emu::dynamic_shared(\\1);" src "${src}")
string(REGEX REPLACE "extern __shared__ (${type}) (${id})\\[\\];"
       "\\1 *const \\2 = (\\1 *)emu::dynamic_shared(alignof(\\1));" src "${src}")
string(REGEX REPLACE "__shared__ __align__\\(([0-9]+)\\) (${type}) (${id})([^;\n]*);"
       "static emu::shared_var<\\2\\4> emu_shared_\\3; auto &\\3 = emu_shared_\\3.get(\\1);"
       src "${src}")
string(REGEX REPLACE "__shared__ (${type}) (${id})([^;\n]*);"
       "static emu::shared_var<\\1\\3> emu_shared_\\2; auto &\\2 = emu_shared_\\2.get();"
       src "${src}")

# inline PTX
set(asm_re "asm[ ]+volatile[ ]*\\([ ]*\"([^\"]*)\"([^;]*)\\);")
while(src MATCHES "${asm_re}")
  set(stmt "${CMAKE_MATCH_0}")
  set(tmpl "${CMAKE_MATCH_1}")
  set(constraints "${CMAKE_MATCH_2}")
  string(REGEX REPLACE "(\\\\n|;|[ \t])+$" "" tmpl "${tmpl}")
  string(REGEX MATCH "^([^ \t]+)[ \t]*(.*)$" tmpl "${tmpl}") # instruction, fields
  set(rest "${CMAKE_MATCH_2}")
  string(REPLACE "." "_" call "emu::ptx::${CMAKE_MATCH_1}")
  # operands: "r"(expr), "l"(expr), "n"(expr), ... in order
  string(REGEX MATCHALL "\"[=+&a-z]+\"[ ]*\\([^()]*\\)" operands "${constraints}")
  list(TRANSFORM operands REPLACE "^\"[=+&a-z]+\"[ ]*\\(([^()]*)\\)$" "\\1")
  set(args "")
  if(NOT rest STREQUAL "")
    string(REPLACE "," ";" fields "${rest}")
    foreach(f IN LISTS fields)
      string(REGEX REPLACE "[][ \t]" "" f "${f}")
      if(f MATCHES "^%([0-9]+)$")
        list(GET operands ${CMAKE_MATCH_1} f)
      endif()
      list(APPEND args "${f}")
    endforeach()
  endif()
  list(JOIN args ", " args)
  string(REGEX REPLACE "[^\n]" "" newlines "${stmt}")
  string(REPLACE "${stmt}" "${call}(${args});${newlines}" src "${src}")
endwhile()
if(src MATCHES "asm[ ]*(volatile)?[ ]*\\(")
  message(FATAL_ERROR "${IN}: inline assembly that transform.cmake cannot rewrite")
endif()

file(WRITE "${OUT}" "#include <cuda_runtime.h>\n#line 1 \"${IN}\"\n${src}")
