// The recurrent layers' gate math compiled for avx512.
#define FASTNN_ISA_NAMESPACE avx512
#include "ops/rnn_gates_impl.h"
