"""Process variables: a slow, autocorrelated wander per machine and tag, sampled while running.

The underlying (noise-free) value of every tag is built on a regular grid over the whole period:

    value(t) = nominal + machine offset + drift_per_year · years(t) + extra drift · fraction(t)
               + daily swing (temperatures only) + OU(t)

where OU is an Ornstein–Uhlenbeck-like wander (white noise smoothed by an exponential kernel,
time constant :data:`WANDER_TAU_S`). The scrap model reads the same grid, so a threshold on the
value is a real cause; samples add white measurement noise on top.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from .calendar import DAY_S, HOUR_S
from .plant import MachineSpec

logger = logging.getLogger(__name__)

GRID_S = 600
SAMPLE_EVERY_S = 900
WANDER_TAU_S = 2 * HOUR_S
YEAR_S = 365.25 * DAY_S


@dataclass
class ProcessGrid:
    """Noise-free tag values of one machine on a regular grid starting at ``t0``."""

    t0: int
    values: np.ndarray  # shape (tags, points)

    @property
    def times(self) -> np.ndarray:
        return self.t0 + GRID_S * np.arange(self.values.shape[1], dtype=np.int64)

    def above_cumsum(self, tag: int, threshold: float) -> np.ndarray:
        """Running count of grid points above ``threshold`` (for fractions over any span)."""
        above = self.values[tag] > threshold
        return np.concatenate([[0], np.cumsum(above, dtype=np.int64)])


def process_grid(
    m: MachineSpec,
    t0: int,
    t1: int,
    rng: np.random.Generator,
    extra_drift: dict[str, float] | None = None,
) -> ProcessGrid:
    """Build the noise-free values of all of ``m``'s tags over [t0, t1]."""
    n = (t1 - t0) // GRID_S + 2
    tau = WANDER_TAU_S / GRID_S
    klen = int(8 * tau)
    kernel = np.exp(-np.arange(klen) / tau)
    kernel /= math.sqrt(float(np.sum(kernel**2)))  # unit variance after smoothing
    nfft = 1 << math.ceil(math.log2(n + klen))
    white = rng.standard_normal((len(m.tags), n + klen - 1))
    spec = np.fft.rfft(white, nfft, axis=1) * np.fft.rfft(kernel, nfft)[None, :]
    ou = np.fft.irfft(spec, nfft, axis=1)[:, klen - 1 : klen - 1 + n]
    g = t0 + GRID_S * np.arange(n, dtype=np.int64)
    years = (g - t0) / YEAR_S
    frac = (g - t0) / max(1, t1 - t0)
    # warmest mid-afternoon: the hall follows the outside temperature a little
    daily = np.sin(2 * np.pi * ((g % DAY_S) - 9 * HOUR_S) / DAY_S)
    extra = extra_drift or {}
    values = np.empty((len(m.tags), n))
    for k, tag in enumerate(m.tags):
        v = tag.nominal + m.tag_offsets[k] + m.tag_drift_per_year[k] * years
        v = v + extra.get(tag.name, 0.0) * frac + tag.wander * ou[k]
        if tag.unit == "°C":
            v = v + 0.4 * tag.wander * daily
        values[k] = v
    return ProcessGrid(t0, values)


def sample_times(
    t0: int, t1: int, phase: int, run_start: np.ndarray, run_end: np.ndarray
) -> np.ndarray:
    """Sampling instants (every :data:`SAMPLE_EVERY_S`, offset by ``phase``) while running."""
    if len(run_start) == 0:
        return np.zeros(0, dtype=np.int64)
    s = t0 + phase + SAMPLE_EVERY_S * np.arange((t1 - t0 - phase) // SAMPLE_EVERY_S + 1)
    s = s[s < t1]
    i = np.searchsorted(run_start, s, side="right") - 1
    ok = (i >= 0) & (s < run_end[np.maximum(i, 0)])
    return s[ok].astype(np.int64)


def measurements(
    m: MachineSpec, grid: ProcessGrid, times: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ts, tag index, value) rows, ordered by time then tag, values rounded per tag."""
    k = len(m.tags)
    gt = grid.times
    vals = np.empty((len(times), k))
    noise = rng.standard_normal((len(times), k))
    for j, tag in enumerate(m.tags):
        v = np.interp(times, gt, grid.values[j]) + tag.noise * noise[:, j]
        vals[:, j] = np.round(v, tag.decimals)
    ts = np.repeat(times, k)
    tag_idx = np.tile(np.arange(k), len(times))
    return ts, tag_idx, vals.reshape(-1)
