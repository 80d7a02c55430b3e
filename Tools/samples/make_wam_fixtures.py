#!/usr/bin/env python3
"""Reference WAM fixtures for the attribution core -> Tests/AttributionTests/Fixtures/*.npz + index.json.

    python3 Tools/samples/make_wam_fixtures.py

Independent implementation: the committed ONNX models are run by PyTorch (nets.OnnxTorch, float64),
gradients come from autograd, the forward DWT is pywt.wavedecn and the synthesis W^-1 is an
explicit torch operator built from pywt's filters (wavelet_torch.py), checked here against
pywt.waverecn (values), autograd (adjoint identity) and ptwt (1D symmetric/reflect: forward DWT,
reconstruction and adjoint). Conventions follow docs/METHOD.md; see the README beside the fixtures
for every key. Inputs are the committed sample files (Samples/audio, Samples/images, Samples/volumes).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pywt
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import AUDIO_CLASSES, FIXTURES, MODELS, ROOT, SAMPLES, SEED, SR, dump_json, progress, read_wav  # noqa: E402
from nets import OnnxTorch, ort_logits, sha256  # noqa: E402
from wavelet_torch import check_adjoint, check_against_ptwt, check_against_pywt, wavedec_flat, waverec_flat  # noqa: E402

IG_STEPS = 32            # METHOD.md default m
IG_STEPS_CHECK = 256     # only the completeness gap is stored for this m
SG_N = 4
SG_SPREAD = 0.1          # s = spread * (max x - min x)
KEEP_Q = 0.1             # interpretation keeps the top 10% of coefficients
EVAL_K = 16              # insertion / deletion steps k = 0..K
METHODS = ["grad", "ig", "sg"]
INTERP_METHODS = ["grad", "ig"]  # interpretation signals stored for these (size budget)

CASES = [
    # name,                input,                              model,                wavelet, mode,        levels
    ("audio-yes-db4-symmetric-J5", "Samples/audio/yes.wav", "audio-resnet", "db4", "symmetric", 5),
    ("audio-yes-haar-periodization-J8", "Samples/audio/yes.wav", "audio-resnet", "haar", "periodization", 8),
    ("audio-piano-db4-reflect-J3", "Samples/audio/piano.wav", "audio-resnet", "db4", "reflect", 3),
    ("audio-piano-haar-symmetric-J6", "Samples/audio/piano.wav", "audio-resnet", "haar", "symmetric", 6),
    ("audio-chirp-db4-periodization-J5", "Samples/audio/chirp.wav", "audio-resnet", "db4", "periodization", 5),
    ("image-digit3-db4-symmetric-J2", "Samples/images/digit-3.npy", "digits-cnn", "db4", "symmetric", 2),
    ("image-digit7-haar-reflect-J3", "Samples/images/digit-7.npy", "digits-cnn", "haar", "reflect", 3),
    ("volume-torus-haar-periodization-J2", "Samples/volumes/torus.npy", "shapes3d-cnn", "haar", "periodization", 2),
]

README_HEAD = """# Reference WAM fixtures (Tests/AttributionTests)

Made by `Tools/samples/make_wam_fixtures.py` (rerun: `python3 Tools/samples/make_wam_fixtures.py`, or
`bash Tools/samples/make_all.sh fixtures`; needs Tools/samples/requirements.txt). Do not edit by hand.

An implementation independent of the Swift code: the committed ONNX model is executed by PyTorch in
**float64** from its weights (`Tools/samples/nets.py: OnnxTorch`), gradients come from autograd, the
forward DWT is `pywt.wavedecn` and the synthesis `W^-1` is an explicit differentiable operator built
from pywt's reconstruction filters (`Tools/samples/wavelet_torch.py`). Before writing each file the
script checks that operator against `pywt.waverecn` (max abs error < 1e-9), the adjoint identity
`<W^-1 z, y> = <z, (W^-1)^T y>` (relative error < 1e-10) and, for 1D symmetric/reflect, ptwt's
`wavedec`/`waverec` and its autograd adjoint (the results are in `index.json`, `checks`).
Conventions are those of `docs/METHOD.md`.

Each `.npz` is written by `numpy.savez_compressed` (a ZIP archive with deflated entries, which
ZIPFoundation reads); every entry is a plain little-endian `.npy` of float32, float64
or int64 (no strings, no pickles). `index.json` lists the cases with their metadata: input file,
model file and sha256, wavelet, mode, levels, band names/levels/keys/shapes in flat order, target
label, the self-checks and the IG completeness gaps.

## Conventions

- **Input** `x`: the committed sample file exactly as the model sees it: WAV int16 / 32768 as
  float32 (`[16000]`), or the `.npy` array (`[32, 32]` image, `[24, 24, 24]` volume). The model input
  adds batch and channel axes (`[1, 1, ...]`). The wavelet transform runs over all axes of `x`.
- **Coefficient order** (flat vectors `coeffs`, `wam_*`, `grad`-like arrays in the wavelet domain):
  pywt's `wavedecn` order: the approximation `cA_J` first, then for each level `j = J, J-1, ..., 1`
  the detail bands of that level in sorted dwtn-key order (`'d'` in 1D; `'ad'`, `'da'`, `'dd'` in 2D;
  `'aad'`, `'ada'`, `'add'`, `'daa'`, `'dad'`, `'dda'`, `'ddd'` in 3D), each band flattened row-major.
  Keys name the axes in order: `'ad'` = approximation along axis 0 (rows), detail along axis 1
  (pywt's `wavedec2` calls `'da'` cH and `'ad'` cV). `band_offsets[b]..band_offsets[b+1]` is band `b`.
- **Band arrays**: the coefficients are also stored band by band with their shapes: 1D `cA5`, `cD5`,
  ..., `cD1`; 2D/3D `cA2`, `cD2_ad`, `cD2_da`, `cD2_dd`, `cD1_ad`, ... (level number = pywt level,
  1 = finest).
- **Precision**: computed in float64; large arrays stored as float32, scalars and short vectors
  (logits, profiles, curves) as float64. `x` and `sg_noise` are exact (they are what was used).
- **Target** `c`: argmax of the float64 logits of `x` (the model's top class).
- **Ranking** (interpretation, insertion, deletion): coefficients sorted by `|a|` descending, ties by
  index (stable sort).
- **SmoothGrad**: `z_i = W(x + sg_noise[i])` with the float32 arrays summed in float64; the noise is
  stored, so no random generator has to be shared.
- **Gradients are well defined** at these inputs: the audio model has no pooling but the global
  average, the digits model uses AveragePool, the volume model's MaxPool sees noisy volumes (no ties);
  the script asserts that `wam_grad` equals the autograd adjoint applied to `grad_input`.
- **IG convergence**: with m = 32 the completeness gap of these ReLU models is tens of percent on
  audio (`ig_gap_relative`); m = 256 brings it to a few percent (`ig_gap_relative_m256`). Identical
  gaps for two wavelets on the same input are expected: with a zero baseline the path
  `W^-1(a z) = a x` does not depend on the wavelet.

## Keys

| key | shape | meaning |
|---|---|---|
| `x` | input shape | the input |
| `logits` | `[C]` f64 | model logits of `x` (PyTorch float64 on the ONNX weights) |
| `logits_onnxruntime` | `[C]` f32 | the same from onnxruntime (float32) |
| `logits_baseline` | `[C]` f64 | logits of the zero input (`W^-1(0) = 0`) |
| `target` | `()` i64 | explained class `c` |
| `levels` | `()` i64 | `J` |
| `coeffs` | `[M]` f32 | `z = W(x)` (flat order above) |
| `cA<J>`, `cD<j>`, `cD<j>_<key>` | band shape f32 | the same coefficients band by band |
| `band_shapes` | `[B, ndim]` i64 | band shapes in flat order |
| `band_offsets` | `[B+1]` i64 | start of each band in the flat vector, then `M` |
| `band_levels` | `[B]` i64 | level of each band: 0 = approximation, else `j` |
| `grad_input` | input shape f32 | `grad_x f_c(x)` (input-domain saliency, signed) |
| `wam_grad` | `[M]` f32 | WAM gradient `g(z) = (W^-1)^T grad_x f_c` |
| `wam_ig` | `[M]` f32 | WAM_IG: `z * mean_k g(a_k z)`, zero baseline, `a_k = (k - 0.5)/m`, `k = 1..m` |
| `ig_steps` | `()` i64 | `m` (32, METHOD.md default) |
| `ig_alphas` | `[m]` f64 | the `a_k` |
| `ig_gap` | `()` f64 | completeness gap `sum(wam_ig) - (f_c(x) - f_c(0))` |
| `ig_gap_relative` | `()` f64 | `ig_gap / (f_c(x) - f_c(0))` |
| `ig_gap_m256`, `ig_gap_relative_m256` | `()` f64 | the same with m = 256 (attribution not stored) |
| `wam_sg` | `[M]` f32 | WAM_SG: `mean_i g(W(x + sg_noise[i]))` |
| `sg_noise` | `[n, *input shape]` f32 | the noise `d_i` added (already scaled by `sg_sigma`) |
| `sg_n` | `()` i64 | `n` (4) |
| `sg_spread`, `sg_sigma` | `()` f64 | spread 0.1 and `sigma = spread * (max x - min x)` used to draw the noise |
| `profile_bands_<m>` | `[B]` f64 | `sum_{k in band} abs(a_k) / sum_all abs(a_k)` per band (orientation), flat band order |
| `profile_levels_<m>` | `[J+1]` f64 | the same per level, order: approximation, `J`, ..., 1 |
| `profile_freq_lo`, `profile_freq_hi` | `[J+1]` f64 | audio only: Hz covered by each level (same order): approximation `[0, fs/2^(J+1)]`, level `j` `[fs/2^(j+1), fs/2^j]` |
| `sample_rate` | `()` | audio only: 16000 |
| `interp_q`, `interp_count` | `()` | keep fraction `q` = 0.1 and the number kept, `floor(q * M)` |
| `interp_<m>` | input shape f32 | interpretation: keep the top `interp_count` coefficients of `abs(a)`, zero the rest, `W^-1`, crop to the input shape (m = grad, ig) |
| `eval_K` | `()` i64 | `K` (16) |
| `eval_counts` | `[K+1]` i64 | features kept (insertion) / removed (deletion) at step k: `floor(k * M / K)` |
| `insertion_<m>` | `[K+1]` f64 | `softmax(f(W^-1(z masked to the top eval_counts[k])))_c` |
| `deletion_<m>` | `[K+1]` f64 | the same with the top `eval_counts[k]` set to 0 instead |
| `insertion_auc_<m>`, `deletion_auc_<m>` | `()` f64 | trapezoid area over `[0, 1]` with step `1/K` |

`<m>` is `grad`, `ig` or `sg` (the ranking attribution). Baseline for removed coefficients: 0.

## Files
"""


def load_input(rel: str) -> np.ndarray:
    p = ROOT / rel
    if p.suffix == ".wav":
        x, sr = read_wav(p)
        assert sr == SR
        return x
    return np.load(p).astype(np.float32)


def f32(a) -> np.ndarray:
    return np.asarray(a.detach().numpy() if torch.is_tensor(a) else a, dtype=np.float32)


class Case:
    def __init__(self, model: OnnxTorch, x: np.ndarray, wavelet: str, mode: str, levels: int):
        self.model, self.wavelet, self.mode, self.levels = model, wavelet, mode, levels
        self.x = x
        self.shape = x.shape
        self.z, self.layout = wavedec_flat(x.astype(np.float64), wavelet, mode, levels)

    def logits(self, X: torch.Tensor) -> torch.Tensor:          # X [B, *shape] float64
        return self.model(X[:, None])

    def synth(self, Z: torch.Tensor) -> torch.Tensor:
        return waverec_flat(Z, self.layout, self.wavelet, self.mode, self.shape)

    def grad_z(self, Z: np.ndarray, c: int, chunk: int = 16) -> np.ndarray:
        out = []
        for i in range(0, len(Z), chunk):
            zt = torch.from_numpy(Z[i:i + chunk]).requires_grad_(True)
            val = self.logits(self.synth(zt))[:, c].sum()
            (g,) = torch.autograd.grad(val, zt)
            out.append(g.numpy())
        return np.concatenate(out)

    def probs(self, Z: np.ndarray, c: int, chunk: int = 17) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(Z), chunk):
                out.append(torch.softmax(self.logits(self.synth(torch.from_numpy(Z[i:i + chunk]))), -1)[:, c].numpy())
        return np.concatenate(out)


def ranking(a: np.ndarray) -> np.ndarray:
    """Indices by |a| descending, ties by index (stable)."""
    return np.argsort(-np.abs(a), kind="stable")


def compute(case: Case, fs: float | None, seed: int) -> tuple[dict, dict]:
    arr, info = {}, {}
    x64 = torch.from_numpy(case.x.astype(np.float64))[None]
    lay = case.layout
    M = lay.size
    with torch.no_grad():
        logits = case.logits(x64)[0].numpy()
        logits0 = case.logits(torch.zeros_like(x64))[0].numpy()
    c = int(np.argmax(logits))
    info["target"] = c
    arr["x"] = case.x.astype(np.float32)
    arr["logits"] = logits
    arr["logits_baseline"] = logits0
    arr["target"] = np.array(c, np.int64)
    arr["levels"] = np.array(case.levels, np.int64)
    arr["coeffs"] = f32(case.z)
    for (name, *_), band in zip(lay.bands, lay.split(case.z)):
        arr[name] = f32(band)
    arr["band_shapes"] = np.array([list(s) for *_, s in lay.bands], np.int64)
    arr["band_offsets"] = lay.offsets
    arr["band_levels"] = lay.level_of_band()

    # Input gradient and WAM gradient; their link is the synthesis adjoint.
    xg = x64.clone().requires_grad_(True)
    (gx,) = torch.autograd.grad(case.logits(xg)[0, c], xg)
    arr["grad_input"] = f32(gx[0])
    g = case.grad_z(case.z[None], c)[0]
    zt = torch.from_numpy(case.z).requires_grad_(True)
    (adj,) = torch.autograd.grad(case.synth(zt), zt, grad_outputs=gx[0])
    info["grad_vs_adjoint_of_input_grad_max_abs"] = float(np.max(np.abs(adj.numpy() - g)))
    attrs = {"grad": g}

    # WAM_IG: zero baseline, midpoint rule.
    f_x, f_0 = float(logits[c]), float(logits0[c])
    for m in (IG_STEPS, IG_STEPS_CHECK):
        alphas = (np.arange(1, m + 1) - 0.5) / m
        gs = case.grad_z(alphas[:, None] * case.z[None], c)
        ig = case.z * gs.mean(0)
        gap = float(ig.sum() - (f_x - f_0))
        if m == IG_STEPS:
            attrs["ig"] = ig
            arr["ig_steps"] = np.array(m, np.int64)
            arr["ig_alphas"] = alphas
            arr["ig_gap"] = np.array(gap)
            arr["ig_gap_relative"] = np.array(gap / (f_x - f_0))
        else:
            arr[f"ig_gap_m{m}"] = np.array(gap)
            arr[f"ig_gap_relative_m{m}"] = np.array(gap / (f_x - f_0))
    info["ig_gap_relative"] = float(arr["ig_gap_relative"])
    info[f"ig_gap_relative_m{IG_STEPS_CHECK}"] = float(arr[f"ig_gap_relative_m{IG_STEPS_CHECK}"])

    # WAM_SG with explicit noise arrays (the noise actually added, float32).
    sigma = SG_SPREAD * float(case.x.max() - case.x.min())
    rng = np.random.default_rng(seed)
    noise = (sigma * rng.standard_normal((SG_N,) + case.shape)).astype(np.float32)
    zs = np.stack([wavedec_flat(case.x.astype(np.float64) + noise[i].astype(np.float64), case.wavelet, case.mode,
                                case.levels)[0] for i in range(SG_N)])
    attrs["sg"] = case.grad_z(zs, c).mean(0)
    arr["sg_noise"] = noise
    arr["sg_n"] = np.array(SG_N, np.int64)
    arr["sg_spread"] = np.array(SG_SPREAD)
    arr["sg_sigma"] = np.array(sigma)

    # Outputs per method: attribution, scale profiles, interpretation, insertion/deletion.
    keep = int(np.floor(KEEP_Q * M))
    counts = (np.arange(EVAL_K + 1) * M) // EVAL_K
    arr["interp_q"] = np.array(KEEP_Q)
    arr["interp_count"] = np.array(keep, np.int64)
    arr["eval_K"] = np.array(EVAL_K, np.int64)
    arr["eval_counts"] = counts.astype(np.int64)
    J = case.levels
    band_lv = lay.level_of_band()
    for meth in METHODS:
        a = attrs[meth]
        arr[f"wam_{meth}"] = f32(a)
        absa = np.abs(a)
        band_sum = np.array([absa[lay.offsets[b]:lay.offsets[b + 1]].sum() for b in range(len(lay.bands))])
        arr[f"profile_bands_{meth}"] = band_sum / absa.sum()
        arr[f"profile_levels_{meth}"] = np.array([band_sum[band_lv == lv].sum() for lv in [0] + list(range(J, 0, -1))]) / absa.sum()
        order = ranking(a)
        if meth in INTERP_METHODS:
            mask = np.zeros(M)
            mask[order[:keep]] = 1
            with torch.no_grad():
                arr[f"interp_{meth}"] = f32(case.synth(torch.from_numpy(case.z * mask)))
        ins_masks = np.zeros((EVAL_K + 1, M))
        for k, n in enumerate(counts):
            ins_masks[k, order[:n]] = 1
        p_ins = case.probs(case.z[None] * ins_masks, c)
        p_del = case.probs(case.z[None] * (1 - ins_masks), c)
        arr[f"insertion_{meth}"] = p_ins
        arr[f"deletion_{meth}"] = p_del
        auc_i = float(np.sum(p_ins[1:] + p_ins[:-1]) / (2 * EVAL_K))
        auc_d = float(np.sum(p_del[1:] + p_del[:-1]) / (2 * EVAL_K))
        arr[f"insertion_auc_{meth}"] = np.array(auc_i)
        arr[f"deletion_auc_{meth}"] = np.array(auc_d)
        info[f"insertion_auc_{meth}"] = round(auc_i, 4)
        info[f"deletion_auc_{meth}"] = round(auc_d, 4)
    if fs is not None:
        lo = [0.0] + [fs / 2 ** (j + 1) for j in range(J, 0, -1)]
        hi = [fs / 2 ** (J + 1)] + [fs / 2 ** j for j in range(J, 0, -1)]
        arr["profile_freq_lo"] = np.array(lo)
        arr["profile_freq_hi"] = np.array(hi)
        arr["sample_rate"] = np.array(fs)
    return arr, info


def main() -> None:
    torch.set_num_threads(2)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    index = {"generator": "Tools/samples/make_wam_fixtures.py", "pywt": pywt.__version__, "torch": torch.__version__,
             "numpy": np.__version__, "ig_steps": IG_STEPS, "sg_n": SG_N, "sg_spread": SG_SPREAD, "interp_q": KEEP_Q,
             "eval_K": EVAL_K, "cases": []}
    models = {}
    for ci, (name, rel, model_name, wavelet, mode, levels) in enumerate(CASES):
        mpath = MODELS / f"{model_name}.onnx"
        if model_name not in models:
            models[model_name] = OnnxTorch(mpath, dtype=torch.float64)
        labels = __import__("json").loads((MODELS / f"{model_name}.labels.json").read_text())
        x = load_input(rel)
        case = Case(models[model_name], x, wavelet, mode, levels)
        checks = {"waverec_vs_pywt_max_abs": check_against_pywt(x.shape, wavelet, mode, levels),
                  "adjoint_identity_relative": check_adjoint(x.shape, wavelet, mode, levels)}
        pt = check_against_ptwt(x.astype(np.float64), wavelet, mode, levels)
        if pt is not None:
            checks["ptwt"] = pt
        assert checks["waverec_vs_pywt_max_abs"] < 1e-9 and checks["adjoint_identity_relative"] < 1e-10, checks
        arr, info = compute(case, SR if rel.endswith(".wav") else None, seed=SEED + 1000 + ci)
        ort = ort_logits(mpath, x[None, None])[0]
        arr["logits_onnxruntime"] = ort.astype(np.float32)
        info["logits_torch64_vs_onnxruntime_max_abs"] = float(np.max(np.abs(ort - arr["logits"])))
        assert info["grad_vs_adjoint_of_input_grad_max_abs"] < 1e-8 * max(1.0, float(np.abs(arr["wam_grad"]).max()))
        out = FIXTURES / f"{name}.npz"
        np.savez_compressed(out, **arr)
        entry = {"file": out.name, "input": rel, "model": f"Samples/models/{model_name}.onnx", "model_sha256": sha256(mpath),
                 "wavelet": wavelet, "mode": mode, "levels": levels, "shape": list(x.shape),
                 "target": info["target"], "target_label": labels[info["target"]],
                 "coefficients": int(case.layout.size),
                 "bands": [{"name": n, "level": j, "key": k, "shape": list(s)} for n, j, k, s in case.layout.bands],
                 "sg_seed": SEED + 1000 + ci, "bytes": out.stat().st_size, "checks": checks,
                 **{k: v for k, v in info.items() if k != "target"}}
        index["cases"].append(entry)
        progress(f"make_wam_fixtures: {out.name} ({out.stat().st_size / 1e3:.0f} kB) target {labels[info['target']]} "
                 f"IG gap {info['ig_gap_relative']:+.3f} (m={IG_STEPS_CHECK}: {info[f'ig_gap_relative_m{IG_STEPS_CHECK}']:+.4f})")
    dump_json(FIXTURES / "index.json", index)
    rows = ["| file | input | model | wavelet | mode | J | M | target | IG gap m=32 / 256 | kB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for e in index["cases"]:
        rows.append(f"| `{e['file']}` | `{e['input']}` | `{Path(e['model']).name}` | {e['wavelet']} | {e['mode']} | {e['levels']} | "
                    f"{e['coefficients']} | {e['target_label']} | {100 * e['ig_gap_relative']:+.1f}% / "
                    f"{100 * e[f'ig_gap_relative_m{IG_STEPS_CHECK}']:+.2f}% | {e['bytes'] / 1e3:.0f} |")
    (FIXTURES / "README.md").write_text(README_HEAD + "\n" + "\n".join(rows) + "\n")
    total = sum(p.stat().st_size for p in FIXTURES.glob("*.npz"))
    progress(f"make_wam_fixtures: {len(CASES)} fixtures, {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
