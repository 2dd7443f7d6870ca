// The implicit-GEMM convolution tiles compiled for avx512: 12 rows x 2 vectors
// of accumulators, within its vector registers.
#define FASTNN_ISA_NAMESPACE avx512
#define FASTNN_VECTOR_BYTES 64
#define FASTNN_IMPLICIT_ROWS 12
#include "ops/conv2d_implicit_impl.h"
