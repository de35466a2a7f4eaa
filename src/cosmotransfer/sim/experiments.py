"""Experiments that run the engine for its physics checks: the f(R) boost engine against engine,
and the finite-difference responses of P(k) and the marked P(k) to Mν and σ8.

They sit above :mod:`.engine` (which plugs the physics modules in through its hooks), so that
:mod:`.fofr` and :mod:`.neutrinos` never import the engine back.
"""
from __future__ import annotations

import numpy as np

from ..config import PARAM_NAMES, get_sim_preset, with_params
from ..stats import kbins
from .background import Background
from .engine import Engine, make_settings
from .fofr import K_LINEAR, gravity_modification
from .ic import white_noise
from .linear import linear_table
from .neutrinos import response_cosine
from .pm import evolve, poisson_multiplier


def simulate_boosts(theta, fR0_values, seed: int = 0, preset="smoke", screening: bool = True,
                    n_steps: int | None = None, device: str = "cpu", k_linear: float | None = K_LINEAR,
                    p_gr: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """P_fR(k) / P_GR(k) of the engine for each f_R0, at the same seed and initial particles.

    ``theta`` (10,) is the GR twin (its f_R0 is ignored); ``preset`` a scale name or a
    :class:`~cosmotransfer.config.SimPreset`; ``n_steps`` overrides the preset's; ``screening``
    and ``k_linear`` as in :class:`.fofr.FofRGravity` (the defaults are the engine's). Returns
    ``(k (n_k,) [h/Mpc], P_GR (n_k,) [(Mpc/h)³], {f_R0: (n_k,) float64 boost})``: one GR run
    plus one run per value, the same runs as :meth:`.engine.Engine.run` makes. ``p_gr``: the GR
    twin's P(k) at the same seed and settings if it was already run (it is not run again).
    """
    s = make_settings(get_sim_preset(preset), ("pk",), **({} if n_steps is None else {"n_steps": int(n_steps)}))
    gr = np.asarray(theta, dtype=np.float64).copy()
    gr[PARAM_NAMES.index("fR0")] = 0.0
    eng = Engine(s, device)
    pos0, mom0, _ = eng.initial_conditions(gr, white_noise(seed, s["n_particles"]), linear_table(gr, s["linear_grid"]))
    bg = Background.from_theta(gr)

    def pk(gravity):
        pos = evolve(pos0.clone(), mom0.clone(), bg, eng.pm, s["z_init"], s["n_steps"], poisson_multiplier(gr), gravity)
        return eng.summaries(pos, ("pk",))["pk"]

    p_gr = pk(None) if p_gr is None else np.asarray(p_gr, dtype=np.float64)
    out = {}
    for fR0 in fR0_values:
        t = gr.copy()
        t[PARAM_NAMES.index("fR0")] = fR0
        out[float(fR0)] = pk(gravity_modification(t, screening, k_linear)) / p_gr
    return eng.k, p_gr, out


def parameter_responses(sim, seed: int = 1, dMnu: float = 0.1, ds8: float = 0.02, central_s8: bool = True,
                        masses=(), fiducial: dict | None = None, device="cpu") -> dict:
    """Finite-difference responses d ln S/dθ of P(k) and MP(k) to Mν and σ8 at the fiducial cosmology.

    ``sim``: a :class:`~cosmotransfer.config.SimPreset`; every run uses the same ``seed``, so sample
    variance cancels in the differences. Mν: one-sided, (ln S(Mν = dMnu) − ln S(0))/dMnu [1/eV]
    (the fiducial Mν = 0 is the prior's edge); σ8: central with ±``ds8`` (or one-sided forward
    when not ``central_s8``, one simulation fewer). ``masses``: extra Mν values [eV] to simulate
    for the ratio plots. ``fiducial``: ``{"pk", "mpk": (n_k,)}`` of the fiducial cosmology at this
    ``sim`` and ``seed`` if already simulated (saves one run).
    Returns ``{"k": (n_k,), "spectra": {name: {"pk", "mpk": (n_k,)}},
    "dlnS": {stat: {"Mnu", "s8": (n_k,)}}, "cosine", "cosine_modes": {stat: float}, "seed", "dMnu",
    "ds8", "central_s8"}``, with the spectra named ``"fid"``, ``"Mnu=<m>"``, ``"s8+"``, ``"s8-"``. ``cosine`` is the
    cosine of the angle between the two response vectors over the k bins, unweighted;
    ``cosine_modes`` weights each bin by its number of modes (the inverse Gaussian variance of
    ln P, so it is the Fisher-metric angle for P; for MP it is the same weighting, not its own
    covariance). The closer |cos| to 1, the more degenerate Mν and σ8 are in that statistic.
    """
    eng = Engine(make_settings(sim), device)
    s8 = float(with_params()[PARAM_NAMES.index("s8")])
    thetas = {"s8+": with_params(s8=s8 + ds8)} if fiducial else {"fid": with_params(), "s8+": with_params(s8=s8 + ds8)}
    if central_s8:
        thetas["s8-"] = with_params(s8=s8 - ds8)
    for m in sorted(set(masses) | {dMnu}):
        thetas[f"Mnu={m:g}"] = with_params(Mnu=m)
    spectra = {name: eng.summaries(eng.run(th, seed), theta=th) for name, th in thetas.items()}
    if fiducial:
        spectra["fid"] = {st: np.asarray(fiducial[st], dtype=np.float64) for st in ("pk", "mpk")}
    ln = {name: {st: np.log(v) for st, v in sp.items()} for name, sp in spectra.items()}
    low = "s8-" if central_s8 else "fid"
    modes = kbins(eng.box, eng.s["k_max"]).n_modes
    dlnS, cosine, cosine_modes = {}, {}, {}
    for st in ("pk", "mpk"):
        r_nu = (ln[f"Mnu={dMnu:g}"][st] - ln["fid"][st]) / dMnu
        r_s8 = (ln["s8+"][st] - ln[low][st]) / (ds8 * (2.0 if central_s8 else 1.0))
        dlnS[st] = {"Mnu": r_nu, "s8": r_s8}
        cosine[st], cosine_modes[st] = response_cosine(r_nu, r_s8), response_cosine(r_nu, r_s8, modes)
    return {"k": eng.k, "spectra": spectra, "dlnS": dlnS, "cosine": cosine, "cosine_modes": cosine_modes,
            "seed": seed, "dMnu": dMnu, "ds8": ds8, "central_s8": central_s8}
