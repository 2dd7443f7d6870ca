// The 2x2 max-pool plane kernels compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#include "ops/pool2d_planes_impl.h"
