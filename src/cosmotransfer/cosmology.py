"""Theory spectra: CAMB linear and HMcode-2020 nonlinear matter P(k), σ8-normalised, and the
f(R) boost of the ``fremu`` emulator.

A cosmology is a full parameter vector ``theta`` ((10,) float64 in ``config.PARAM_NAMES``
order). σ8 is the *total-matter linear* σ8 at z = 0 (CDM + baryons + massive ν), as in the
Quijote designs; Ωm is the total matter density (Ω_c + Ω_b + Ω_ν).

One CAMB Boltzmann solve per cosmology: the transfer functions are computed once at a
reference amplitude ``A_S_REF``, the linear spectrum gives σ8 there, and because the linear
P ∝ A_s the target σ8 is reached with A_s = A_S_REF (σ8/σ8_ref)²; the spectra (and HMcode,
which depends on the amplitude nonlinearly) are then re-evaluated from the *same* transfer
functions at that A_s (``CAMBdata.power_spectra_from_transfer``). This is bit-identical to a
second full CAMB run at the rescaled A_s and costs a few per cent of the Boltzmann solve.

Set-up choices (all in :data:`CAMB_SETTINGS`, recorded with every emulated suite):

* massive neutrinos: three degenerate species sharing Mν (none when Mν = 0, N_eff = 3.044);
  Ω_c h² = Ωm h² − Ω_b h² − Ω_ν h² with CAMB's own Ω_ν h²(Mν), so Ωm is exact;
* dark energy: constant w with the PPF model for every w (at w = −1 it is exactly Λ; the
  fluid model cannot cross w = −1, PPF can, so the nwLH range [−1.3, −0.7] is one model);
* nonlinear model: HMcode-2020 without baryonic feedback (``halofit_version="mead2020"``);
* accuracy: CAMB's defaults with the high-precision transfer k sampling. Coarser k sampling
  (``TransferkBoost = 0.5``) would halve the cost but misplaces the baryon wiggles of high-Ωb
  cosmologies by up to 3 % in P(k ≈ 0.4 h/Mpc), so it is not used.

f(R): ``fremu`` (Bai et al. 2024, trained on Quijote-MG) predicts B = P_fR(θ, Mν, f_R0) /
P_HMcode(θ, Mν = 0); its reference spectrum ignores neutrinos, so B absorbs both the ν and
the f(R) response. :func:`fR_boost` returns the pure f(R) response at fixed Mν,
B(θ, Mν, f_R0) / B(θ, Mν, 0), which :mod:`cosmotransfer.emulate` multiplies onto *this*
module's GR spectrum with massive ν (HMcode's own ν treatment) — see that function.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .config import PARAM_NAMES, ConfigError

A_S_REF = 2.0e-9  # reference amplitude; only its ratio to the σ8-matched A_s matters
T_CMB = 2.7255  # K
#: Everything that sets the CAMB spectra (recorded in the emulated tier's settings).
CAMB_SETTINGS: dict = {
    "camb_version": None,  # filled in by camb_settings()
    "kmax_per_mpc": 2.0,  # covers k = 0.5 h/Mpc for every h in the prior, with margin for HMcode
    "high_precision_transfer": True,
    "AccuracyBoost": 1.0,
    "TransferkBoost": 1.0,
    "halofit_version": "mead2020",
    "dark_energy_model": "ppf",
    "neutrino_hierarchy": "degenerate",
    "N_eff": 3.044,
    "T_cmb": T_CMB,
    "A_s_ref": A_S_REF,
    "sigma8": "total matter (delta_tot), linear, z=0",
}


def camb_settings() -> dict:
    """:data:`CAMB_SETTINGS` with the installed CAMB version filled in."""
    import camb

    return {**CAMB_SETTINGS, "camb_version": camb.__version__}


@dataclass(frozen=True)
class Cosmo:
    """Named view of a parameter vector."""

    Om: float
    Ob: float
    h: float
    ns: float
    s8: float
    Mnu: float = 0.0
    w: float = -1.0
    fR0: float = 0.0
    fNL_loc: float = 0.0
    fNL_equil: float = 0.0

    @classmethod
    def from_vector(cls, theta) -> "Cosmo":
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (len(PARAM_NAMES),):
            raise ConfigError(f"a cosmology is a ({len(PARAM_NAMES)},) vector in order {PARAM_NAMES}; got shape {theta.shape}")
        return cls(**{n: float(v) for n, v in zip(PARAM_NAMES, theta)})


def camb_params(c: Cosmo, A_s: float = A_S_REF, redshifts=(0.0,)):
    """CAMB parameters of ``c`` (GR, Gaussian): transfer functions only, no CMB."""
    import camb

    s = CAMB_SETTINGS
    h2 = c.h**2
    p = camb.CAMBparams()
    p.set_cosmology(H0=100.0 * c.h, ombh2=c.Ob * h2, omch2=0.1, mnu=c.Mnu, nnu=s["N_eff"],
                    num_massive_neutrinos=3 if c.Mnu > 0 else 0, neutrino_hierarchy=s["neutrino_hierarchy"],
                    omk=0.0, TCMB=s["T_cmb"])
    # Ωm counts the neutrinos: take CAMB's own Ω_ν h²(Mν) out of the CDM
    p.omch2 = (c.Om - c.Ob) * h2 - p.omnuh2
    if p.omch2 <= 0:
        raise ConfigError(f"Ωm={c.Om} leaves no room for CDM with Ωb={c.Ob}, Mν={c.Mnu} eV; choose a larger Ωm")
    p.set_dark_energy(w=c.w, wa=0.0, dark_energy_model=s["dark_energy_model"])
    p.InitPower.set_params(As=A_s, ns=c.ns)
    p.WantCls = False
    p.Want_CMB = False
    p.Want_CMB_lensing = False
    p.DoLensing = False
    p.set_matter_power(redshifts=sorted(set(redshifts) | {0.0}, reverse=True), kmax=s["kmax_per_mpc"], silent=True)
    p.Transfer.high_precision = s["high_precision_transfer"]
    p.set_accuracy(AccuracyBoost=s["AccuracyBoost"])
    p.Accuracy.TransferkBoost = s["TransferkBoost"]
    p.NonLinearModel.set_params(halofit_version=s["halofit_version"])
    return p


class Spectra:
    """Linear and HMcode-2020 total-matter spectra of one cosmology, σ8-normalised.

    ``linear(k, z)`` / ``nonlinear(k, z)``: P [(Mpc/h)^3] at ``k`` [h/Mpc] (any shape) and a
    redshift the object was solved for. ``A_s`` is the σ8-matched amplitude.
    """

    def __init__(self, theta, redshifts=(0.0,)):
        import camb
        from camb import model

        # One OpenMP thread: bit-reproducible spectra; parallelism comes from worker processes.
        camb.config.ThreadNum = 1
        self.cosmo = Cosmo.from_vector(theta)
        self.redshifts = tuple(sorted(set(float(z) for z in redshifts) | {0.0}))
        pars = camb_params(self.cosmo, redshifts=self.redshifts)
        r = camb.get_transfer_functions(pars)
        r.Params.NonLinear = model.NonLinear_none
        r.power_spectra_from_transfer(pars.InitPower, silent=True)
        self.A_s = A_S_REF * (self.cosmo.s8 / r.get_sigma8_0()) ** 2
        pars.InitPower.set_params(As=self.A_s, ns=self.cosmo.ns)
        # Same transfer functions, new amplitude; NonLinear_pk also fills the HMcode spectrum.
        r.Params.NonLinear = model.NonLinear_pk
        r.power_spectra_from_transfer(pars.InitPower, silent=True)
        self.sigma8 = float(r.get_sigma8_0())
        kw = dict(hubble_units=True, k_hunit=True, var1="delta_tot", var2="delta_tot")
        self._lin = r.get_matter_power_interpolator(nonlinear=False, **kw)
        self._nl = r.get_matter_power_interpolator(nonlinear=True, **kw)

    def _eval(self, interp, k, z) -> np.ndarray:
        if not any(np.isclose(z, zz) for zz in self.redshifts):
            raise ConfigError(f"spectra were solved for z in {self.redshifts}, not z={z}")
        k = np.asarray(k, dtype=np.float64)
        return interp.P(z, k.ravel()).reshape(k.shape)

    def linear(self, k, z: float = 0.0) -> np.ndarray:
        return self._eval(self._lin, k, z)

    def nonlinear(self, k, z: float = 0.0) -> np.ndarray:
        return self._eval(self._nl, k, z)


@lru_cache(maxsize=8)
def _spectra(theta: tuple, z: float) -> Spectra:
    return Spectra(np.array(theta), redshifts=(z,))


def spectra_at(theta, z: float = 0.0) -> Spectra:
    """The CAMB solution of one cosmology (``theta``: (10,) full parameter vector) at redshift ``z``:
    its linear and HMcode-2020 spectra, A_s and σ8 (the last eight solutions are kept)."""
    return _spectra(tuple(np.asarray(theta, dtype=np.float64).tolist()), float(z))


def linear_power(theta, k, z: float = 0.0) -> np.ndarray:
    """Linear total-matter P(k) [(Mpc/h)^3] at ``k`` [h/Mpc] (any shape), σ8-normalised at z=0.

    GR and Gaussian: f_R0 and f_NL are ignored (the tiers add their effects themselves).
    """
    return spectra_at(theta, z).linear(k, z)


def nonlinear_power(theta, k, z: float = 0.0) -> np.ndarray:
    """HMcode-2020 total-matter P(k) [(Mpc/h)^3] at ``k`` [h/Mpc] (any shape), σ8-normalised; GR."""
    return spectra_at(theta, z).nonlinear(k, z)


# --------------------------------------------------------------------------------------
# f(R): the fremu emulator
# --------------------------------------------------------------------------------------
#: What sets the f(R) boost (recorded in the emulated tier's settings).
FR_SETTINGS: dict = {
    "emulator": "fremu",
    "fremu_version": None,  # filled in by fr_settings()
    "boost": "B(theta, Mnu, fR0) / B(theta, Mnu, fR0=0) at z=0, times the GR HMcode spectrum with Mnu",
    "low_k": "below fremu's k_min the boost tapers as 1 + (B(k_min) - 1) (k/k_min)^2 (linear f(R) theory, k << m)",
}


def fr_settings() -> dict:
    """:data:`FR_SETTINGS` with the installed fremu version filled in."""
    from importlib.metadata import version

    return {**FR_SETTINGS, "fremu_version": version("fremu")}


@lru_cache(maxsize=1)
def fremu_emulator():
    """fremu's emulator (its weights ship inside the wheel: nothing is downloaded)."""
    import warnings

    from fremu.fremu import emulator

    with warnings.catch_warnings():
        # its scaler was pickled by an older scikit-learn; a MinMaxScaler has only arrays in it
        warnings.simplefilter("ignore")
        return emulator()


def _fremu_B(emu, x: np.ndarray) -> np.ndarray:
    """fremu's z = 0 ratio P_fR / P_HMcode(Mν=0) on its own k grid ``emu.ks``, for (m, 7) inputs.

    The same arithmetic as ``fremu.emulator.get_power_spectrum`` at z = 0 (whose CAMB reference
    spectrum we do not need; its ``get_boost`` mis-slices the principal components).
    """
    import torch

    X = torch.tensor(emu.scaler.transform(x), dtype=torch.float32)
    with torch.no_grad():
        w = emu.model0(X).numpy().astype(np.float64)
    return (w @ emu.pc[0.0] + emu.mean[0.0])[:, 3:250]


def fR_boost(theta, k) -> np.ndarray:
    """P_fR / P_GR at z = 0 for Hu–Sawicki (n=1) f(R) at fixed Mν: (len(k),) float64.

    ``theta`` (10,) full parameter vector, σ8 being that of the GR twin (as in Quijote-MG);
    ``k`` [h/Mpc]. fremu's B(θ, Mν, f_R0) is referenced to a massless-ν HMcode spectrum, so
    the GR limit B(θ, Mν, 0) carries the ν response; their ratio is the f(R) response at
    the same Mν. Valid over fremu's training prior (Quijote-MG: Ωm [0.1,0.5], Ωb [0.03,0.07],
    h [0.5,0.9], n_s [0.8,1.2], σ8 [0.6,1.0], Mν [0.01,1] eV, f_R0 [−3e-4, 0]) and
    k ≤ 1.57 h/Mpc; below its first k (0.028 h/Mpc) the response tapers ∝ k² to 1.
    """
    from scipy.interpolate import CubicSpline

    c = Cosmo.from_vector(theta)
    if c.fR0 == 0.0:
        return np.ones(np.shape(k))
    emu = fremu_emulator()
    base = [c.Om, c.Ob, c.h, c.ns, c.s8, c.Mnu]
    B = _fremu_B(emu, np.array([base + [c.fR0], base + [0.0]]))
    ratio = CubicSpline(emu.ks, B[0] / B[1])
    k = np.asarray(k, dtype=np.float64)
    k0, k1 = emu.ks[0], emu.ks[-1]
    if (k > k1).any():
        raise ConfigError(f"fremu covers k ≤ {k1:.3f} h/Mpc; asked for k up to {k.max():.3f}")
    return np.where(k >= k0, ratio(np.maximum(k, k0)), 1.0 + (ratio(k0) - 1.0) * (k / k0) ** 2)
