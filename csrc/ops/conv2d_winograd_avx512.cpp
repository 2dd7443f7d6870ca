// The Winograd tile transforms compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#define FASTNN_VECTOR_BYTES 64
#include "ops/conv2d_winograd_impl.h"
