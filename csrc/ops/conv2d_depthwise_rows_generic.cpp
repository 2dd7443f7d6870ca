// The depthwise row kernel compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#define FASTNN_VECTOR_BYTES 16
#include "ops/conv2d_depthwise_rows_impl.h"
