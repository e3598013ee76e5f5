/*
 * softmax4j_cuda_jni.h — adapters between the JavaCPP-generated JNI glue of
 * JniCudaNatives and the s4j_cuda_ functions of softmax4j.h. Device pointers
 * and streams arrive as 64-bit integers; a host buffer as (array, offset):
 * a pinned Java array plus a byte offset, or a NULL array plus an absolute
 * address (a native MemorySegment).
 */
#ifndef SOFTMAX4J_CUDA_JNI_H
#define SOFTMAX4J_CUDA_JNI_H

#include <stdint.h>

#include "softmax4j.h"

static inline int s4j_jni_cuda_memcpy_host(int64_t device, void *host, int64_t host_off,
                                           int64_t bytes, int32_t kind, int64_t stream) {
    void *h = host ? (void *)((char *)host + host_off) : (void *)(uintptr_t)host_off;
    void *d = (void *)(uintptr_t)device, *s = (void *)(uintptr_t)stream;
    return kind == 0 ? s4j_cuda_memcpy(d, h, bytes, 0, s) : s4j_cuda_memcpy(h, d, bytes, kind, s);
}

#endif
