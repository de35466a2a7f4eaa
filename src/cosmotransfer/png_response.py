"""The matter P(k) response to primordial non-Gaussianity, for the emulated tier.

The emulated tier has no density field, so it cannot start a box from non-Gaussian initial
conditions. It takes PNG the way it takes f(R): a noise-free spectrum times a physical response,

    P(k; θ, f_NL) = P_HMcode(k; θ) · R(k; θ, f_NL),    R = P(θ, f_NL) / P(θ, 0),

with R measured by the particle-mesh engine in **paired** runs — the same seed with and without
f_NL, so that the realisation's sample variance cancels in the ratio — and fitted smoothly:

    R − 1 = f A(k; θ) + f² B(k; θ),
    A(k; θ) = s^p Σ_j [a_0j + Σ_i a_ij (θ_i − θ_i^fid)/Δ_i] L_j(x),    B: the same with s^2p, b_ij,

``x`` = ln k mapped onto [−1, 1] over the fit's k range, ``L_j`` Legendre polynomials of degree
≤ ``PNG_RESPONSE["k_degree"]``, θ_i the equilateral suite's varied ΛCDM parameters (Ωm, h, n_s,
σ8) scaled by their prior widths Δ_i, and ``s`` = A_s/A_s^fid the σ8-matched primordial amplitude
over the fiducial's. Why the amplitude: f_NL multiplies the primordial potential, so the
non-Gaussian part of the initial field relative to the Gaussian one grows as f_NL √A_s; at fixed
σ8 a low-Ωm cosmology needs a ten times larger A_s, and its response is an order of magnitude
larger. Linear in θ alone, the fit missed that by 1–3 % on held-out pairs; with the scaling it is
at the pairs' own scatter. The exponent ``p`` (``PNG_RESPONSE["as_power"]``, 0.75: steeper than ½,
the late-time growth of the extra power adds to it) was chosen among 0, ½, ¾ and 1 by that
held-out error. Each pair (+f, −f) of one seed gives the odd part (R₊ − R₋)/2 = f A and the even
part (R₊ + R₋)/2 − 1 = f² B directly; the fit is weighted by the bins' modes. One fit per shape
(local, equilateral); the local suite sits at the fiducial ΛCDM, where A is s^p a₀ = a₀.

This module holds the calibration's design, the fit, its held-out error and the reader of the
shipped table; :func:`cosmotransfer.sim.validate.png_check` runs the engine and writes the table
(``cosmotransfer validate-engine png --preset book``), :func:`cosmotransfer.perturbation.png_p12`
is the one-loop check at low k.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.polynomial import legendre
from scipy.stats import qmc

from .config import PARAM_NAMES, PNG_RESPONSE, PRIORS, ConfigError, fiducial_vector

#: The two shapes and the parameter of each.
SHAPES = {"equilateral": "fNL_equil", "local": "fNL_loc"}
#: The ΛCDM parameters A depends on (those the equilateral suite varies; Ωb is fixed there).
THETA_NAMES = ("Om", "h", "ns", "s8")
#: Runs per cosmology, in this order: Gaussian, then +f and −f of each shape.
RUNS = ("gaussian",) + tuple(f"{shape}{sign}" for shape in SHAPES for sign in ("+", "-"))


@dataclass(frozen=True)
class Design:
    """The calibration's paired runs.

    ``theta`` (n_c, 10) the Gaussian cosmologies (Ωb 0.049, Mν 0, w −1, f_NL 0), the fiducial
    first; ``f`` {shape: (n_c,) |f_NL| of each cosmology's pair}; ``seeds`` (n_c,) one seed per
    cosmology, shared by its five runs; ``held_out`` (n_c,) bool.
    """

    theta: np.ndarray
    f: dict[str, np.ndarray]
    seeds: np.ndarray
    held_out: np.ndarray

    def runs(self) -> tuple[np.ndarray, np.ndarray]:
        """``(params (5 n_c, 10), seeds (5 n_c,))``: each cosmology's :data:`RUNS`, in order."""
        rows, seeds = [], []
        for c, (theta, seed) in enumerate(zip(self.theta, self.seeds)):
            for run in RUNS:
                t = theta.copy()
                if run != "gaussian":
                    shape, sign = run[:-1], run[-1]
                    t[PARAM_NAMES.index(SHAPES[shape])] = (1.0 if sign == "+" else -1.0) * self.f[shape][c]
                rows.append(t)
                seeds.append(seed)
        return np.stack(rows), np.array(seeds, dtype=np.int64)


def design(settings: dict = PNG_RESPONSE) -> Design:
    """The calibration design of ``settings`` (default :data:`cosmotransfer.config.PNG_RESPONSE`)."""
    from .suites import get_suite

    n = int(settings["n_cosmologies"])
    if n < 8:
        raise ConfigError(f"the PNG response needs at least 8 cosmologies to fit A linear in θ; got {n}")
    eq = get_suite("png_eq")
    u = qmc.LatinHypercube(d=len(THETA_NAMES) + len(SHAPES), seed=int(settings["design_seed"])).random(n - 1)
    theta = np.tile(fiducial_vector(), (n, 1))
    theta[:, PARAM_NAMES.index("Ob")] = eq.value_of("Ob")
    for i, name in enumerate(THETA_NAMES):
        lo, hi = eq.varied[name]
        theta[1:, PARAM_NAMES.index(name)] = lo + u[:, i] * (hi - lo)
    lo_f = float(settings["f_min_fraction"])
    f = {}
    for j, (shape, name) in enumerate(SHAPES.items()):
        frac = np.concatenate([[1.0], lo_f + u[:, len(THETA_NAMES) + j] * (1.0 - lo_f)])  # the fiducial at the edge
        f[shape] = frac * PRIORS[name].hi
    held = np.zeros(n, dtype=bool)
    held[1::int(settings["held_out_every"])] = True
    return Design(theta, f, int(settings["seed_base"]) + np.arange(n, dtype=np.int64), held)


# --------------------------------------------------------------------------------------
# The fit
# --------------------------------------------------------------------------------------
def pair_parts(pk: np.ndarray, des: Design) -> dict[str, dict[str, np.ndarray]]:
    """The odd and even parts of each cosmology's paired ratios, per unit f and f².

    ``pk`` (5 n_c, n_k) the P(k) of :meth:`Design.runs` [(Mpc/h)³]. Returns {shape: {"odd":
    (n_c, n_k) (R₊ − R₋)/(2f), "even": (n_c, n_k) ((R₊ + R₋)/2 − 1)/f²}} — the measured A and B.
    """
    pk = np.asarray(pk, dtype=np.float64).reshape(len(des.theta), len(RUNS), -1)
    out = {}
    for shape in SHAPES:
        plus = pk[:, RUNS.index(f"{shape}+")] / pk[:, 0]
        minus = pk[:, RUNS.index(f"{shape}-")] / pk[:, 0]
        f = des.f[shape][:, None]
        out[shape] = {"odd": (plus - minus) / (2 * f), "even": ((plus + minus) / 2 - 1) / f**2}
    return out


def _features(theta: np.ndarray, a_s: np.ndarray, a_s_ref: float, power: float) -> np.ndarray:
    """(n, 1 + len(THETA_NAMES)): (A_s/A_s^ref)^power times [1, each parameter's offset from the
    fiducial over its prior width] — the columns A and B are linear in."""
    theta = np.atleast_2d(theta)
    cols = [np.ones(len(theta))]
    for name in THETA_NAMES:
        p = PRIORS[name]
        cols.append((theta[:, PARAM_NAMES.index(name)] - p.fiducial) / (p.hi - p.lo))
    return (np.atleast_1d(np.asarray(a_s, dtype=np.float64)) / a_s_ref)[:, None] ** power * np.stack(cols, axis=1)


@dataclass(frozen=True)
class Response:
    """R(k; θ, f) of one shape (module docstring): ``a``, ``b`` (1 + 4, deg + 1) the coefficients of
    A and B, ``ln_k`` (2,) the ln k [h/Mpc] range mapped onto x ∈ [−1, 1], ``a_s_ref`` the fiducial's
    A_s and ``power`` the scaling exponent of A (B takes twice it).

    Below and above that k range A and B are held at their edge values (x is clipped): the fit
    does not extrapolate a polynomial.
    """

    shape: str
    a: np.ndarray
    b: np.ndarray
    ln_k: tuple[float, float]
    a_s_ref: float
    power: float

    def _basis(self, k) -> np.ndarray:
        lo, hi = self.ln_k
        x = np.clip((2 * np.log(np.asarray(k, dtype=np.float64)) - lo - hi) / (hi - lo), -1.0, 1.0)
        return legendre.legvander(x, self.a.shape[1] - 1)  # (n_k, deg + 1)

    def parts(self, k, theta, a_s: float) -> tuple[np.ndarray, np.ndarray]:
        """``(A (n_k,), B (n_k,))`` at ``k`` (n_k,) [h/Mpc] for one (10,) ``theta`` whose σ8-matched
        primordial amplitude is ``a_s``."""
        basis = self._basis(k)
        fa = _features(theta, a_s, self.a_s_ref, self.power)[0]
        fb = _features(theta, a_s, self.a_s_ref, 2 * self.power)[0]
        return basis @ (fa @ self.a), basis @ (fb @ self.b)

    def __call__(self, k, theta, f: float, a_s: float) -> np.ndarray:
        """(n_k,) R = P(θ, f)/P(θ, 0) at ``k`` [h/Mpc] for f_NL = ``f`` of this shape."""
        a, b = self.parts(k, theta, a_s)
        return 1.0 + f * a + f * f * b

    def as_json(self) -> dict:
        return {"a": self.a.tolist(), "b": self.b.tolist(), "ln_k": list(self.ln_k), "a_s_ref": self.a_s_ref,
                "power": self.power}


def fit_response(shape: str, k: np.ndarray, n_modes: np.ndarray, theta: np.ndarray, a_s: np.ndarray,
                 odd: np.ndarray, even: np.ndarray, a_s_ref: float, power: float = PNG_RESPONSE["as_power"],
                 degree: int = PNG_RESPONSE["k_degree"]) -> Response:
    """Weighted least squares of the module docstring's model on some cosmologies' pairs.

    ``k`` (n_k,) [h/Mpc] and ``n_modes`` (n_k,) of the calibration's bins (the weights);
    ``theta`` (n_c, 10) and their A_s ``a_s`` (n_c,); ``odd``, ``even`` (n_c, n_k) from
    :func:`pair_parts`; ``a_s_ref`` the fiducial's A_s.
    """
    ln_k = (float(np.log(k[0])), float(np.log(k[-1])))
    n_f = 1 + len(THETA_NAMES)
    proto = Response(shape, np.zeros((n_f, degree + 1)), np.zeros((n_f, degree + 1)), ln_k, float(a_s_ref), float(power))
    basis = proto._basis(k)  # (n_k, d)
    w = np.sqrt(np.tile(np.asarray(n_modes, dtype=np.float64), len(theta)))
    coef = []
    for y, pw in ((odd, power), (even, 2 * power)):
        feats = _features(theta, a_s, a_s_ref, pw)  # (n_c, n_f)
        design = (feats[:, None, :, None] * basis[None, :, None, :]).reshape(len(theta) * len(k), -1)
        coef.append(np.linalg.lstsq(design * w[:, None], np.ravel(y) * w, rcond=None)[0].reshape(n_f, degree + 1))
    return Response(shape, coef[0], coef[1], ln_k, float(a_s_ref), float(power))


def held_out_error(resp: Response, k: np.ndarray, theta: np.ndarray, a_s: np.ndarray, f: np.ndarray,
                   odd: np.ndarray, even: np.ndarray, k_ranges) -> dict:
    """The fit against measured pairs: R₊ and R₋ of each cosmology, per k range.

    Returns ``{"rms": [...], "max": [...], "signal_rms": [...]}`` per range of ``k_ranges``
    ((lo, hi] [h/Mpc]): the rms and largest |R_measured − R_fit| over those pairs' bins, and the rms
    of |R_measured − 1| (the size of the effect being fitted). The measured pairs carry their own
    scatter (a 500 Mpc/h realisation's), so this is an upper bound on the fit's error.
    """
    resid, signal = pair_residuals(resp, k, theta, a_s, f, odd, even)
    out = {"rms": [], "max": [], "signal_rms": []}
    for lo, hi in k_ranges:
        m = (k > lo) & (k <= hi)
        out["rms"].append(float(np.sqrt(np.mean(resid[:, m] ** 2))))
        out["max"].append(float(np.max(np.abs(resid[:, m]))))
        out["signal_rms"].append(float(np.sqrt(np.mean(signal[:, m] ** 2))))
    return out


def pair_residuals(resp: Response, k: np.ndarray, theta: np.ndarray, a_s: np.ndarray, f: np.ndarray,
                   odd: np.ndarray, even: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(R_measured − R_fit, R_measured − 1)``, each (2 n_c, n_k): R₊ then R₋ of each cosmology."""
    resid, signal = [], []
    for t, amp, ff, o, e in zip(theta, a_s, f, odd, even):
        a, b = resp.parts(k, t, amp)
        for sign in (1.0, -1.0):
            meas = sign * ff * o + ff * ff * e
            resid.append(meas - (sign * ff * a + ff * ff * b))
            signal.append(meas)
    return np.array(resid), np.array(signal)


# --------------------------------------------------------------------------------------
# The shipped table
# --------------------------------------------------------------------------------------
def table_file() -> Path:
    """The shipped calibration table (``cosmotransfer validate-engine png --preset <PNG_RESPONSE preset>``)."""
    from . import paths

    return paths.engine_table("png", PNG_RESPONSE["preset"])


def read_responses(path: Path | None = None) -> dict[str, Response]:
    """{shape: :class:`Response`} from the calibration table; a clear error naming the command that
    makes it when it is missing or corrupted."""
    import json

    from .store import DataFileError

    path = Path(path or table_file())
    try:
        return read_responses_from(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DataFileError(f"{path} is missing or corrupted ({e}); remake it with "
                            f"`cosmotransfer validate-engine png --preset {PNG_RESPONSE['preset']}`") from e


def check_calibrated(params: np.ndarray) -> None:
    """Raise :class:`ConfigError` for PNG points outside what the response was calibrated on: one
    shape at a time, on the Gaussian cosmologies of the design (Ωb 0.049, Mν 0, w −1, GR, θ in
    the equilateral suite's ranges), |f_NL| within the prior."""
    from .suites import get_suite

    params = np.atleast_2d(params)
    cols = [PARAM_NAMES.index(n) for n in SHAPES.values()]
    png = np.any(params[:, cols] != 0.0, axis=1)
    if not png.any():
        return
    p = params[png]
    eq = get_suite("png_eq")
    fixed = {"Ob": eq.value_of("Ob"), "Mnu": 0.0, "w": -1.0, "fR0": 0.0}
    bad = [n for n, v in fixed.items() if np.any(p[:, PARAM_NAMES.index(n)] != v)]
    bad += [n for n in THETA_NAMES if np.any((p[:, PARAM_NAMES.index(n)] < eq.varied[n][0])
                                            | (p[:, PARAM_NAMES.index(n)] > eq.varied[n][1]))]
    bad += [n for n in SHAPES.values() if np.any(np.abs(p[:, PARAM_NAMES.index(n)]) > PRIORS[n].hi)]
    if np.any(np.all(p[:, cols] != 0.0, axis=1)):
        bad.append("both f_NL at once")
    if bad:
        raise ConfigError(f"the emulated PNG response is calibrated on one f_NL at a time, at Ωb = {fixed['Ob']}, "
                          f"Mν = 0, w = −1, GR and the equilateral suite's (Ωm, h, n_s, σ8) ranges; these points "
                          f"differ in {bad}: use the simulated tier (--tier simulated)")


def png_factor(k, theta, a_s: float, responses: dict[str, Response]) -> np.ndarray:
    """(n_k,) the product of the responses of ``theta``'s nonzero f_NL at ``k`` [h/Mpc] (1 if none);
    ``a_s`` the σ8-matched A_s of ``theta``'s Gaussian cosmology."""
    out = np.ones(np.shape(k))
    for shape, name in SHAPES.items():
        f = float(theta[PARAM_NAMES.index(name)])
        if f != 0.0:
            out = out * responses[shape](k, theta, f, a_s)
    return out


# --------------------------------------------------------------------------------------
# Checks of the fit (the engine page draws them)
# --------------------------------------------------------------------------------------
def held_out_residuals(table: dict) -> dict[str, np.ndarray]:
    """{shape: (n_k,) rms over the held-out pairs (R₊ and R₋) of R_measured − R_fit per bin} of a
    calibration table (:func:`cosmotransfer.sim.validate.png_check`), at the table's ``k``."""
    k = np.asarray(table["k"])
    held = np.asarray(table["held_out"], dtype=bool)
    theta, a_s = np.asarray(table["theta"])[held], np.asarray(table["a_s"])[held]
    out = {}
    for shape, resp in read_responses_from(table).items():
        t = table["shapes"][shape]
        res, _ = pair_residuals(resp, k, theta, a_s, np.asarray(t["f"])[held], np.asarray(t["odd"])[held],
                                np.asarray(t["even"])[held])
        out[shape] = np.sqrt(np.mean(res**2, axis=0))
    return out


def refit_held_out(table: dict, power: float) -> dict[str, list[float]]:
    """{shape: rms held-out error per k range} of the fit redone from a calibration table's pairs with
    another A_s exponent ``power`` (0: linear in θ alone) — how much the amplitude scaling buys."""
    k, n_modes = np.asarray(table["k"]), np.asarray(table["n_modes"])
    theta, a_s = np.asarray(table["theta"]), np.asarray(table["a_s"])
    held = np.asarray(table["held_out"], dtype=bool)
    out = {}
    for shape, t in table["shapes"].items():
        odd, even, f = np.asarray(t["odd"]), np.asarray(t["even"]), np.asarray(t["f"])
        resp = fit_response(shape, k, n_modes, theta[~held], a_s[~held], odd[~held], even[~held], a_s[0], power,
                            table["calibration"]["k_degree"])
        out[shape] = held_out_error(resp, k, theta[held], a_s[held], f[held], odd[held], even[held],
                                    table["k_ranges"])["rms"]
    return out


def read_responses_from(table: dict) -> dict[str, Response]:
    """{shape: :class:`Response`} of a calibration table already read."""
    return {shape: Response(shape, np.asarray(t["a"], dtype=np.float64), np.asarray(t["b"], dtype=np.float64),
                            (float(t["ln_k"][0]), float(t["ln_k"][1])), float(t["a_s_ref"]), float(t["power"]))
            for shape, t in table["shapes"].items()}


def suite_slopes(params: np.ndarray, pk: np.ndarray, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """The first-order response a suite of independent boxes shows: per bin, the coefficient of f
    in a least-squares fit of ln P on [1, (θ_i − θ_i^fid)/Δ_i for the varied θ, f, f²].

    ``params`` (n, 10), ``pk`` (n, n_k) [(Mpc/h)³] (e.g. a shipped CPU-preset PNG suite: every box
    its own seed, so sample variance does not cancel — the check is independent of the pairs).
    Returns ``(slope, stderr)`` (n_k,) each, per unit f_NL, at the fiducial θ.
    """
    params = np.asarray(params, dtype=np.float64)
    f = params[:, PARAM_NAMES.index(SHAPES[shape])]
    feats = _features(params, np.ones(len(params)), 1.0, 0.0)
    varied = [0] + [i + 1 for i in range(len(THETA_NAMES)) if np.ptp(feats[:, i + 1]) > 0]
    x = np.column_stack([feats[:, varied], f, f * f])
    y = np.log(np.asarray(pk, dtype=np.float64))
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    dof = len(y) - x.shape[1]
    cov = np.linalg.inv(x.T @ x)
    j = x.shape[1] - 2
    return coef[j], np.sqrt(cov[j, j] * np.sum(resid**2, axis=0) / dof)


def calibration_curves(table: dict, f_ref: dict[str, float], suites: dict | None = None) -> dict[str, dict]:
    """What the engine page's calibration figure draws, per shape, as 100 × the first-order response at
    f_NL = ``f_ref[shape]`` [%]: ``fit`` (the fit's A at the fiducial, at ``k``), ``pair`` (the fiducial
    pair's measured odd part), ``pt`` (one-loop P_12/P at ``k_pt``), ``fit_pt`` (the fit at ``k_pt``),
    ``residual`` (n_k,) the held-out rms |R − R_fit| [%] at ``k`` (:func:`held_out_residuals`; over each
    shape's whole |f| range, not scaled). With ``suites`` {shape: (simulated, emulated)}, each
    ``(params (n, 10), pk (n, n_k), k (n_k,))`` of one suite design — the CPU-preset boxes, every one its
    own seed, and the emulated suite of the same points — ``small``/``small_err`` at ``k_small`` (the
    boxes' :func:`suite_slopes`) and ``emu``/``emu_err`` (the emulated suite's, regressed the same way,
    at ``k_emu``; ``emu_small``/``emu_small_err`` interpolated in ln k to ``k_small``): a like-for-like
    check, the suites' slopes averaging the response over the same design points."""
    k = np.asarray(table["k"])
    fid, a_fid = np.asarray(table["theta"])[0], float(table["a_s"][0])
    resp = read_responses_from(table)
    resid = held_out_residuals(table)
    out = {}
    for shape, t in table["shapes"].items():
        f = float(f_ref[shape])
        row = {"f_ref": f, "k": k, "fit": 100 * f * resp[shape].parts(k, fid, a_fid)[0],
               "pair": 100 * f * np.asarray(t["odd"])[0], "k_pt": np.asarray(table["k_pt"]),
               "pt": 100 * f * np.asarray(t["pt"]["one_loop"]), "fit_pt": 100 * f * np.asarray(t["pt"]["fit"]),
               "residual": 100 * resid[shape]}
        if suites and shape in suites:
            (params, pk, ks), (p_emu, pk_emu, k_emu) = suites[shape]
            small, small_err = suite_slopes(params, pk, shape)
            emu, emu_err = suite_slopes(p_emu, pk_emu, shape)
            ks, k_emu = np.asarray(ks), np.asarray(k_emu)
            row.update(k_small=ks, small=100 * f * small, small_err=100 * f * small_err, k_emu=k_emu,
                       emu=100 * f * emu, emu_err=100 * f * emu_err,
                       emu_small=100 * f * np.interp(np.log(ks), np.log(k_emu), emu),
                       emu_small_err=100 * f * np.interp(np.log(ks), np.log(k_emu), emu_err))
        out[shape] = row
    return out


def calibration_summary(table: dict, curves: dict[str, dict], k_at=(0.1, 0.3, 0.5)) -> dict[str, dict]:
    """The numbers the engine page and chapter 05 quote, per shape, from a calibration table and its
    :func:`calibration_curves`: ``held_out``, ``in_sample`` and ``signal`` — rms |R − R_fit| and rms
    |R − 1| per k range of the table [fraction]; ``pt_ratio`` (median, min, max) of fit/one-loop over
    the bins at ``pt_k_min`` < k ≤ ``pt_k_max``; ``at_k`` the fitted first-order response [%] at the bins
    nearest ``k_at`` at the reference f; with the suites, ``small_within_2sigma`` the fraction of the
    CPU-preset boxes' bins whose regression slope lies within 2σ (both errors) of the emulated suite's,
    and ``small_pull`` the median of (boxes − emulated)/σ."""
    out = {}
    for shape, c in curves.items():
        t = table["shapes"][shape]
        r = (c["fit_pt"] / c["pt"])[c["k_pt"] > PNG_RESPONSE["pt_k_min"]]
        idx = [int(np.argmin(np.abs(c["k"] - kk))) for kk in k_at]
        row = {"held_out": t["held_out"]["rms"], "in_sample": t["in_sample"]["rms"],
               "signal": t["held_out"]["signal_rms"], "held_out_max": t["held_out"]["max"],
               "pt_ratio": (float(np.median(r)), float(r.min()), float(r.max())),
               "at_k": {float(c["k"][i]): float(c["fit"][i]) for i in idx}, "f_ref": c["f_ref"]}
        if "small" in c:
            pull = (c["small"] - c["emu_small"]) / np.hypot(c["small_err"], c["emu_small_err"])
            row.update(small_within_2sigma=float(np.mean(np.abs(pull) <= 2.0)), small_pull=float(np.median(pull)))
        out[shape] = row
    return out
