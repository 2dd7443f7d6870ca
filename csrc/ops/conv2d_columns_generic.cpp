// The im2col / col2im channel kernels compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#include "ops/conv2d_columns_impl.h"
