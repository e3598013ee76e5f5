# Per-file instruction-set flags. Only the listed files get them, so the
# portable code (and the scalar kernels) stay runnable on any x86-64: with
# -mavx2 everywhere gcc would vectorise the "scalar" fallback with AVX2 too.
set(S4J_ISA_FLAGS_AVX2 "-mavx2 -mfma -mf16c")
set(S4J_ISA_FLAGS_AVX512 "-mavx512f -mavx2 -mfma -mf16c")

function(s4j_isa_sources isa)
  set_source_files_properties(${ARGN} PROPERTIES COMPILE_FLAGS "${S4J_ISA_FLAGS_${isa}}")
endfunction()
