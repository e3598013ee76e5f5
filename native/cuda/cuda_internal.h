/*
 * cuda_internal.h — what the CUDA files share: error reporting. Not ABI.
 */
#ifndef S4J_CUDA_INTERNAL_H
#define S4J_CUDA_INTERNAL_H

#include <cuda_runtime.h>

// S4J_OK, or S4J_ERR_CUDA with "what: message" kept for s4j_cuda_last_error.
int s4j_cuda_check(cudaError_t err, const char *what);

#endif
