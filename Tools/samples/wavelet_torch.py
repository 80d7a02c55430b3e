"""Differentiable pywt-exact multilevel wavelet synthesis (W^-1) in PyTorch, and the flat
coefficient layout used by the fixtures.

The forward transform z = W(x) is pywt.wavedecn itself (never differentiated). The synthesis is an
explicit linear operator built from pywt's reconstruction filters (transposed strided convolution,
then pywt's crop for the non-periodization modes or a circular fold for periodization), so
autograd gives the exact adjoint (W^-1)^T. `check_against_pywt` asserts it equals
pywt.waverecn for the settings used, and `check_against_ptwt` compares with ptwt where ptwt has
the mode.

Flat order (= pywt.wavedecn order): cA_J, then for j = J..1 the detail bands of level j in sorted
dwtn key order ('d'; 'ad','da','dd'; 'aad',...,'ddd'); each band row-major (C order).
"""
from __future__ import annotations

import itertools

import numpy as np
import pywt
import torch
import torch.nn.functional as F


class Layout:
    """Band names, keys, shapes and offsets of one wavedecn result."""

    def __init__(self, coeffs: list, ndim: int):
        self.ndim = ndim
        self.levels = len(coeffs) - 1
        self.keys = ["".join(k) for k in itertools.product("ad", repeat=ndim) if "d" in "".join(k)]   # sorted
        self.bands = []          # (name, level (0 = approx), key, shape)
        J = self.levels
        self.bands.append((f"cA{J}", 0, "a" * ndim, tuple(coeffs[0].shape)))
        for i, d in enumerate(coeffs[1:]):
            j = J - i
            for k in self.keys:
                name = f"cD{j}" if ndim == 1 else f"cD{j}_{k}"
                self.bands.append((name, j, k, tuple(d[k].shape)))
        sizes = [int(np.prod(s)) for *_, s in self.bands]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.size = int(self.offsets[-1])

    def flatten(self, coeffs: list) -> np.ndarray:
        parts = [np.asarray(coeffs[0]).ravel()]
        for d in coeffs[1:]:
            parts += [np.asarray(d[k]).ravel() for k in self.keys]
        return np.concatenate(parts)

    def split(self, flat):
        """flat (torch or numpy, leading batch dims allowed) -> list of band arrays."""
        out = []
        for b, (name, j, k, shape) in enumerate(self.bands):
            part = flat[..., self.offsets[b]:self.offsets[b + 1]]
            out.append(part.reshape(*flat.shape[:-1], *shape))
        return out

    def level_of_band(self) -> np.ndarray:
        return np.array([j for _, j, _, _ in self.bands], np.int64)


def wavedec_flat(x: np.ndarray, wavelet: str, mode: str, levels: int):
    """pywt.wavedecn over all axes of x (float64); returns (flat coefficients, layout)."""
    coeffs = pywt.wavedecn(np.asarray(x, np.float64), wavelet, mode=mode, level=levels)
    layout = Layout(coeffs, np.ndim(x))
    return layout.flatten(coeffs), layout


def _idwt_axis(a: torch.Tensor, d: torch.Tensor, axis: int, w: pywt.Wavelet, mode: str) -> torch.Tensor:
    """pywt.idwt along `axis` (a, d same shape), differentiable."""
    a = a.movedim(axis, -1)
    d = d.movedim(axis, -1)
    shape = a.shape
    n = shape[-1]
    lo = torch.tensor(w.rec_lo, dtype=a.dtype)
    hi = torch.tensor(w.rec_hi, dtype=a.dtype)
    L = lo.numel()
    inp = torch.stack([a.reshape(-1, n), d.reshape(-1, n)], dim=1)          # [B, 2, n]
    weight = torch.stack([lo, hi])[:, None, :]                               # [2, 1, L]
    full = F.conv_transpose1d(inp, weight, stride=2)                         # [B, 1, 2n + L - 2]
    full = full[:, 0]
    if mode == "periodization":
        out_len = 2 * n
        # Circular fold: full index t lands at (t - (L/2 - 1)) mod 2n (pywt's periodization phase).
        shift = L // 2 - 1
        idx = (torch.arange(full.shape[-1]) - shift) % out_len
        y = torch.zeros(full.shape[0], out_len, dtype=full.dtype).index_add(1, idx, full)
    else:
        out_len = 2 * n - L + 2
        y = full[:, L - 2: L - 2 + out_len]
    return y.reshape(*shape[:-1], out_len).movedim(-1, axis)


def waverec_flat(flat: torch.Tensor, layout: Layout, wavelet: str, mode: str, out_shape: tuple) -> torch.Tensor:
    """Differentiable pywt.waverecn of flat coefficients (batch dims allowed in front), cropped to out_shape."""
    w = pywt.Wavelet(wavelet)
    nd = layout.ndim
    bands = layout.split(flat)
    batch = flat.shape[:-1]
    a = bands[0]
    pos = 1
    for _ in range(layout.levels):
        level = {"a" * nd: None}
        for k in layout.keys:
            level[k] = bands[pos]
            pos += 1
        dshape = level[layout.keys[0]].shape
        if a.shape != dshape:                    # pywt's crop of an approximation one longer
            a = a[tuple(slice(0, s) for s in dshape)]
        level["a" * nd] = a
        # idwtn: combine along the last axis first (pywt iterates axes in reverse).
        for ax in reversed(range(nd)):
            axis = len(batch) + ax
            new = {}
            for k in level:
                if k[ax] != "a":
                    continue
                kd = k[:ax] + "d" + k[ax + 1:]
                new[k[:ax] + k[ax + 1:]] = _idwt_axis(level[k], level[kd], axis, w, mode)
            level = new
        a = level[""]
    return a[(...,) + tuple(slice(0, s) for s in out_shape)]


def check_against_pywt(shape, wavelet, mode, levels, trials=3, seed=0) -> float:
    """Max |waverec_flat - pywt.waverecn| on random coefficients; also checks W^-1 W x == x."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    flat, layout = wavedec_flat(x, wavelet, mode, levels)
    err = 0.0
    rec = waverec_flat(torch.from_numpy(flat), layout, wavelet, mode, shape).numpy()
    err = max(err, float(np.max(np.abs(rec - x))))
    for _ in range(trials):
        z = rng.standard_normal(layout.size)
        coeffs = [b for b in layout.split(z)]
        pc = [coeffs[0]]
        pos = 1
        for _ in range(layout.levels):
            pc.append({k: coeffs[pos + i] for i, k in enumerate(layout.keys)})
            pos += len(layout.keys)
        ref = pywt.waverecn(pc, wavelet, mode=mode)
        ref = ref[tuple(slice(0, s) for s in shape)]
        got = waverec_flat(torch.from_numpy(z), layout, wavelet, mode, shape).numpy()
        err = max(err, float(np.max(np.abs(got - ref))))
    return err


def check_adjoint(shape, wavelet, mode, levels, seed=1) -> float:
    """Relative error of <W^-1 z, y> == <z, (W^-1)^T y> with the autograd adjoint."""
    rng = np.random.default_rng(seed)
    _, layout = wavedec_flat(np.zeros(shape), wavelet, mode, levels)
    z = torch.from_numpy(rng.standard_normal(layout.size)).requires_grad_(True)
    y = torch.from_numpy(rng.standard_normal(shape))
    lhs = (waverec_flat(z, layout, wavelet, mode, shape) * y).sum()
    (g,) = torch.autograd.grad(lhs, z)
    rhs = (z.detach() * g).sum()
    return float(abs(lhs.detach() - rhs) / abs(lhs.detach()))


def check_against_ptwt(x: np.ndarray, wavelet: str, mode: str, levels: int) -> dict | None:
    """For 1D symmetric/reflect (modes ptwt shares with pywt): compare ptwt.wavedec with pywt and
    the ptwt.waverec autograd adjoint with ours. Returns max abs differences, or None."""
    import ptwt
    if mode not in ("symmetric", "reflect") or np.ndim(x) != 1:
        return None
    xt = torch.from_numpy(np.asarray(x, np.float64))[None]
    pt = ptwt.wavedec(xt, wavelet, mode=mode, level=levels)
    py = pywt.wavedec(np.asarray(x, np.float64), wavelet, mode=mode, level=levels)
    fwd = max(float(np.max(np.abs(a[0].numpy() - b))) for a, b in zip(pt, py))
    flat, layout = wavedec_flat(x, wavelet, mode, levels)
    y = torch.from_numpy(np.random.default_rng(5).standard_normal(len(x)))
    ours_z = torch.from_numpy(flat).requires_grad_(True)
    (g_ours,) = torch.autograd.grad((waverec_flat(ours_z, layout, wavelet, mode, (len(x),)) * y).sum(), ours_z)
    bands = [b.detach().clone()[None].requires_grad_(True) for b in layout.split(torch.from_numpy(flat))]
    rec = ptwt.waverec(bands, wavelet)[..., : len(x)]
    grads = torch.autograd.grad((rec[0] * y).sum(), bands)
    g_pt = torch.cat([g[0].reshape(-1) for g in grads])
    return {"wavedec_max_abs": fwd, "adjoint_max_abs": float((g_pt - g_ours).abs().max()),
            "waverec_max_abs": float((rec[0] - torch.from_numpy(np.asarray(x, np.float64))).abs().max())}
