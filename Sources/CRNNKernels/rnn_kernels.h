/*
 * rnncheck's float32 compute kernels: the register-tiled matrix product used for both the
 * input projection and the per-step recurrent product (on weights packed once), the fused
 * LSTM / GRU / SimpleRNN gate passes with vectorized exp / sigmoid / tanh, and the few
 * atomics the engine's step scheduler needs.
 *
 * Why C in a header: Swift compiles for the baseline x86-64 ISA (SSE2, no FMA) unless given
 * unsafe flags, and has no per-function target attribute. Clang does: each AVX-512 function
 * below carries __attribute__((target(...))) and is only called after a run-time CPU check,
 * so the package needs no special compiler flags and still runs on any x86-64 or arm64 CPU.
 * Swift's Clang importer compiles these static inline functions (optimized) into RNNEngine.
 *
 * Numerics (so results never depend on the path's tiling or on how work is split between
 * threads):
 *   - every output element of a product is ONE fused multiply-add chain over k = 0, 1, ...,
 *     starting from +0, whatever the tile shape, ISA or thread;
 *   - exp is Cephes expf (range reduction by ln 2 in two parts, degree-5 polynomial, exact
 *     scaling), about 1 ulp; sigmoid(x) = 1 / (1 + exp(-x)) with a true division; tanh is
 *     Cephes tanhf: an odd polynomial below |x| = 0.625, 1 - 2 / (exp(2|x|) + 1) above.
 * The portable, AVX2 and NEON paths give the same bits on every input (Tests/KernelBits,
 * scripts/test-kernels). The AVX-512 activations take 1/d as rcp14 plus one Newton step
 * instead of the division: within an ulp of the others, not bit-identical; its products are.
 */
#ifndef RNNCHECK_RNN_KERNELS_H
#define RNNCHECK_RNN_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Atomics and CPU features                                                                   */
/* ------------------------------------------------------------------------------------------ */

static inline long rk_atomic_load(const long *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void rk_atomic_store(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline long rk_atomic_add(long *p, long v) { return __atomic_fetch_add(p, v, __ATOMIC_ACQ_REL); }
/* Returns 1 when *p was `expected` and is now `desired`. */
static inline int rk_atomic_cas(long *p, long expected, long desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ? 1 : 0;
}
static inline void rk_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Asks for `rows` rows of `bytes` bytes, `ld` floats apart, to be brought into the cache. */
static inline void rk_prefetch_rows(const float *p, int rows, long ld, int bytes) {
    for (int r = 0; r < rows; r++)
        for (int b = 0; b < bytes; b += 64) __builtin_prefetch((const char *)(p + (long)r * ld) + b, 0, 3);
}

/* Levels (a lower level may be forced, for tests and measurements): on x86-64, 2: AVX-512F
 * (+FMA), 1: AVX2 + FMA; on arm64, 1: NEON (every AArch64 CPU has it); 0: portable C. */
static inline int rk_cpu_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#elif defined(__aarch64__) && defined(__ARM_NEON)
    return 1;
#endif
    return 0;
}

/* Groups of independent vectors evaluated in lockstep (the activations, below): n and the
 * group's pattern are constants at each (inlined) call site, so the loops unroll. */
#define RK_AI __attribute__((always_inline))
#define RK_GROUP 8
#define RK_UNROLL _Pragma("clang loop unroll(full)")
/* F(k, ...) with k = min(n, 8) as a literal, so that F's loops over k unroll. */
#define RK_DISPATCH8(n, F, ...)                                                                 \
    switch (n) {                                                                                \
    case 1: F(1, __VA_ARGS__); break;                                                           \
    case 2: F(2, __VA_ARGS__); break;                                                           \
    case 3: F(3, __VA_ARGS__); break;                                                           \
    case 4: F(4, __VA_ARGS__); break;                                                           \
    case 5: F(5, __VA_ARGS__); break;                                                           \
    case 6: F(6, __VA_ARGS__); break;                                                           \
    case 7: F(7, __VA_ARGS__); break;                                                           \
    default: F(8, __VA_ARGS__); break;                                                          \
    }

/* ------------------------------------------------------------------------------------------ */
/* Scalar math (portable paths; same algorithms as the vector code)                          */
/* ------------------------------------------------------------------------------------------ */

#define RK_EXP_HI 88.3762626647949f
#define RK_EXP_LO (-103.972084f)
#define RK_LOG2E 1.44269504088896341f
#define RK_LN2_HI 0.693359375f
#define RK_LN2_LO (-2.12194440e-4f)
#define RK_EP0 1.9875691500E-4f
#define RK_EP1 1.3981999507E-3f
#define RK_EP2 8.3334519073E-3f
#define RK_EP3 4.1665795894E-2f
#define RK_EP4 1.6666665459E-1f
#define RK_EP5 5.0000001201E-1f
#define RK_TP0 (-5.70498872745E-3f)
#define RK_TP1 2.06390887954E-2f
#define RK_TP2 (-5.37397155531E-2f)
#define RK_TP3 1.33314422036E-1f
#define RK_TP4 (-3.33332819422E-1f)

static inline float rk_exp_s(float x) {
    if (x != x) return x;
    x = x > RK_EXP_HI ? RK_EXP_HI : x;
    x = x < RK_EXP_LO ? RK_EXP_LO : x;
    float fx = fmaf(x, RK_LOG2E, 12582912.0f) - 12582912.0f; /* nearest integer of x*log2(e), as the vector code */
    float r = fmaf(-fx, RK_LN2_HI, x);
    r = fmaf(-fx, RK_LN2_LO, r);
    float y = RK_EP0;
    y = fmaf(y, r, RK_EP1);
    y = fmaf(y, r, RK_EP2);
    y = fmaf(y, r, RK_EP3);
    y = fmaf(y, r, RK_EP4);
    y = fmaf(y, r, RK_EP5);
    y = fmaf(y, r * r, r + 1.0f);
    return ldexpf(y, (int)fx);
}

static inline float rk_sigmoid_s(float x) { return 1.0f / (1.0f + rk_exp_s(-x)); }

static inline float rk_tanh_s(float x) {
    float ax = fabsf(x);
    if (ax > 0.625f) {
        float r = 1.0f - 2.0f / (rk_exp_s(ax + ax) + 1.0f);
        return copysignf(r, x);
    }
    float z = x * x;
    float p = RK_TP0;
    p = fmaf(p, z, RK_TP1);
    p = fmaf(p, z, RK_TP2);
    p = fmaf(p, z, RK_TP3);
    p = fmaf(p, z, RK_TP4);
    return fmaf(p * z, x, x);
}

/* ------------------------------------------------------------------------------------------ */
/* Portable tile product: z[r][j] = sum_q a[r][q] * b[q][j], one fma chain per element.       */
/*                                                                                            */
/* Every tile kernel reads B in 16-column strips: element (q, j) is b[q*ldb + (j/16)*bs +     */
/* j%16]. A row-major matrix is bs = 16 (the strips side by side); a packed weight panel      */
/* stores each strip whole (ldb = 16, bs = k*16), so the strip a tile streams k times is one  */
/* contiguous block: read at a 64-column panel's 256-byte stride it mapped onto a quarter of  */
/* L1's sets, and a 512-deep strip was evicted between the row groups that share it.        */
/* ------------------------------------------------------------------------------------------ */

static inline void rk_tile_generic(int mr, int ncols, const float *a, long lda, const float *b, long ldb,
                                   long bs, long k, float *z, long ldz, int accumulate) {
    for (int r = 0; r < mr; r++) {
        float *zr = z + (long)r * ldz;
        if (!accumulate) for (int j = 0; j < ncols; j++) zr[j] = 0.0f;
        const float *ar = a + (long)r * lda;
        for (long q = 0; q < k; q++) {
            float av = ar[q];
            for (int c0 = 0; c0 < ncols; c0 += 16) {
                const float *bq = b + q * ldb + (c0 / 16) * bs;
                for (int j = 0; j < 16; j++) zr[c0 + j] = fmaf(av, bq[j], zr[c0 + j]);
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define RK_T256 __attribute__((target("avx2,fma")))

/* AVX2 tiles: MR rows x 8*W columns (W 8-float vectors) held in registers, MR*W accumulators,
 * the W weight vectors loaded once per k step and the row's value broadcast. Each output
 * element is the same FMA chain from +0 (or from z) as every other path. Zen 3 and Haswell-class
 * cores retire two FMAs a cycle at a latency of 4-5 cycles, so a tile needs at least 8-10
 * independent chains to run at full rate: 1 row takes 64 columns (8 chains), 2 rows 32 (8),
 * 3-6 rows 16 (6-12); more rows are split into groups of at most 6, as even as possible, since
 * a lone leftover row (2 chains) would run at a quarter of the rate. */
#define RK_TILE256(MR, W)                                                                     \
    RK_T256 static inline void rk_tile256_##MR##x##W(const float *a, long lda, const float *b, long ldb, \
                                                     long bs, long k, float *z, long ldz, int accumulate) { \
        __m256 acc[MR][W];                                                                    \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                    \
                acc[r][w] = accumulate ? _mm256_loadu_ps(z + (long)r * ldz + 8 * w) : _mm256_setzero_ps(); \
        for (long q = 0; q < k; q++) {                                                        \
            __m256 bv[W];                                                                     \
            _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                    \
                bv[w] = _mm256_loadu_ps(b + q * ldb + (w / 2) * bs + 8 * (w % 2));           \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                 \
                __m256 av = _mm256_broadcast_ss(a + (long)r * lda + q);                       \
                _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                \
                    acc[r][w] = _mm256_fmadd_ps(av, bv[w], acc[r][w]);                        \
            }                                                                                 \
        }                                                                                     \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                    \
                _mm256_storeu_ps(z + (long)r * ldz + 8 * w, acc[r][w]);                       \
    }

RK_TILE256(1, 8) RK_TILE256(2, 4)
RK_TILE256(1, 2) RK_TILE256(2, 2) RK_TILE256(3, 2) RK_TILE256(4, 2) RK_TILE256(5, 2) RK_TILE256(6, 2)

/* z (mr x ncols) = a @ b with ncols a multiple of 16. */
RK_T256 static inline void rk_tile_avx2(int mr, int ncols, const float *a, long lda, const float *b, long ldb,
                                        long bs, long k, float *z, long ldz, int accumulate) {
    if (mr == 1 && ncols % 64 == 0) {
        for (int c0 = 0; c0 < ncols; c0 += 64) rk_tile256_1x8(a, lda, b + c0 / 16 * bs, ldb, bs, k, z + c0, ldz, accumulate);
        return;
    }
    if (mr == 2 && ncols % 32 == 0) {
        for (int c0 = 0; c0 < ncols; c0 += 32) rk_tile256_2x4(a, lda, b + c0 / 16 * bs, ldb, bs, k, z + c0, ldz, accumulate);
        return;
    }
    int groups = (mr + 5) / 6, base = mr / groups, extra = mr % groups;
    for (int c0 = 0; c0 < ncols; c0 += 16) {
        const float *bc = b + c0 / 16 * bs;
        int r0 = 0;
        for (int g = 0; g < groups; g++) {
            int rows = base + (g < extra);
            const float *ar = a + (long)r0 * lda;
            float *zr = z + (long)r0 * ldz + c0;
            switch (rows) {
            case 1: rk_tile256_1x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate); break;
            case 2: rk_tile256_2x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate); break;
            case 3: rk_tile256_3x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate); break;
            case 4: rk_tile256_4x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate); break;
            case 5: rk_tile256_5x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate); break;
            default: rk_tile256_6x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate); break;
            }
            r0 += rows;
        }
    }
}
#endif

/* ------------------------------------------------------------------------------------------ */
/* AVX2 gate passes: the scalar code's operations eight lanes at a time (the NEON section's    */
/* twin), so the same bits as rk_exp_s / rk_sigmoid_s / rk_tanh_s and the portable gate loops. */
/* ------------------------------------------------------------------------------------------ */

#if defined(__x86_64__)

/* rk_exp256_group: x[i] = exp(x[i]); rk_act256_group: v[i] = sigmoid(v[i]), or tanh(v[i]) where
 * bit i of `tanh_bits` is set. Both for n (<= RK_GROUP, constant at the inlined call site)
 * vectors in lockstep: each step of the algorithm over the whole group before the next. One
 * exp + division chain is ~80 cycles of latency; one vector at a time, the out-of-order window
 * held too few chains to keep the vector ports busy (the gate pass was 14% of S2's time,
 * stalled on each division). Per lane, the operations of rk_exp_s / rk_sigmoid_s / rk_tanh_s
 * in their order, so the same bits:
 *   exp: clamped (min/max take x second, so a NaN lane passes through: x86 min/max return
 *   their second operand when either is NaN), rounded to the nearest integer of x*log2(e) by
 *   adding and removing 1.5 * 2^23, reduced by ln 2 in two parts, a degree-5 polynomial, and
 *   ldexpf(y, n) as y * 2^n1 (exact: a normal float) * 2^n2 (one rounding), fx an integer in
 *   [-150, 128] (a NaN lane's n is garbage, but y is NaN there and stays the first operand);
 *   sigmoid: 1 / (1 + exp(-x)); tanh: |x| > 0.625: 1 - 2 / (exp(2|x|) + 1) with the sign of
 *   x, else x + x z P(z) (a NaN compares false and takes the polynomial, as rk_tanh_s does). */
RK_T256 RK_AI static inline void rk_exp256_group(int n, __m256 *x) {
    __m256 fx[RK_GROUP], r[RK_GROUP], y[RK_GROUP];
    const __m256 one = _mm256_set1_ps(1.0f), magic = _mm256_set1_ps(12582912.0f);
    RK_UNROLL for (int i = 0; i < n; i++) x[i] = _mm256_min_ps(_mm256_set1_ps(RK_EXP_HI), x[i]);
    RK_UNROLL for (int i = 0; i < n; i++) x[i] = _mm256_max_ps(_mm256_set1_ps(RK_EXP_LO), x[i]);
    RK_UNROLL for (int i = 0; i < n; i++) fx[i] = _mm256_sub_ps(_mm256_fmadd_ps(x[i], _mm256_set1_ps(RK_LOG2E), magic), magic);
    RK_UNROLL for (int i = 0; i < n; i++) r[i] = _mm256_fnmadd_ps(fx[i], _mm256_set1_ps(RK_LN2_HI), x[i]);
    RK_UNROLL for (int i = 0; i < n; i++) r[i] = _mm256_fnmadd_ps(fx[i], _mm256_set1_ps(RK_LN2_LO), r[i]);
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm256_fmadd_ps(_mm256_set1_ps(RK_EP0), r[i], _mm256_set1_ps(RK_EP1));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm256_fmadd_ps(y[i], r[i], _mm256_set1_ps(RK_EP2));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm256_fmadd_ps(y[i], r[i], _mm256_set1_ps(RK_EP3));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm256_fmadd_ps(y[i], r[i], _mm256_set1_ps(RK_EP4));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm256_fmadd_ps(y[i], r[i], _mm256_set1_ps(RK_EP5));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm256_fmadd_ps(y[i], _mm256_mul_ps(r[i], r[i]), _mm256_add_ps(r[i], one));
    RK_UNROLL for (int i = 0; i < n; i++) {
        __m256i e = _mm256_cvttps_epi32(fx[i]);
        __m256i e1 = _mm256_srai_epi32(e, 1), e2 = _mm256_sub_epi32(e, e1);
        __m256 p1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e1, _mm256_set1_epi32(127)), 23));
        __m256 p2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(e2, _mm256_set1_epi32(127)), 23));
        x[i] = _mm256_mul_ps(_mm256_mul_ps(y[i], p1), p2);
    }
}

RK_T256 static inline __m256 rk_exp256(__m256 x) { rk_exp256_group(1, &x); return x; }

RK_T256 RK_AI static inline void rk_act256_group(int n, unsigned tanh_bits, __m256 *v) {
    __m256 y[RK_GROUP];
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    RK_UNROLL for (int i = 0; i < n; i++) {
        if (tanh_bits >> i & 1) { __m256 a = _mm256_andnot_ps(sign, v[i]); y[i] = _mm256_add_ps(a, a); }
        else y[i] = _mm256_xor_ps(v[i], sign);
    }
    rk_exp256_group(n, y);
    /* e = exp(x); d = 1 + e (sigmoid) or e + 1 (tanh): the same sum; then 1/d or 2/d */
    RK_UNROLL for (int i = 0; i < n; i++)
        y[i] = _mm256_div_ps((tanh_bits >> i & 1) ? _mm256_set1_ps(2.0f) : one, _mm256_add_ps(one, y[i]));
    RK_UNROLL for (int i = 0; i < n; i++) {
        if (!(tanh_bits >> i & 1)) { v[i] = y[i]; continue; }
        __m256 big = _mm256_sub_ps(one, y[i]);
        big = _mm256_or_ps(_mm256_andnot_ps(sign, big), _mm256_and_ps(sign, v[i])); /* copysignf(big, x) */
        __m256 z = _mm256_mul_ps(v[i], v[i]);
        __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(RK_TP0), z, _mm256_set1_ps(RK_TP1));
        p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(RK_TP2));
        p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(RK_TP3));
        p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(RK_TP4));
        __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), v[i], v[i]);
        v[i] = _mm256_blendv_ps(small, big, _mm256_cmp_ps(_mm256_andnot_ps(sign, v[i]), _mm256_set1_ps(0.625f), _CMP_GT_OQ));
    }
}

RK_T256 static inline __m256 rk_sigmoid256(__m256 x) { rk_act256_group(1, 0u, &x); return x; }
RK_T256 static inline __m256 rk_tanh256(__m256 x) { rk_act256_group(1, 1u, &x); return x; }

/* LSTM pass 1, one row: acc[i f c o] <- sigmoid/tanh of (xw + acc) + bias, its eight vectors
 * as two groups of four (eight would spill AVX2's 16 registers). */
RK_T256 RK_AI static inline void rk_lstm_pass1_256(float *ar, const float *xr, const float *br) {
    RK_UNROLL for (int h = 0; h < 2; h++) {
        __m256 v[4];
        RK_UNROLL for (int i = 0; i < 4; i++) {
            int j = 32 * h + 8 * i;
            v[i] = _mm256_loadu_ps(ar + j);
            if (xr) v[i] = _mm256_add_ps(_mm256_loadu_ps(xr + j), v[i]);
            if (br) v[i] = _mm256_add_ps(v[i], _mm256_loadu_ps(br + j));
        }
        rk_act256_group(4, h == 0 ? 0u : 0x3u, v); /* [i i f f], then [c c o o] */
        RK_UNROLL for (int i = 0; i < 4; i++) _mm256_storeu_ps(ar + 32 * h + 8 * i, v[i]);
    }
}

/* LSTM pass 2 for `nr` (1 or 2, constant) rows: c' = f*c + i*g; h' = o*tanh(c'). */
RK_T256 RK_AI static inline void rk_lstm_pass2_256(int nr, const float *acc, long ldacc, const float *cPrev,
                                                   float *cNew, float *hNew, long ldh) {
    __m256 c[4];
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int j = 0; j < 2; j++) {
            const float *ar = acc + (long)q * ldacc + 8 * j;
            __m256 i = _mm256_loadu_ps(ar), f = _mm256_loadu_ps(ar + 16), g = _mm256_loadu_ps(ar + 32);
            c[2 * q + j] = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(cPrev + (long)q * ldh + 8 * j)), _mm256_mul_ps(i, g));
            _mm256_storeu_ps(cNew + (long)q * ldh + 8 * j, c[2 * q + j]);
        }
    rk_act256_group(2 * nr, 0xfu, c);
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int j = 0; j < 2; j++)
            _mm256_storeu_ps(hNew + (long)q * ldh + 8 * j, _mm256_mul_ps(_mm256_loadu_ps(acc + (long)q * ldacc + 48 + 8 * j), c[2 * q + j]));
}

/* The LSTM gate pass of rk_lstm_gates (same arguments), in two passes over the tile as the
 * AVX-512 code does: first each gate's activation in place in `acc`, then the cell update.
 * Per element the same operations in the same order as the portable loop (a float stored and
 * reloaded is exact). */
RK_T256 static inline void rk_lstm_gates256(int rows, float *acc, long ldacc, const float *xw, long ldxw,
                                             const float *bias, long ldbias, const float *cPrev, float *cNew,
                                             float *hNew, long ldh) {
    for (int r = 0; r < rows; r++)
        rk_lstm_pass1_256(acc + (long)r * ldacc, xw ? xw + (long)r * ldxw : NULL, bias ? bias + (long)r * ldbias : NULL);
    int r = 0;
    for (; r + 2 <= rows; r += 2)
        rk_lstm_pass2_256(2, acc + (long)r * ldacc, ldacc, cPrev + (long)r * ldh, cNew + (long)r * ldh, hNew + (long)r * ldh, ldh);
    if (r < rows)
        rk_lstm_pass2_256(1, acc + (long)r * ldacc, ldacc, cPrev + (long)r * ldh, cNew + (long)r * ldh, hNew + (long)r * ldh, ldh);
}

/* GRU for `nr` (1 or 2, constant) rows, the activations in groups: z and r (four vectors a row),
 * then the candidate's tanh (two a row). Per element the portable loop's operations in order. */
RK_T256 RK_AI static inline void rk_gru_rows256(int nr, const float *acc, long ldacc, const float *xw, long ldxw,
                                                const float *rbias, const float *hPrev, float *hNew, long ldh) {
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 zr[2][4], hh[4];
    RK_UNROLL for (int q = 0; q < nr; q++) {
        const float *ar = acc + (long)q * ldacc, *xr = xw + (long)q * ldxw;
        RK_UNROLL for (int i = 0; i < 4; i++) { /* z (0..15), then r (16..31) */
            __m256 m = _mm256_loadu_ps(ar + 8 * i);
            if (rbias) m = _mm256_add_ps(m, _mm256_loadu_ps(rbias + 8 * i));
            zr[q][i] = _mm256_add_ps(_mm256_loadu_ps(xr + 8 * i), m);
        }
        rk_act256_group(4, 0u, zr[q]);
    }
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int j = 0; j < 2; j++) {
            __m256 mh = _mm256_loadu_ps(acc + (long)q * ldacc + 32 + 8 * j);
            if (rbias) mh = _mm256_add_ps(mh, _mm256_loadu_ps(rbias + 32 + 8 * j));
            hh[2 * q + j] = _mm256_add_ps(_mm256_loadu_ps(xw + (long)q * ldxw + 32 + 8 * j), _mm256_mul_ps(zr[q][2 + j], mh));
        }
    rk_act256_group(2 * nr, 0xfu, hh);
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int j = 0; j < 2; j++) {
            __m256 z = zr[q][j];
            __m256 ha = _mm256_mul_ps(z, _mm256_loadu_ps(hPrev + (long)q * ldh + 8 * j));
            __m256 hb = _mm256_mul_ps(_mm256_sub_ps(one, z), hh[2 * q + j]);
            _mm256_storeu_ps(hNew + (long)q * ldh + 8 * j, _mm256_add_ps(ha, hb));
        }
}

/* The GRU gate pass of rk_gru_gates (same arguments), two rows at a time. */
RK_T256 static inline void rk_gru_gates256(int rows, const float *acc, long ldacc, const float *xw, long ldxw,
                                            const float *rbias, const float *hPrev, float *hNew, long ldh) {
    int r = 0;
    for (; r + 2 <= rows; r += 2)
        rk_gru_rows256(2, acc + (long)r * ldacc, ldacc, xw + (long)r * ldxw, ldxw, rbias, hPrev + (long)r * ldh, hNew + (long)r * ldh, ldh);
    if (r < rows)
        rk_gru_rows256(1, acc + (long)r * ldacc, ldacc, xw + (long)r * ldxw, ldxw, rbias, hPrev + (long)r * ldh, hNew + (long)r * ldh, ldh);
}

/* SimpleRNN with tanh (rk_rnn_tanh's arguments): h' = tanh(xw + acc), four vectors at a time. */
RK_T256 static inline void rk_rnn_tanh256(int rows, int n16, const float *acc, long ldacc, const float *xw, long ldxw,
                                           float *hNew, long ldh) {
    for (int r = 0; r < rows; r++) {
        const float *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
        float *hr = hNew + (long)r * ldh;
        int j = 0;
        for (; j + 32 <= 16 * n16; j += 32) {
            __m256 v[4];
            RK_UNROLL for (int i = 0; i < 4; i++) v[i] = _mm256_add_ps(_mm256_loadu_ps(xr + j + 8 * i), _mm256_loadu_ps(ar + j + 8 * i));
            rk_act256_group(4, 0xfu, v);
            RK_UNROLL for (int i = 0; i < 4; i++) _mm256_storeu_ps(hr + j + 8 * i, v[i]);
        }
        if (j < 16 * n16) {
            __m256 v[2];
            RK_UNROLL for (int i = 0; i < 2; i++) v[i] = _mm256_add_ps(_mm256_loadu_ps(xr + j + 8 * i), _mm256_loadu_ps(ar + j + 8 * i));
            rk_act256_group(2, 0x3u, v);
            RK_UNROLL for (int i = 0; i < 2; i++) _mm256_storeu_ps(hr + j + 8 * i, v[i]);
        }
    }
}

/* dst[j] = dst[j] + src[j] for rows x n. */
RK_T256 static inline void rk_add_row256(int rows, int n, float *dst, long ld, const float *src) {
    for (int r = 0; r < rows; r++) {
        float *d = dst + (long)r * ld;
        int j = 0;
        for (; j + 8 <= n; j += 8) _mm256_storeu_ps(d + j, _mm256_add_ps(_mm256_loadu_ps(d + j), _mm256_loadu_ps(src + j)));
        for (; j < n; j++) d[j] = d[j] + src[j];
    }
}

/* out[i] = sigmoid(x[i]) / tanh(x[i]) for any n: four vectors at a time, then one, the last
 * n % 8 by the scalar code. */
#define RK_ACT256_N(NAME, BITS, SCALAR)                                                       \
    RK_T256 static inline void NAME(const float *x, float *out, long n) {                    \
        long i = 0;                                                                           \
        for (; i + 32 <= n; i += 32) {                                                        \
            __m256 v[4];                                                                      \
            RK_UNROLL for (int g = 0; g < 4; g++) v[g] = _mm256_loadu_ps(x + i + 8 * g);      \
            rk_act256_group(4, BITS & 0xfu, v);                                               \
            RK_UNROLL for (int g = 0; g < 4; g++) _mm256_storeu_ps(out + i + 8 * g, v[g]);    \
        }                                                                                     \
        for (; i + 8 <= n; i += 8) {                                                          \
            __m256 v = _mm256_loadu_ps(x + i);                                                \
            rk_act256_group(1, BITS & 1u, &v);                                                \
            _mm256_storeu_ps(out + i, v);                                                     \
        }                                                                                     \
        for (; i < n; i++) out[i] = SCALAR(x[i]);                                             \
    }
RK_ACT256_N(rk_sigmoid256_n, 0u, rk_sigmoid_s)
RK_ACT256_N(rk_tanh256_n, 0xfu, rk_tanh_s)
#endif

/* ------------------------------------------------------------------------------------------ */
/* AVX-512 tile products: MR rows x NV vectors of 16 columns held in registers.               */
/* ------------------------------------------------------------------------------------------ */

#if defined(__x86_64__)
#include <immintrin.h>

#ifndef RK_PF_ROWS
#define RK_PF_ROWS 16
#endif
#define RK_T512 __attribute__((target("avx512f,fma")))

#define RK_TILE512(MR, NV)                                                                    \
    RK_T512 static inline void rk_tile512_##MR##_##NV(const float *a, long lda, const float *b, \
                                                      long ldb, long bs, long k, float *z, long ldz, \
                                                      int accumulate, const float *pf2,       \
                                                      long pf2n) {                            \
        __m512 acc[MR][NV];                                                                   \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++)                   \
                acc[r][v] = accumulate ? _mm512_loadu_ps(z + (long)r * ldz + 16 * v)          \
                                       : _mm512_setzero_ps();                                 \
        for (long q = 0; q < k; q++) {                                                        \
            __m512 bv[NV];                                                                    \
            if (q < pf2n) _mm_prefetch((const char *)(pf2 + 16 * q), _MM_HINT_T1);           \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++) {                 \
                _mm_prefetch((const char *)(b + (q + RK_PF_ROWS) * ldb + v * bs), _MM_HINT_T0); \
                bv[v] = _mm512_loadu_ps(b + q * ldb + v * bs);                                \
            }                                                                                 \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                 \
                __m512 av = _mm512_set1_ps(a[(long)r * lda + q]);                             \
                _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++)               \
                    acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);                        \
            }                                                                                 \
        }                                                                                     \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < NV; v++)                   \
                _mm512_storeu_ps(z + (long)r * ldz + 16 * v, acc[r][v]);                      \
    }

RK_TILE512(1, 4) RK_TILE512(2, 4) RK_TILE512(3, 4) RK_TILE512(4, 4) RK_TILE512(5, 4) RK_TILE512(6, 4)
RK_TILE512(1, 3) RK_TILE512(2, 3) RK_TILE512(3, 3) RK_TILE512(4, 3) RK_TILE512(5, 3) RK_TILE512(6, 3)
RK_TILE512(7, 3) RK_TILE512(8, 3)
RK_TILE512(1, 2) RK_TILE512(2, 2) RK_TILE512(3, 2) RK_TILE512(4, 2) RK_TILE512(5, 2) RK_TILE512(6, 2)
RK_TILE512(7, 2) RK_TILE512(8, 2) RK_TILE512(9, 2) RK_TILE512(10, 2) RK_TILE512(11, 2) RK_TILE512(12, 2)
RK_TILE512(1, 1) RK_TILE512(2, 1) RK_TILE512(3, 1) RK_TILE512(4, 1) RK_TILE512(5, 1) RK_TILE512(6, 1)
RK_TILE512(7, 1) RK_TILE512(8, 1)


/* 7 rows x 4 vectors. 28 accumulators + 3 weight vectors + the broadcast fill all 32 registers,
 * so the 4th weight vector is an FMA memory operand, read again for each row (an L1 hit): the
 * empty asm with a memory clobber keeps clang from loading it once into a 33rd register, which
 * it did by keeping two accumulators on the stack (a load and a store each per k step). Measured
 * on the S2 step products, calls alternating in one process: 3-4% faster (min and median).
 * Per element the same FMA chain as every other tile. */
RK_T512 static inline void rk_tile512_7_4(const float *a, long lda, const float *b, long ldb, long bs, long k, float *z, long ldz,
                                          int accumulate, const float *pf2, long pf2n) {
    __m512 acc[7][4];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 7; r++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++)
            acc[r][v] = accumulate ? _mm512_loadu_ps(z + (long)r * ldz + 16 * v) : _mm512_setzero_ps();
    for (long q = 0; q < k; q++) {
        if (q < pf2n) _mm_prefetch((const char *)(pf2 + 16 * q), _MM_HINT_T1);
        const float *bq = b + q * ldb;
        _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++)
            _mm_prefetch((const char *)(bq + RK_PF_ROWS * ldb + v * bs), _MM_HINT_T0);
        __m512 b0 = _mm512_loadu_ps(bq), b1 = _mm512_loadu_ps(bq + bs), b2 = _mm512_loadu_ps(bq + 2 * bs);
        _Pragma("clang loop unroll(full)") for (int r = 0; r < 7; r++) {
            __asm__ volatile("" ::: "memory");
            __m512 av = _mm512_set1_ps(a[(long)r * lda + q]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(av, b2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(av, _mm512_loadu_ps(bq + 3 * bs), acc[r][3]);
        }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 7; r++)
        _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++)
            _mm512_storeu_ps(z + (long)r * ldz + 16 * v, acc[r][v]);
}

/* Two 64-column panels for one row (8 independent chains: a single row would otherwise wait
 * on FMA latency). */
RK_T512 static inline void rk_tile512_row2p(const float *a, const float *b0, const float *b1, long ldb, long bs, long k,
                                            float *z0, float *z1) {
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps(), c2 = _mm512_setzero_ps(), c3 = _mm512_setzero_ps();
    __m512 d0 = _mm512_setzero_ps(), d1 = _mm512_setzero_ps(), d2 = _mm512_setzero_ps(), d3 = _mm512_setzero_ps();
    for (long q = 0; q < k; q++) {
        __m512 av = _mm512_set1_ps(a[q]);
        const float *p = b0 + q * ldb, *s = b1 + q * ldb;
        c0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(p), c0);
        c1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(p + 1 * bs), c1);
        c2 = _mm512_fmadd_ps(av, _mm512_loadu_ps(p + 2 * bs), c2);
        c3 = _mm512_fmadd_ps(av, _mm512_loadu_ps(p + 3 * bs), c3);
        d0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(s), d0);
        d1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(s + 1 * bs), d1);
        d2 = _mm512_fmadd_ps(av, _mm512_loadu_ps(s + 2 * bs), d2);
        d3 = _mm512_fmadd_ps(av, _mm512_loadu_ps(s + 3 * bs), d3);
    }
    _mm512_storeu_ps(z0, c0); _mm512_storeu_ps(z0 + 16, c1); _mm512_storeu_ps(z0 + 32, c2); _mm512_storeu_ps(z0 + 48, c3);
    _mm512_storeu_ps(z1, d0); _mm512_storeu_ps(z1 + 16, d1); _mm512_storeu_ps(z1 + 32, d2); _mm512_storeu_ps(z1 + 48, d3);
}

/* Two 16-column strips (k x 16 each, contiguous) for one row: 2 chains over 2 streams. Per
 * element the same chain as every tile. */
RK_T512 static inline void rk_tile512_row2s(const float *a, const float *b0, const float *b1, long k, float *z0, float *z1) {
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps();
    for (long q = 0; q < k; q++) {
        __m512 av = _mm512_set1_ps(a[q]);
        c0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b0 + q * 16), c0);
        c1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(b1 + q * 16), c1);
    }
    _mm512_storeu_ps(z0, c0);
    _mm512_storeu_ps(z1, c1);
}

/* Whether one row against packed panels reads two strips at a time (rk_tile512_row2s: 2 streams,
 * 2 chains) rather than all eight strips of two panels (rk_tile512_row2p: 8 streams, 8 chains).
 * A one-row product streams its weights from L2 with little reuse, so it is bound by how fast L2
 * delivers them. Measured (S1's step, LSTM 128, 256 KiB of weights): on AMD Zen 4, whose L2
 * delivers ~32 bytes a cycle, the 8 concurrent streams of row2p reach 2.50 us a step against
 * 2.28 for row2s (whose 2 chains keep pace with that rate), 0.93x the whole S1 forward; on Intel
 * Skylake-SP, row2p's 8 chains were measured best. So row2s is chosen on AMD family 19h, which
 * with AVX-512 is Zen 4 (Zen 3 has no AVX-512); other CPUs, Zen 5 (its L2 and FMA units are
 * wider: two chains may not keep pace) and Intel among them, keep row2p until measured.
 * RNNCHECK_ROW=2s or 8s chooses either (for measurements and tests). The same bits either way. */
static inline int rk_row_two_strips(void) {
    static int chosen = -1;
    int v = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (v < 0) {
        const char *e = getenv("RNNCHECK_ROW");
        if (e && strcmp(e, "2s") == 0) v = 1;
        else if (e && strcmp(e, "8s") == 0) v = 0;
        else {
            __builtin_cpu_init();
            v = __builtin_cpu_is("amdfam19h") ? 1 : 0;
        }
        __atomic_store_n(&chosen, v, __ATOMIC_RELAXED);
    }
    return v;
}

/* One k step (pq) of an 8-row x 32-column product x @ [w0 w1] into accumulators e. */
RK_T512 RK_AI static inline void rk_proj8x2_step512(__m512 e[8][2], const float *x, long lda, const float *w0,
                                                   const float *w1, long pq) {
    __m512 v0 = _mm512_loadu_ps(w0 + pq * 16), v1 = _mm512_loadu_ps(w1 + pq * 16);
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 8; r++) {
        __m512 xv = _mm512_set1_ps(x[(long)r * lda + pq]);
        e[r][0] = _mm512_fmadd_ps(xv, v0, e[r][0]);
        e[r][1] = _mm512_fmadd_ps(xv, v1, e[r][1]);
    }
}

/* rk_tile512_row2s (one row of a against strips u0, u1 over ku) with, interleaved, the part
 * q0 <= q < q1 of an 8-row x 32-column product x @ [w0 w1] (x: 8 rows lda apart; w0, w1: two
 * 16-column strips of a packed input kernel), accumulated in zp (8 rows ldzp apart; zeroed first
 * when q0 == 0). The row product's loads stream from L2 and leave the FMA units idle most of
 * the time: one projection k step after every ceil(ku / (q1 - q0)) row steps fills them. Per
 * element the same chains as rk_tile512_row2s and the tiles. */
RK_T512 static inline void rk_tile512_row2s_proj(const float *a, const float *u0, const float *u1, long ku, float *z,
                                                 const float *x, long lda, const float *w0, const float *w1, long q0,
                                                 long q1, float *zp, long ldzp) {
    __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps();
    __m512 e[8][2];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 8; r++) {
        e[r][0] = q0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(zp + (long)r * ldzp);
        e[r][1] = q0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(zp + (long)r * ldzp + 16);
    }
    long n = q1 - q0, every = n > 0 ? (ku + n - 1) / n : ku + 1, pq = q0;
    for (long q = 0; q < ku;) {
        long end = q + every < ku ? q + every : ku;
        for (; q < end; q++) {
            __m512 av = _mm512_set1_ps(a[q]);
            c0 = _mm512_fmadd_ps(av, _mm512_loadu_ps(u0 + q * 16), c0);
            c1 = _mm512_fmadd_ps(av, _mm512_loadu_ps(u1 + q * 16), c1);
        }
        if (pq < q1) {
            rk_proj8x2_step512(e, x, lda, w0, w1, pq);
            pq++;
        }
    }
    for (; pq < q1; pq++) rk_proj8x2_step512(e, x, lda, w0, w1, pq);
    _mm512_storeu_ps(z, c0);
    _mm512_storeu_ps(z + 16, c1);
    _Pragma("clang loop unroll(full)") for (int r = 0; r < 8; r++) {
        _mm512_storeu_ps(zp + (long)r * ldzp, e[r][0]);
        _mm512_storeu_ps(zp + (long)r * ldzp + 16, e[r][1]);
    }
}

/* Returns 0 when (mr, nv) has no AVX-512 tile. */
RK_T512 static inline int rk_tile512(int mr, int nv, const float *a, long lda, const float *b, long ldb, long bs, long k,
                                     float *z, long ldz, int accumulate, const float *pf2, long pf2n) {
#define RK_CASE(MR, NV) case MR: rk_tile512_##MR##_##NV(a, lda, b, ldb, bs, k, z, ldz, accumulate, pf2, pf2n); return 1;
    switch (nv) {
    case 4:
        switch (mr) { RK_CASE(1, 4) RK_CASE(2, 4) RK_CASE(3, 4) RK_CASE(4, 4) RK_CASE(5, 4) RK_CASE(6, 4) RK_CASE(7, 4) default: return 0; }
    case 3:
        switch (mr) {
            RK_CASE(1, 3) RK_CASE(2, 3) RK_CASE(3, 3) RK_CASE(4, 3) RK_CASE(5, 3) RK_CASE(6, 3) RK_CASE(7, 3)
            RK_CASE(8, 3) default: return 0;
        }
    case 2:
        switch (mr) {
            RK_CASE(1, 2) RK_CASE(2, 2) RK_CASE(3, 2) RK_CASE(4, 2) RK_CASE(5, 2) RK_CASE(6, 2) RK_CASE(7, 2)
            RK_CASE(8, 2) RK_CASE(9, 2) RK_CASE(10, 2) RK_CASE(11, 2) RK_CASE(12, 2) default: return 0;
        }
    case 1:
        switch (mr) {
            RK_CASE(1, 1) RK_CASE(2, 1) RK_CASE(3, 1) RK_CASE(4, 1) RK_CASE(5, 1) RK_CASE(6, 1) RK_CASE(7, 1)
            RK_CASE(8, 1) default: return 0;
        }
    default: return 0;
    }
#undef RK_CASE
}

/* ---- vector math and the fused gate passes, AVX-512 ----
 *
 * One exp + reciprocal chain is ~20 dependent instructions (~80 cycles of latency); evaluated
 * one vector at a time, the out-of-order window holds too few chains to keep both vector ports
 * busy. So the gate passes evaluate groups of up to 8 independent vectors in lockstep (each
 * step of the algorithm over the whole group before the next: the instruction stream itself is
 * interleaved). rk_sigmoid512 / rk_tanh512 are the same code on a group of one. */


/* v[i] = sigmoid(v[i]), or tanh(v[i]) where bit i of `tanh_bits` is set; n <= RK_GROUP. With
 * n and tanh_bits constant at the (inlined) call site, the loops unroll into straight code. */
RK_T512 RK_AI static inline void rk_act512_group(int n, unsigned tanh_bits, __m512 *v) {
    __m512 x[RK_GROUP], fx[RK_GROUP], r[RK_GROUP], y[RK_GROUP];
    const __m512 one = _mm512_set1_ps(1.0f), magic = _mm512_set1_ps(12582912.0f);
    RK_UNROLL for (int i = 0; i < n; i++) {
        if (tanh_bits >> i & 1) { __m512 a = _mm512_abs_ps(v[i]); x[i] = _mm512_add_ps(a, a); }
        else x[i] = _mm512_sub_ps(_mm512_setzero_ps(), v[i]);
    }
    /* exp(x): clamped (a NaN passes through: min/max return their second operand), rounded to the
     * nearest integer of x*log2(e) (ties to even, as nearbyintf) by adding and removing 1.5 * 2^23,
     * reduced by ln 2 in two parts, a degree-5 polynomial, scaled exactly */
    RK_UNROLL for (int i = 0; i < n; i++) x[i] = _mm512_min_ps(_mm512_set1_ps(RK_EXP_HI), x[i]);
    RK_UNROLL for (int i = 0; i < n; i++) x[i] = _mm512_max_ps(_mm512_set1_ps(RK_EXP_LO), x[i]);
    RK_UNROLL for (int i = 0; i < n; i++) fx[i] = _mm512_sub_ps(_mm512_fmadd_ps(x[i], _mm512_set1_ps(RK_LOG2E), magic), magic);
    RK_UNROLL for (int i = 0; i < n; i++) r[i] = _mm512_fnmadd_ps(fx[i], _mm512_set1_ps(RK_LN2_HI), x[i]);
    RK_UNROLL for (int i = 0; i < n; i++) r[i] = _mm512_fnmadd_ps(fx[i], _mm512_set1_ps(RK_LN2_LO), r[i]);
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm512_fmadd_ps(_mm512_set1_ps(RK_EP0), r[i], _mm512_set1_ps(RK_EP1));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm512_fmadd_ps(y[i], r[i], _mm512_set1_ps(RK_EP2));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm512_fmadd_ps(y[i], r[i], _mm512_set1_ps(RK_EP3));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm512_fmadd_ps(y[i], r[i], _mm512_set1_ps(RK_EP4));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm512_fmadd_ps(y[i], r[i], _mm512_set1_ps(RK_EP5));
    RK_UNROLL for (int i = 0; i < n; i++) y[i] = _mm512_fmadd_ps(y[i], _mm512_mul_ps(r[i], r[i]), _mm512_add_ps(r[i], one));
    /* e = exp(x); d = 1 + e (sigmoid) or e + 1 (tanh): the same sum */
    RK_UNROLL for (int i = 0; i < n; i++) x[i] = _mm512_add_ps(_mm512_scalef_ps(y[i], fx[i]), one);
    /* 1/d: the 14-bit estimate refined by one Newton step (error about 2^-27: within an ulp) */
    RK_UNROLL for (int i = 0; i < n; i++) r[i] = _mm512_rcp14_ps(x[i]);
    RK_UNROLL for (int i = 0; i < n; i++) r[i] = _mm512_fmadd_ps(r[i], _mm512_fnmadd_ps(x[i], r[i], one), r[i]);
    RK_UNROLL for (int i = 0; i < n; i++) {
        if (!(tanh_bits >> i & 1)) { v[i] = r[i]; continue; }
        /* large |v|: 1 - 2 / (exp(2|v|) + 1) with the sign of v; small: v + v z P(z) */
        __m512 big = _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), r[i], one);
        big = _mm512_castsi512_ps(_mm512_or_epi32(_mm512_castps_si512(big),
                  _mm512_and_epi32(_mm512_castps_si512(v[i]), _mm512_set1_epi32((int)0x80000000))));
        __m512 z = _mm512_mul_ps(v[i], v[i]);
        __m512 p = _mm512_set1_ps(RK_TP0);
        p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(RK_TP1));
        p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(RK_TP2));
        p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(RK_TP3));
        p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(RK_TP4));
        __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), v[i], v[i]);
        __mmask16 isBig = _mm512_cmp_ps_mask(_mm512_abs_ps(v[i]), _mm512_set1_ps(0.625f), _CMP_GT_OQ);
        v[i] = _mm512_mask_blend_ps(isBig, small, big);
    }
}

RK_T512 static inline __m512 rk_sigmoid512(__m512 x) { rk_act512_group(1, 0u, &x); return x; }
RK_T512 static inline __m512 rk_tanh512(__m512 x) { rk_act512_group(1, 1u, &x); return x; }

/* Vector versions for tests: out[i] = f(x[i]), n a multiple of 16. */
RK_T512 static inline void rk_sigmoid512_n(const float *x, float *out, long n) {
    for (long i = 0; i < n; i += 16) _mm512_storeu_ps(out + i, rk_sigmoid512(_mm512_loadu_ps(x + i)));
}
RK_T512 static inline void rk_tanh512_n(const float *x, float *out, long n) {
    for (long i = 0; i < n; i += 16) _mm512_storeu_ps(out + i, rk_tanh512(_mm512_loadu_ps(x + i)));
}

/* LSTM pass 1 for `nr` (1 or 2, constant) rows: acc[i f c o] <- sigmoid/tanh of (xw + acc) + bias. */
RK_T512 RK_AI static inline void rk_lstm_pass1_512(int nr, float *acc, long ldacc, const float *xw, long ldxw,
                                                   const float *bias, long ldbias) {
    __m512 v[RK_GROUP];
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int g = 0; g < 4; g++) {
            const float *ar = acc + (long)q * ldacc + 16 * g;
            v[4 * q + g] = xw ? _mm512_add_ps(_mm512_loadu_ps(xw + (long)q * ldxw + 16 * g), _mm512_loadu_ps(ar))
                              : _mm512_loadu_ps(ar);
            if (bias) v[4 * q + g] = _mm512_add_ps(v[4 * q + g], _mm512_loadu_ps(bias + (long)q * ldbias + 16 * g));
        }
    rk_act512_group(4 * nr, 0x44u, v);
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int g = 0; g < 4; g++) _mm512_storeu_ps(acc + (long)q * ldacc + 16 * g, v[4 * q + g]);
}

/* LSTM pass 2 for `nr` (<= 8, constant) rows: c' = f*c + i*g; h' = o*tanh(c'). */
RK_T512 RK_AI static inline void rk_lstm_pass2_512(int nr, const float *acc, long ldacc, const float *cPrev, float *cNew,
                                                   float *hNew, long ldh) {
    __m512 c[RK_GROUP];
    RK_UNROLL for (int q = 0; q < nr; q++) {
        const float *ar = acc + (long)q * ldacc;
        __m512 i = _mm512_loadu_ps(ar), f = _mm512_loadu_ps(ar + 16), g = _mm512_loadu_ps(ar + 32);
        c[q] = _mm512_add_ps(_mm512_mul_ps(f, _mm512_loadu_ps(cPrev + (long)q * ldh)), _mm512_mul_ps(i, g));
        _mm512_storeu_ps(cNew + (long)q * ldh, c[q]);
    }
    rk_act512_group(nr, 0xffu, c);
    RK_UNROLL for (int q = 0; q < nr; q++)
        _mm512_storeu_ps(hNew + (long)q * ldh, _mm512_mul_ps(_mm512_loadu_ps(acc + (long)q * ldacc + 48), c[q]));
}

/* LSTM, one panel of 16 units for `rows` rows. acc rows: [i f c o] x 16 (ldacc apart), the
 * caller's scratch, overwritten; xw rows: x @ W in the same layout (ldxw apart), or NULL when
 * acc already holds x @ W + h @ U; bias: 64 or NULL, row r's at bias + r * ldbias (0: one for all rows;
 * 64: B = 1 with the panels of one row passed as rows).
 * z = (xw + acc) + bias; c' = f*c + i*tanh(zc); h' = o*tanh(c'). */
RK_T512 static inline void rk_lstm_gates512(int rows, float *acc, long ldacc, const float *xw, long ldxw,
                                            const float *bias, long ldbias, const float *cPrev, float *cNew, float *hNew,
                                            long ldh) {
    int r = 0;
    for (; r + 2 <= rows; r += 2)
        rk_lstm_pass1_512(2, acc + (long)r * ldacc, ldacc, xw ? xw + (long)r * ldxw : NULL, ldxw,
                          bias ? bias + (long)r * ldbias : NULL, ldbias);
    if (r < rows)
        rk_lstm_pass1_512(1, acc + (long)r * ldacc, ldacc, xw ? xw + (long)r * ldxw : NULL, ldxw,
                          bias ? bias + (long)r * ldbias : NULL, ldbias);
    for (r = 0; r < rows; r += RK_GROUP) {
        const float *a = acc + (long)r * ldacc;
        const float *cp = cPrev + (long)r * ldh;
        float *cn = cNew + (long)r * ldh, *hn = hNew + (long)r * ldh;
        RK_DISPATCH8(rows - r, rk_lstm_pass2_512, a, ldacc, cp, cn, hn, ldh);
    }
}

/* GRU pass 1 for `nr` (<= 4, constant) rows: acc[z r] <- sigmoid(x + (acc + rbias)). */
RK_T512 RK_AI static inline void rk_gru_pass1_512(int nr, float *acc, long ldacc, const float *xw, long ldxw,
                                                  const float *rbias) {
    __m512 v[RK_GROUP];
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int g = 0; g < 2; g++) {
            __m512 m = _mm512_loadu_ps(acc + (long)q * ldacc + 16 * g);
            if (rbias) m = _mm512_add_ps(m, _mm512_loadu_ps(rbias + 16 * g));
            v[2 * q + g] = _mm512_add_ps(_mm512_loadu_ps(xw + (long)q * ldxw + 16 * g), m);
        }
    rk_act512_group(2 * nr, 0u, v);
    RK_UNROLL for (int q = 0; q < nr; q++)
        RK_UNROLL for (int g = 0; g < 2; g++) _mm512_storeu_ps(acc + (long)q * ldacc + 16 * g, v[2 * q + g]);
}

/* GRU pass 2 for `nr` (<= 8, constant) rows: hh = tanh(xh + r*(ah + bh)); h' = z*h + (1-z)*hh. */
RK_T512 RK_AI static inline void rk_gru_pass2_512(int nr, const float *acc, long ldacc, const float *xw, long ldxw,
                                                  const float *rbias, const float *hPrev, float *hNew, long ldh) {
    __m512 v[RK_GROUP];
    RK_UNROLL for (int q = 0; q < nr; q++) {
        const float *ar = acc + (long)q * ldacc;
        __m512 mh = _mm512_loadu_ps(ar + 32);
        if (rbias) mh = _mm512_add_ps(mh, _mm512_loadu_ps(rbias + 32));
        v[q] = _mm512_add_ps(_mm512_loadu_ps(xw + (long)q * ldxw + 32), _mm512_mul_ps(_mm512_loadu_ps(ar + 16), mh));
    }
    rk_act512_group(nr, 0xffu, v);
    const __m512 one = _mm512_set1_ps(1.0f);
    RK_UNROLL for (int q = 0; q < nr; q++) {
        __m512 z = _mm512_loadu_ps(acc + (long)q * ldacc);
        __m512 hp = _mm512_loadu_ps(hPrev + (long)q * ldh);
        _mm512_storeu_ps(hNew + (long)q * ldh, _mm512_add_ps(_mm512_mul_ps(z, hp), _mm512_mul_ps(_mm512_sub_ps(one, z), v[q])));
    }
}

/* GRU (reset_after=True), one panel of 16 units. acc rows: [z r h] x 16 of h @ U (scratch,
 * overwritten); xw rows: x @ W + input bias; rbias: 48 or NULL (recurrent bias).
 * z = σ(xz + (az + bz)); r = σ(xr + (ar + br)); hh = tanh(xh + r*(ah + bh)); h' = z*h + (1-z)*hh. */
RK_T512 static inline void rk_gru_gates512(int rows, float *acc, long ldacc, const float *xw, long ldxw,
                                           const float *rbias, const float *hPrev, float *hNew, long ldh) {
    int r = 0;
    for (; r + 4 <= rows; r += 4) rk_gru_pass1_512(4, acc + (long)r * ldacc, ldacc, xw + (long)r * ldxw, ldxw, rbias);
    switch (rows - r) {
    case 1: rk_gru_pass1_512(1, acc + (long)r * ldacc, ldacc, xw + (long)r * ldxw, ldxw, rbias); break;
    case 2: rk_gru_pass1_512(2, acc + (long)r * ldacc, ldacc, xw + (long)r * ldxw, ldxw, rbias); break;
    case 3: rk_gru_pass1_512(3, acc + (long)r * ldacc, ldacc, xw + (long)r * ldxw, ldxw, rbias); break;
    default: break;
    }
    for (r = 0; r < rows; r += RK_GROUP) {
        const float *a = acc + (long)r * ldacc, *x = xw + (long)r * ldxw, *hp = hPrev + (long)r * ldh;
        float *hn = hNew + (long)r * ldh;
        RK_DISPATCH8(rows - r, rk_gru_pass2_512, a, ldacc, x, ldxw, rbias, hp, hn, ldh);
    }
}

/* SimpleRNN with tanh, `n16` vectors of 16 units: h' = tanh(xw + acc) (xw holds x @ W + b). */
RK_T512 static inline void rk_rnn_tanh512(int rows, int n16, const float *acc, long ldacc, const float *xw, long ldxw,
                                          float *hNew, long ldh) {
    for (int r = 0; r < rows; r++) {
        int v = 0;
        for (; v + 4 <= n16; v += 4) {
            __m512 s[RK_GROUP];
            RK_UNROLL for (int q = 0; q < 4; q++)
                s[q] = _mm512_add_ps(_mm512_loadu_ps(xw + (long)r * ldxw + 16 * (v + q)),
                                     _mm512_loadu_ps(acc + (long)r * ldacc + 16 * (v + q)));
            rk_act512_group(4, 0xfu, s);
            RK_UNROLL for (int q = 0; q < 4; q++) _mm512_storeu_ps(hNew + (long)r * ldh + 16 * (v + q), s[q]);
        }
        for (; v < n16; v++) {
            __m512 s = _mm512_add_ps(_mm512_loadu_ps(xw + (long)r * ldxw + 16 * v), _mm512_loadu_ps(acc + (long)r * ldacc + 16 * v));
            _mm512_storeu_ps(hNew + (long)r * ldh + 16 * v, rk_tanh512(s));
        }
    }
}

/* dst[j] += src[j] for rows x n (n a multiple of 16): adds a bias row to projected rows. */
RK_T512 static inline void rk_add_row512(int rows, int n, float *dst, long ld, const float *src) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j += 16)
            _mm512_storeu_ps(dst + (long)r * ld + j, _mm512_add_ps(_mm512_loadu_ps(dst + (long)r * ld + j), _mm512_loadu_ps(src + j)));
}
#endif /* __x86_64__ */

/* ========================================================================================== */
/* NEON (arm64): tiles, vector exp / sigmoid / tanh and the fused gate passes.                */
/*                                                                                            */
/* Advanced SIMD is part of every AArch64 CPU (Apple Silicon, Graviton, Ampere, ...), so this */
/* code needs no target attribute and no run-time check: rk_cpu_isa() reports level 1 there. */
/* Bit-identical to the portable C above, by construction, lane by lane:                      */
/*   - products: each output element is one FMA chain over k = 0, 1, ... from +0 (or from z), */
/*     vfmaq_f32 being a fused multiply-add with one rounding, as fmaf;                       */
/*   - exp: the same clamps, the same round-to-nearest trick, the same two-part reduction and */
/*     degree-5 polynomial as rk_exp_s, and the final scaling by 2^n as ldexpf rounds it: two */
/*     multiplications by 2^(n/2) and 2^(n - n/2), the first exact (y * 2^(n/2) is a normal  */
/*     float for every n the clamps allow, -150..128), the second rounding once;              */
/*   - sigmoid 1 / (1 + exp(-x)) and tanh's 1 - 2 / (exp(2|x|) + 1) with true divisions      */
/*     (vdivq_f32, correctly rounded like '/'); tanh's small branch the same odd polynomial;  */
/*   - the gate arithmetic in the same order, with the same operand order, as the portable    */
/*     loops in the dispatch section (x@W + h@U, then + bias; f*c + i*g; z*h + (1-z)*hh).     */
/* A NaN stays a NaN wherever the portable path gives one; its sign and payload are not part  */
/* of the promise (x86 and arm64 make different default NaNs). Checked on every kernel, bit   */
/* for bit against the x86 paths, by Tests/KernelBits (scripts/test-kernels, under qemu).     */
/* ========================================================================================== */

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define RK_NEON 1
#define RK_NEON_UNROLL _Pragma("clang loop unroll(full)")

/* MR rows x 16 columns (four 4-float vectors per row): 4*MR accumulators, the four weight
 * vectors loaded once per k step, each row's value used as a lane operand. */
#define RK_TILE_NEON(MR)                                                                      \
    static inline void rk_tile_neon_##MR(const float *a, long lda, const float *b, long ldb, long k, \
                                         float *z, long ldz, int accumulate) {                \
        float32x4_t acc[MR][4];                                                               \
        RK_NEON_UNROLL for (int r = 0; r < MR; r++)                                           \
            RK_NEON_UNROLL for (int v = 0; v < 4; v++)                                        \
                acc[r][v] = accumulate ? vld1q_f32(z + (long)r * ldz + 4 * v) : vdupq_n_f32(0.0f); \
        for (long q = 0; q < k; q++) {                                                        \
            const float *bq = b + q * ldb;                                                    \
            float32x4_t b0 = vld1q_f32(bq), b1 = vld1q_f32(bq + 4), b2 = vld1q_f32(bq + 8),   \
                        b3 = vld1q_f32(bq + 12);                                              \
            RK_NEON_UNROLL for (int r = 0; r < MR; r++) {                                     \
                float av = a[(long)r * lda + q];                                              \
                acc[r][0] = vfmaq_n_f32(acc[r][0], b0, av);                                   \
                acc[r][1] = vfmaq_n_f32(acc[r][1], b1, av);                                   \
                acc[r][2] = vfmaq_n_f32(acc[r][2], b2, av);                                   \
                acc[r][3] = vfmaq_n_f32(acc[r][3], b3, av);                                   \
            }                                                                                 \
        }                                                                                     \
        RK_NEON_UNROLL for (int r = 0; r < MR; r++)                                           \
            RK_NEON_UNROLL for (int v = 0; v < 4; v++) vst1q_f32(z + (long)r * ldz + 4 * v, acc[r][v]); \
    }

RK_TILE_NEON(1) RK_TILE_NEON(2) RK_TILE_NEON(3) RK_TILE_NEON(4) RK_TILE_NEON(5) RK_TILE_NEON(6)

/* One row x 16*NV columns (NV <= 4): up to 16 independent chains, where a 16-column strip
 * would leave a single row waiting on FMA latency. */
#define RK_ROW_NEON(NV)                                                                       \
    static inline void rk_row_neon_##NV(const float *a, const float *b, long ldb, long bs, long k, float *z, \
                                        int accumulate) {                                     \
        float32x4_t acc[4 * NV];                                                              \
        RK_NEON_UNROLL for (int v = 0; v < 4 * NV; v++)                                       \
            acc[v] = accumulate ? vld1q_f32(z + 4 * v) : vdupq_n_f32(0.0f);                   \
        for (long q = 0; q < k; q++) {                                                        \
            float av = a[q];                                                                  \
            RK_NEON_UNROLL for (int v = 0; v < 4 * NV; v++)                                   \
                acc[v] = vfmaq_n_f32(acc[v], vld1q_f32(b + q * ldb + (v / 4) * bs + 4 * (v % 4)), av); \
        }                                                                                     \
        RK_NEON_UNROLL for (int v = 0; v < 4 * NV; v++) vst1q_f32(z + 4 * v, acc[v]);          \
    }

RK_ROW_NEON(1) RK_ROW_NEON(2) RK_ROW_NEON(3) RK_ROW_NEON(4)

/* z (mr x 16*nv) = a @ b (or z + a @ b with `accumulate`): one row in one pass, more rows in
 * 16-column strips of up to 6 rows. */
static inline void rk_tile_neon(int mr, int nv, const float *a, long lda, const float *b, long ldb, long bs, long k,
                                float *z, long ldz, int accumulate) {
    if (mr == 1 && nv >= 1 && nv <= 4) {
        switch (nv) {
        case 1: rk_row_neon_1(a, b, ldb, bs, k, z, accumulate); return;
        case 2: rk_row_neon_2(a, b, ldb, bs, k, z, accumulate); return;
        case 3: rk_row_neon_3(a, b, ldb, bs, k, z, accumulate); return;
        default: rk_row_neon_4(a, b, ldb, bs, k, z, accumulate); return;
        }
    }
    for (int c0 = 0; c0 < 16 * nv; c0 += 16) {
        const float *bc = b + c0 / 16 * bs;
        for (int r0 = 0; r0 < mr; r0 += 6) {
            const float *ar = a + (long)r0 * lda;
            float *zr = z + (long)r0 * ldz + c0;
            switch (mr - r0 < 6 ? mr - r0 : 6) {
            case 1: rk_tile_neon_1(ar, lda, bc, ldb, k, zr, ldz, accumulate); break;
            case 2: rk_tile_neon_2(ar, lda, bc, ldb, k, zr, ldz, accumulate); break;
            case 3: rk_tile_neon_3(ar, lda, bc, ldb, k, zr, ldz, accumulate); break;
            case 4: rk_tile_neon_4(ar, lda, bc, ldb, k, zr, ldz, accumulate); break;
            case 5: rk_tile_neon_5(ar, lda, bc, ldb, k, zr, ldz, accumulate); break;
            default: rk_tile_neon_6(ar, lda, bc, ldb, k, zr, ldz, accumulate); break;
            }
        }
    }
}

/* rk_exp_s, four lanes at a time (see the section comment for the scaling). A NaN passes
 * through: vminq/vmaxq return it, and every later step propagates it. */
static inline float32x4_t rk_exp_neon(float32x4_t x) {
    const float32x4_t magic = vdupq_n_f32(12582912.0f);
    x = vminq_f32(x, vdupq_n_f32(RK_EXP_HI));
    x = vmaxq_f32(x, vdupq_n_f32(RK_EXP_LO));
    float32x4_t fx = vsubq_f32(vfmaq_f32(magic, x, vdupq_n_f32(RK_LOG2E)), magic);
    float32x4_t r = vfmsq_f32(x, fx, vdupq_n_f32(RK_LN2_HI)); /* fmaf(-fx, LN2_HI, x) */
    r = vfmsq_f32(r, fx, vdupq_n_f32(RK_LN2_LO));
    float32x4_t y = vfmaq_f32(vdupq_n_f32(RK_EP1), vdupq_n_f32(RK_EP0), r);
    y = vfmaq_f32(vdupq_n_f32(RK_EP2), y, r);
    y = vfmaq_f32(vdupq_n_f32(RK_EP3), y, r);
    y = vfmaq_f32(vdupq_n_f32(RK_EP4), y, r);
    y = vfmaq_f32(vdupq_n_f32(RK_EP5), y, r);
    y = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), y, vmulq_f32(r, r));
    /* ldexpf(y, n): y * 2^n1 is exact (a normal float), * 2^n2 rounds once */
    int32x4_t n = vcvtq_s32_f32(fx); /* fx is an integer in [-150, 128]; a NaN lane gives 0 */
    int32x4_t n1 = vshrq_n_s32(n, 1), n2 = vsubq_s32(n, n1);
    float32x4_t p1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, vdupq_n_s32(127)), 23));
    float32x4_t p2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, vdupq_n_s32(127)), 23));
    return vmulq_f32(vmulq_f32(y, p1), p2);
}

/* rk_sigmoid_s: 1 / (1 + exp(-x)). */
static inline float32x4_t rk_sigmoid_neon(float32x4_t x) {
    const float32x4_t one = vdupq_n_f32(1.0f);
    return vdivq_f32(one, vaddq_f32(one, rk_exp_neon(vnegq_f32(x))));
}

/* rk_tanh_s: |x| > 0.625: 1 - 2 / (exp(2|x|) + 1) with the sign of x; else x + x z P(z). */
static inline float32x4_t rk_tanh_neon(float32x4_t x) {
    const float32x4_t one = vdupq_n_f32(1.0f);
    float32x4_t ax = vabsq_f32(x);
    float32x4_t big = vsubq_f32(one, vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(rk_exp_neon(vaddq_f32(ax, ax)), one)));
    big = vbslq_f32(vdupq_n_u32(0x80000000u), x, big); /* copysignf(big, x) */
    float32x4_t z = vmulq_f32(x, x);
    float32x4_t p = vfmaq_f32(vdupq_n_f32(RK_TP1), vdupq_n_f32(RK_TP0), z);
    p = vfmaq_f32(vdupq_n_f32(RK_TP2), p, z);
    p = vfmaq_f32(vdupq_n_f32(RK_TP3), p, z);
    p = vfmaq_f32(vdupq_n_f32(RK_TP4), p, z);
    float32x4_t small = vfmaq_f32(x, vmulq_f32(p, z), x);
    return vbslq_f32(vcgtq_f32(ax, vdupq_n_f32(0.625f)), big, small); /* a NaN takes the small branch, as in rk_tanh_s */
}

/* The LSTM gate pass of rk_lstm_gates (same arguments), four units at a time. */
static inline void rk_lstm_gates_neon(int rows, const float *acc, long ldacc, const float *xw, long ldxw,
                                      const float *bias, long ldbias, const float *cPrev, float *cNew, float *hNew,
                                      long ldh) {
    for (int r = 0; r < rows; r++) {
        const float *ar = acc + (long)r * ldacc, *xr = xw ? xw + (long)r * ldxw : NULL;
        const float *br = bias ? bias + (long)r * ldbias : NULL;
        for (int j = 0; j < 16; j += 4) {
            float32x4_t zi = vld1q_f32(ar + j), zf = vld1q_f32(ar + 16 + j), zc = vld1q_f32(ar + 32 + j),
                        zo = vld1q_f32(ar + 48 + j);
            if (xr) {
                zi = vaddq_f32(vld1q_f32(xr + j), zi); zf = vaddq_f32(vld1q_f32(xr + 16 + j), zf);
                zc = vaddq_f32(vld1q_f32(xr + 32 + j), zc); zo = vaddq_f32(vld1q_f32(xr + 48 + j), zo);
            }
            if (br) {
                zi = vaddq_f32(zi, vld1q_f32(br + j)); zf = vaddq_f32(zf, vld1q_f32(br + 16 + j));
                zc = vaddq_f32(zc, vld1q_f32(br + 32 + j)); zo = vaddq_f32(zo, vld1q_f32(br + 48 + j));
            }
            float32x4_t i = rk_sigmoid_neon(zi), f = rk_sigmoid_neon(zf), g = rk_tanh_neon(zc), o = rk_sigmoid_neon(zo);
            float32x4_t fc = vmulq_f32(f, vld1q_f32(cPrev + (long)r * ldh + j)), ig = vmulq_f32(i, g);
            float32x4_t c = vaddq_f32(fc, ig);
            vst1q_f32(cNew + (long)r * ldh + j, c);
            vst1q_f32(hNew + (long)r * ldh + j, vmulq_f32(o, rk_tanh_neon(c)));
        }
    }
}

/* The GRU gate pass of rk_gru_gates (same arguments), four units at a time. */
static inline void rk_gru_gates_neon(int rows, const float *acc, long ldacc, const float *xw, long ldxw,
                                     const float *rbias, const float *hPrev, float *hNew, long ldh) {
    const float32x4_t one = vdupq_n_f32(1.0f);
    for (int r = 0; r < rows; r++) {
        const float *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
        for (int j = 0; j < 16; j += 4) {
            float32x4_t mz = vld1q_f32(ar + j), mr = vld1q_f32(ar + 16 + j), mh = vld1q_f32(ar + 32 + j);
            if (rbias) {
                mz = vaddq_f32(mz, vld1q_f32(rbias + j)); mr = vaddq_f32(mr, vld1q_f32(rbias + 16 + j));
                mh = vaddq_f32(mh, vld1q_f32(rbias + 32 + j));
            }
            float32x4_t z = rk_sigmoid_neon(vaddq_f32(vld1q_f32(xr + j), mz));
            float32x4_t rr = rk_sigmoid_neon(vaddq_f32(vld1q_f32(xr + 16 + j), mr));
            float32x4_t rm = vmulq_f32(rr, mh);
            float32x4_t hh = rk_tanh_neon(vaddq_f32(vld1q_f32(xr + 32 + j), rm));
            float32x4_t ha = vmulq_f32(z, vld1q_f32(hPrev + (long)r * ldh + j)), hb = vmulq_f32(vsubq_f32(one, z), hh);
            vst1q_f32(hNew + (long)r * ldh + j, vaddq_f32(ha, hb));
        }
    }
}

/* SimpleRNN with tanh (rk_rnn_tanh's arguments): h' = tanh(xw + acc). */
static inline void rk_rnn_tanh_neon(int rows, int n16, const float *acc, long ldacc, const float *xw, long ldxw,
                                    float *hNew, long ldh) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 16 * n16; j += 4)
            vst1q_f32(hNew + (long)r * ldh + j,
                      rk_tanh_neon(vaddq_f32(vld1q_f32(xw + (long)r * ldxw + j), vld1q_f32(acc + (long)r * ldacc + j))));
}

/* dst[j] = dst[j] + src[j] for rows x n. */
static inline void rk_add_row_neon(int rows, int n, float *dst, long ld, const float *src) {
    for (int r = 0; r < rows; r++) {
        float *d = dst + (long)r * ld;
        int j = 0;
        for (; j + 4 <= n; j += 4) vst1q_f32(d + j, vaddq_f32(vld1q_f32(d + j), vld1q_f32(src + j)));
        for (; j < n; j++) d[j] = d[j] + src[j];
    }
}

/* out[i] = sigmoid(x[i]) / tanh(x[i]) for any n (the last n % 4 by the scalar code). */
static inline void rk_sigmoid_neon_n(const float *x, float *out, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(out + i, rk_sigmoid_neon(vld1q_f32(x + i)));
    for (; i < n; i++) out[i] = rk_sigmoid_s(x[i]);
}
static inline void rk_tanh_neon_n(const float *x, float *out, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(out + i, rk_tanh_neon(vld1q_f32(x + i)));
    for (; i < n; i++) out[i] = rk_tanh_s(x[i]);
}
#endif /* NEON */

/* ------------------------------------------------------------------------------------------ */
/* Dispatch: isa from rk_cpu_isa().                                                           */
/* ------------------------------------------------------------------------------------------ */

/* z (mr x 16*nv, ldz) = a (mr x k, lda) @ b (k x 16*nv: ldb, strips bs apart); with `accumulate`, the chains
 * continue from the values in z (a product split along k gives the same bits as one call:
 * storing and reloading a float accumulator is exact). */
static inline void rk_tile_acc(int isa, int mr, int nv, const float *a, long lda, const float *b, long ldb, long bs, long k,
                               float *z, long ldz, int accumulate) {
#if defined(__x86_64__)
    if (isa == 2 && rk_tile512(mr, nv, a, lda, b, ldb, bs, k, z, ldz, accumulate, NULL, 0)) return;
    if (isa >= 1) { rk_tile_avx2(mr, 16 * nv, a, lda, b, ldb, bs, k, z, ldz, accumulate); return; }
#endif
#if defined(RK_NEON)
    if (isa >= 1) { rk_tile_neon(mr, nv, a, lda, b, ldb, bs, k, z, ldz, accumulate); return; }
#endif
    (void)isa;
    rk_tile_generic(mr, 16 * nv, a, lda, b, ldb, bs, k, z, ldz, accumulate);
}

static inline void rk_tile(int isa, int mr, int nv, const float *a, long lda, const float *b, long ldb, long bs,
                           long k, float *z, long ldz) {
    rk_tile_acc(isa, mr, nv, a, lda, b, ldb, bs, k, z, ldz, 0);
}

/* rk_tile, also asking for `pf2n` (<= k) 64-byte lines from `pf2` on into L2 while it runs: the
 * next weight panel, which would otherwise arrive from L3 only when its first tile needs it. */
static inline void rk_tile_pf(int isa, int mr, int nv, const float *a, long lda, const float *b, long ldb, long bs,
                              long k, float *z, long ldz, const float *pf2, long pf2n) {
#if defined(__x86_64__)
    if (isa == 2 && rk_tile512(mr, nv, a, lda, b, ldb, bs, k, z, ldz, 0, pf2, pf2n < k ? pf2n : k)) return;
#endif
    (void)pf2; (void)pf2n;
    rk_tile_acc(isa, mr, nv, a, lda, b, ldb, bs, k, z, ldz, 0);
}

/* One row against two 64-column panels (z0, z1 get 64 each). */
static inline void rk_row2p(int isa, const float *a, const float *b0, const float *b1, long ldb, long bs, long k,
                            float *z0, float *z1) {
#if defined(__x86_64__)
    if (isa == 2 && ldb == 16 && rk_row_two_strips()) {
        /* packed strips (k x 16 each, bs apart): two at a time */
        for (int v = 0; v < 4; v += 2) rk_tile512_row2s(a, b0 + v * bs, b0 + (v + 1) * bs, k, z0 + 16 * v, z0 + 16 * v + 16);
        for (int v = 0; v < 4; v += 2) rk_tile512_row2s(a, b1 + v * bs, b1 + (v + 1) * bs, k, z1 + 16 * v, z1 + 16 * v + 16);
        return;
    }
    if (isa == 2) { rk_tile512_row2p(a, b0, b1, ldb, bs, k, z0, z1); return; }
#endif
    rk_tile(isa, 1, 4, a, 0, b0, ldb, bs, k, z0, 64);
    rk_tile(isa, 1, 4, a, 0, b1, ldb, bs, k, z1, 64);
}

/* One row against two 16-column strips u0, u1 (k x 16 each) into z (32 columns), and the
 * q0 <= q < q1 part of the 8-row x 32-column product of x (8 rows, lda apart) with the strips
 * w0, w1 (k rows of 16 each), accumulated in zp (zeroed first when q0 == 0): one step's row
 * product carrying a slice of a later block's input projection (AVX-512 interleaves the two;
 * the other paths compute them one after the other, with the same chains). */
static inline void rk_row2s_proj(int isa, const float *a, const float *u0, const float *u1, long ku, float *z,
                                 const float *x, long lda, const float *w0, const float *w1, long q0, long q1, float *zp,
                                 long ldzp) {
#if defined(__x86_64__)
    if (isa == 2) { rk_tile512_row2s_proj(a, u0, u1, ku, z, x, lda, w0, w1, q0, q1, zp, ldzp); return; }
#endif
    rk_tile(isa, 1, 2, a, 0, u0, 16, (long)(u1 - u0), ku, z, 32);
    if (q1 > q0) {
        rk_tile_acc(isa, 8, 2, x + q0, lda, w0 + q0 * 16, 16, (long)(w1 - w0), q1 - q0, zp, ldzp, q0 > 0);
    } else if (q0 == 0) {
        for (int r = 0; r < 8; r++)
            for (int j = 0; j < 32; j++) zp[(long)r * ldzp + j] = 0.0f;
    }
}

static inline void rk_lstm_gates(int isa, int rows, float *acc, long ldacc, const float *xw, long ldxw,
                                 const float *bias, long ldbias, const float *cPrev, float *cNew, float *hNew, long ldh) {
#if defined(__x86_64__)
    if (isa == 2) { rk_lstm_gates512(rows, acc, ldacc, xw, ldxw, bias, ldbias, cPrev, cNew, hNew, ldh); return; }
    if (isa == 1) { rk_lstm_gates256(rows, acc, ldacc, xw, ldxw, bias, ldbias, cPrev, cNew, hNew, ldh); return; }
#endif
#if defined(RK_NEON)
    if (isa >= 1) { rk_lstm_gates_neon(rows, acc, ldacc, xw, ldxw, bias, ldbias, cPrev, cNew, hNew, ldh); return; }
#endif
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 16; j++) {
            const float *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
            float zi = ar[j], zf = ar[16 + j], zc = ar[32 + j], zo = ar[48 + j];
            if (xw) { zi = xr[j] + zi; zf = xr[16 + j] + zf; zc = xr[32 + j] + zc; zo = xr[48 + j] + zo; }
            const float *br = bias ? bias + (long)r * ldbias : NULL;
            if (br) { zi = zi + br[j]; zf = zf + br[16 + j]; zc = zc + br[32 + j]; zo = zo + br[48 + j]; }
            float i = rk_sigmoid_s(zi), f = rk_sigmoid_s(zf), g = rk_tanh_s(zc), o = rk_sigmoid_s(zo);
            float fc = f * cPrev[(long)r * ldh + j], ig = i * g;
            float c = fc + ig;
            cNew[(long)r * ldh + j] = c;
            hNew[(long)r * ldh + j] = o * rk_tanh_s(c);
        }
}

static inline void rk_gru_gates(int isa, int rows, float *acc, long ldacc, const float *xw, long ldxw,
                                const float *rbias, const float *hPrev, float *hNew, long ldh) {
#if defined(__x86_64__)
    if (isa == 2) { rk_gru_gates512(rows, acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh); return; }
    if (isa == 1) { rk_gru_gates256(rows, acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh); return; }
#endif
#if defined(RK_NEON)
    if (isa >= 1) { rk_gru_gates_neon(rows, acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh); return; }
#endif
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 16; j++) {
            const float *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
            float mz = ar[j], mr = ar[16 + j], mh = ar[32 + j];
            if (rbias) { mz = mz + rbias[j]; mr = mr + rbias[16 + j]; mh = mh + rbias[32 + j]; }
            float z = rk_sigmoid_s(xr[j] + mz);
            float rr = rk_sigmoid_s(xr[16 + j] + mr);
            float rm = rr * mh;
            float hh = rk_tanh_s(xr[32 + j] + rm);
            float a = z * hPrev[(long)r * ldh + j], b = (1.0f - z) * hh;
            hNew[(long)r * ldh + j] = a + b;
        }
}

static inline void rk_rnn_tanh(int isa, int rows, int n16, const float *acc, long ldacc, const float *xw, long ldxw,
                               float *hNew, long ldh) {
#if defined(__x86_64__)
    if (isa == 2) { rk_rnn_tanh512(rows, n16, acc, ldacc, xw, ldxw, hNew, ldh); return; }
    if (isa == 1) { rk_rnn_tanh256(rows, n16, acc, ldacc, xw, ldxw, hNew, ldh); return; }
#endif
#if defined(RK_NEON)
    if (isa >= 1) { rk_rnn_tanh_neon(rows, n16, acc, ldacc, xw, ldxw, hNew, ldh); return; }
#endif
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 16 * n16; j++)
            hNew[(long)r * ldh + j] = rk_tanh_s(xw[(long)r * ldxw + j] + acc[(long)r * ldacc + j]);
}

static inline void rk_add_row(int isa, int rows, int n, float *dst, long ld, const float *src) {
#if defined(__x86_64__)
    if (isa == 2) { rk_add_row512(rows, n, dst, ld, src); return; }
    if (isa == 1) { rk_add_row256(rows, n, dst, ld, src); return; }
#endif
#if defined(RK_NEON)
    if (isa >= 1) { rk_add_row_neon(rows, n, dst, ld, src); return; }
#endif
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++) dst[(long)r * ld + j] = dst[(long)r * ld + j] + src[j];
}

/* Scalar helpers exposed for tests and the non-x86 paths. */
static inline void rk_sigmoid_n(int isa, const float *x, float *out, long n) {
#if defined(__x86_64__)
    if (isa == 2 && n % 16 == 0) { rk_sigmoid512_n(x, out, n); return; }
    if (isa == 1) { rk_sigmoid256_n(x, out, n); return; }
#endif
#if defined(RK_NEON)
    if (isa >= 1) { rk_sigmoid_neon_n(x, out, n); return; }
#endif
    for (long i = 0; i < n; i++) out[i] = rk_sigmoid_s(x[i]);
}
static inline void rk_tanh_n(int isa, const float *x, float *out, long n) {
#if defined(__x86_64__)
    if (isa == 2 && n % 16 == 0) { rk_tanh512_n(x, out, n); return; }
    if (isa == 1) { rk_tanh256_n(x, out, n); return; }
#endif
#if defined(RK_NEON)
    if (isa >= 1) { rk_tanh_neon_n(x, out, n); return; }
#endif
    for (long i = 0; i < n; i++) out[i] = rk_tanh_s(x[i]);
}

#endif /* RNNCHECK_RNN_KERNELS_H */
