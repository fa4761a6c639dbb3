#!/bin/sh
# Builds and runs blas_vs_own.c (needs clang and libopenblas-dev).
set -e
cd "$(dirname "$0")"
clang -O2 -I../../Sources/CRNNKernels blas_vs_own.c -o /tmp/rnncheck-blas-vs-own -lopenblas -lm
OPENBLAS_NUM_THREADS=1 /tmp/rnncheck-blas-vs-own
