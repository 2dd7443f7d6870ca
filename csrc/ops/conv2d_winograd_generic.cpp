// The Winograd tile transforms compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#define FASTNN_VECTOR_BYTES 16
#include "ops/conv2d_winograd_impl.h"
