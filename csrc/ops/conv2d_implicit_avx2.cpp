// The implicit-GEMM convolution tiles compiled for avx2: 6 rows x 2 vectors
// of accumulators (and 3 rows x 4 vectors), within its vector registers.
#define FASTNN_ISA_NAMESPACE avx2
#define FASTNN_VECTOR_BYTES 32
#define FASTNN_IMPLICIT_ROWS 6
#define FASTNN_IMPLICIT_FEW_ROWS_VECTORS 4
#include "ops/conv2d_implicit_impl.h"
