// The max-pool plane kernels compiled for avx2.
#define FASTNN_ISA_NAMESPACE avx2
#define FASTNN_VECTOR_BYTES 32
#include "ops/pool2d_planes_impl.h"
