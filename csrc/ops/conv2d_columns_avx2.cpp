// The im2col / col2im channel kernels compiled for avx2.
#define FASTNN_ISA_NAMESPACE avx2
#define FASTNN_VECTOR_BYTES 32
#include "ops/conv2d_columns_impl.h"
