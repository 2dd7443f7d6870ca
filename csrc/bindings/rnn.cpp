// Recurrent layer entries: one layer, one direction, a whole time-major sequence.
#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/rnn.h"

namespace fastnn::bindings {
namespace {

RnnMode parse_mode(const std::string& mode) {
  if (mode == "RNN_TANH") return RnnMode::tanh;
  if (mode == "RNN_RELU") return RnnMode::relu;
  if (mode == "LSTM") return RnnMode::lstm;
  if (mode == "GRU") return RnnMode::gru;
  throw py::value_error("rnn: mode must be 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU', got '" + mode + "'");
}

// A float array of `dtype` like `ref`, C-contiguous, of exactly `shape`.
void check_like(const py::array& a, const char* name, const py::array& ref, const std::vector<py::ssize_t>& shape) {
  check_float_array(a, name);
  check_same_dtype(ref, "input", a, name);
  check_shape(a, name, shape);
}

// Validates the layer's operands and returns its shape.
RnnShape layer_shape(const std::string& mode_name, const py::array& x, const py::array& h0, const py::object& c0,
                     const py::array& w_ih, const py::array& w_hh, const py::object& b_ih, const py::object& b_hh,
                     bool reverse) {
  const RnnMode mode = parse_mode(mode_name);
  check_float_array(x, "input");
  check_ndim(x, "input", {3});
  check_ndim(h0, "hx", {2});
  check_ndim(w_hh, "weight_hh", {2});
  const int64_t T = x.shape(0), B = x.shape(1), I = x.shape(2), H = h0.shape(1), G = rnn_gates(mode) * H;
  check_like(h0, "hx", x, {B, H});
  check_like(w_ih, "weight_ih", x, {G, I});
  check_like(w_hh, "weight_hh", x, {G, H});
  if (!b_ih.is_none()) check_like(py::cast<py::array>(b_ih), "bias_ih", x, {G});
  if (!b_hh.is_none()) check_like(py::cast<py::array>(b_hh), "bias_hh", x, {G});
  if (mode == RnnMode::lstm) {
    if (c0.is_none()) throw py::value_error("rnn: LSTM needs the initial cell state cx");
    check_like(py::cast<py::array>(c0), "cx", x, {B, H});
  }
  return RnnShape{T, B, I, H, mode, reverse};
}

// The data of an optional (None or already validated) array argument.
template <typename T>
const T* maybe(const py::object& o) {
  return o.is_none() ? nullptr : static_cast<const T*>(py::cast<py::array>(o).data());
}

py::tuple forward(const std::string& mode, const py::array& x, const py::array& h0, const py::object& c0,
                  const py::array& w_ih, const py::array& w_hh, const py::object& b_ih, const py::object& b_hh,
                  bool reverse, bool keep_gates) {
  const RnnShape s = layer_shape(mode, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse);
  const bool lstm = s.mode == RnnMode::lstm;
  py::array y = new_array(x.dtype(), std::vector<py::ssize_t>{s.T, s.B, s.H});
  py::array h_n = new_array(x.dtype(), std::vector<py::ssize_t>{s.B, s.H});
  py::array c_n = lstm ? new_array(x.dtype(), std::vector<py::ssize_t>{s.B, s.H}) : py::array();
  py::array gates = keep_gates ? new_array(x.dtype(), std::vector<py::ssize_t>{s.T, s.B, s.G()}) : py::array();
  py::array extra = new_array(x.dtype(), std::vector<py::ssize_t>{s.T, s.B, s.H});
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T *px = data_of<T>(x), *ph0 = data_of<T>(h0), *pc0 = maybe<T>(c0), *pwi = data_of<T>(w_ih),
            *pwh = data_of<T>(w_hh), *pbi = maybe<T>(b_ih), *pbh = maybe<T>(b_hh);
    T *py_ = mutable_data_of<T>(y), *phn = mutable_data_of<T>(h_n), *pcn = lstm ? mutable_data_of<T>(c_n) : nullptr,
      *pg = keep_gates ? mutable_data_of<T>(gates) : nullptr, *pe = mutable_data_of<T>(extra);
    py::gil_scoped_release release;
    rnn_forward<T>(s, px, ph0, pc0, pwi, pwh, pbi, pbh, py_, phn, pcn, pg, pe);
    return 0;
  });
  return py::make_tuple(y, h_n, lstm ? py::object(c_n) : py::object(py::none()),
                        keep_gates ? py::object(gates) : py::object(py::none()), extra);
}

py::tuple backward(const std::string& mode, const py::array& x, const py::array& h0, const py::object& c0,
                   const py::array& w_ih, const py::array& w_hh, const py::array& y, const py::array& gates,
                   const py::array& extra, const py::array& dy, const py::object& dh_n, const py::object& dc_n,
                   bool reverse, bool bias) {
  const RnnShape s = layer_shape(mode, x, h0, c0, w_ih, w_hh, py::none(), py::none(), reverse);
  const bool lstm = s.mode == RnnMode::lstm;
  check_like(y, "output", x, {s.T, s.B, s.H});
  check_like(gates, "gates", x, {s.T, s.B, s.G()});
  check_like(extra, "saved states", x, {s.T, s.B, s.H});
  check_like(dy, "grad_output", x, {s.T, s.B, s.H});
  if (!dh_n.is_none()) check_like(py::cast<py::array>(dh_n), "grad_hy", x, {s.B, s.H});
  if (!dc_n.is_none()) check_like(py::cast<py::array>(dc_n), "grad_cy", x, {s.B, s.H});
  py::array dx = new_array(x.dtype(), std::vector<py::ssize_t>{s.T, s.B, s.I});
  py::array dh0 = new_array(x.dtype(), std::vector<py::ssize_t>{s.B, s.H});
  py::array dc0 = lstm ? new_array(x.dtype(), std::vector<py::ssize_t>{s.B, s.H}) : py::array();
  py::array dw_ih = new_array(x.dtype(), std::vector<py::ssize_t>{s.G(), s.I});
  py::array dw_hh = new_array(x.dtype(), std::vector<py::ssize_t>{s.G(), s.H});
  py::array db_ih = bias ? new_array(x.dtype(), std::vector<py::ssize_t>{s.G()}) : py::array();
  py::array db_hh = bias ? new_array(x.dtype(), std::vector<py::ssize_t>{s.G()}) : py::array();
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T *px = data_of<T>(x), *ph0 = data_of<T>(h0), *pc0 = maybe<T>(c0), *pwi = data_of<T>(w_ih),
            *pwh = data_of<T>(w_hh), *pyv = data_of<T>(y), *pg = data_of<T>(gates), *pe = data_of<T>(extra),
            *pdy = data_of<T>(dy), *pdhn = maybe<T>(dh_n), *pdcn = maybe<T>(dc_n);
    T *pdx = mutable_data_of<T>(dx), *pdh0 = mutable_data_of<T>(dh0), *pdc0 = lstm ? mutable_data_of<T>(dc0) : nullptr,
      *pdwi = mutable_data_of<T>(dw_ih), *pdwh = mutable_data_of<T>(dw_hh),
      *pdbi = bias ? mutable_data_of<T>(db_ih) : nullptr, *pdbh = bias ? mutable_data_of<T>(db_hh) : nullptr;
    py::gil_scoped_release release;
    rnn_backward<T>(s, px, ph0, pc0, pwi, pwh, pyv, pg, pe, pdy, pdhn, pdcn, pdx, pdh0, pdc0, pdwi, pdwh, pdbi, pdbh);
    return 0;
  });
  auto or_none = [](bool has, const py::array& a) { return has ? py::object(a) : py::object(py::none()); };
  return py::make_tuple(dx, dh0, or_none(lstm, dc0), dw_ih, dw_hh, or_none(bias, db_ih), or_none(bias, db_hh));
}

}  // namespace

void bind_rnn(py::module_& m) {
  m.def("rnn_forward", &forward, py::arg("mode"), py::arg("input").noconvert(), py::arg("hx").noconvert(),
        py::arg("cx"), py::arg("weight_ih").noconvert(), py::arg("weight_hh").noconvert(), py::arg("bias_ih"),
        py::arg("bias_hh"), py::arg("reverse") = false, py::arg("keep_gates") = true,
        "One recurrent layer over a time-major sequence: (output, h_n, c_n or None, gates (None unless "
        "keep_gates: for backward), saved states).");
  m.def("rnn_backward", &backward, py::arg("mode"), py::arg("input").noconvert(), py::arg("hx").noconvert(),
        py::arg("cx"), py::arg("weight_ih").noconvert(), py::arg("weight_hh").noconvert(),
        py::arg("output").noconvert(), py::arg("gates").noconvert(), py::arg("saved").noconvert(),
        py::arg("grad_output").noconvert(), py::arg("grad_hy"), py::arg("grad_cy"), py::arg("reverse"),
        py::arg("bias"),
        "Gradients (input, hx, cx or None, weight_ih, weight_hh, bias_ih or None, bias_hh or None).");
}

}  // namespace fastnn::bindings
