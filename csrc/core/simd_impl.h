// Vectors of FASTNN_VECTOR_BYTES as GCC vector extensions, with unaligned loads
// and stores and a broadcast that folds into an FMA's memory operand. For the
// per-ISA files only: include after defining FASTNN_ISA_NAMESPACE and
// FASTNN_VECTOR_BYTES, never from code compiled for another ISA.
#include <cstring>
#include <utility>

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

template <typename T>
struct Vec {
  typedef T type __attribute__((vector_size(FASTNN_VECTOR_BYTES)));
  static constexpr int width = FASTNN_VECTOR_BYTES / sizeof(T);
};

template <typename T>
inline typename Vec<T>::type load(const T* p) {
  typename Vec<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
inline void store(T* p, typename Vec<T>::type v) {
  std::memcpy(p, &v, sizeof v);
}

// Written as an initializer of *p in every lane, which GCC folds into the FMA's
// memory operand ({1to16} on AVX-512) instead of a load plus a shuffle.
template <typename T, std::size_t... Lane>
inline typename Vec<T>::type broadcast(const T* p, std::index_sequence<Lane...>) {
  return typename Vec<T>::type{((void)Lane, *p)...};
}

template <typename T>
inline typename Vec<T>::type broadcast(const T* p) {
  return broadcast(p, std::make_index_sequence<Vec<T>::width>{});
}

}  // namespace
}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
