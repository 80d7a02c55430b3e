"""Training-batch augmentation, drawn from one seeded numpy Generator: random gain, a circular-free
shift (zeros shifted in), speed change (optional), mixing with background recordings and white
noise at a random signal-to-noise ratio."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class Augmentation:
    gain_db: float = 6.0            # uniform in +-gain_db
    shift: float = 0.1              # uniform shift in +-shift of the window
    stretch: float = 0.0            # speed factor uniform in 1 +- stretch (pitch changes with it)
    noise_probability: float = 0.5
    noise_snr: tuple[float, float] = (0.0, 30.0)
    mix_probability: float = 0.5
    mix_snr: tuple[float, float] = (0.0, 20.0)

    def describe(self) -> str:
        parts = [f"gain +-{self.gain_db:g} dB", f"shift +-{self.shift:g} window"]
        if self.stretch:
            parts.append(f"speed x(1 +- {self.stretch:g})")
        if self.noise_probability:
            parts.append(f"white noise at {self.noise_snr[0]:g}-{self.noise_snr[1]:g} dB SNR on "
                         f"{self.noise_probability:.0%}")
        if self.mix_probability:
            parts.append(f"background mixed at {self.mix_snr[0]:g}-{self.mix_snr[1]:g} dB SNR on "
                         f"{self.mix_probability:.0%} (when --background is given)")
        return ", ".join(parts)


def _rms(x: torch.Tensor) -> torch.Tensor:
    return x.pow(2).mean(dim=-1, keepdim=True).sqrt().clamp_min(1e-8)


def augment(batch: torch.Tensor, rng: np.random.Generator, settings: Augmentation,
            background: torch.Tensor | None) -> torch.Tensor:
    """batch [N, 1, L] -> augmented copy."""
    n, _, length = batch.shape
    out = batch.clone()
    if settings.stretch:
        factors = 1 + rng.uniform(-settings.stretch, settings.stretch, n)
        for i, factor in enumerate(factors):
            # Resampled to length/factor samples, then cut or padded back to the window.
            size = max(2, int(round(length / factor)))
            y = F.interpolate(out[i:i + 1], size=size, mode="linear", align_corners=False)[0]
            out[i] = F.pad(y, (0, max(0, length - size)))[:, :length]
    limit = int(settings.shift * length)
    if limit:
        shifted = torch.zeros_like(out)
        for i, s in enumerate(rng.integers(-limit, limit + 1, n)):
            if s >= 0:
                shifted[i, :, s:] = out[i, :, :length - s]
            else:
                shifted[i, :, :length + s] = out[i, :, -s:]
        out = shifted
    out = out * torch.from_numpy((10 ** (rng.uniform(-settings.gain_db, settings.gain_db, n) / 20)).astype(np.float32))[:, None, None]
    if background is not None and len(background) and settings.mix_probability:
        picks = torch.from_numpy(rng.integers(0, len(background), n))
        snr = rng.uniform(*settings.mix_snr, n)
        on = rng.random(n) < settings.mix_probability
        other = background[picks][:, None, :]
        scale = torch.from_numpy((on / 10 ** (snr / 20)).astype(np.float32))[:, None, None] * _rms(out) / _rms(other)
        out = out + other * scale
    if settings.noise_probability:
        snr = rng.uniform(*settings.noise_snr, n)
        on = rng.random(n) < settings.noise_probability
        g = torch.Generator().manual_seed(int(rng.integers(2 ** 31)))
        noise = torch.randn(out.shape, generator=g)
        out = out + noise * torch.from_numpy((on / 10 ** (snr / 20)).astype(np.float32))[:, None, None] * _rms(out)
    return out


def with_white_noise(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """x [N, L] plus white noise at snr_db relative to each window's RMS (seeded per SNR)."""
    rng = np.random.default_rng([seed, 7, int(round(snr_db * 10)) + 1000])
    noise = rng.standard_normal(x.shape)
    noise /= np.sqrt(np.mean(noise ** 2, axis=-1, keepdims=True))
    rms = np.sqrt(np.mean(x.astype(np.float64) ** 2, axis=-1, keepdims=True))
    return (x + noise * rms / 10 ** (snr_db / 20)).astype(np.float32)
