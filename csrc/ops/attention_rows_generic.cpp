// Attention's row softmax compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#include "ops/attention_rows_impl.h"
