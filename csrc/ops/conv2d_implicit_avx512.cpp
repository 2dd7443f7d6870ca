// The implicit-GEMM convolution tiles compiled for avx512: 12 rows x 2 vectors
// of accumulators (and 3 rows x 6 vectors), within its vector registers.
#define FASTNN_ISA_NAMESPACE avx512
#define FASTNN_VECTOR_BYTES 64
#define FASTNN_IMPLICIT_ROWS 12
#define FASTNN_IMPLICIT_FEW_ROWS_VECTORS 6
#include "ops/conv2d_implicit_impl.h"
