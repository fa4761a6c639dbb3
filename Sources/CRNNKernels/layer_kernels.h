/*
 * Float32 kernels of the layers around the recurrent ones (convolution, ConvLSTM, attention):
 * element-wise activations, the ConvLSTM gate pass and a row softmax, each with an AVX2 + FMA
 * path and a portable C path that give the same bits (the AVX2 code performs, lane by lane,
 * the operations of the scalar code: Cephes exp with exact scaling, true divisions), so results
 * depend neither on the CPU's vector width nor on how work is split between threads.
 *
 * The AVX2 code is used on AVX-512 CPUs too (isa >= 1). The matrix products these layers need
 * are rnn_kernels.h's tile kernels.
 */
#ifndef RNNCHECK_LAYER_KERNELS_H
#define RNNCHECK_LAYER_KERNELS_H

#include "rnn_kernels.h"

/* Activations the layer kernels compute themselves; other activations stay in Swift. */
#define RL_ACT_LINEAR 0
#define RL_ACT_TANH 1
#define RL_ACT_SIGMOID 2
#define RL_ACT_RELU 3

static inline float rl_act_s(int code, float x) {
    switch (code) {
    case RL_ACT_TANH: return rk_tanh_s(x);
    case RL_ACT_SIGMOID: return rk_sigmoid_s(x);
    case RL_ACT_RELU: return x > 0.0f ? x : 0.0f;
    default: return x;
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/* The 8-lane exp / sigmoid / tanh are rnn_kernels.h's (rk_exp256, rk_sigmoid256, rk_tanh256:
 * the scalar code's operations lane by lane, so the same bits as rk_exp_s and friends). */

RK_T256 static inline __m256 rl_act256(int code, __m256 x) {
    switch (code) {
    case RL_ACT_TANH: return rk_tanh256(x);
    case RL_ACT_SIGMOID: return rk_sigmoid256(x);
    case RL_ACT_RELU: return _mm256_max_ps(x, _mm256_setzero_ps()); /* x > 0 ? x : 0 (NaN -> 0) */
    default: return x;
    }
}

/* The ConvLSTM gate pass over `rows` positions, `f` filters a multiple of 8 (see rl_convlstm_gates). */
RK_T256 static inline void rl_convlstm_gates256(long rows, long f, const float *xz, long ldxz, const float *hz,
                                                long ldhz, const float *cPrev, float *cNew, float *hNew, int ract,
                                                int act) {
    for (long r = 0; r < rows; r++) {
        const float *xr = xz + r * ldxz, *hr = hz + r * ldhz;
        const float *cp = cPrev + r * f;
        float *cn = cNew + r * f, *hn = hNew + r * f;
        for (long j = 0; j < f; j += 8) {
            __m256 zi = _mm256_add_ps(_mm256_loadu_ps(xr + j), _mm256_loadu_ps(hr + j));
            __m256 zf = _mm256_add_ps(_mm256_loadu_ps(xr + f + j), _mm256_loadu_ps(hr + f + j));
            __m256 zc = _mm256_add_ps(_mm256_loadu_ps(xr + 2 * f + j), _mm256_loadu_ps(hr + 2 * f + j));
            __m256 zo = _mm256_add_ps(_mm256_loadu_ps(xr + 3 * f + j), _mm256_loadu_ps(hr + 3 * f + j));
            __m256 i = rl_act256(ract, zi), fg = rl_act256(ract, zf);
            __m256 c = _mm256_add_ps(_mm256_mul_ps(fg, _mm256_loadu_ps(cp + j)), _mm256_mul_ps(i, rl_act256(act, zc)));
            __m256 o = rl_act256(ract, zo);
            _mm256_storeu_ps(cn + j, c);
            _mm256_storeu_ps(hn + j, _mm256_mul_ps(o, rl_act256(act, c)));
        }
    }
}

/* Softmax of each of `rows` rows of `n` (see rl_softmax_rows). */
RK_T256 static inline void rl_softmax_rows256(long rows, long n, float *x, long ld) {
    for (long r = 0; r < rows; r++) {
        float *row = x + r * ld;
        float peak = -INFINITY;
        for (long j = 0; j < n; j++) peak = row[j] > peak ? row[j] : peak;
        __m256 pv = _mm256_set1_ps(peak), acc = _mm256_setzero_ps();
        long j = 0;
        for (; j + 8 <= n; j += 8) {
            __m256 e = rk_exp256(_mm256_sub_ps(_mm256_loadu_ps(row + j), pv));
            _mm256_storeu_ps(row + j, e);
            acc = _mm256_add_ps(acc, e);
        }
        float lanes[8];
        _mm256_storeu_ps(lanes, acc);
        for (; j < n; j++) {
            float e = rk_exp_s(row[j] - peak);
            row[j] = e;
            lanes[j % 8] = lanes[j % 8] + e;
        }
        float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        __m256 sv = _mm256_set1_ps(sum);
        for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, _mm256_div_ps(_mm256_loadu_ps(row + j), sv));
        for (; j < n; j++) row[j] = row[j] / sum;
    }
}
#endif

/* Keras's ConvLSTM cell at `rows` positions with `f` filters: z = xz + hz per gate (xz holds the
 * input convolution with its bias, hz the recurrent one; gates i, f, c, o, f columns each, row
 * strides ldxz / ldhz), i = ract(z_i), f = ract(z_f), c' = f·c + i·act(z_c), o = ract(z_o),
 * h' = o·act(c'). cPrev, cNew and hNew are `rows × f`, contiguous. */
static inline void rl_convlstm_gates(int isa, long rows, long f, const float *xz, long ldxz, const float *hz, long ldhz,
                                     const float *cPrev, float *cNew, float *hNew, int ract, int act) {
#if defined(__x86_64__)
    if (isa >= 1 && f % 8 == 0) { rl_convlstm_gates256(rows, f, xz, ldxz, hz, ldhz, cPrev, cNew, hNew, ract, act); return; }
#endif
    for (long r = 0; r < rows; r++) {
        const float *xr = xz + r * ldxz, *hr = hz + r * ldhz;
        for (long j = 0; j < f; j++) {
            /* separate statements: no contraction into an FMA on any target */
            float i = rl_act_s(ract, xr[j] + hr[j]);
            float fg = rl_act_s(ract, xr[f + j] + hr[f + j]);
            float g = rl_act_s(act, xr[2 * f + j] + hr[2 * f + j]);
            float fc = fg * cPrev[r * f + j];
            float ig = i * g;
            float c = fc + ig;
            float o = rl_act_s(ract, xr[3 * f + j] + hr[3 * f + j]);
            cNew[r * f + j] = c;
            hNew[r * f + j] = o * rl_act_s(act, c);
        }
    }
}

/* Each of `rows` rows of `n` (row stride ld) replaced by its softmax: e = exp(x − max), summed in
 * 8 interleaved partial sums (element j into sum j mod 8) added pairwise, then e / sum. */
static inline void rl_softmax_rows(int isa, long rows, long n, float *x, long ld) {
#if defined(__x86_64__)
    if (isa >= 1) { rl_softmax_rows256(rows, n, x, ld); return; }
#endif
    for (long r = 0; r < rows; r++) {
        float *row = x + r * ld;
        float peak = -INFINITY;
        for (long j = 0; j < n; j++) peak = row[j] > peak ? row[j] : peak;
        float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (long j = 0; j < n; j++) {
            float e = rk_exp_s(row[j] - peak);
            row[j] = e;
            lanes[j % 8] = lanes[j % 8] + e;
        }
        float sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        for (long j = 0; j < n; j++) row[j] = row[j] / sum;
    }
}

#endif /* RNNCHECK_LAYER_KERNELS_H */
