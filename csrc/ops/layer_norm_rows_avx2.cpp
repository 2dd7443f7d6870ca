// LayerNorm's row loops compiled for avx2.
#define FASTNN_ISA_NAMESPACE avx2
#include "ops/layer_norm_rows_impl.h"
