/*
 * cuda_fp16.h (CUDA emulator) — IEEE binary16 through the compiler's
 * _Float16, whose conversion from float rounds to nearest, ties to even
 * (subnormals and overflow to infinity included), as __float2half_rn.
 */
#pragma once

#include <cstdint>
#include <cstring>

struct __half {
    uint16_t __x;
    __half() = default;
    __half(float f) {
        const _Float16 h = (_Float16)f;
        std::memcpy(&__x, &h, 2);
    }
    operator float() const {
        _Float16 h;
        std::memcpy(&h, &__x, 2);
        return (float)h;
    }
};

inline float __half2float(__half h) { return h; }
inline unsigned short __half_as_ushort(__half h) { return h.__x; }
inline __half __float2half_rn(float f) { return f; }
inline __half __float2half(float f) { return f; }
