// The recurrent layers' gate math compiled for generic.
#define FASTNN_ISA_NAMESPACE generic
#include "ops/rnn_gates_impl.h"
