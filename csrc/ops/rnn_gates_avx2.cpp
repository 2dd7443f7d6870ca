// The recurrent layers' gate math compiled for avx2.
#define FASTNN_ISA_NAMESPACE avx2
#include "ops/rnn_gates_impl.h"
