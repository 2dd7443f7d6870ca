// LayerNorm's row loops compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#include "ops/layer_norm_rows_impl.h"
