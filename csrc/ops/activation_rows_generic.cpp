// The ReLU and GELU loops compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#include "ops/activation_rows_impl.h"
