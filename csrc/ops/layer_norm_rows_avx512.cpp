// LayerNorm's row loops compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#include "ops/layer_norm_rows_impl.h"
