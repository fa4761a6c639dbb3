/*
 * kernel_bits: runs every float32 kernel of Sources/CRNNKernels/rnn_kernels.h and every float64
 * kernel of rnn_kernels64.h on a fixed corpus of shapes and bit patterns and records the output
 * bits, so that the kernel paths (portable C, AVX2, AVX-512, NEON) can be compared bit for bit,
 * across machines and architectures.
 *
 *   kernel_bits level           prints the highest level this CPU has (rk_cpu_isa())
 *   kernel_bits run ISA OUT     runs the corpus with the kernels of level ISA (0 portable; 1 AVX2
 *                               on x86-64, NEON on arm64; 2 AVX-512), writes the outputs to OUT
 *   kernel_bits compare A B [--report-only PREFIX]...
 *                               compares two outputs case by case: exit 0 when every element
 *                               has the same bits, 1 otherwise (the first differing elements
 *                               of each case are printed with both values and the ulp distance);
 *                               cases named PREFIX... are reported but do not fail the run
 *
 * The corpus is the same on every machine (its own generator, no libc rand): products of every
 * tile shape the engine uses (1-12 rows, 1-4 vectors of 16 columns, k from 0 to 67, padded and
 * negative strides, accumulating or not), one-row two-panel products, LSTM / GRU / SimpleRNN gate
 * passes with and without input projections and biases, bias rows, and sigmoid / tanh on a sweep
 * of the whole float range (every 4099th bit pattern) plus dense samples where the algorithms
 * change branch or saturate. Inputs mix ordinary values with NaN (quiet, signalling, with
 * payloads, negative), +-Inf, signed zeros, denormals, FLT_MAX and magnitudes that overflow exp.
 * Output buffers are filled with a sentinel first and written out whole, so a kernel writing
 * outside its tile fails too. The float64 kernels (cases named "f64 ...") get the same corpus in
 * double: products, gate passes, bias rows, and sigmoid / tanh on a sweep of the double range
 * plus dense samples at tanh's 0.625 and 22, exp's clamps and its denormal range. (AVX-512
 * machines run the AVX2 float64 kernels, so those cases must match there too.)
 *
 * NaN: every NaN is recorded as 0x7fc00000 (float64: 0x7ff8000000000000). Which NaN an operation returns (sign, payload) is not
 * part of the kernels' promise: x86 makes 0xffc00000 where arm64 makes 0x7fc00000, and the two
 * pick different operands' payloads. That an element is NaN is compared like any other bit.
 * Scratch memory (an LSTM / GRU pass's acc) is not an output and is not recorded.
 *
 * Built and run by scripts/test-kernels (natively on x86-64 and, cross-compiled, under
 * qemu-aarch64). Include path: -I Sources/CRNNKernels.
 */
#include "rnn_kernels.h"
#include "rnn_kernels64.h"

#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- deterministic inputs ---------------------------------------------------------------- */

static uint64_t rng_state = 0x5eed5eed12345678ull;
static uint64_t rnd(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }
static float from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* A random float with a random sign and a binade in [2^elo, 2^ehi): every mantissa bit random. */
static float rnd_binade(int elo, int ehi) {
    int e = elo + (int)rnd_below((uint32_t)(ehi - elo));
    uint32_t u = ((uint32_t)(e + 127) << 23) | (uint32_t)(rnd() & 0x7fffff);
    if (rnd() & 1) u |= 0x80000000u;
    return from_bits(u);
}

static const uint32_t specials[] = {
    0x00000000u, 0x80000000u,                                           /* +0, -0 */
    0x7f800000u, 0xff800000u,                                           /* +-Inf */
    0x7fc00000u, 0xffc00000u, 0x7fc12345u, 0xfff00001u, 0x7f800001u, 0xffa00000u, /* NaNs, signalling too */
    0x00000001u, 0x80000001u, 0x007fffffu, 0x807fffffu, 0x00400000u,  /* denormals */
    0x00800000u, 0x80800000u,                                           /* FLT_MIN */
    0x7f7fffffu, 0xff7fffffu,                                           /* FLT_MAX */
    0x3f200000u, 0xbf200000u, 0x3f200001u, 0x3f1fffffu,                 /* 0.625 (tanh's branch) and neighbours */
    0x42b0c0a5u, 0x42b0c0a6u, 0x42b0c0a4u, 0xc2b0c0a5u,                 /* ~88.376: exp's upper clamp */
    0xc2cff1b5u, 0xc2cff1b4u, 0xc2cff1b6u, 0x42cff1b5u,                 /* ~-103.97: exp's lower clamp */
    0x42c80000u, 0xc2c80000u, 0x501502f9u, 0xd01502f9u,                 /* +-100, +-1e10 */
    0x3f800000u, 0xbf800000u, 0x33d6bf95u, 0xb3d6bf95u,                 /* +-1, +-1e-7 */
    0xc2aeac50u, 0xc2aeac4fu, 0x42aeac50u,                              /* ~-87.34: exp turns denormal */
};
#define NSPECIALS (sizeof specials / sizeof specials[0])

enum Mix { PLAIN, SPECIAL, TINY, WIDE };
static const char *mix_names[] = {"plain", "special", "tiny", "wide"};

/* One input value: PLAIN ~ +-2^-8..2^2; SPECIAL the same with 3% specials; TINY values whose
 * products are denormal; WIDE +-2^-4..2^8 (activations saturate, exp overflows). */
static float gen(enum Mix mix) {
    switch (mix) {
    case PLAIN: return rnd_binade(-8, 2);
    case SPECIAL: return rnd_below(100) < 3 ? from_bits(specials[rnd_below(NSPECIALS)]) : rnd_binade(-8, 2);
    case TINY: return rnd_binade(-75, -60);
    case WIDE: return rnd_binade(-4, 8);
    }
    return 0;
}
static void fill(float *p, long n, enum Mix mix) { for (long i = 0; i < n; i++) p[i] = gen(mix); }

#define SENTINEL 0x4c3c3c3cu /* 49345776.0f: no kernel computes it from these inputs by chance */
static float *sentinel_buf(long n) {
    float *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!p) { fprintf(stderr, "kernel_bits: out of memory\n"); exit(2); }
    for (long i = 0; i < n; i++) p[i] = from_bits(SENTINEL);
    return p;
}
static float *input_buf(long n, enum Mix mix) { float *p = sentinel_buf(n); fill(p, n, mix); return p; }

/* ---- recording ---------------------------------------------------------------------------- */

static FILE *out_file;
static long n_cases, n_elements;
static uint64_t hash = 0xcbf29ce484222325ull; /* FNV-1a over every recorded element */

static uint32_t canonical(uint32_t u) { return ((u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu)) ? 0x7fc00000u : u; }

/* Writes one case: its name, its element count, its elements' canonical bits. */
static void record(const char *name, const float *p, long n) {
    uint32_t len = (uint32_t)strlen(name), count = (uint32_t)n;
    fwrite(&len, 4, 1, out_file); fwrite(name, 1, len, out_file); fwrite(&count, 4, 1, out_file);
    for (long i = 0; i < n; i++) {
        uint32_t u = canonical(to_bits(p[i]));
        fwrite(&u, 4, 1, out_file);
        for (int b = 0; b < 4; b++) hash = (hash ^ ((u >> (8 * b)) & 0xff)) * 0x100000001b3ull;
    }
    n_cases++; n_elements += n;
}

/* ---- the corpus --------------------------------------------------------------------------- */

static void tiles(int isa) {
    static const long ks[] = {0, 1, 2, 5, 16, 67};
    char name[160];
    for (int nv = 1; nv <= 4; nv++)
        for (int mr = 1; mr <= 12; mr++)
            for (unsigned ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
                for (int accumulate = 0; accumulate <= 1; accumulate++)
                    for (int mix = PLAIN; mix <= TINY; mix++) {
                        long k = ks[ki];
                        int negative = (mr + (int)ki + mix) % 4 == 0 && mr > 1; /* a walk backwards in time */
                        /* B row-major (strips side by side, bs = 16) or as packed weights are (each
                           16-column strip whole: ldb = 16, strips bs >= k*16 apart) */
                        int strips = (int)rnd_below(2);
                        long lda = k + (long)rnd_below(4), ldb = 16 * nv + 4 * (long)rnd_below(3) + (long)rnd_below(2);
                        long bs = 16;
                        if (strips) { ldb = 16 + 4 * (long)rnd_below(2); bs = k * ldb + 4 * (long)rnd_below(3); }
                        long ldz = 16 * nv + (long)rnd_below(5);
                        float *a = input_buf(mr * lda + 1, (enum Mix)mix), *b = input_buf(k * ldb + nv * bs + 1, (enum Mix)mix);
                        float *z = sentinel_buf(mr * ldz);
                        if (accumulate)
                            for (int r = 0; r < mr; r++) fill(z + r * ldz, 16 * nv, (enum Mix)mix);
                        const float *ap = negative ? a + (mr - 1) * lda : a;
                        rk_tile_acc(isa, mr, nv, ap, negative ? -lda : lda, b, ldb, bs, k, z, ldz, accumulate);
                        snprintf(name, sizeof name, "tile mr=%d nv=%d k=%ld acc=%d lda=%s%ld ldb=%ld bs=%ld ldz=%ld %s", mr, nv,
                                 k, accumulate, negative ? "-" : "", lda, ldb, bs, ldz, mix_names[mix]);
                        record(name, z, mr * ldz);
                        free(a); free(b); free(z);
                    }
    /* rk_tile_pf: the prefetching variant (AVX-512 passes the hint on); the same products */
    for (int nv = 1; nv <= 4; nv++)
        for (int mr = 1; mr <= 8; mr++) {
            long k = 37, lda = k + 1, ldb = 16, bs = k * 16, ldz = 64;
            float *a = input_buf(mr * lda, SPECIAL), *b = input_buf(4 * k * 16, SPECIAL), *pf = input_buf(16 * k, PLAIN);
            float *z = sentinel_buf(mr * ldz);
            rk_tile_pf(isa, mr, nv, a, lda, b, ldb, bs, k, z, ldz, pf, 1 + (long)rnd_below((uint32_t)(2 * k)));
            snprintf(name, sizeof name, "tile_pf mr=%d nv=%d k=%ld", mr, nv, k);
            record(name, z, mr * ldz);
            free(a); free(b); free(pf); free(z);
        }
    /* rk_row2p: one row against two 64-column panels */
    static const long rks[] = {1, 3, 64, 128, 200};
    for (unsigned ki = 0; ki < sizeof rks / sizeof rks[0]; ki++)
        for (int mix = PLAIN; mix <= TINY; mix++) {
            /* row-major panels, or packed ones (strips whole) */
            int strips = (int)rnd_below(2);
            long k = rks[ki], ldb = strips ? 16 : 64 + 16 * (long)rnd_below(2), bs = strips ? 16 * k : 16;
            float *a = input_buf(k, (enum Mix)mix), *b0 = input_buf(k * ldb + 4 * bs, (enum Mix)mix),
                  *b1 = input_buf(k * ldb + 4 * bs, (enum Mix)mix);
            float *z = sentinel_buf(128 + 8);
            rk_row2p(isa, a, b0, b1, ldb, bs, k, z, z + 64 + 8);
            snprintf(name, sizeof name, "row2p k=%ld ldb=%ld bs=%ld %s", k, ldb, bs, mix_names[mix]);
            record(name, z, 128 + 8);
            free(a); free(b0); free(b1); free(z);
        }
    /* rk_row2s_proj: one row against two strips, carrying an 8-row projection in 8 slices of its
       k (the row products of every call and the finished projection), x rows forwards and
       backwards */
    static const long kus[] = {1, 5, 128, 200}, kxs[] = {1, 6, 37, 64};
    for (unsigned ui = 0; ui < sizeof kus / sizeof kus[0]; ui++)
        for (unsigned xi = 0; xi < sizeof kxs / sizeof kxs[0]; xi++)
            for (int mix = PLAIN; mix <= TINY; mix++) {
                long ku = kus[ui], kx = kxs[xi];
                int negative = (int)((ui + xi + (unsigned)mix) % 2);
                long lda = kx + (long)rnd_below(3);
                float *a = input_buf(ku, (enum Mix)mix), *u = input_buf(2 * 16 * ku + 16, (enum Mix)mix);
                float *x = input_buf(8 * lda, (enum Mix)mix), *w = input_buf(2 * 16 * kx + 16, (enum Mix)mix);
                long ldzp = 32 + (long)rnd_below(5);
                float *z = sentinel_buf(8 * 32), *zp = sentinel_buf(8 * ldzp);
                const float *xr = negative ? x + 7 * lda : x;
                for (int slice = 0; slice < 8; slice++)
                    rk_row2s_proj(isa, a, u, u + 16 * ku + 16 * (slice % 2), ku, z + 32 * slice, xr, negative ? -lda : lda, w,
                                  w + 16 * kx + 16, slice * kx / 8, (slice + 1) * kx / 8, zp, ldzp);
                snprintf(name, sizeof name, "row2s_proj ku=%ld kx=%ld lda=%s%ld ldzp=%ld %s", ku, kx, negative ? "-" : "", lda,
                         ldzp, mix_names[mix]);
                record(name, z, 8 * 32);
                snprintf(name, sizeof name, "row2s_proj projection ku=%ld kx=%ld lda=%s%ld ldzp=%ld %s", ku, kx,
                         negative ? "-" : "", lda, ldzp, mix_names[mix]);
                record(name, zp, 8 * ldzp);
                free(a); free(u); free(x); free(w); free(z); free(zp);
            }
}

static void add_rows(int isa) {
    char name[120];
    static const int ns[] = {16, 48, 64, 128};
    for (int rows = 1; rows <= 7; rows++)
        for (unsigned ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (int mix = PLAIN; mix <= WIDE; mix++) {
                int n = ns[ni];
                long ld = n + (long)rnd_below(3);
                float *dst = sentinel_buf(rows * ld), *src = input_buf(n, (enum Mix)mix);
                for (int r = 0; r < rows; r++) fill(dst + r * ld, n, (enum Mix)mix);
                rk_add_row(isa, rows, n, dst, ld, src);
                snprintf(name, sizeof name, "add_row rows=%d n=%d ld=%ld %s", rows, n, ld, mix_names[mix]);
                record(name, dst, rows * ld);
                free(dst); free(src);
            }
}

static void lstm(int isa) {
    static const int rowss[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 32};
    char name[160];
    for (unsigned ri = 0; ri < sizeof rowss / sizeof rowss[0]; ri++)
        for (int withX = 0; withX <= 1; withX++)
            for (int biasMode = 0; biasMode <= 2; biasMode++) /* none, one row for all, one per row */
                for (int mix = PLAIN; mix <= WIDE; mix++) {
                    if (mix == TINY) continue;
                    int rows = rowss[ri];
                    long ldacc = 64 + 16 * (long)rnd_below(2), ldxw = 64 + 4 * (long)rnd_below(3), ldh = 16 + (long)rnd_below(3) * 4;
                    long ldbias = biasMode == 2 ? 64 : 0;
                    float *acc = input_buf(rows * ldacc, (enum Mix)mix);
                    float *xw = withX ? input_buf(rows * ldxw, (enum Mix)mix) : NULL;
                    float *bias = biasMode ? input_buf(biasMode == 2 ? 64 * rows : 64, (enum Mix)mix) : NULL;
                    float *cPrev = input_buf(rows * ldh, (enum Mix)mix);
                    float *out = sentinel_buf(2 * rows * ldh); /* cNew, then hNew */
                    rk_lstm_gates(isa, rows, acc, ldacc, xw, ldxw, bias, ldbias, cPrev, out, out + rows * ldh, ldh);
                    snprintf(name, sizeof name, "lstm rows=%d xw=%d bias=%s ldacc=%ld ldxw=%ld ldh=%ld %s", rows, withX,
                             biasMode == 0 ? "none" : biasMode == 1 ? "shared" : "per-row", ldacc, ldxw, ldh, mix_names[mix]);
                    record(name, out, 2 * rows * ldh);
                    free(acc); free(xw); free(bias); free(cPrev); free(out);
                }
}

static void gru(int isa) {
    static const int rowss[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 13};
    char name[160];
    for (unsigned ri = 0; ri < sizeof rowss / sizeof rowss[0]; ri++)
        for (int withBias = 0; withBias <= 1; withBias++)
            for (int mix = PLAIN; mix <= WIDE; mix++) {
                if (mix == TINY) continue;
                int rows = rowss[ri];
                long ldacc = 48 + 16 * (long)rnd_below(2), ldxw = 48 + 4 * (long)rnd_below(3), ldh = 16 + 4 * (long)rnd_below(3);
                float *acc = input_buf(rows * ldacc, (enum Mix)mix), *xw = input_buf(rows * ldxw, (enum Mix)mix);
                float *rbias = withBias ? input_buf(48, (enum Mix)mix) : NULL;
                float *hPrev = input_buf(rows * ldh, (enum Mix)mix), *hNew = sentinel_buf(rows * ldh);
                rk_gru_gates(isa, rows, acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh);
                snprintf(name, sizeof name, "gru rows=%d rbias=%d ldacc=%ld ldxw=%ld ldh=%ld %s", rows, withBias, ldacc, ldxw, ldh,
                         mix_names[mix]);
                record(name, hNew, rows * ldh);
                free(acc); free(xw); free(rbias); free(hPrev); free(hNew);
            }
}

static void simple_rnn(int isa) {
    char name[160];
    static const int rowss[] = {1, 2, 3, 5, 8, 17};
    for (unsigned ri = 0; ri < sizeof rowss / sizeof rowss[0]; ri++)
        for (int n16 = 1; n16 <= 4; n16++)
            for (int mix = PLAIN; mix <= WIDE; mix++) {
                if (mix == TINY) continue;
                int rows = rowss[ri];
                long ldacc = 16 * n16 + 16 * (long)rnd_below(2), ldxw = 16 * n16 + 4 * (long)rnd_below(3);
                long ldh = 16 * n16 + 4 * (long)rnd_below(2);
                float *acc = input_buf(rows * ldacc, (enum Mix)mix), *xw = input_buf(rows * ldxw, (enum Mix)mix);
                float *hNew = sentinel_buf(rows * ldh);
                rk_rnn_tanh(isa, rows, n16, acc, ldacc, xw, ldxw, hNew, ldh);
                snprintf(name, sizeof name, "rnn_tanh rows=%d n16=%d ldacc=%ld ldxw=%ld ldh=%ld %s", rows, n16, ldacc, ldxw, ldh,
                         mix_names[mix]);
                record(name, hNew, rows * ldh);
                free(acc); free(xw); free(hNew);
            }
}

/* sigmoid and tanh over one input set, in chunks of 4096 (a multiple of 16, as the AVX-512
 * vector path needs) and one odd-sized tail (the vector paths' remainder handling). */
static void activations(int isa, const char *set, const float *x, long n) {
    char name[120];
    float *s = sentinel_buf(n), *t = sentinel_buf(n);
    for (long i = 0; i < n; i += 4096) {
        long m = n - i < 4096 ? n - i : 4096;
        rk_sigmoid_n(isa, x + i, s + i, m);
        rk_tanh_n(isa, x + i, t + i, m);
    }
    snprintf(name, sizeof name, "sigmoid %s n=%ld", set, n);
    record(name, s, n);
    snprintf(name, sizeof name, "tanh %s n=%ld", set, n);
    record(name, t, n);
    free(s); free(t);
}

static void vector_math(int isa) {
    /* every 4099th bit pattern of the 2^32 */
    long n = (long)(0x100000000ull / 4099) + 1;
    float *x = sentinel_buf(n);
    for (long i = 0; i < n; i++) x[i] = from_bits((uint32_t)((uint64_t)i * 4099u));
    activations(isa, "sweep", x, n);
    free(x);
    /* the specials, each also at the start of a vector and in the tail */
    n = 4096 + 3 * (long)NSPECIALS;
    x = sentinel_buf(n);
    for (long i = 0; i < n; i++) x[i] = from_bits(specials[i % NSPECIALS]);
    activations(isa, "specials", x, n);
    free(x);
    /* dense where the algorithms change: |x| near 0.625, exp's clamps and its denormal range,
     * x*log2(e) near half-integers (the rounding of n), small |x| (tanh's polynomial), and
     * ordinary values */
    n = 6 * 20000 + 1001;
    x = sentinel_buf(n);
    long i = 0;
    for (int j = -10000; j < 10000; j++) x[i++] = from_bits((uint32_t)((int32_t)0x3f200000 + j)) * (j & 1 ? -1.0f : 1.0f);
    for (int j = 0; j < 20000; j++) x[i++] = (rnd() & 1 ? 1.0f : -1.0f) * (86.0f + 19.0f * (float)rnd_below(1u << 20) / (float)(1u << 20));
    for (int j = 0; j < 20000; j++) x[i++] = -(85.0f + 20.0f * (float)rnd_below(1u << 20) / (float)(1u << 20));
    for (int j = 0; j < 20000; j++) {
        float h = (float)((int)rnd_below(256) - 128) + 0.5f; /* x*log2e ~ h */
        x[i++] = from_bits(to_bits(h / RK_LOG2E) + (uint32_t)rnd_below(64) - 32u);
    }
    for (int j = 0; j < 20000; j++) x[i++] = rnd_binade(-30, 0);
    for (int j = 0; j < 20000; j++) x[i++] = rnd_binade(-4, 5);
    while (i < n) x[i++] = from_bits((uint32_t)rnd());
    activations(isa, "dense", x, n);
    free(x);
}


/* ---- the float64 corpus (rnn_kernels64.h) -------------------------------------------------- */

static double from_bits_d(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint64_t to_bits_d(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

/* A random double with a random sign and a binade in [2^elo, 2^ehi): every mantissa bit random. */
static double rnd_binade_d(int elo, int ehi) {
    int e = elo + (int)rnd_below((uint32_t)(ehi - elo));
    uint64_t u = ((uint64_t)(e + 1023) << 52) | (rnd() & 0xfffffffffffffull);
    if (rnd() & 1) u |= 0x8000000000000000ull;
    return from_bits_d(u);
}

static const uint64_t specials_d[] = {
    0x0000000000000000ull, 0x8000000000000000ull,                         /* +0, -0 */
    0x7ff0000000000000ull, 0xfff0000000000000ull,                         /* +-Inf */
    0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff8000000012345ull,  /* NaNs */
    0xfff0000000000001ull, 0x7ff0000000000001ull,                         /* signalling NaNs */
    0x0000000000000001ull, 0x8000000000000001ull, 0x000fffffffffffffull,  /* denormals */
    0x800fffffffffffffull, 0x0008000000000000ull,
    0x0010000000000000ull, 0x8010000000000000ull,                         /* DBL_MIN */
    0x7fefffffffffffffull, 0xffefffffffffffffull,                         /* DBL_MAX */
    0x3fe4000000000000ull, 0xbfe4000000000000ull, 0x3fe4000000000001ull, 0x3fe3ffffffffffffull, /* 0.625 */
    0x4036000000000000ull, 0xc036000000000000ull, 0x4036000000000001ull, 0x4035ffffffffffffull, /* 22 */
    0x40862e42fefa39efull, 0x40862e42fefa39f0ull, 0xc0862e42fefa39efull,  /* ~709.78: exp's upper clamp */
    0xc0874a6666666666ull, 0xc0874a6666666667ull, 0xc0874a6666666665ull,  /* -745.2: exp's lower clamp */
    0xc086232bdd7abcd2ull, 0xc086232bdd7abcd3ull,                         /* ~-708.4: exp turns denormal */
    0x4059000000000000ull, 0xc059000000000000ull, 0x4202a05f20000000ull,  /* +-100, 1e10 */
    0x3ff0000000000000ull, 0xbff0000000000000ull, 0x3e7ad7f29abcaf48ull,  /* +-1, 1e-7 */
};
#define NSPECIALS_D (sizeof specials_d / sizeof specials_d[0])

/* As gen(): PLAIN +-2^-8..2^2; SPECIAL with 3% specials; TINY values whose products are
 * denormal; WIDE +-2^-4..2^10 (activations saturate, exp overflows). */
static double gen_d(enum Mix mix) {
    switch (mix) {
    case PLAIN: return rnd_binade_d(-8, 2);
    case SPECIAL: return rnd_below(100) < 3 ? from_bits_d(specials_d[rnd_below(NSPECIALS_D)]) : rnd_binade_d(-8, 2);
    case TINY: return rnd_binade_d(-540, -520);
    case WIDE: return rnd_binade_d(-4, 10);
    }
    return 0;
}
static void fill_d(double *p, long n, enum Mix mix) { for (long i = 0; i < n; i++) p[i] = gen_d(mix); }

#define SENTINEL_D 0x4187878787878787ull
static double *sentinel_buf_d(long n) {
    double *p = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!p) { fprintf(stderr, "kernel_bits: out of memory\n"); exit(2); }
    for (long i = 0; i < n; i++) p[i] = from_bits_d(SENTINEL_D);
    return p;
}
static double *input_buf_d(long n, enum Mix mix) { double *p = sentinel_buf_d(n); fill_d(p, n, mix); return p; }

static uint64_t canonical_d(uint64_t u) {
    return ((u & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (u & 0xfffffffffffffull)) ? 0x7ff8000000000000ull : u;
}

/* One float64 case: "f64 " + name, then each element's canonical bits as two 32-bit words (low
 * first), so that the file format stays one of 32-bit words. */
static void record_d(const char *name, const double *p, long n) {
    char full[200];
    snprintf(full, sizeof full, "f64 %s", name);
    uint32_t len = (uint32_t)strlen(full), count = (uint32_t)(2 * n);
    fwrite(&len, 4, 1, out_file); fwrite(full, 1, len, out_file); fwrite(&count, 4, 1, out_file);
    for (long i = 0; i < n; i++) {
        uint64_t u = canonical_d(to_bits_d(p[i]));
        uint32_t w[2] = {(uint32_t)u, (uint32_t)(u >> 32)};
        fwrite(w, 4, 2, out_file);
        for (int b = 0; b < 8; b++) hash = (hash ^ ((u >> (8 * b)) & 0xff)) * 0x100000001b3ull;
    }
    n_cases++; n_elements += n;
}

static void tiles_d(int isa) {
    static const long ks[] = {0, 1, 2, 5, 16, 67};
    char name[160];
    for (int nv = 1; nv <= 4; nv++)
        for (int mr = 1; mr <= 12; mr++)
            for (unsigned ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
                for (int mix = PLAIN; mix <= TINY; mix++) {
                    long k = ks[ki];
                    int negative = (mr + (int)ki + mix) % 4 == 0 && mr > 1;
                    /* as in tiles(), but float64 strips are 8 columns: row-major (bs = 8) or packed */
                    int strips = (int)rnd_below(2);
                    long lda = k + (long)rnd_below(4), ldb = 16 * nv + 4 * (long)rnd_below(3) + (long)rnd_below(2);
                    long bs = 8;
                    if (strips) { ldb = 8 + 4 * (long)rnd_below(2); bs = k * ldb + 4 * (long)rnd_below(3); }
                    long ldz = 16 * nv + (long)rnd_below(5);
                    double *a = input_buf_d(mr * lda + 1, (enum Mix)mix), *b = input_buf_d(k * ldb + 2 * nv * bs + 1, (enum Mix)mix);
                    double *z = sentinel_buf_d(mr * ldz);
                    const double *ap = negative ? a + (mr - 1) * lda : a;
                    rk_tile_d(isa, mr, nv, ap, negative ? -lda : lda, b, ldb, bs, k, z, ldz);
                    snprintf(name, sizeof name, "tile mr=%d nv=%d k=%ld lda=%s%ld ldb=%ld bs=%ld ldz=%ld %s", mr, nv, k,
                             negative ? "-" : "", lda, ldb, bs, ldz, mix_names[mix]);
                    record_d(name, z, mr * ldz);
                    free(a); free(b); free(z);
                }
    /* rk_tile_pf_d: the prefetching variant (AVX2 passes the hint on); the same products */
    for (int nv = 1; nv <= 4; nv++)
        for (int mr = 1; mr <= 8; mr++) {
            long k = 37, lda = k + 1, ldb = 8, bs = k * 8, ldz = 64;
            double *a = input_buf_d(mr * lda, SPECIAL), *b = input_buf_d(8 * k * 8, SPECIAL), *pf = input_buf_d(16 * k, PLAIN);
            double *z = sentinel_buf_d(mr * ldz);
            rk_tile_pf_d(isa, mr, nv, a, lda, b, ldb, bs, k, z, ldz, pf, 1 + (long)rnd_below((uint32_t)k));
            snprintf(name, sizeof name, "tile_pf mr=%d nv=%d k=%ld", mr, nv, k);
            record_d(name, z, mr * ldz);
            free(a); free(b); free(pf); free(z);
        }
}

static void add_rows_d(int isa) {
    char name[120];
    static const int ns[] = {16, 48, 64, 128, 6, 13};
    for (int rows = 1; rows <= 7; rows++)
        for (unsigned ni = 0; ni < sizeof ns / sizeof ns[0]; ni++)
            for (int mix = PLAIN; mix <= WIDE; mix++) {
                int n = ns[ni];
                long ld = n + (long)rnd_below(3);
                double *dst = sentinel_buf_d(rows * ld), *src = input_buf_d(n, (enum Mix)mix);
                for (int r = 0; r < rows; r++) fill_d(dst + r * ld, n, (enum Mix)mix);
                rk_add_row_d(isa, rows, n, dst, ld, src);
                snprintf(name, sizeof name, "add_row rows=%d n=%d ld=%ld %s", rows, n, ld, mix_names[mix]);
                record_d(name, dst, rows * ld);
                free(dst); free(src);
            }
}

static void lstm_d(int isa) {
    static const int rowss[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16};
    char name[160];
    for (unsigned ri = 0; ri < sizeof rowss / sizeof rowss[0]; ri++)
        for (int withX = 0; withX <= 1; withX++)
            for (int biasMode = 0; biasMode <= 2; biasMode++)
                for (int mix = PLAIN; mix <= WIDE; mix++) {
                    if (mix == TINY) continue;
                    int rows = rowss[ri];
                    long ldacc = 64 + 16 * (long)rnd_below(2), ldxw = 64 + 4 * (long)rnd_below(3), ldh = 16 + (long)rnd_below(3) * 4;
                    long ldbias = biasMode == 2 ? 64 : 0;
                    double *acc = input_buf_d(rows * ldacc, (enum Mix)mix);
                    double *xw = withX ? input_buf_d(rows * ldxw, (enum Mix)mix) : NULL;
                    double *bias = biasMode ? input_buf_d(biasMode == 2 ? 64 * rows : 64, (enum Mix)mix) : NULL;
                    double *cPrev = input_buf_d(rows * ldh, (enum Mix)mix);
                    double *out = sentinel_buf_d(2 * rows * ldh);
                    rk_lstm_gates_d(isa, rows, acc, ldacc, xw, ldxw, bias, ldbias, cPrev, out, out + rows * ldh, ldh);
                    snprintf(name, sizeof name, "lstm rows=%d xw=%d bias=%s ldacc=%ld ldxw=%ld ldh=%ld %s", rows, withX,
                             biasMode == 0 ? "none" : biasMode == 1 ? "shared" : "per-row", ldacc, ldxw, ldh, mix_names[mix]);
                    record_d(name, out, 2 * rows * ldh);
                    free(acc); free(xw); free(bias); free(cPrev); free(out);
                }
}

static void gru_d(int isa) {
    static const int rowss[] = {1, 2, 3, 5, 8, 13};
    char name[160];
    for (unsigned ri = 0; ri < sizeof rowss / sizeof rowss[0]; ri++)
        for (int withBias = 0; withBias <= 1; withBias++)
            for (int mix = PLAIN; mix <= WIDE; mix++) {
                if (mix == TINY) continue;
                int rows = rowss[ri];
                long ldacc = 48 + 16 * (long)rnd_below(2), ldxw = 48 + 4 * (long)rnd_below(3), ldh = 16 + 4 * (long)rnd_below(3);
                double *acc = input_buf_d(rows * ldacc, (enum Mix)mix), *xw = input_buf_d(rows * ldxw, (enum Mix)mix);
                double *rbias = withBias ? input_buf_d(48, (enum Mix)mix) : NULL;
                double *hPrev = input_buf_d(rows * ldh, (enum Mix)mix), *hNew = sentinel_buf_d(rows * ldh);
                rk_gru_gates_d(isa, rows, acc, ldacc, xw, ldxw, rbias, hPrev, hNew, ldh);
                snprintf(name, sizeof name, "gru rows=%d rbias=%d ldacc=%ld ldxw=%ld ldh=%ld %s", rows, withBias, ldacc, ldxw, ldh,
                         mix_names[mix]);
                record_d(name, hNew, rows * ldh);
                free(acc); free(xw); free(rbias); free(hPrev); free(hNew);
            }
}

static void simple_rnn_d(int isa) {
    char name[160];
    static const int rowss[] = {1, 2, 3, 5, 8};
    for (unsigned ri = 0; ri < sizeof rowss / sizeof rowss[0]; ri++)
        for (int n16 = 1; n16 <= 4; n16++)
            for (int mix = PLAIN; mix <= WIDE; mix++) {
                if (mix == TINY) continue;
                int rows = rowss[ri];
                long ldacc = 16 * n16 + 16 * (long)rnd_below(2), ldxw = 16 * n16 + 4 * (long)rnd_below(3);
                long ldh = 16 * n16 + 4 * (long)rnd_below(2);
                double *acc = input_buf_d(rows * ldacc, (enum Mix)mix), *xw = input_buf_d(rows * ldxw, (enum Mix)mix);
                double *hNew = sentinel_buf_d(rows * ldh);
                rk_rnn_tanh_d(isa, rows, n16, acc, ldacc, xw, ldxw, hNew, ldh);
                snprintf(name, sizeof name, "rnn_tanh rows=%d n16=%d ldacc=%ld ldxw=%ld ldh=%ld %s", rows, n16, ldacc, ldxw, ldh,
                         mix_names[mix]);
                record_d(name, hNew, rows * ldh);
                free(acc); free(xw); free(hNew);
            }
}

/* sigmoid and tanh in chunks of 4095 (odd: every chunk ends in the vector paths' scalar tail). */
static void activations_d(int isa, const char *set, const double *x, long n) {
    char name[120];
    double *s = sentinel_buf_d(n), *t = sentinel_buf_d(n);
    for (long i = 0; i < n; i += 4095) {
        long m = n - i < 4095 ? n - i : 4095;
        rk_sigmoid_n_d(isa, x + i, s + i, m);
        rk_tanh_n_d(isa, x + i, t + i, m);
    }
    snprintf(name, sizeof name, "sigmoid %s n=%ld", set, n);
    record_d(name, s, n);
    snprintf(name, sizeof name, "tanh %s n=%ld", set, n);
    record_d(name, t, n);
    free(s); free(t);
}

static void vector_math_d(int isa) {
    /* the whole double range: the high 32 bits of every 4099th pattern, random low bits */
    long n = (long)(0x100000000ull / 4099) + 1;
    double *x = sentinel_buf_d(n);
    for (long i = 0; i < n; i++) x[i] = from_bits_d(((uint64_t)(uint32_t)((uint64_t)i * 4099u) << 32) | (rnd() & 0xffffffffu));
    activations_d(isa, "sweep", x, n);
    free(x);
    n = 4096 + 3 * (long)NSPECIALS_D;
    x = sentinel_buf_d(n);
    for (long i = 0; i < n; i++) x[i] = from_bits_d(specials_d[i % NSPECIALS_D]);
    activations_d(isa, "specials", x, n);
    free(x);
    /* dense: |x| near 0.625 and 22 (tanh's branches), near exp's clamps, -708..-745 (denormal
     * results), x*log2(e) near half-integers (the rounding of n, also at n/2's sign), small
     * |x|, ordinary values, random patterns */
    n = 8 * 20000 + 1001;
    x = sentinel_buf_d(n);
    long i = 0;
    for (int j = -10000; j < 10000; j++) x[i++] = from_bits_d((uint64_t)((int64_t)0x3fe4000000000000ll + j)) * (j & 1 ? -1.0 : 1.0);
    for (int j = -10000; j < 10000; j++) x[i++] = from_bits_d((uint64_t)((int64_t)0x4036000000000000ll + 64 * j)) * (j & 1 ? -1.0 : 1.0);
    for (int j = 0; j < 20000; j++) x[i++] = (rnd() & 1 ? 1.0 : -1.0) * (700.0 + 50.0 * (double)rnd_below(1u << 30) / (double)(1u << 30));
    for (int j = 0; j < 20000; j++) x[i++] = -(700.0 + 50.0 * (double)rnd_below(1u << 30) / (double)(1u << 30));
    for (int j = 0; j < 20000; j++) {
        double h = (double)((int)rnd_below(2100) - 1075) + 0.5; /* x*log2e ~ h */
        x[i++] = from_bits_d(to_bits_d(h / RK_D_LOG2E) + (uint64_t)rnd_below(64) - 32u);
    }
    for (int j = 0; j < 20000; j++) x[i++] = rnd_binade_d(-60, 0);
    for (int j = 0; j < 20000; j++) x[i++] = rnd_binade_d(-4, 5);
    while (i < n) x[i++] = from_bits_d(rnd());
    activations_d(isa, "dense", x, n);
    free(x);
}

static int run(int isa, const char *path) {
    int detected = rk_cpu_isa();
    if (isa > detected) {
        fprintf(stderr, "kernel_bits: level %d asked for, this CPU has up to %d\n", isa, detected);
        return 2;
    }
    out_file = fopen(path, "wb");
    if (!out_file) { perror(path); return 2; }
    fwrite("RKBITS2\n", 1, 8, out_file);
    tiles(isa);
    add_rows(isa);
    lstm(isa);
    gru(isa);
    simple_rnn(isa);
    vector_math(isa);
    tiles_d(isa);
    add_rows_d(isa);
    lstm_d(isa);
    gru_d(isa);
    simple_rnn_d(isa);
    vector_math_d(isa);
    if (fclose(out_file) != 0) { perror(path); return 2; }
    printf("level %d: %ld cases, %ld elements, hash %016" PRIx64 "\n", isa, n_cases, n_elements, hash);
    return 0;
}

/* ---- comparison --------------------------------------------------------------------------- */

typedef struct { char name[200]; uint32_t count; uint32_t *bits; } Case;

static int read_case(FILE *f, Case *c, const char *path) {
    uint32_t len;
    if (fread(&len, 4, 1, f) != 1) return 0;
    if (len >= sizeof c->name || fread(c->name, 1, len, f) != len || fread(&c->count, 4, 1, f) != 1) {
        fprintf(stderr, "kernel_bits: %s is truncated or corrupt\n", path); exit(2);
    }
    c->name[len] = 0;
    c->bits = malloc((size_t)(c->count ? c->count : 1) * 4);
    if (!c->bits || fread(c->bits, 4, c->count, f) != c->count) {
        fprintf(stderr, "kernel_bits: %s is truncated in case '%s'\n", path, c->name); exit(2);
    }
    return 1;
}

static FILE *open_bits(const char *path) {
    FILE *f = fopen(path, "rb");
    char magic[8];
    if (!f) { perror(path); exit(2); }
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "RKBITS2\n", 8) != 0) {
        fprintf(stderr, "kernel_bits: %s is not a kernel_bits output\n", path); exit(2);
    }
    return f;
}

/* Distance in float32 steps (ulps) between two non-NaN patterns. */
static int64_t ulps(uint32_t a, uint32_t b) {
    int64_t x = (a & 0x80000000u) ? -(int64_t)(a & 0x7fffffffu) : (int64_t)a;
    int64_t y = (b & 0x80000000u) ? -(int64_t)(b & 0x7fffffffu) : (int64_t)b;
    return x > y ? x - y : y - x;
}

/* The same in float64 steps (saturating: any two doubles are at most 2^63 steps apart). */
static int64_t ulps_d(uint64_t a, uint64_t b) {
    int64_t x = (a >> 63) ? -(int64_t)(a & 0x7fffffffffffffffull) : (int64_t)a;
    int64_t y = (b >> 63) ? -(int64_t)(b & 0x7fffffffffffffffull) : (int64_t)b;
    uint64_t d = x > y ? (uint64_t)x - (uint64_t)y : (uint64_t)y - (uint64_t)x;
    return d > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d;
}

static int compare(const char *pa, const char *pb, const char **report_only, int nro) {
    FILE *fa = open_bits(pa), *fb = open_bits(pb);
    long cases = 0, elements = 0, failed_cases = 0, failed_elements = 0, reported_cases = 0, reported_elements = 0;
    Case a, b;
    for (;;) {
        int ha = read_case(fa, &a, pa), hb = read_case(fb, &b, pb);
        if (!ha || !hb) {
            if (ha || hb) {
                fprintf(stderr, "MISMATCH: %s has more cases than %s\n", ha ? pa : pb, ha ? pb : pa);
                return 1;
            }
            break;
        }
        if (strcmp(a.name, b.name) != 0 || a.count != b.count) {
            fprintf(stderr, "MISMATCH: the corpora differ at case %ld: '%s' (%u) against '%s' (%u)\n", cases, a.name, a.count,
                    b.name, b.count);
            return 1;
        }
        int soft = 0;
        for (int i = 0; i < nro; i++) soft |= strncmp(a.name, report_only[i], strlen(report_only[i])) == 0;
        long diff = 0, nan_only_one = 0;
        int64_t worst = 0;
        int wide = strncmp(a.name, "f64 ", 4) == 0; /* float64: element i is words 2i (low), 2i + 1 */
        for (uint32_t i = 0; i < (wide ? a.count / 2 : a.count); i++) {
            if (wide) {
                uint64_t x = a.bits[2 * i] | (uint64_t)a.bits[2 * i + 1] << 32, y = b.bits[2 * i] | (uint64_t)b.bits[2 * i + 1] << 32;
                if (x == y) continue;
                int nan = x == 0x7ff8000000000000ull || y == 0x7ff8000000000000ull;
                if (nan) nan_only_one++;
                else if (ulps_d(x, y) > worst) worst = ulps_d(x, y);
                if (diff < 4 && (soft ? reported_cases < 8 : failed_cases < 12))
                    fprintf(stderr, "%s: %s [%u]: %016" PRIx64 " (%.17g) against %016" PRIx64 " (%.17g)%s\n",
                            soft ? "known deviation" : "MISMATCH", a.name, i, x, from_bits_d(x), y, from_bits_d(y),
                            nan ? ", NaN on one side only" : "");
                diff++;
                continue;
            }
            if (a.bits[i] == b.bits[i]) continue;
            int nan = a.bits[i] == 0x7fc00000u || b.bits[i] == 0x7fc00000u;
            if (nan) nan_only_one++;
            else if (ulps(a.bits[i], b.bits[i]) > worst) worst = ulps(a.bits[i], b.bits[i]);
            if (diff < 4 && (soft ? reported_cases < 8 : failed_cases < 12))
                fprintf(stderr, "%s: %s [%u]: %08x (%.9g) against %08x (%.9g)%s\n", soft ? "known deviation" : "MISMATCH", a.name,
                        i, a.bits[i], (double)from_bits(a.bits[i]), b.bits[i], (double)from_bits(b.bits[i]),
                        nan ? ", NaN on one side only" : "");
            diff++;
        }
        if (diff) {
            if (soft) { reported_cases++; reported_elements += diff; }
            else { failed_cases++; failed_elements += diff; }
            if (soft ? reported_cases <= 8 : failed_cases <= 12)
                fprintf(stderr, "  %s: %ld of %u elements differ (at most %" PRId64 " ulp apart; %ld NaN on one side only)\n",
                        a.name, diff, a.count, worst, nan_only_one);
        }
        cases++; elements += wide ? a.count / 2 : a.count;
        free(a.bits); free(b.bits);
    }
    fclose(fa); fclose(fb);
    if (failed_cases > 12) fprintf(stderr, "  ... and %ld more cases that differ\n", failed_cases - 12);
    if (reported_cases > 8) fprintf(stderr, "  ... and %ld more cases with the known deviation\n", reported_cases - 8);
    if (reported_cases)
        printf("%s vs %s: known deviation in %ld cases, %ld elements (reported, not failed)\n", pa, pb, reported_cases,
               reported_elements);
    if (failed_cases) {
        printf("%s vs %s: BITS DIFFER in %ld of %ld cases, %ld of %ld elements\n", pa, pb, failed_cases, cases, failed_elements,
               elements);
        return 1;
    }
    printf("%s vs %s: %ld cases, %ld elements, bit-identical%s\n", pa, pb, cases, elements,
           reported_cases ? " outside the known deviation" : "");
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: kernel_bits level\n       kernel_bits run ISA OUT\n       kernel_bits compare A B [--report-only PREFIX]...\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "level") == 0) { printf("%d\n", rk_cpu_isa()); return 0; }
    if (argc == 4 && strcmp(argv[1], "run") == 0) {
        char *end;
        long isa = strtol(argv[2], &end, 10);
        if (*end || isa < 0 || isa > 2) return usage();
        return run((int)isa, argv[3]);
    }
    if (argc >= 4 && strcmp(argv[1], "compare") == 0) {
        const char *ro[16];
        int nro = 0;
        for (int i = 4; i < argc; i += 2) {
            if (strcmp(argv[i], "--report-only") != 0 || i + 1 >= argc || nro == 16) return usage();
            ro[nro++] = argv[i + 1];
        }
        return compare(argv[2], argv[3], ro, nro);
    }
    return usage();
}
