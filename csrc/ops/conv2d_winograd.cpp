#include "ops/conv2d_winograd.h"

#include <algorithm>
#include <cstdint>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "core/transpose.h"
#include "gemm/gemm.h"
#include "ops/reduce.h"

namespace fastnn {
namespace {

constexpr int64_t kPoints = 36, kTile = 4, kInputTile = 6;

// A block's transformed inputs and products (36 x tiles x channels each) stay
// within kBlockBytes, in L2 while its 36 GEMMs read and write them, unless
// that leaves fewer than kGemmTiles tiles for the GEMMs' rows (many channels:
// the block then lives in L3, whose traffic costs less than short GEMMs).
// Blocks come in a multiple of kBlockMultiple when that leaves each at least
// kMinBlockTiles tiles, so that 2 or 4 threads share them evenly (a block's
// size, like everything else here, does not depend on the thread count).
constexpr int64_t kBlockBytes = 512 * 1024, kGemmTiles = 48, kMinBlockTiles = 24, kBlockMultiple = 4;

// The transformed filters (forward) and the weight gradient's partial sums
// (one per chunk of blocks) take at most this much memory: 36 / 9 times the
// filters' own, so 4 x 36 floats per (input, output) channel pair.
constexpr int64_t kTransformBytes = 16 << 20;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// The layout of one call. Channels are padded to whole vectors (cp, op); each
// band of input rows a row of tiles reads is copied channels-last, with its
// zero border, just before its tiles are transformed.
struct WinogradPlan {
  WinogradKernels kernels;
  int64_t cp, op;              // channels, padded
  int64_t th, tw, tiles;       // tiles down, across, in all
  int64_t wp;                  // a padded input row's width
  int64_t block, blocks;       // tiles per block, blocks
  int64_t band_size, grad_band_size;  // an input band; a band of output gradients (a row of tiles)
  int64_t block_size;                 // a block's work: transforms of both kinds, both bands

  // Tile t (numbered along rows, then samples): sample n, tile row ty, column tx.
  struct Tile {
    int64_t n, ty, tx;
  };
  Tile tile(int64_t t) const { return {t / (th * tw), t / tw % th, t % tw}; }

  explicit WinogradPlan(const Conv2dShape& s) : kernels(FASTNN_CALL_FOR_ISA(active_isa(), winograd_kernels())) {
    cp = round_up(s.C, kernels.width);
    op = round_up(s.O, kernels.width);
    th = ceil_div(s.OH, kTile);
    tw = ceil_div(s.OW, kTile);
    tiles = s.N * th * tw;
    wp = tw * kTile + kInputTile - kTile;
    const int64_t fit = kBlockBytes / (kPoints * (cp + op) * int64_t(sizeof(float)));
    blocks = std::max<int64_t>(1, ceil_div(tiles, std::max(kGemmTiles, fit)));  // one, empty, for no tiles
    if (tiles >= round_up(blocks, kBlockMultiple) * kMinBlockTiles) blocks = round_up(blocks, kBlockMultiple);
    block = ceil_div(tiles, blocks);
    band_size = kInputTile * wp * cp;
    grad_band_size = kTile * tw * kTile * op;
    block_size = kPoints * block * (cp + op) + band_size + grad_band_size;
  }

  // Measured against the implicit GEMM and im2col (bench/bench_conv.py's
  // shapes and a sweep of N, C, H, O): forward 1.4-2.7x faster on 1 thread,
  // 1.4-2.6x on 2, from 16 input and 32 output channels up to 256 -> 384 (the
  // most whose transformed filters fit in kTransformBytes); 16 output
  // channels make a GEMM half a register tile wide (0.74-0.91x), and fewer
  // than 16 tiles leave the filters' transform unpaid for (8 tiles of 512 ->
  // 512 channels: 0.6x).
  static bool pays(const Conv2dShape& s) {
    constexpr int64_t kMinIn = 16, kMinOut = 32, kMinTiles = 16;
    const int64_t filters_bytes = kPoints * s.C * round_up(s.O, 16) * int64_t(sizeof(float));  // at most 16 lanes
    return s.KH == 3 && s.KW == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dil_h == 1 && s.dil_w == 1 &&
           s.groups == 1 && s.C >= kMinIn && s.O >= kMinOut && s.OH >= kTile && s.OW >= kTile &&
           s.N * ceil_div(s.OH, kTile) * ceil_div(s.OW, kTile) >= kMinTiles && filters_bytes <= kTransformBytes;
  }
};

// U[p][c][o] = (G g G^T)[p] for each 3x3 filter g = w[o][c], the columns
// past O zero: w is first turned channels-last (taps[c][tap][o]), so that
// the transform runs a vector of output channels at a time.
void transform_weights(const Conv2dShape& s, const WinogradPlan& plan, const float* w, float* taps, float* u) {
  std::fill(taps, taps + s.C * 9 * plan.op, 0.0f);
  transpose(s.O, s.C * 9, w, s.C * 9, taps, plan.op);
  for (int64_t c = 0; c < s.C; ++c) plan.kernels.weight(taps + c * 9 * plan.op, plan.op, plan.op, u + c * plan.op,
                                                        s.C * plan.op);
}

// The input rows of tile row ty of sample n, channels-last with their zero
// border: band[row][w][c], kInputTile x wp x cp.
void fill_band(const Conv2dShape& s, const WinogradPlan& plan, const float* x, int64_t n, int64_t ty, float* band) {
  const int64_t row = plan.wp * plan.cp;
  // The next band's new rows are asked for now: C streams a row apart each
  // are more than the hardware prefetcher follows.
  const int64_t next_first = (ty + 1) * kTile + kInputTile - kTile - s.pad_h;
  for (int64_t h = std::max<int64_t>(0, next_first); h < std::min(s.H, next_first + kTile); ++h)
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t w = 0; w < s.W; w += 16) __builtin_prefetch(x + ((n * s.C + c) * s.H + h) * s.W + w);
  for (int64_t r = 0; r < kInputTile; ++r) {
    const int64_t h = ty * kTile + r - s.pad_h;
    float* dst = band + r * row;
    if (h < 0 || h >= s.H) {
      std::fill(dst, dst + row, 0.0f);
      continue;
    }
    std::fill(dst, dst + s.pad_w * plan.cp, 0.0f);
    std::fill(dst + (s.pad_w + s.W) * plan.cp, dst + row, 0.0f);
    float* pixels = dst + s.pad_w * plan.cp;
    plan.kernels.channels_last(x + (n * s.C * s.H + h) * s.W, s.H * s.W, s.C, s.W, pixels, plan.cp);
    for (int64_t w = 0; plan.cp > s.C && w < s.W; ++w)
      std::fill(pixels + w * plan.cp + s.C, pixels + (w + 1) * plan.cp, 0.0f);
  }
}

// The 36 points of tiles [first, last) into v[p][t - first][c], each tile
// row's band of input filled once.
void transform_inputs(const Conv2dShape& s, const WinogradPlan& plan, int64_t first, int64_t last, const float* x,
                      float* band, float* v) {
  for (int64_t t = first; t < last; ++t) {
    const WinogradPlan::Tile tile = plan.tile(t);
    if (t == first || tile.tx == 0) fill_band(s, plan, x, tile.n, tile.ty, band);
    plan.kernels.input(band + tile.tx * kTile * plan.cp, plan.wp * plan.cp, plan.cp, plan.cp,
                       v + (t - first) * plan.cp, plan.block * plan.cp);
  }
}

// One block of tiles: transform its inputs, one GEMM per point, transform the
// products into its outputs.
void run_block(const Conv2dShape& s, const WinogradPlan& plan, int64_t first, int64_t last, const float* x,
               const float* u, const float* bias, float* work, float* y) {
  float* v = work;
  float* m = v + kPoints * plan.block * plan.cp;
  float* band = m + kPoints * plan.block * plan.op;
  transform_inputs(s, plan, first, last, x, band, v);
  for (int64_t p = 0; p < kPoints; ++p)
    gemm<float>(false, false, last - first, plan.op, s.C, 1.0f, v + p * plan.block * plan.cp, plan.cp,
                u + p * s.C * plan.op, plan.op, 0.0f, m + p * plan.block * plan.op, plan.op, 1);
  for (int64_t t = first; t < last; ++t) {
    const WinogradPlan::Tile tile = plan.tile(t);
    float* dst = y + tile.n * s.O * s.OH * s.OW + tile.ty * kTile * s.OW + tile.tx * kTile;
    plan.kernels.output(m + (t - first) * plan.op, plan.block * plan.op, s.O, bias, dst, s.OH * s.OW, s.OW,
                        std::min(kTile, s.OH - tile.ty * kTile), std::min(kTile, s.OW - tile.tx * kTile));
  }
}

// The output gradients of tile row ty of sample n, channels-last, zero past
// the output's edge: band[row][w][o], kTile x tw * kTile x op.
void fill_grad_band(const Conv2dShape& s, const WinogradPlan& plan, const float* dy, int64_t n, int64_t ty,
                    float* band) {
  const int64_t row = plan.tw * kTile * plan.op;
  for (int64_t r = 0; r < kTile; ++r) {
    const int64_t oh = ty * kTile + r;
    float* dst = band + r * row;
    if (oh >= s.OH) {
      std::fill(dst, dst + row, 0.0f);
      continue;
    }
    plan.kernels.channels_last(dy + (n * s.O * s.OH + oh) * s.OW, s.OH * s.OW, s.O, s.OW, dst, plan.op);
    for (int64_t w = 0; plan.op > s.O && w < s.OW; ++w)
      std::fill(dst + w * plan.op + s.O, dst + (w + 1) * plan.op, 0.0f);
    std::fill(dst + s.OW * plan.op, dst + row, 0.0f);
  }
}

// One block's share of the points' weight gradients: its inputs and output
// gradients transformed (each band filled once), then du[p] (C x op) +=
// v[p]^T dm[p] (beta 0: set).
void run_gradient_block(const Conv2dShape& s, const WinogradPlan& plan, int64_t first, int64_t last,
                        const float* x, const float* dy, float* work, float beta, float* du) {
  float* v = work;
  float* dm = v + kPoints * plan.block * plan.cp;
  float* band = dm + kPoints * plan.block * plan.op;
  float* grad_band = band + plan.band_size;
  transform_inputs(s, plan, first, last, x, band, v);
  for (int64_t t = first; t < last; ++t) {
    const WinogradPlan::Tile tile = plan.tile(t);
    if (t == first || tile.tx == 0) fill_grad_band(s, plan, dy, tile.n, tile.ty, grad_band);
    plan.kernels.gradient(grad_band + tile.tx * kTile * plan.op, plan.tw * kTile * plan.op, plan.op, plan.op,
                          dm + (t - first) * plan.op, plan.block * plan.op);
  }
  for (int64_t p = 0; p < kPoints; ++p)
    gemm<float>(true, false, s.C, plan.op, last - first, 1.0f, v + p * plan.block * plan.cp, plan.cp,
                dm + p * plan.block * plan.op, plan.op, beta, du + p * s.C * plan.op, plan.op, 1);
}

}  // namespace

bool winograd_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y) {
  if (!WinogradPlan::pays(s)) return false;
  if (s.N == 0) return true;
  const WinogradPlan plan(s);
  const int threads = max_threads();
  float* u = thread_scratch(ScratchSlot::op_partials).get<float>((kPoints + 9) * s.C * plan.op + plan.op);
  float* padded_bias = u + kPoints * s.C * plan.op;
  transform_weights(s, plan, w, padded_bias + plan.op, u);
  std::fill(padded_bias, padded_bias + plan.op, 0.0f);
  if (bias != nullptr) std::copy(bias, bias + s.O, padded_bias);
  float* work = thread_scratch(ScratchSlot::op_columns).get<float>(threads * plan.block_size);
  parallel_for(plan.blocks, threads, [&](int64_t b) {
    const int64_t first = b * plan.block, last = std::min(plan.tiles, first + plan.block);
    run_block(s, plan, first, last, x, u, padded_bias, work + thread_index() * plan.block_size, y);
  }, 1);
  return true;
}

bool winograd_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw, float* dbias) {
  if (!WinogradPlan::pays(s)) return false;
  const WinogradPlan plan(s);
  const int threads = max_threads();
  // Chunks of consecutive blocks, each summed into a partial of its own, for
  // the threads to share; how many depends on the shape alone. Too many
  // channels for them all to fit in kTransformBytes: im2col instead.
  const int64_t partial = kPoints * s.C * plan.op, chunks = std::min(kBlockMultiple, plan.blocks);
  if (chunks * partial * int64_t(sizeof(float)) > kTransformBytes) return false;
  float* du = thread_scratch(ScratchSlot::op_partials).get<float>(chunks * partial + s.C * 9 * plan.op);
  float* taps = du + chunks * partial;
  float* work = thread_scratch(ScratchSlot::op_columns).get<float>(threads * plan.block_size);
  if (plan.tiles == 0) std::fill(du, du + partial, 0.0f);
  parallel_for(plan.tiles == 0 ? 0 : chunks, threads, [&](int64_t chunk) {
    const int64_t b0 = plan.blocks * chunk / chunks, b1 = plan.blocks * (chunk + 1) / chunks;
    for (int64_t b = b0; b < b1; ++b)
      run_gradient_block(s, plan, b * plan.block, std::min(plan.tiles, (b + 1) * plan.block), x, dy,
                         work + thread_index() * plan.block_size, b == b0 ? 0.0f : 1.0f, du + chunk * partial);
  }, 1);
  for (int64_t chunk = 1; chunk < chunks; ++chunk)
    for (int64_t i = 0; i < partial; ++i) du[i] += du[chunk * partial + i];
  for (int64_t c = 0; c < s.C; ++c)
    plan.kernels.weight_gradient(du + c * plan.op, s.C * plan.op, plan.op, taps + c * 9 * plan.op, plan.op);
  transpose(s.C * 9, s.O, taps, plan.op, dw, s.C * 9);
  const int64_t plane = s.OH * s.OW;
  for (int64_t o = 0; dbias != nullptr && o < s.O; ++o) {
    float sum = 0.0f;
    for (int64_t n = 0; n < s.N; ++n) sum += sum_fixed_order(dy + (n * s.O + o) * plane, plane);
    dbias[o] = sum;
  }
  return true;
}

}  // namespace fastnn
