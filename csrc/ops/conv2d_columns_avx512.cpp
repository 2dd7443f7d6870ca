// The im2col / col2im channel kernels compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#define FASTNN_VECTOR_BYTES 64
#include "ops/conv2d_columns_impl.h"
