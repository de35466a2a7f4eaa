"""One simulation, end to end: linear table → white noise → 2LPT → FastPM → P(k), marked P(k).

:class:`Engine` holds what is shared by every simulation of one settings dict on one device
(the force mesh's Green's function, the estimator binning); :meth:`Engine.run` evolves one
cosmology and seed; :meth:`Engine.summaries` measures the statistics of the result.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from ..config import K_MAX, MARK_DELTA_S, MARK_P, MARK_R, ConfigError, SimPreset
from ..stats import SHOT_NOISE_CONVENTIONS, kbins, marked_field, power_spectrum, shot_noise
from .background import Background
from .fofr import K_LINEAR as FR_K_LINEAR
from .fofr import gravity_modification, sigma8_fR
from .png import K_PIVOT as PNG_K_PIVOT
from .png import potential_hook
from .ic import lattice, linear_density, lpt_displacements, white_noise
from .linear import NU_TABLE_VERSION, linear_table, neutrino_table, table_grid, table_k
from .mesh import CIC
from .neutrinos import K_REF as NU_K_REF
from .neutrinos import NeutrinoModel, has_neutrinos
from .pm import ParticleMesh, evolve, poisson_multiplier

STATISTICS = ("pk", "mpk")


def make_settings(preset: SimPreset, statistics=STATISTICS, **overrides) -> dict:
    """The JSON-able settings that determine a simulation's output (hashed into cache keys).

    ``overrides`` replace entries (e.g. ``n_steps=20``, ``mark={...}``) for studies and tests.
    """
    s = {
        "engine": "2lpt+fastpm-kdk",
        "box": float(preset.box),
        "n_particles": int(preset.n_particles),
        "n_mesh": int(preset.n_mesh),
        "n_steps": int(preset.n_steps),
        "z_init": float(preset.z_init),
        "statistics": list(statistics),
        "k_max": K_MAX,
        "mark": {"R": MARK_R, "p": MARK_P, "delta_s": MARK_DELTA_S},
        "shot_noise": "none",
        "linear_grid": table_grid(),
        # the beyond-ΛCDM treatments and their knobs: a change here is a change of every output
        "physics": {
            "neutrinos": {"model": "linear response T_nu/T_cb (CAMB), Zennaro back-scaled cb ICs, total-matter output",
                          "k_ref_step_factors": NU_K_REF, "table_version": NU_TABLE_VERSION},
            "fR": {"model": "Hu-Sawicki n=1, thin-shell screening (Winther & Ferreira 2015)", "k_linear": FR_K_LINEAR},
            "png": {"model": "local and Scoccimarro et al. 2012 equilateral kernels on the matter-era Bardeen potential",
                    "k_pivot_per_mpc": PNG_K_PIVOT},
        },
    }
    s.update(overrides)
    check_settings(s)
    return s


def check_settings(s: dict) -> None:
    """Raise :class:`ConfigError` for settings the engine cannot run."""
    bad = [x for x in s["statistics"] if x not in STATISTICS]
    if bad:
        raise ConfigError(f"the simulated tier measures {', '.join(STATISTICS)}; unknown statistic(s) {bad}")
    if s["shot_noise"] not in SHOT_NOISE_CONVENTIONS:
        raise ConfigError(f"unknown shot-noise convention {s['shot_noise']!r}; valid: {', '.join(SHOT_NOISE_CONVENTIONS)}")
    n_p, n_m, box = s["n_particles"], s["n_mesh"], s["box"]
    if n_p % 2 or n_m % 2 or n_m < n_p:
        raise ConfigError(f"need even mesh sizes with n_mesh ≥ n_particles; got {n_p}³ particles, {n_m}³ mesh")
    k_ic = np.sqrt(3.0) * np.pi * n_p / box
    if k_ic > s["linear_grid"]["k_max"]:
        raise ConfigError(f"{n_p}³ particles in a {box} Mpc/h box need linear P(k) to k = {k_ic:.2f} h/Mpc; "
                          f"the tables stop at {s['linear_grid']['k_max']}")
    if kbins(box, s["k_max"]).index[-1] + 1 >= n_m // 2:
        raise ConfigError(f"a {n_m}³ mesh cannot measure P(k) to k = {s['k_max']} h/Mpc in a {box} Mpc/h box; "
                          "use a finer mesh")


def check_supported(theta) -> None:
    """The physics the hooks accept (each refuses the rest with the fix in its message)."""
    Background.from_theta(theta)
    poisson_multiplier(theta)
    potential_hook(theta)
    gravity_modification(theta)


@dataclass
class Fields:
    """What one simulation leaves behind (for the figures; the suites keep only the summaries).

    ``pos`` (N, 3) float32 [Mpc/h] at z = 0; ``delta``, ``delta_marked`` (n, n, n) float32
    contrasts on the estimator mesh; ``marks`` (N,) float32; ``k`` (n_k,) [h/Mpc];
    ``pk``, ``mpk`` (n_k,) float64 [(Mpc/h)³]; ``pk_linear`` (n_k,) the z = 0 linear theory
    P(k) [(Mpc/h)³] at ``k``.
    """

    pos: np.ndarray
    delta: np.ndarray
    delta_marked: np.ndarray
    marks: np.ndarray
    k: np.ndarray
    pk: np.ndarray
    mpk: np.ndarray
    pk_linear: np.ndarray


def keep_freed_memory() -> None:
    """Make glibc keep freed memory instead of returning it to the kernel (CPU only).

    Every mesh-sized temporary (0.5 GB at the paper preset) is otherwise a fresh mmap whose
    pages the kernel faults in and zeroes again: measured on the 2-core dev machine, this cuts
    a 128³-particle simulation from 18.9 s to 12.5 s of CPU time. A no-op where there is no glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # from <malloc.h>
        libc.mallopt(M_MMAP_MAX, 0)
        libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)
    except (OSError, AttributeError):
        pass


class Engine:
    """Runs simulations of one ``settings`` dict (:func:`make_settings`) on one device."""

    def __init__(self, settings: dict, device="cpu"):
        check_settings(settings)
        self.s = settings
        self.device = torch.device(device)
        if self.device.type == "cpu":
            keep_freed_memory()
        self.box = settings["box"]
        self.pm = ParticleMesh(settings["n_mesh"], self.box, self.device)
        self.k = kbins(self.box, settings["k_max"]).k

    # ---- one simulation ----------------------------------------------------------------
    def initial_conditions(self, theta, noise: np.ndarray, table_p: np.ndarray):
        """2LPT particles at z_init: (pos (N, 3), mom (N, 3)) float32 on the device, and the
        (n_p, n_p, n_p//2+1) complex64 z = 0 linear density they were made from (with massive
        ν: CDM+baryon particles and density, scale-dependent growth, :mod:`.neutrinos`)."""
        s = self.s
        if has_neutrinos(theta):
            return NeutrinoModel.from_theta(theta, s["linear_grid"]).initial_conditions(
                torch.from_numpy(noise).to(self.device), table_p, self.box, s["z_init"],
                potential_hook(theta, table_k(s["linear_grid"]), table_p))
        bg = Background.from_theta(theta)
        n_p = s["n_particles"]
        delta0 = linear_density(torch.from_numpy(noise).to(self.device), table_k(s["linear_grid"]), table_p, self.box)
        psi1, psi2 = lpt_displacements(delta0, self.box,
                                       potential_hook(theta, table_k(s["linear_grid"]), table_p))
        a0 = 1.0 / (1.0 + s["z_init"])
        pos = lattice(n_p, self.box, self.device)
        pos += float(bg.D1(a0)) * psi1 + float(bg.D2(a0)) * psi2
        # p = a³E dx/da = a²E dx/dlna
        mom = (a0 * a0 * float(bg.E(a0))) * (float(bg.dD1_dlna(a0)) * psi1 + float(bg.dD2_dlna(a0)) * psi2)
        return pos, mom, delta0

    def run(self, theta, seed: int, noise: np.ndarray | None = None, table_p: np.ndarray | None = None) -> torch.Tensor:
        """(N, 3) float32 particle positions [Mpc/h] at z = 0 for cosmology ``theta``, ``seed``."""
        check_supported(theta)
        s = self.s
        noise = white_noise(seed, s["n_particles"]) if noise is None else noise
        table_p = linear_table(theta, s["linear_grid"]) if table_p is None else table_p
        pos, mom, _ = self.initial_conditions(theta, noise, table_p)
        bg, multiplier = Background.from_theta(theta), poisson_multiplier(theta)
        if has_neutrinos(theta):  # linear ν response in the Poisson source; FastPM factors of the cb growth
            nu = NeutrinoModel.from_theta(theta, s["linear_grid"])
            bg, multiplier = nu.background, nu.multiplier(multiplier)
        return evolve(pos, mom, bg, self.pm, s["z_init"], s["n_steps"], multiplier, gravity_modification(theta))

    def summaries(self, pos: torch.Tensor, statistics=None, fields: bool = False, theta=None):
        """``{stat: (n_k,) float64 [(Mpc/h)³]}`` of the particles for ``statistics`` (default: the
        settings'), or ``(that dict, (delta, delta_marked, marks))`` when ``fields``.

        ``theta`` with Mν > 0: the particles are CDM+baryons and the statistics are those of total
        matter, δ_m = δ_cb (f_cb + f_ν T_ν/T_cb) in Fourier space, the mark computed from δ_m
        (:meth:`.neutrinos.NeutrinoModel.marked_field`); otherwise (or ``None``) the particles are all the matter."""
        s = self.s
        statistics = s["statistics"] if statistics is None else statistics
        cic = CIC(pos, s["n_mesh"], self.box)
        # without a marked statistic the mark is skipped (p = 0: every mark is 1)
        mark = s["mark"] if "mpk" in statistics or fields else {**s["mark"], "p": 0.0}
        if theta is not None and has_neutrinos(theta):
            delta, delta_m, m = NeutrinoModel.from_theta(theta, s["linear_grid"]).marked_field(
                cic, self.box, mark["R"], mark["p"], mark["delta_s"])
        else:
            delta, delta_m, m = marked_field(cic, self.box, mark["R"], mark["p"], mark["delta_s"])
        out = {}
        if "pk" in statistics:
            sn = shot_noise(self.box, n_particles=pos.shape[0], convention=s["shot_noise"])
            out["pk"] = power_spectrum(delta, self.box, s["k_max"], subtract=sn)
        if "mpk" in statistics:
            sn = shot_noise(self.box, weights=m, convention=s["shot_noise"])
            out["mpk"] = power_spectrum(delta_m, self.box, s["k_max"], subtract=sn)
        return (out, (delta, delta_m, m)) if fields else out

    # ---- many simulations --------------------------------------------------------------
    def _noises(self, seeds: np.ndarray):
        """White noise of each seed in turn; off the CPU, the next one is drawn on a CPU thread
        while the device works on the current one (on the CPU a thread would only compete)."""
        n_p = self.s["n_particles"]
        if self.device.type == "cpu":
            for seed in seeds:
                yield white_noise(int(seed), n_p)
            return
        workers = max(1, min(8, (os.cpu_count() or 2) - 1))
        with ThreadPoolExecutor(1) as pool:
            nxt = pool.submit(white_noise, int(seeds[0]), n_p, workers)
            for i in range(len(seeds)):
                cur = nxt.result()
                if i + 1 < len(seeds):
                    nxt = pool.submit(white_noise, int(seeds[i + 1]), n_p, workers)
                yield cur

    def run_many(self, params: np.ndarray, seeds: np.ndarray) -> dict[str, np.ndarray]:
        """``params`` (m, 10), ``seeds`` (m,) → ``{stat: (m, n_k) float32}`` [(Mpc/h)³], plus
        ``"derived_s8_fR"`` (m,) float64: the linear σ8 at z = 0 of the simulated cosmology
        (:func:`.fofr.sigma8_fR`; the design's σ8, that of the GR twin, unless f_R0 ≠ 0).

        Linear tables are made (or read) first, on the CPU.
        """
        for theta in params:
            check_supported(theta)
        tables = [linear_table(theta, self.s["linear_grid"]) for theta in params]
        for theta in params:
            if has_neutrinos(theta):
                neutrino_table(theta, self.s["linear_grid"])
        out = {st: np.empty((len(seeds), len(self.k)), dtype=np.float32) for st in self.s["statistics"]}
        for i, noise in enumerate(self._noises(seeds)):
            pos = self.run(params[i], int(seeds[i]), noise, tables[i])
            for st, v in self.summaries(pos, theta=params[i]).items():
                out[st][i] = v
        out["derived_s8_fR"] = np.array([sigma8_fR(theta) for theta in params], dtype=np.float64)
        return out

    def fields(self, theta, seed: int) -> Fields:
        """Run one simulation and keep its fields (figures, the engine page)."""
        pos = self.run(theta, seed)
        stats, (delta, delta_m, m) = self.summaries(pos, statistics=STATISTICS, fields=True, theta=theta)
        table_p = linear_table(theta, self.s["linear_grid"])
        pk_lin = np.exp(np.interp(np.log(self.k), np.log(table_k(self.s["linear_grid"])), np.log(table_p)))
        return Fields(pos=pos.cpu().numpy(), delta=delta.cpu().numpy(), delta_marked=delta_m.cpu().numpy(),
                      marks=m.cpu().numpy(), k=self.k, pk=stats["pk"], mpk=stats["mpk"], pk_linear=pk_lin)
