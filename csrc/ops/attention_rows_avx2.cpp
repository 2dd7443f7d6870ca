// Attention's row softmax compiled for avx2.
#define FASTNN_ISA_NAMESPACE avx2
#include "ops/attention_rows_impl.h"
