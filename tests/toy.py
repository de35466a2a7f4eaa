"""A toy 'power spectrum' suite for the learning tests: cheap, smooth, with a shared ΛCDM part.

log10 P(k; θ) = 4 + 2 log10(σ8/0.8) + (n_s − 1) log10(k/0.05) + 2 (Ωm − 0.3) tanh(k/0.1)
               + 5 (Ωb − 0.05) sin(20 k) + (h − 0.7) cos(10 k) + 0.2 Mν exp(−[(k − 0.4)/0.04]²)   (+ 0.5 % noise)

The ΛCDM response is the same in both toy suites, so a network pre-trained on the ΛCDM toy
has learnt most of what the Mν toy needs: fine-tuning from it should beat scratch at small N.
"""
from __future__ import annotations

import numpy as np

from cosmotransfer.config import LCDM_PARAMS, PARAM_NAMES, fiducial_vector
from cosmotransfer.store import SuiteData
from cosmotransfer.stats import kbins


def toy_suite(n: int, with_mnu: bool, seed: int, name: str | None = None, s8_slope: float = 2.0) -> SuiteData:
    """``n`` toy simulations (with Mν varied if ``with_mnu``). ``s8_slope`` is σ8's d log10 P / d log10 σ8:
    −2 makes a statistic where more σ8 lowers the spectrum, so a network pre-trained on the
    ordinary toy reads σ8 the wrong way round (the toy's negative transfer)."""
    rng = np.random.default_rng(seed)
    k = kbins().k
    ranges = {"Om": (0.1, 0.5), "Ob": (0.03, 0.07), "h": (0.5, 0.9), "ns": (0.8, 1.2), "s8": (0.6, 1.0)}
    if with_mnu:
        ranges["Mnu"] = (0.01, 1.0)
    params = np.tile(fiducial_vector(), (n, 1))
    for p, (lo, hi) in ranges.items():
        params[:, PARAM_NAMES.index(p)] = rng.uniform(lo, hi, n)
    om, ob, h, ns, s8, mnu = (params[:, PARAM_NAMES.index(p)][:, None] for p in LCDM_PARAMS + ("Mnu",))
    logp = (4 + s8_slope * np.log10(s8 / 0.8) + (ns - 1) * np.log10(k / 0.05) + 2 * (om - 0.3) * np.tanh(k / 0.1)
            + 5 * (ob - 0.05) * np.sin(20 * k) + (h - 0.7) * np.cos(10 * k) + 0.2 * mnu * np.exp(-(((k - 0.4) / 0.04) ** 2)))
    pk = 10 ** (logp + rng.normal(0, 0.002, logp.shape))
    name = name or ("toy_mnu" if with_mnu else "toy_lcdm")
    return SuiteData(suite=name, tier="toy", params=params, index=np.arange(n), seeds=np.arange(n), k=k,
                     stats={"pk": pk.astype(np.float32)}, meta={"suite": name, "tier": "toy"})
