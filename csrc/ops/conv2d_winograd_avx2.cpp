// The Winograd tile transforms compiled for avx2.
#define FASTNN_ISA_NAMESPACE avx2
#define FASTNN_VECTOR_BYTES 32
#include "ops/conv2d_winograd_impl.h"
