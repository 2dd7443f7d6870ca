// The ReLU and GELU loops compiled for avx2.
#define FASTNN_ISA_NAMESPACE avx2
#include "ops/activation_rows_impl.h"
