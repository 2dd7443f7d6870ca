#pragma once
#include <type_traits>
// CPU feature detection and the choice of instruction set for the kernels.
#include <string>

namespace fastnn {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

struct CpuFeatures {
  bool avx2_fma = false;  // AVX2 + FMA, with the OS saving YMM state
  bool avx512 = false;    // AVX-512 F/DQ/BW/VL, with the OS saving ZMM state
};

// What this CPU and OS can run (CPUID + XCR0), read once.
const CpuFeatures& cpu_features();
bool isa_supported(Isa isa);

// The ISA the kernels use: the best supported one, or FASTNN_ISA if set.
Isa active_isa();
// Forces an ISA; throws std::invalid_argument if the CPU cannot run it.
void set_active_isa(Isa isa);

const char* isa_name(Isa isa);
// Parses "avx512" | "avx2" | "generic"; throws std::invalid_argument otherwise.
Isa parse_isa(const std::string& name);

}  // namespace fastnn

// `call` (a function and its arguments) from the namespace of `isa`: fastnn::avx512,
// fastnn::avx2 or fastnn::generic; builds for other CPUs have the generic one only.
#if defined(FASTNN_X86)
#define FASTNN_CALL_FOR_ISA(isa, call)                                             \
  ((isa) == ::fastnn::Isa::avx512 ? ::fastnn::avx512::call                          \
   : (isa) == ::fastnn::Isa::avx2 ? ::fastnn::avx2::call                            \
                                  : ::fastnn::generic::call)
#else
#define FASTNN_CALL_FOR_ISA(isa, call) ((void)(isa), ::fastnn::generic::call)
#endif

// A per-ISA table of kernels for dtype T: each ISA's namespace defines
// stem_f32() and stem_f64(), declared with FASTNN_DECLARE_ISA_TABLES.
#define FASTNN_ISA_TABLE(T, isa, stem)                         \
  [&] {                                                        \
    if constexpr (std::is_same_v<T, float>)                    \
      return FASTNN_CALL_FOR_ISA(isa, stem##_f32());           \
    else                                                       \
      return FASTNN_CALL_FOR_ISA(isa, stem##_f64());           \
  }()

#define FASTNN_DECLARE_ISA_TABLE_IN(ns, Table, stem) \
  namespace ns {                                     \
  Table<float> stem##_f32();                         \
  Table<double> stem##_f64();                        \
  }
#define FASTNN_DECLARE_ISA_TABLES(Table, stem)          \
  FASTNN_DECLARE_ISA_TABLE_IN(generic, Table, stem)     \
  FASTNN_DECLARE_ISA_TABLE_IN(avx2, Table, stem)        \
  FASTNN_DECLARE_ISA_TABLE_IN(avx512, Table, stem)
