/*
 * rnncheck's float64 compute kernels: the same design as the float32 ones in rnn_kernels.h (a
 * register-tiled product on packed weights, fused LSTM / GRU / SimpleRNN gate passes), for the
 * float64 run the error budget measures Keras's float32 result against.
 *
 * Numerics (identical on every path, so results never depend on tiling, ISA or threads):
 *   - every output element of a product is ONE fused multiply-add chain over k = 0, 1, ...,
 *     starting from +0 (as in float32);
 *   - exp is Cephes exp (range reduction by ln 2 in two parts, the (3, 4) rational
 *     approximation, scaling by 2^n in two exact steps so that denormal results round once),
 *     within about 1 ulp; sigmoid(x) = 1 / (1 + exp(-x)) with a true division; tanh is Cephes
 *     tanh: x + x^3 P(x^2) / Q(x^2) below |x| = 0.625, 1 - 2 / (exp(2|x|) + 1) above, +-1 beyond
 *     |x| = 22 (where 1 - tanh is below half an ulp of 1).
 *   Both are far more exact than the float32 results they are a yardstick for (float32's ulp is
 *   2^29 times float64's); they are written out here rather than taken from libm so that the
 *   vector and scalar paths give the same bits.
 * Every operation that is fused (fma) is written as fma() in the scalar code and as an FMA in
 * the vector code; every other product and sum stands in its own statement, so the compiler's
 * contraction of a*b+c within one expression never applies.
 * Paths: portable C, AVX2 (x86-64; AVX-512 CPUs use it too) and NEON (arm64), the same bits on
 * every input (Tests/KernelBits, scripts/test-kernels: x86 natively, arm64 under qemu).
 */
#ifndef RNNCHECK_RNN_KERNELS64_H
#define RNNCHECK_RNN_KERNELS64_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "rnn_kernels.h" /* RK_AI, RK_UNROLL, RK_GROUP: the lockstep groups of the activations */

#define RK_D_EXP_HI 7.09782712893383996843E2
#define RK_D_EXP_LO (-745.2)
#define RK_D_LOG2E 1.4426950408889634073599
#define RK_D_C1 6.93145751953125E-1
#define RK_D_C2 1.42860682030941723212E-6
#define RK_D_P0 1.26177193074810590878E-4
#define RK_D_P1 3.02994407707441961300E-2
#define RK_D_P2 9.99999999999999999910E-1
#define RK_D_Q0 3.00198505138664455042E-6
#define RK_D_Q1 2.52448340349684104192E-3
#define RK_D_Q2 2.27265548208155028766E-1
#define RK_D_Q3 2.00000000000000000009E0
#define RK_D_TP0 (-9.64399179425052238628E-1)
#define RK_D_TP1 (-9.92877231001918586564E1)
#define RK_D_TP2 (-1.61468768441708447952E3)
#define RK_D_TQ0 1.12811678491632931402E2
#define RK_D_TQ1 2.23548839060100448583E3
#define RK_D_TQ2 4.84406305325125486048E3

/* Asks for `bytes` bytes of each of `rows` rows (`ld_bytes` apart) from `p` on into cache (any
 * scalar type). */
static inline void rk_prefetch_bytes(const void *p, int rows, long ld_bytes, int bytes) {
    for (int r = 0; r < rows; r++)
        for (int b = 0; b < bytes; b += 64) __builtin_prefetch((const char *)p + (long)r * ld_bytes + b, 0, 3);
}

/* 2^n for n in [-1022, 1023], built from its bits. */
static inline double rk_pow2_d(int64_t n) {
    uint64_t bits = (uint64_t)(n + 1023) << 52;
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

static inline double rk_exp_d(double x) {
    if (x != x) return x;
    x = x > RK_D_EXP_HI ? RK_D_EXP_HI : x;
    x = x < RK_D_EXP_LO ? RK_D_EXP_LO : x;
    double fx = floor(fma(x, RK_D_LOG2E, 0.5));
    double r = fma(-fx, RK_D_C1, x);
    r = fma(-fx, RK_D_C2, r);
    double xx = r * r;
    double p = fma(RK_D_P0, xx, RK_D_P1);
    p = fma(p, xx, RK_D_P2);
    p = p * r;
    double q = fma(RK_D_Q0, xx, RK_D_Q1);
    q = fma(q, xx, RK_D_Q2);
    q = fma(q, xx, RK_D_Q3);
    double d = q - p;
    double e = p / d;
    e = fma(2.0, e, 1.0);
    int64_t n = (int64_t)fx;               /* in [-1075, 1023] */
    int64_t n1 = n / 2;                    /* toward zero: both halves in range */
    int64_t n2 = n - n1;
    e = e * rk_pow2_d(n1);
    return e * rk_pow2_d(n2);
}

static inline double rk_sigmoid_d(double x) {
    double e = rk_exp_d(-x);
    double d = 1.0 + e;
    return 1.0 / d;
}

static inline double rk_tanh_d(double x) {
    double ax = fabs(x);
    if (ax > 0.625) {
        if (ax > 22.0) return copysign(1.0, x);
        double s = rk_exp_d(ax + ax);
        double d = s + 1.0;
        double t = 2.0 / d;
        double r = 1.0 - t;
        return copysign(r, x);
    }
    if (x != x || x == 0.0) return x;   /* NaN; and tanh(+-0) = +-0 */
    double z = x * x;
    double p = fma(RK_D_TP0, z, RK_D_TP1);
    p = fma(p, z, RK_D_TP2);
    double q = z + RK_D_TQ0;
    q = fma(q, z, RK_D_TQ1);
    q = fma(q, z, RK_D_TQ2);
    double xz = x * z;
    double pq = p / q;
    return fma(xz, pq, x);
}

/* ------------------------------------------------------------------------------------------ */
/* Portable tile product: z[r][j] = sum_q a[r][q] * b[q][j], one fma chain per element.       */
/* ------------------------------------------------------------------------------------------ */

/* B in 8-column strips (one 64-byte line of doubles per strip row, as a float32 strip row is one
 * line of 16 floats): element (q, j) at b[q*ldb + (j/8)*bs + j%8]; row-major is bs = 8. */
static inline void rk_tile_generic_d(int mr, int ncols, const double *a, long lda, const double *b, long ldb,
                                     long bs, long k, double *z, long ldz, int accumulate) {
    for (int r = 0; r < mr; r++) {
        double *zr = z + (long)r * ldz;
        if (!accumulate) for (int j = 0; j < ncols; j++) zr[j] = 0.0;
        const double *ar = a + (long)r * lda;
        for (long q = 0; q < k; q++) {
            double av = ar[q];
            for (int c0 = 0; c0 < ncols; c0 += 8) {
                const double *bq = b + q * ldb + (c0 / 8) * bs;
                for (int j = 0; j < 8; j++) zr[c0 + j] = fma(av, bq[j], zr[c0 + j]);
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define RK_T256D __attribute__((target("avx2,fma")))

/* AVX2 tiles: MR rows x 4*W columns (W 4-double vectors) in registers; 6 x 8 uses 12
 * accumulators, 2 weight vectors and 1 broadcast of the 16 registers. As in the float32
 * tiles, 1 row takes 32 columns and 2 rows 16 (8 independent chains each, where 1 x 8 would
 * have 2 and wait on the FMA latency); more rows go in groups of at most 6, as even as possible. */
#define RK_TILE256D(MR, W)                                                                    \
    RK_T256D static inline void rk_tile256d_##MR##x##W(const double *a, long lda, const double *b, long ldb, \
                                                       long bs, long k, double *z, long ldz, int accumulate, \
                                                       const double *pf2, long pf2n) {        \
        __m256d acc[MR][W];                                                                   \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                    \
                acc[r][w] = accumulate ? _mm256_loadu_pd(z + (long)r * ldz + 4 * w) : _mm256_setzero_pd(); \
        for (long q = 0; q < k; q++) {                                                        \
            if (q < pf2n) {                                                                   \
                _mm_prefetch((const char *)(pf2 + 16 * q), _MM_HINT_T1);                      \
                _mm_prefetch((const char *)(pf2 + 16 * q + 8), _MM_HINT_T1);                  \
            }                                                                                 \
            __m256d bv[W];                                                                    \
            _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                    \
                bv[w] = _mm256_loadu_pd(b + q * ldb + (w / 2) * bs + 4 * (w % 2));           \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                 \
                __m256d av = _mm256_broadcast_sd(a + (long)r * lda + q);                      \
                _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                \
                    acc[r][w] = _mm256_fmadd_pd(av, bv[w], acc[r][w]);                        \
            }                                                                                 \
        }                                                                                     \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int w = 0; w < W; w++)                    \
                _mm256_storeu_pd(z + (long)r * ldz + 4 * w, acc[r][w]);                       \
    }

RK_TILE256D(1, 8) RK_TILE256D(2, 4)
RK_TILE256D(1, 2) RK_TILE256D(2, 2) RK_TILE256D(3, 2) RK_TILE256D(4, 2) RK_TILE256D(5, 2) RK_TILE256D(6, 2)

/* z (mr x ncols) = a @ b with ncols a multiple of 8. The first kernel call also asks for pf2n
 * 128-byte slices from pf2 on into L2 (a slice per k step; pf2n <= k), as the float32 tiles do:
 * the caller's next weight panel, when a thread's weights stream from L3 every step. */
RK_T256D static inline void rk_tile_avx2_d(int mr, int ncols, const double *a, long lda, const double *b, long ldb,
                                           long bs, long k, double *z, long ldz, int accumulate, const double *pf2,
                                           long pf2n) {
    if (mr == 1 && ncols % 32 == 0) {
        for (int c0 = 0; c0 < ncols; c0 += 32, pf2n = 0)
            rk_tile256d_1x8(a, lda, b + c0 / 8 * bs, ldb, bs, k, z + c0, ldz, accumulate, pf2, pf2n);
        return;
    }
    if (mr == 2 && ncols % 16 == 0) {
        for (int c0 = 0; c0 < ncols; c0 += 16, pf2n = 0)
            rk_tile256d_2x4(a, lda, b + c0 / 8 * bs, ldb, bs, k, z + c0, ldz, accumulate, pf2, pf2n);
        return;
    }
    int groups = (mr + 5) / 6, base = mr / groups, extra = mr % groups;
    for (int c0 = 0; c0 < ncols; c0 += 8) {
        const double *bc = b + c0 / 8 * bs;
        int r0 = 0;
        for (int g = 0; g < groups; g++, pf2n = 0) {
            int rows = base + (g < extra);
            const double *ar = a + (long)r0 * lda;
            double *zr = z + (long)r0 * ldz + c0;
            switch (rows) {
            case 1: rk_tile256d_1x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate, pf2, pf2n); break;
            case 2: rk_tile256d_2x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate, pf2, pf2n); break;
            case 3: rk_tile256d_3x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate, pf2, pf2n); break;
            case 4: rk_tile256d_4x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate, pf2, pf2n); break;
            case 5: rk_tile256d_5x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate, pf2, pf2n); break;
            default: rk_tile256d_6x2(ar, lda, bc, ldb, bs, k, zr, ldz, accumulate, pf2, pf2n); break;
            }
            r0 += rows;
        }
    }
}

/* The activations on 4 lanes: the same operations as rk_exp_d / rk_tanh_d, lane by lane. */
RK_T256D static inline __m256d rk_pow2_256d(__m256i n) {
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(n, _mm256_set1_epi64x(1023)), 52));
}

/* In groups of n (<= RK_GROUP, constant at the inlined call site) independent vectors in
 * lockstep, as the float32 code (rk_act256_group): each step over the whole group before the
 * next, so the out-of-order window holds several of the long exp / division chains at once. */
RK_T256D RK_AI static inline void rk_exp256d_group(int n, __m256d *x) {
    __m256d xin[RK_GROUP], fx[RK_GROUP], r[RK_GROUP], p[RK_GROUP], q[RK_GROUP];
    RK_UNROLL for (int i = 0; i < n; i++) xin[i] = x[i];
    RK_UNROLL for (int i = 0; i < n; i++) x[i] = _mm256_min_pd(x[i], _mm256_set1_pd(RK_D_EXP_HI));
    RK_UNROLL for (int i = 0; i < n; i++) x[i] = _mm256_max_pd(x[i], _mm256_set1_pd(RK_D_EXP_LO));
    RK_UNROLL for (int i = 0; i < n; i++)
        fx[i] = _mm256_floor_pd(_mm256_fmadd_pd(x[i], _mm256_set1_pd(RK_D_LOG2E), _mm256_set1_pd(0.5)));
    RK_UNROLL for (int i = 0; i < n; i++) {
        __m256d nfx = _mm256_sub_pd(_mm256_setzero_pd(), fx[i]);
        r[i] = _mm256_fmadd_pd(nfx, _mm256_set1_pd(RK_D_C1), x[i]);
        r[i] = _mm256_fmadd_pd(nfx, _mm256_set1_pd(RK_D_C2), r[i]);
    }
    RK_UNROLL for (int i = 0; i < n; i++) {
        __m256d xx = _mm256_mul_pd(r[i], r[i]);
        p[i] = _mm256_fmadd_pd(_mm256_set1_pd(RK_D_P0), xx, _mm256_set1_pd(RK_D_P1));
        p[i] = _mm256_fmadd_pd(p[i], xx, _mm256_set1_pd(RK_D_P2));
        p[i] = _mm256_mul_pd(p[i], r[i]);
        q[i] = _mm256_fmadd_pd(_mm256_set1_pd(RK_D_Q0), xx, _mm256_set1_pd(RK_D_Q1));
        q[i] = _mm256_fmadd_pd(q[i], xx, _mm256_set1_pd(RK_D_Q2));
        q[i] = _mm256_fmadd_pd(q[i], xx, _mm256_set1_pd(RK_D_Q3));
    }
    RK_UNROLL for (int i = 0; i < n; i++) p[i] = _mm256_div_pd(p[i], _mm256_sub_pd(q[i], p[i]));
    RK_UNROLL for (int i = 0; i < n; i++) {
        __m256d e = _mm256_fmadd_pd(_mm256_set1_pd(2.0), p[i], _mm256_set1_pd(1.0));
        /* n = (int64)fx, exact (|fx| <= 1075); n1 = n / 2 toward zero, n2 = n - n1 */
        __m128i n32 = _mm256_cvtpd_epi32(fx[i]);
        __m256i nn = _mm256_cvtepi32_epi64(n32);
        /* n / 2 toward zero = (n + (n < 0)) >> 1 (arithmetic), as the scalar code's n / 2; the
         * value fits 32 bits, so on the 32-bit lanes (AVX2 has no 64-bit arithmetic shift) */
        __m128i h32 = _mm_srai_epi32(_mm_add_epi32(n32, _mm_srli_epi32(n32, 31)), 1);
        __m256i half = _mm256_cvtepi32_epi64(h32);
        __m256i rest = _mm256_sub_epi64(nn, half);
        e = _mm256_mul_pd(e, rk_pow2_256d(half));
        e = _mm256_mul_pd(e, rk_pow2_256d(rest));
        x[i] = _mm256_blendv_pd(e, xin[i], _mm256_cmp_pd(xin[i], xin[i], _CMP_UNORD_Q));
    }
}

RK_T256D static inline __m256d rk_exp256d(__m256d x) { rk_exp256d_group(1, &x); return x; }

/* v[i] = sigmoid(v[i]), or tanh(v[i]) where bit i of `tanh_bits` is set (rk_sigmoid_d, rk_tanh_d). */
RK_T256D RK_AI static inline void rk_act256d_group(int n, unsigned tanh_bits, __m256d *v) {
    __m256d e[RK_GROUP];
    const __m256d one = _mm256_set1_pd(1.0), signbit = _mm256_set1_pd(-0.0);
    RK_UNROLL for (int i = 0; i < n; i++) {
        if (tanh_bits >> i & 1) { __m256d ax = _mm256_andnot_pd(signbit, v[i]); e[i] = _mm256_add_pd(ax, ax); }
        else e[i] = _mm256_xor_pd(v[i], signbit);
    }
    rk_exp256d_group(n, e);
    /* sigmoid: 1 / (1 + exp(-x)); tanh, large |x|: 1 - 2 / (exp(2|x|) + 1) (the same sum) */
    RK_UNROLL for (int i = 0; i < n; i++)
        e[i] = _mm256_div_pd((tanh_bits >> i & 1) ? _mm256_set1_pd(2.0) : one, _mm256_add_pd(one, e[i]));
    RK_UNROLL for (int i = 0; i < n; i++) {
        if (!(tanh_bits >> i & 1)) { v[i] = e[i]; continue; }
        __m256d x = v[i];
        __m256d ax = _mm256_andnot_pd(signbit, x);
        /* large: +-1 beyond 22 */
        __m256d big = _mm256_sub_pd(one, e[i]);
        big = _mm256_blendv_pd(big, one, _mm256_cmp_pd(ax, _mm256_set1_pd(22.0), _CMP_GT_OQ));
        big = _mm256_or_pd(big, _mm256_and_pd(signbit, x));
        /* small: x + (x z) (P(z) / Q(z)) */
        __m256d z = _mm256_mul_pd(x, x);
        __m256d p = _mm256_fmadd_pd(_mm256_set1_pd(RK_D_TP0), z, _mm256_set1_pd(RK_D_TP1));
        p = _mm256_fmadd_pd(p, z, _mm256_set1_pd(RK_D_TP2));
        __m256d q = _mm256_add_pd(z, _mm256_set1_pd(RK_D_TQ0));
        q = _mm256_fmadd_pd(q, z, _mm256_set1_pd(RK_D_TQ1));
        q = _mm256_fmadd_pd(q, z, _mm256_set1_pd(RK_D_TQ2));
        __m256d small = _mm256_fmadd_pd(_mm256_mul_pd(x, z), _mm256_div_pd(p, q), x);
        /* +-0 and NaN give themselves, as the scalar code */
        small = _mm256_blendv_pd(small, x, _mm256_cmp_pd(ax, _mm256_setzero_pd(), _CMP_EQ_UQ));
        v[i] = _mm256_blendv_pd(small, big, _mm256_cmp_pd(ax, _mm256_set1_pd(0.625), _CMP_GT_OQ));
    }
}

RK_T256D static inline __m256d rk_sigmoid256d(__m256d x) { rk_act256d_group(1, 0u, &x); return x; }
RK_T256D static inline __m256d rk_tanh256d(__m256d x) { rk_act256d_group(1, 1u, &x); return x; }

/* LSTM in two passes over the tile, as the float32 code: each row's 16 gate vectors (4 units
 * each) activated in place in groups of four, then the cell update in groups of four. */
RK_T256D static inline void rk_lstm_gates256d(int rows, double *acc, long ldacc, const double *xw, long ldxw,
                                              const double *bias, long ldbias, const double *cPrev, double *cNew,
                                              double *hNew, long ldh) {
    for (int r = 0; r < rows; r++) {
        double *ar = acc + (long)r * ldacc;
        const double *xr = xw ? xw + (long)r * ldxw : NULL;
        const double *br = bias ? bias + (long)r * ldbias : NULL;
        for (int g = 0; g < 4; g++) { /* i, f, c (tanh), o: 16 units each */
            __m256d v[4];
            RK_UNROLL for (int i = 0; i < 4; i++) {
                int j = 16 * g + 4 * i;
                v[i] = _mm256_loadu_pd(ar + j);
                if (xr) v[i] = _mm256_add_pd(_mm256_loadu_pd(xr + j), v[i]);
                if (br) v[i] = _mm256_add_pd(v[i], _mm256_loadu_pd(br + j));
            }
            if (g == 2) rk_act256d_group(4, 0xfu, v);
            else rk_act256d_group(4, 0u, v);
            RK_UNROLL for (int i = 0; i < 4; i++) _mm256_storeu_pd(ar + 16 * g + 4 * i, v[i]);
        }
    }
    for (int r = 0; r < rows; r++) {
        const double *ar = acc + (long)r * ldacc;
        __m256d c[4];
        RK_UNROLL for (int i = 0; i < 4; i++) {
            int j = 4 * i;
            __m256d fc = _mm256_mul_pd(_mm256_loadu_pd(ar + 16 + j), _mm256_loadu_pd(cPrev + (long)r * ldh + j));
            __m256d ig = _mm256_mul_pd(_mm256_loadu_pd(ar + j), _mm256_loadu_pd(ar + 32 + j));
            c[i] = _mm256_add_pd(fc, ig);
            _mm256_storeu_pd(cNew + (long)r * ldh + j, c[i]);
        }
        rk_act256d_group(4, 0xfu, c);
        RK_UNROLL for (int i = 0; i < 4; i++)
            _mm256_storeu_pd(hNew + (long)r * ldh + 4 * i, _mm256_mul_pd(_mm256_loadu_pd(ar + 48 + 4 * i), c[i]));
    }
}

/* GRU, one row at a time: z and r (eight vectors) in two groups, then the candidate's tanh. */
RK_T256D static inline void rk_gru_gates256d(int rows, double *acc, long ldacc, const double *xw, long ldxw,
                                             const double *rbias, const double *hPrev, double *hNew, long ldh) {
    __m256d one = _mm256_set1_pd(1.0);
    for (int r = 0; r < rows; r++) {
        const double *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
        __m256d zr[8], hh[4];
        RK_UNROLL for (int h = 0; h < 2; h++) { /* z (0..15), then r (16..31) */
            RK_UNROLL for (int i = 0; i < 4; i++) {
                int j = 16 * h + 4 * i;
                __m256d m = _mm256_loadu_pd(ar + j);
                if (rbias) m = _mm256_add_pd(m, _mm256_loadu_pd(rbias + j));
                zr[4 * h + i] = _mm256_add_pd(_mm256_loadu_pd(xr + j), m);
            }
            rk_act256d_group(4, 0u, zr + 4 * h);
        }
        RK_UNROLL for (int i = 0; i < 4; i++) {
            int j = 4 * i;
            __m256d mh = _mm256_loadu_pd(ar + 32 + j);
            if (rbias) mh = _mm256_add_pd(mh, _mm256_loadu_pd(rbias + 32 + j));
            __m256d rm = _mm256_mul_pd(zr[4 + i], mh);
            hh[i] = _mm256_add_pd(_mm256_loadu_pd(xr + 32 + j), rm);
        }
        rk_act256d_group(4, 0xfu, hh);
        RK_UNROLL for (int i = 0; i < 4; i++) {
            int j = 4 * i;
            __m256d a = _mm256_mul_pd(zr[i], _mm256_loadu_pd(hPrev + (long)r * ldh + j));
            __m256d b = _mm256_mul_pd(_mm256_sub_pd(one, zr[i]), hh[i]);
            _mm256_storeu_pd(hNew + (long)r * ldh + j, _mm256_add_pd(a, b));
        }
    }
}

/* SimpleRNN with tanh: four vectors at a time (n is a multiple of 16). */
RK_T256D static inline void rk_rnn_tanh256d(int rows, int n, const double *acc, long ldacc, const double *xw, long ldxw,
                                            double *hNew, long ldh) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j += 16) {
            __m256d v[4];
            RK_UNROLL for (int i = 0; i < 4; i++)
                v[i] = _mm256_add_pd(_mm256_loadu_pd(xw + (long)r * ldxw + j + 4 * i), _mm256_loadu_pd(acc + (long)r * ldacc + j + 4 * i));
            rk_act256d_group(4, 0xfu, v);
            RK_UNROLL for (int i = 0; i < 4; i++) _mm256_storeu_pd(hNew + (long)r * ldh + j + 4 * i, v[i]);
        }
}

RK_T256D static inline void rk_add_row256d(int rows, int n, double *dst, long ld, const double *src) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j += 4)
            _mm256_storeu_pd(dst + (long)r * ld + j, _mm256_add_pd(_mm256_loadu_pd(dst + (long)r * ld + j), _mm256_loadu_pd(src + j)));
}
#endif /* __x86_64__ */

/* ========================================================================================== */
/* NEON (arm64): the same kernels on 2-double vectors. Every AArch64 CPU has Advanced SIMD,   */
/* so no target attribute and no run-time check (rk_cpu_isa() reports level 1 there).        */
/* Bit-identical to the portable C above, lane by lane, as the float32 NEON code is:         */
/*   - products: one fused chain per element from +0 (vfmaq_n_f64 rounds once, as fma);      */
/*   - exp: the same clamps, floor (vrndmq_f64, exact), two-part reduction with fused        */
/*     multiply-subtracts (x - fx c, fused, is fma(-fx, c, x) exactly), the same rational    */
/*     approximation with a true division, and the scaling by 2^(n/2) then 2^(n - n/2), n/2  */
/*     rounded toward zero as C's integer division;                                           */
/*   - sigmoid and tanh with true divisions, tanh's branches and +-0 as the scalar code;     */
/*   - the gate arithmetic in the portable loops' order, with the same operand order.        */
/* As everywhere, which NaN comes out (sign, payload) is not part of the promise.            */
/* Checked bit for bit against the x86 paths by Tests/KernelBits (scripts/test-kernels).     */
/* ========================================================================================== */

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define RK_NEON_D 1

/* MR rows x 8 columns (four 2-double vectors): 4*MR accumulators (24 at MR = 6) and the four
 * weight vectors of one k step, of the 32 vector registers. */
#define RK_TILE_NEON_D(MR)                                                                    \
    static inline void rk_tile_neon_d_##MR(const double *a, long lda, const double *b, long ldb, long k, \
                                           double *z, long ldz) {                             \
        float64x2_t acc[MR][4];                                                               \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++) acc[r][v] = vdupq_n_f64(0.0); \
        for (long q = 0; q < k; q++) {                                                        \
            const double *bq = b + q * ldb;                                                   \
            float64x2_t b0 = vld1q_f64(bq), b1 = vld1q_f64(bq + 2), b2 = vld1q_f64(bq + 4),   \
                        b3 = vld1q_f64(bq + 6);                                               \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                 \
                double av = a[(long)r * lda + q];                                             \
                acc[r][0] = vfmaq_n_f64(acc[r][0], b0, av);                                   \
                acc[r][1] = vfmaq_n_f64(acc[r][1], b1, av);                                   \
                acc[r][2] = vfmaq_n_f64(acc[r][2], b2, av);                                   \
                acc[r][3] = vfmaq_n_f64(acc[r][3], b3, av);                                   \
            }                                                                                 \
        }                                                                                     \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++)                       \
            _Pragma("clang loop unroll(full)") for (int v = 0; v < 4; v++)                    \
                vst1q_f64(z + (long)r * ldz + 2 * v, acc[r][v]);                              \
    }

RK_TILE_NEON_D(1) RK_TILE_NEON_D(2) RK_TILE_NEON_D(3) RK_TILE_NEON_D(4) RK_TILE_NEON_D(5) RK_TILE_NEON_D(6)

/* z (mr x ncols) = a @ b with ncols a multiple of 8: 8-column strips, up to 6 rows at a time. */
static inline void rk_tile_neon_d(int mr, int ncols, const double *a, long lda, const double *b, long ldb, long bs,
                                  long k, double *z, long ldz) {
    for (int c0 = 0; c0 < ncols; c0 += 8) {
        const double *bc = b + c0 / 8 * bs;
        for (int r0 = 0; r0 < mr; r0 += 6) {
            const double *ar = a + (long)r0 * lda;
            double *zr = z + (long)r0 * ldz + c0;
            switch (mr - r0 < 6 ? mr - r0 : 6) {
            case 1: rk_tile_neon_d_1(ar, lda, bc, ldb, k, zr, ldz); break;
            case 2: rk_tile_neon_d_2(ar, lda, bc, ldb, k, zr, ldz); break;
            case 3: rk_tile_neon_d_3(ar, lda, bc, ldb, k, zr, ldz); break;
            case 4: rk_tile_neon_d_4(ar, lda, bc, ldb, k, zr, ldz); break;
            case 5: rk_tile_neon_d_5(ar, lda, bc, ldb, k, zr, ldz); break;
            default: rk_tile_neon_d_6(ar, lda, bc, ldb, k, zr, ldz); break;
            }
        }
    }
}

/* 2^n per lane, n in [-1022, 1023]. */
static inline float64x2_t rk_pow2_neon_d(int64x2_t n) {
    return vreinterpretq_f64_s64(vshlq_n_s64(vaddq_s64(n, vdupq_n_s64(1023)), 52));
}

/* rk_exp_d, two lanes at a time. A NaN passes through (vminq/vmaxq return it, every later
 * step propagates it; its lane's n converts to 0). */
static inline float64x2_t rk_exp_neon_d(float64x2_t x) {
    x = vminq_f64(x, vdupq_n_f64(RK_D_EXP_HI));
    x = vmaxq_f64(x, vdupq_n_f64(RK_D_EXP_LO));
    float64x2_t fx = vrndmq_f64(vfmaq_f64(vdupq_n_f64(0.5), x, vdupq_n_f64(RK_D_LOG2E)));
    float64x2_t r = vfmsq_f64(x, fx, vdupq_n_f64(RK_D_C1));   /* fma(-fx, C1, x) */
    r = vfmsq_f64(r, fx, vdupq_n_f64(RK_D_C2));
    float64x2_t xx = vmulq_f64(r, r);
    float64x2_t p = vfmaq_f64(vdupq_n_f64(RK_D_P1), vdupq_n_f64(RK_D_P0), xx);
    p = vfmaq_f64(vdupq_n_f64(RK_D_P2), p, xx);
    p = vmulq_f64(p, r);
    float64x2_t q = vfmaq_f64(vdupq_n_f64(RK_D_Q1), vdupq_n_f64(RK_D_Q0), xx);
    q = vfmaq_f64(vdupq_n_f64(RK_D_Q2), q, xx);
    q = vfmaq_f64(vdupq_n_f64(RK_D_Q3), q, xx);
    float64x2_t e = vdivq_f64(p, vsubq_f64(q, p));
    e = vfmaq_f64(vdupq_n_f64(1.0), vdupq_n_f64(2.0), e);
    /* n = (int64)fx, exact; n1 = n / 2 toward zero = (int64)(fx * 0.5) (the halving is exact,
     * the conversion truncates); n2 = n - n1 */
    int64x2_t n = vcvtq_s64_f64(fx);
    int64x2_t n1 = vcvtq_s64_f64(vmulq_f64(fx, vdupq_n_f64(0.5)));
    int64x2_t n2 = vsubq_s64(n, n1);
    e = vmulq_f64(e, rk_pow2_neon_d(n1));
    return vmulq_f64(e, rk_pow2_neon_d(n2));
}

static inline float64x2_t rk_sigmoid_neon_d(float64x2_t x) {
    const float64x2_t one = vdupq_n_f64(1.0);
    return vdivq_f64(one, vaddq_f64(one, rk_exp_neon_d(vnegq_f64(x))));
}

/* rk_tanh_d: |x| > 0.625: 1 - 2 / (exp(2|x|) + 1) (+-1 beyond 22) with the sign of x; else
 * x + (x z) (P(z) / Q(z)); +-0 give themselves. */
static inline float64x2_t rk_tanh_neon_d(float64x2_t x) {
    const float64x2_t one = vdupq_n_f64(1.0);
    const uint64x2_t signbit = vdupq_n_u64(0x8000000000000000ull);
    float64x2_t ax = vabsq_f64(x);
    float64x2_t s = rk_exp_neon_d(vaddq_f64(ax, ax));
    float64x2_t big = vsubq_f64(one, vdivq_f64(vdupq_n_f64(2.0), vaddq_f64(s, one)));
    big = vbslq_f64(vcgtq_f64(ax, vdupq_n_f64(22.0)), one, big);
    big = vbslq_f64(signbit, x, big); /* copysign(big, x) */
    float64x2_t z = vmulq_f64(x, x);
    float64x2_t p = vfmaq_f64(vdupq_n_f64(RK_D_TP1), vdupq_n_f64(RK_D_TP0), z);
    p = vfmaq_f64(vdupq_n_f64(RK_D_TP2), p, z);
    float64x2_t q = vaddq_f64(z, vdupq_n_f64(RK_D_TQ0));
    q = vfmaq_f64(vdupq_n_f64(RK_D_TQ1), q, z);
    q = vfmaq_f64(vdupq_n_f64(RK_D_TQ2), q, z);
    float64x2_t small = vfmaq_f64(x, vmulq_f64(x, z), vdivq_f64(p, q));
    small = vbslq_f64(vceqzq_f64(ax), x, small);
    return vbslq_f64(vcgtq_f64(ax, vdupq_n_f64(0.625)), big, small); /* a NaN takes the small branch */
}

static inline void rk_lstm_gates_neon_d(int rows, const double *acc, long ldacc, const double *xw, long ldxw,
                                        const double *bias, long ldbias, const double *cPrev, double *cNew,
                                        double *hNew, long ldh) {
    for (int r = 0; r < rows; r++) {
        const double *ar = acc + (long)r * ldacc, *xr = xw ? xw + (long)r * ldxw : NULL;
        const double *br = bias ? bias + (long)r * ldbias : NULL;
        for (int j = 0; j < 16; j += 2) {
            float64x2_t zi = vld1q_f64(ar + j), zf = vld1q_f64(ar + 16 + j), zc = vld1q_f64(ar + 32 + j),
                        zo = vld1q_f64(ar + 48 + j);
            if (xr) {
                zi = vaddq_f64(vld1q_f64(xr + j), zi); zf = vaddq_f64(vld1q_f64(xr + 16 + j), zf);
                zc = vaddq_f64(vld1q_f64(xr + 32 + j), zc); zo = vaddq_f64(vld1q_f64(xr + 48 + j), zo);
            }
            if (br) {
                zi = vaddq_f64(zi, vld1q_f64(br + j)); zf = vaddq_f64(zf, vld1q_f64(br + 16 + j));
                zc = vaddq_f64(zc, vld1q_f64(br + 32 + j)); zo = vaddq_f64(zo, vld1q_f64(br + 48 + j));
            }
            float64x2_t i = rk_sigmoid_neon_d(zi), f = rk_sigmoid_neon_d(zf), g = rk_tanh_neon_d(zc),
                        o = rk_sigmoid_neon_d(zo);
            float64x2_t fc = vmulq_f64(f, vld1q_f64(cPrev + (long)r * ldh + j)), ig = vmulq_f64(i, g);
            float64x2_t c = vaddq_f64(fc, ig);
            vst1q_f64(cNew + (long)r * ldh + j, c);
            vst1q_f64(hNew + (long)r * ldh + j, vmulq_f64(o, rk_tanh_neon_d(c)));
        }
    }
}

static inline void rk_gru_gates_neon_d(int rows, const double *acc, long ldacc, const double *xw, long ldxw,
                                       const double *rbias, const double *hPrev, double *hNew, long ldh) {
    const float64x2_t one = vdupq_n_f64(1.0);
    for (int r = 0; r < rows; r++) {
        const double *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
        for (int j = 0; j < 16; j += 2) {
            float64x2_t mz = vld1q_f64(ar + j), mr = vld1q_f64(ar + 16 + j), mh = vld1q_f64(ar + 32 + j);
            if (rbias) {
                mz = vaddq_f64(mz, vld1q_f64(rbias + j)); mr = vaddq_f64(mr, vld1q_f64(rbias + 16 + j));
                mh = vaddq_f64(mh, vld1q_f64(rbias + 32 + j));
            }
            float64x2_t z = rk_sigmoid_neon_d(vaddq_f64(vld1q_f64(xr + j), mz));
            float64x2_t rr = rk_sigmoid_neon_d(vaddq_f64(vld1q_f64(xr + 16 + j), mr));
            float64x2_t rm = vmulq_f64(rr, mh);
            float64x2_t hh = rk_tanh_neon_d(vaddq_f64(vld1q_f64(xr + 32 + j), rm));
            float64x2_t ha = vmulq_f64(z, vld1q_f64(hPrev + (long)r * ldh + j)), hb = vmulq_f64(vsubq_f64(one, z), hh);
            vst1q_f64(hNew + (long)r * ldh + j, vaddq_f64(ha, hb));
        }
    }
}

static inline void rk_rnn_tanh_neon_d(int rows, int n, const double *acc, long ldacc, const double *xw, long ldxw,
                                      double *hNew, long ldh) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j += 2)
            vst1q_f64(hNew + (long)r * ldh + j,
                      rk_tanh_neon_d(vaddq_f64(vld1q_f64(xw + (long)r * ldxw + j), vld1q_f64(acc + (long)r * ldacc + j))));
}

static inline void rk_add_row_neon_d(int rows, int n, double *dst, long ld, const double *src) {
    for (int r = 0; r < rows; r++) {
        double *d = dst + (long)r * ld;
        int j = 0;
        for (; j + 2 <= n; j += 2) vst1q_f64(d + j, vaddq_f64(vld1q_f64(d + j), vld1q_f64(src + j)));
        for (; j < n; j++) d[j] = d[j] + src[j];
    }
}

/* out[i] = sigmoid(x[i]) or tanh(x[i]) for any n (an odd last element by the scalar code). */
static inline void rk_act_neon_d_n(int tanh, const double *x, double *out, long n) {
    long i = 0;
    for (; i + 2 <= n; i += 2) {
        float64x2_t v = vld1q_f64(x + i);
        vst1q_f64(out + i, tanh ? rk_tanh_neon_d(v) : rk_sigmoid_neon_d(v));
    }
    for (; i < n; i++) out[i] = tanh ? rk_tanh_d(x[i]) : rk_sigmoid_d(x[i]);
}
#endif /* NEON */

/* ------------------------------------------------------------------------------------------ */
/* Dispatch: isa from rk_cpu_isa() (AVX-512 machines take the AVX2 code for float64; arm64's   */
/* level 1 is NEON).                                                                          */
/* ------------------------------------------------------------------------------------------ */

/* z (mr x 16*nv, ldz) = a (mr x k, lda) @ b (k x 16*nv: ldb, 8-column strips bs apart). */
static inline void rk_tile_d(int isa, int mr, int nv, const double *a, long lda, const double *b, long ldb, long bs,
                             long k, double *z, long ldz) {
#if defined(__x86_64__)
    if (isa >= 1) { rk_tile_avx2_d(mr, 16 * nv, a, lda, b, ldb, bs, k, z, ldz, 0, 0, 0); return; }
#endif
#if defined(RK_NEON_D)
    if (isa >= 1) { rk_tile_neon_d(mr, 16 * nv, a, lda, b, ldb, bs, k, z, ldz); return; }
#endif
    (void)isa;
    rk_tile_generic_d(mr, 16 * nv, a, lda, b, ldb, bs, k, z, ldz, 0);
}

/* rk_tile_d that also asks for pf2n 128-byte slices from pf2 on into L2 (x86-64 AVX2; elsewhere
 * the same product without the hint). */
static inline void rk_tile_pf_d(int isa, int mr, int nv, const double *a, long lda, const double *b, long ldb, long bs,
                                long k, double *z, long ldz, const double *pf2, long pf2n) {
#if defined(__x86_64__)
    if (isa >= 1) { rk_tile_avx2_d(mr, 16 * nv, a, lda, b, ldb, bs, k, z, ldz, 0, pf2, pf2n); return; }
#endif
    (void)pf2;
    (void)pf2n;
    rk_tile_d(isa, mr, nv, a, lda, b, ldb, bs, k, z, ldz);
}

static inline void rk_lstm_gates_d(int isa, int rows, double *acc, long ldacc, const double *xw, long ldxw,
                                   const double *bias, long ldbias, const double *cPrev, double *cNew, double *hNew,
                                   long ldh) {
#if defined(__x86_64__)
    if (isa >= 1) { rk_lstm_gates256d(rows, acc, ldacc, xw, ldxw, bias, ldbias, cPrev, cNew, hNew, ldh); return; }
#endif
#if defined(RK_NEON_D)
    if (isa >= 1) { rk_lstm_gates_neon_d(rows, acc, ldacc, xw, ldxw, bias, ldbias, cPrev, cNew, hNew, ldh); return; }
#endif
    (void)isa;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 16; j++) {
            const double *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
            double zi = ar[j], zf = ar[16 + j], zc = ar[32 + j], zo = ar[48 + j];
            if (xw) { zi = xr[j] + zi; zf = xr[16 + j] + zf; zc = xr[32 + j] + zc; zo = xr[48 + j] + zo; }
            const double *br = bias ? bias + (long)r * ldbias : NULL;
            if (br) { zi = zi + br[j]; zf = zf + br[16 + j]; zc = zc + br[32 + j]; zo = zo + br[48 + j]; }
            double i = rk_sigmoid_d(zi), f = rk_sigmoid_d(zf), g = rk_tanh_d(zc), o = rk_sigmoid_d(zo);
            double fc = f * cPrev[(long)r * ldh + j], ig = i * g;
            double c = fc + ig;
            cNew[(long)r * ldh + j] = c;
            double tc = rk_tanh_d(c);
            hNew[(long)r * ldh + j] = o * tc;
        }
}

static inline void rk_gru_gates_d(int isa, int rows, double *acc, long ldacc, const double *xw, long ldxw,
                                  const double *rbias, const double *hPrev, double *hNew, long ldh) {
#if defined(__x86_64__)
    if (isa >= 1) { rk_gru_gates256d(rows, acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh); return; }
#endif
#if defined(RK_NEON_D)
    if (isa >= 1) { rk_gru_gates_neon_d(rows, acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh); return; }
#endif
    (void)isa;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 16; j++) {
            const double *ar = acc + (long)r * ldacc, *xr = xw + (long)r * ldxw;
            double mz = ar[j], mr = ar[16 + j], mh = ar[32 + j];
            if (rbias) { mz = mz + rbias[j]; mr = mr + rbias[16 + j]; mh = mh + rbias[32 + j]; }
            double z = rk_sigmoid_d(xr[j] + mz);
            double rr = rk_sigmoid_d(xr[16 + j] + mr);
            double rm = rr * mh;
            double hh = rk_tanh_d(xr[32 + j] + rm);
            double a = z * hPrev[(long)r * ldh + j];
            double omz = 1.0 - z;
            double b = omz * hh;
            hNew[(long)r * ldh + j] = a + b;
        }
}

static inline void rk_rnn_tanh_d(int isa, int rows, int n16, const double *acc, long ldacc, const double *xw, long ldxw,
                                 double *hNew, long ldh) {
#if defined(__x86_64__)
    if (isa >= 1) { rk_rnn_tanh256d(rows, 16 * n16, acc, ldacc, xw, ldxw, hNew, ldh); return; }
#endif
#if defined(RK_NEON_D)
    if (isa >= 1) { rk_rnn_tanh_neon_d(rows, 16 * n16, acc, ldacc, xw, ldxw, hNew, ldh); return; }
#endif
    (void)isa;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < 16 * n16; j++)
            hNew[(long)r * ldh + j] = rk_tanh_d(xw[(long)r * ldxw + j] + acc[(long)r * ldacc + j]);
}

static inline void rk_add_row_d(int isa, int rows, int n, double *dst, long ld, const double *src) {
#if defined(__x86_64__)
    if (isa >= 1 && n % 4 == 0) { rk_add_row256d(rows, n, dst, ld, src); return; }
#endif
#if defined(RK_NEON_D)
    if (isa >= 1) { rk_add_row_neon_d(rows, n, dst, ld, src); return; }
#endif
    (void)isa;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < n; j++) dst[(long)r * ld + j] = dst[(long)r * ld + j] + src[j];
}

/* The activations on n values (tests compare the vector and scalar paths bit for bit). */
#if defined(__x86_64__)
RK_T256D static inline void rk_act256d_n(int tanh, const double *x, double *out, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_loadu_pd(x + i);
        _mm256_storeu_pd(out + i, tanh ? rk_tanh256d(v) : rk_sigmoid256d(v));
    }
    for (; i < n; i++) out[i] = tanh ? rk_tanh_d(x[i]) : rk_sigmoid_d(x[i]);
}
#endif

static inline void rk_sigmoid_n_d(int isa, const double *x, double *out, long n) {
#if defined(__x86_64__)
    if (isa >= 1) { rk_act256d_n(0, x, out, n); return; }
#endif
#if defined(RK_NEON_D)
    if (isa >= 1) { rk_act_neon_d_n(0, x, out, n); return; }
#endif
    (void)isa;
    for (long i = 0; i < n; i++) out[i] = rk_sigmoid_d(x[i]);
}

static inline void rk_tanh_n_d(int isa, const double *x, double *out, long n) {
#if defined(__x86_64__)
    if (isa >= 1) { rk_act256d_n(1, x, out, n); return; }
#endif
#if defined(RK_NEON_D)
    if (isa >= 1) { rk_act_neon_d_n(1, x, out, n); return; }
#endif
    (void)isa;
    for (long i = 0; i < n; i++) out[i] = rk_tanh_d(x[i]);
}


#endif /* RNNCHECK_RNN_KERNELS64_H */
