// The max-pool plane kernels compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#define FASTNN_VECTOR_BYTES 16
#include "ops/pool2d_planes_impl.h"
