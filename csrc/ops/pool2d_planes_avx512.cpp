// The 2x2 max-pool plane kernels compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#include "ops/pool2d_planes_impl.h"
