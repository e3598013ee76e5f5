/*
 * ce_options.h — the one validation of s4j_ce_options, shared by the CPU
 * library (cpu/) and the CUDA library (cuda/): header-only, so that both
 * compile it into themselves (nvcc as C++, gcc as C) and agree by
 * construction. Not part of the ABI.
 */
#ifndef S4J_CE_OPTIONS_H
#define S4J_CE_OPTIONS_H

#include <math.h>

#include "softmax4j.h"

#include <stddef.h>

// The layout the Java bindings write (internal/abi/CeOptionsStruct.java): a
// change here is a change there.
#ifdef __cplusplus
static_assert(sizeof(s4j_ce_options) == 32 && offsetof(s4j_ce_options, ignore_index) == 8 &&
                  offsetof(s4j_ce_options, softcap) == 28,
              "s4j_ce_options changed: update CeOptionsStruct.java");
#else
_Static_assert(sizeof(s4j_ce_options) == 32 && offsetof(s4j_ce_options, ignore_index) == 8 &&
                   offsetof(s4j_ce_options, softcap) == 28,
               "s4j_ce_options changed: update CeOptionsStruct.java");
#endif

// Nonzero when *o is valid for a kernel that does soft-capping
// (with_softcap != 0) or not; the rules are softmax4j.h's.
static inline int s4j_ce_options_valid(const s4j_ce_options *o, int with_softcap) {
    return o && o->reduction >= S4J_REDUCE_NONE && o->reduction <= S4J_REDUCE_MEAN &&
           o->label_smoothing >= 0.0f && o->label_smoothing < 1.0f && o->z_loss >= 0.0f &&
           isfinite(o->z_loss) && isfinite(o->grad_scale) && o->softcap >= 0.0f &&
           isfinite(o->softcap) && (with_softcap || o->softcap == 0.0f);
}

#endif
