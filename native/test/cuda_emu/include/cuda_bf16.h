/*
 * cuda_bf16.h (CUDA emulator) — bfloat16: the upper 16 bits of a float32.
 * Conversions from float round to nearest, ties to even (_rn) or toward
 * zero (_rz), as CUDA's; NaN becomes CUDA's canonical 0x7fff.
 */
#pragma once

#include <cstdint>
#include <cstring>

namespace emu {
inline float bits_to_float(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline uint32_t float_to_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline uint16_t bf16_bits(float f, bool nearest) {
    uint32_t u = float_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fff;
    if (nearest) u += 0x7fffu + ((u >> 16) & 1u); // a tie goes to the even neighbour
    return (uint16_t)(u >> 16);
}
} // namespace emu

struct __nv_bfloat16 {
    uint16_t __x;
    __nv_bfloat16() = default;
    __nv_bfloat16(float f) : __x(emu::bf16_bits(f, true)) {}
    operator float() const { return emu::bits_to_float((uint32_t)__x << 16); }
};

inline float __bfloat162float(__nv_bfloat16 h) { return h; }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.__x; }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return f; }
inline __nv_bfloat16 __float2bfloat16(float f) { return f; }
inline __nv_bfloat16 __float2bfloat16_rz(float f) {
    __nv_bfloat16 h;
    h.__x = emu::bf16_bits(f, false);
    return h;
}
