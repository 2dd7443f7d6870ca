// matmul entry: C = alpha * op(A) @ op(B) + beta * C for 2-D operands or
// batches of them (a 2-D operand is broadcast over the other's batch). 2-D
// operands may be row slices of wider matrices (leading dimension > columns).
#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "gemm/gemm.h"
#include "gemm/microkernel.h"

namespace fastnn::bindings {
namespace {

struct MatrixView {
  py::ssize_t batch, rows, cols;  // rows x cols of op(X); batch 0 means 2-D
};

MatrixView view_of(const py::array& x, bool trans) {
  const py::ssize_t r = x.shape(x.ndim() - 2), c = x.shape(x.ndim() - 1);
  return {x.ndim() == 3 ? x.shape(0) : 0, trans ? c : r, trans ? r : c};
}

py::array gemm(const py::array& a, const py::array& b, py::object out, bool trans_a, bool trans_b,
               double alpha, double beta) {
  const int64_t lda = check_row_major(a, "a"), ldb = check_row_major(b, "b");
  check_same_dtype(a, "a", b, "b");
  check_ndim(a, "a", {2, 3});
  check_ndim(b, "b", {2, 3});
  const MatrixView va = view_of(a, trans_a), vb = view_of(b, trans_b);
  if (va.cols != vb.rows)
    throw py::value_error("matmul: op(a) is " + std::to_string(va.rows) + "x" + std::to_string(va.cols) +
                          " but op(b) is " + std::to_string(vb.rows) + "x" + std::to_string(vb.cols) +
                          " (a " + shape_str(a) + ", b " + shape_str(b) + ", trans_a=" +
                          std::to_string(trans_a) + ", trans_b=" + std::to_string(trans_b) + ")");
  if (va.batch && vb.batch && va.batch != vb.batch)
    throw py::value_error("matmul: batch sizes differ: a " + shape_str(a) + ", b " + shape_str(b));
  const py::ssize_t batch = std::max(va.batch, vb.batch);
  const bool batched = a.ndim() == 3 || b.ndim() == 3;
  std::vector<py::ssize_t> out_shape = {va.rows, vb.cols};
  if (batched) out_shape.insert(out_shape.begin(), batch);

  py::array c;
  int64_t ldc = std::max<int64_t>(vb.cols, 1);
  if (out.is_none()) {
    if (beta != 0.0) throw py::value_error("matmul: beta != 0 needs an `out` array to accumulate into");
    c = new_array(a.dtype(), out_shape);
  } else {
    c = py::cast<py::array>(out);
    ldc = check_row_major(c, "out", /*writable=*/true);
    check_same_dtype(a, "a", c, "out");
    check_shape(c, "out", out_shape);
  }

  const int64_t M = va.rows, N = vb.cols, K = va.cols;
  dispatch_float(a, [&](auto zero) {
    using T = decltype(zero);
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    T* pc = static_cast<T*>(c.mutable_data());
    py::gil_scoped_release release;
    if (batched) {
      gemm_batched<T>(batch, trans_a, trans_b, M, N, K, T(alpha), pa, lda, va.batch ? M * K : 0, pb, ldb,
                      vb.batch ? K * N : 0, T(beta), pc, ldc, M * N);
    } else {
      fastnn::gemm<T>(trans_a, trans_b, M, N, K, T(alpha), pa, lda, pb, ldb, T(beta), pc, ldc);
    }
    return 0;
  });
  return c;
}

// A 2-D, C-contiguous, aligned array of native float32 or float64: what mm
// can take without gemm's general checks. Returns the dtype's number, or 0.
int plain_matrix(const py::array& x) {
  constexpr int kFlags = py::array::c_style | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
  if (x.ndim() != 2 || (x.flags() & kFlags) != kFlags) return 0;
  const py::dtype dtype = x.dtype();
  const int num = dtype.num();
  const bool floating = num == py::detail::npy_api::NPY_FLOAT_ || num == py::detail::npy_api::NPY_DOUBLE_;
  return floating && dtype.byteorder() == '=' ? num : 0;
}

// a @ b. Two plain matrices of one dtype are recognised in a few reads:
// gemm's general checks (strides, batches, `out`, and the messages that explain
// a refusal) are a good part of a small product's call (2 x 2: 480 -> 350 ns).
// Anything else goes through gemm, which validates.
py::array mm(const py::array& a, const py::array& b) {
  const int num = plain_matrix(a);
  if (num == 0 || plain_matrix(b) != num || a.shape(1) != b.shape(0))
    return gemm(a, b, py::none(), false, false, 1.0, 0.0);
  const int64_t M = a.shape(0), K = a.shape(1), N = b.shape(1);
  py::array c = new_array(a.dtype(), {M, N});
  auto run = [&](auto zero) {
    using T = decltype(zero);
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    T* pc = static_cast<T*>(c.mutable_data());
    py::gil_scoped_release release;
    fastnn::gemm<T>(false, false, M, N, K, T(1), pa, std::max<int64_t>(K, 1), pb, std::max<int64_t>(N, 1), T(0),
                    pc, std::max<int64_t>(N, 1));
  };
  if (num == py::detail::npy_api::NPY_FLOAT_)
    run(float{});
  else
    run(double{});
  return c;
}

bool is_float32_dtype(const py::object& dtype_like, const char* fn) {
  const py::dtype dtype = py::dtype::from_args(dtype_like);
  if (dtype.is(py::dtype::of<float>())) return true;
  if (dtype.is(py::dtype::of<double>())) return false;
  throw py::type_error(std::string(fn) + ": dtype must be float32 or float64, got " + std::string(py::str(dtype)));
}

py::dict blocks_of(const py::object& dtype) {
  const GemmBlocks b = is_float32_dtype(dtype, "gemm_blocks") ? gemm_blocks<float>() : gemm_blocks<double>();
  py::dict out;
  out["mr"] = b.mr;
  out["nr"] = b.nr;
  out["mc"] = b.mc;
  out["kc"] = b.kc;
  out["nc"] = b.nc;
  out["direct_a_bytes"] = b.direct_a_bytes;
  return out;
}

void set_blocks(const py::object& dtype, int64_t mc, int64_t kc, int64_t nc, int64_t direct_a_bytes) {
  if (is_float32_dtype(dtype, "set_gemm_blocks"))
    set_gemm_blocks<float>(mc, kc, nc, direct_a_bytes);
  else
    set_gemm_blocks<double>(mc, kc, nc, direct_a_bytes);
}

}  // namespace

void bind_gemm(py::module_& m) {
  m.def("gemm", &gemm, py::arg("a").noconvert(), py::arg("b").noconvert(), py::arg("out") = py::none(),
        py::kw_only(), py::arg("trans_a") = false, py::arg("trans_b") = false, py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0,
        "out = alpha * op(a) @ op(b) + beta * out, for 2-D a, b or batches of them (3-D).");
  m.def("mm", &mm, py::arg("a").noconvert(), py::arg("b").noconvert(),
        "a @ b for 2-D a, b (or batches): gemm without its keyword arguments, the common case recognised in a "
        "few reads.");
  m.def("gemm_blocks", &blocks_of, py::arg("dtype"),
        "Register tile (mr, nr) and cache blocks (mc, kc, nc) of the active ISA's GEMM for dtype.");
  m.def("set_gemm_blocks", &set_blocks, py::arg("dtype"), py::arg("mc") = 0, py::arg("kc") = 0, py::arg("nc") = 0,
        py::arg("direct_a_bytes") = -1,
        "Retunes the active ISA's cache blocks for dtype and the size of A up to which A and B are read in "
        "place; with no sizes (or sizes <= 0, direct_a_bytes < 0) restores the built-in ones.");
  m.def(
      "measure_fma_peak_gflops",
      [](int threads) {
        if (threads < 1) throw py::value_error("threads must be >= 1, got " + std::to_string(threads));
        py::gil_scoped_release release;
        return measure_fma_peak_gflops(threads);
      },
      py::arg("threads"), "float32 FMA GFLOP/s of the active ISA, measured on `threads` threads.");
}

}  // namespace fastnn::bindings
