# -DS4J_SANITIZE=ON builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer (for the C tests; never for what ships).
option(S4J_SANITIZE "build with ASan + UBSan" OFF)
if(S4J_SANITIZE)
  set(S4J_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${S4J_SAN_FLAGS} -O1 -g)
  add_link_options(${S4J_SAN_FLAGS})
endif()
