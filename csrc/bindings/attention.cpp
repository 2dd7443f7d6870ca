// scaled dot-product attention entries on (heads, L, E) arrays; Python folds
// the batch and head dimensions and turns masks into additive planes.
#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/attention.h"

namespace fastnn::bindings {
namespace {

AttentionDims check_qkv(const py::array& q, const py::array& k, const py::array& v) {
  const char* names[] = {"query", "key", "value"};
  const py::array* arrays[] = {&q, &k, &v};
  for (int i = 0; i < 3; ++i) {
    check_float_array(*arrays[i], names[i]);
    check_ndim(*arrays[i], names[i], {3});
  }
  check_same_dtype(q, "query", k, "key");
  check_same_dtype(q, "query", v, "value");
  const std::string shapes = " (query " + shape_str(q) + ", key " + shape_str(k) + ", value " + shape_str(v) + ")";
  if (k.shape(0) != q.shape(0) || v.shape(0) != q.shape(0))
    throw py::value_error("attention: batch x heads differ" + shapes);
  if (k.shape(2) != q.shape(2)) throw py::value_error("attention: query and key embedding sizes differ" + shapes);
  if (v.shape(1) != k.shape(1)) throw py::value_error("attention: key and value lengths differ" + shapes);
  return {q.shape(0), q.shape(1), k.shape(1), q.shape(2), v.shape(2)};
}

// The additive mask: values (any contiguous array of the dtype), where each
// head's plane starts (int64, one per head) and the row stride (0 or lk). Every
// plane is checked to lie inside values, so the kernel never reads outside.
struct MaskArgs {
  py::object values, offsets;
  int64_t row_stride;
};

template <typename T>
AttentionMask<T> mask_of(const MaskArgs& m, const AttentionDims& d, const py::array& q) {
  if (m.values.is_none()) return {};
  const py::array values = py::cast<py::array>(m.values);
  check_float_array(values, "mask");
  check_same_dtype(q, "query", values, "mask");
  const std::string offsets_wanted =
      "attention: mask_offsets must be a contiguous int64 array of " + std::to_string(d.heads) + " plane offsets";
  if (!py::isinstance<py::array_t<int64_t>>(m.offsets)) throw py::type_error(offsets_wanted);
  const auto offsets = py::cast<py::array>(m.offsets);
  if (offsets.ndim() != 1 || offsets.shape(0) != d.heads || !(offsets.flags() & py::array::c_style))
    throw py::value_error(offsets_wanted + ", got shape " + shape_str(offsets));
  check_aligned(offsets, "mask_offsets");
  if (m.row_stride != 0 && m.row_stride != d.lk)
    throw py::value_error("attention: mask_row_stride must be 0 or " + std::to_string(d.lk) + ", got " +
                          std::to_string(m.row_stride));
  const int64_t span = d.lq && d.lk ? (m.row_stride ? (d.lq - 1) * m.row_stride : 0) + d.lk : 0;
  const int64_t* offset = data_of<int64_t>(offsets);
  for (int64_t h = 0; h < d.heads; ++h)
    if (offset[h] < 0 || offset[h] + span > values.size())
      throw py::value_error("attention: mask plane " + std::to_string(h) + " at offset " + std::to_string(offset[h]) +
                            " does not fit in a mask of " + std::to_string(values.size()) + " values");
  return {data_of<T>(values), offset, m.row_stride};
}

py::tuple forward(const py::array& q, const py::array& k, const py::array& v, const MaskArgs& mask, bool causal,
                  double scale) {
  const AttentionDims d = check_qkv(q, k, v);
  py::array out = new_array(q.dtype(), {d.heads, d.lq, d.ev});
  py::array lse = new_array(q.dtype(), {d.heads, d.lq});
  dispatch_float(q, [&](auto zero) {
    using T = decltype(zero);
    const AttentionMask<T> m = mask_of<T>(mask, d, q);
    T *po = mutable_data_of<T>(out), *plse = mutable_data_of<T>(lse);
    py::gil_scoped_release release;
    attention_forward<T>(d, data_of<T>(q), data_of<T>(k), data_of<T>(v), m, causal, T(scale), po, plse);
    return 0;
  });
  return py::make_tuple(out, lse);
}

py::tuple backward(const py::array& q, const py::array& k, const py::array& v, const MaskArgs& mask, bool causal,
                   double scale, const py::array& out, const py::array& lse, const py::array& dout) {
  const AttentionDims d = check_qkv(q, k, v);
  const std::pair<const py::array*, const char*> saved[] = {{&out, "output"}, {&lse, "lse"}, {&dout, "grad_output"}};
  for (const auto& [array, name] : saved) {
    check_float_array(*array, name);
    check_same_dtype(q, "query", *array, name);
  }
  check_shape(out, "output", {d.heads, d.lq, d.ev});
  check_shape(lse, "lse", {d.heads, d.lq});
  check_shape(dout, "grad_output", {d.heads, d.lq, d.ev});
  py::array dq = new_array(q.dtype(), {d.heads, d.lq, d.e});
  py::array dk = new_array(q.dtype(), {d.heads, d.lk, d.e});
  py::array dv = new_array(q.dtype(), {d.heads, d.lk, d.ev});
  dispatch_float(q, [&](auto zero) {
    using T = decltype(zero);
    const AttentionMask<T> m = mask_of<T>(mask, d, q);
    T *pdq = mutable_data_of<T>(dq), *pdk = mutable_data_of<T>(dk), *pdv = mutable_data_of<T>(dv);
    py::gil_scoped_release release;
    attention_backward<T>(d, data_of<T>(q), data_of<T>(k), data_of<T>(v), m, causal, T(scale), data_of<T>(out),
                          data_of<T>(lse), data_of<T>(dout), pdq, pdk, pdv);
    return 0;
  });
  return py::make_tuple(dq, dk, dv);
}

}  // namespace

void bind_attention(py::module_& m) {
  m.def(
      "attention_forward",
      [](const py::array& q, const py::array& k, const py::array& v, py::object mask, py::object mask_offsets,
         int64_t mask_row_stride, bool is_causal, double scale) {
        return forward(q, k, v, {mask, mask_offsets, mask_row_stride}, is_causal, scale);
      },
      py::arg("query").noconvert(), py::arg("key").noconvert(), py::arg("value").noconvert(), py::kw_only(),
      py::arg("mask") = py::none(), py::arg("mask_offsets") = py::none(), py::arg("mask_row_stride") = 0,
      py::arg("is_causal") = false, py::arg("scale"),
      "(out, lse) of softmax(scale * q k^T + mask) v over (heads, L, E) arrays.");
  m.def(
      "attention_backward",
      [](const py::array& q, const py::array& k, const py::array& v, const py::array& out, const py::array& lse,
         const py::array& dout, py::object mask, py::object mask_offsets, int64_t mask_row_stride, bool is_causal,
         double scale) {
        return backward(q, k, v, {mask, mask_offsets, mask_row_stride}, is_causal, scale, out, lse, dout);
      },
      py::arg("query").noconvert(), py::arg("key").noconvert(), py::arg("value").noconvert(),
      py::arg("output").noconvert(), py::arg("lse").noconvert(), py::arg("grad_output").noconvert(), py::kw_only(),
      py::arg("mask") = py::none(), py::arg("mask_offsets") = py::none(), py::arg("mask_row_stride") = 0,
      py::arg("is_causal") = false, py::arg("scale"), "(dq, dk, dv) of attention_forward.");
}

}  // namespace fastnn::bindings
