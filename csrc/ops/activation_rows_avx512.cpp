// The ReLU and GELU loops compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#include "ops/activation_rows_impl.h"
