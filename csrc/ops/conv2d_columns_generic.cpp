// The im2col / col2im channel kernels compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#define FASTNN_VECTOR_BYTES 16
#include "ops/conv2d_columns_impl.h"
