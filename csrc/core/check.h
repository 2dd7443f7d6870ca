#pragma once
// Internal invariants of the kernels. Bindings validate user input before any
// kernel runs; FASTNN_CHECK guards what a kernel cannot trust from its callers.
#include <stdexcept>
#include <string>

#define FASTNN_CHECK(cond, msg)                                        \
  do {                                                                 \
    if (!(cond)) throw std::invalid_argument(std::string("fastnn: ") + (msg)); \
  } while (0)
