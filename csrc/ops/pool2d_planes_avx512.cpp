// The max-pool plane kernels compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#define FASTNN_VECTOR_BYTES 64
#include "ops/pool2d_planes_impl.h"
