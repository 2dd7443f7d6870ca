// Attention's row softmax compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#include "ops/attention_rows_impl.h"
