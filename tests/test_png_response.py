"""The emulated tier's PNG response: its design, the fit, one-loop P_12 and the shipped table."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cosmotransfer import png_response as pr
from cosmotransfer.config import BOX, PARAM_NAMES, PNG_RESPONSE, ConfigError, fiducial_vector, with_params
from cosmotransfer.perturbation import half_domain, half_domain_integral, one_loop, png_p12
from cosmotransfer.stats import kbins
from cosmotransfer.store import DataFileError


def test_design_pairs_share_a_seed_and_span_the_priors():
    d = pr.design()
    n = PNG_RESPONSE["n_cosmologies"]
    assert d.theta.shape == (n, len(PARAM_NAMES)) and np.array_equal(d.theta[0], with_params(Ob=0.049))
    assert len(np.unique(d.seeds)) == n and d.held_out.sum() == len(range(1, n, PNG_RESPONSE["held_out_every"]))
    assert not d.held_out[0]  # the fiducial is fitted
    for shape, name in pr.SHAPES.items():
        hi = {"local": 300.0, "equilateral": 600.0}[shape]
        assert np.all((d.f[shape] >= PNG_RESPONSE["f_min_fraction"] * hi - 1e-9) & (d.f[shape] <= hi))
    params, seeds = d.runs()
    assert params.shape == (len(pr.RUNS) * n, len(PARAM_NAMES)) and np.array_equal(seeds, np.repeat(d.seeds, len(pr.RUNS)))
    fnl = params[:, [PARAM_NAMES.index(v) for v in pr.SHAPES.values()]].reshape(n, len(pr.RUNS), 2)
    assert np.all(fnl[:, 0] == 0) and np.allclose(fnl[:, 1, 1], -fnl[:, 2, 1]) and np.allclose(fnl[:, 3, 0], -fnl[:, 4, 0])
    pr.check_calibrated(params)  # every run of the design is inside what the emulated tier accepts


A_REF = 2.1e-9


def _synthetic(rng, n_c=14, noise=0.0):
    """Pairs from a known response: A and B linear in θ times a power of A_s, polynomials in ln k."""
    kb = kbins(500.0)
    shape = (5, PNG_RESPONSE["k_degree"] + 1)
    truth = pr.Response("local", rng.normal(0, 1e-5, shape), rng.normal(0, 1e-8, shape),
                        (np.log(kb.k[0]), np.log(kb.k[-1])), A_REF, PNG_RESPONSE["as_power"])
    d = pr.design({**PNG_RESPONSE, "n_cosmologies": n_c})
    a_s = A_REF * np.exp(rng.uniform(-1.5, 2.3, n_c))  # the design's range: 0.2–10 times the fiducial's
    a_s[0] = A_REF
    odd = np.stack([truth.parts(kb.k, t, a)[0] for t, a in zip(d.theta, a_s)])
    even = np.stack([truth.parts(kb.k, t, a)[1] for t, a in zip(d.theta, a_s)])
    odd += noise * rng.normal(size=odd.shape)
    even += noise * 1e-3 * rng.normal(size=even.shape)
    return kb, truth, d, a_s, odd, even


def _fit(kb, d, a_s, odd, even):
    tr = ~d.held_out
    return pr.fit_response("local", kb.k, kb.n_modes, d.theta[tr], a_s[tr], odd[tr], even[tr], A_REF)


def _held(fit, kb, d, a_s, odd, even):
    h = d.held_out
    return pr.held_out_error(fit, kb.k, d.theta[h], a_s[h], d.f["local"][h], odd[h], even[h], [(0, 0.5)])


def test_fit_recovers_a_known_response_and_reports_its_held_out_error():
    rng = np.random.default_rng(0)
    kb, truth, d, a_s, odd, even = _synthetic(rng)
    fit = _fit(kb, d, a_s, odd, even)
    for t, a in zip(d.theta[d.held_out], a_s[d.held_out]):
        assert np.allclose(fit(kb.k, t, 250.0, a), truth(kb.k, t, 250.0, a), rtol=0, atol=1e-10)
    err = _held(fit, kb, d, a_s, odd, even)
    assert err["rms"][0] < 1e-10 < err["signal_rms"][0]
    # with noise, the held-out error is of the noise's size, not zero
    kb, truth, d, a_s, odd, even = _synthetic(rng, noise=2e-6)
    err = _held(_fit(kb, d, a_s, odd, even), kb, d, a_s, odd, even)
    assert 1e-4 < err["rms"][0] < 1e-3  # |f| ≤ 300 × 2e-6 noise per unit f


def test_response_scales_with_the_amplitude_and_is_held_constant_outside_its_k_range():
    rng = np.random.default_rng(1)
    kb, truth, d, *_ = _synthetic(rng)
    fid = d.theta[0]
    a0, b0 = truth.parts(kb.k, fid, A_REF)
    a1, b1 = truth.parts(kb.k, fid, 4 * A_REF)
    assert np.allclose(a1, 4 ** truth.power * a0) and np.allclose(b1, 4 ** (2 * truth.power) * b0)
    lo, hi = np.exp(truth.ln_k[0]), np.exp(truth.ln_k[1])
    assert np.allclose(truth([lo / 3, lo / 2], fid, 100.0, A_REF), truth([lo], fid, 100.0, A_REF)[0])
    assert np.allclose(truth([hi * 2], fid, 100.0, A_REF), truth([hi], fid, 100.0, A_REF))


def test_half_domain_integral_reproduces_p22():
    """The grid P_12 integrates on: with F2² P(q) P(|k − q|) it gives one loop's P_22."""
    from cosmotransfer.perturbation import _power_law_ends
    from cosmotransfer.sim.linear import linear_table, table_k

    kt, pt = table_k(), linear_table(fiducial_vector())
    p = _power_law_ends(kt, pt)
    for k in (0.05, 0.1, 0.3):
        r, s, f2, wx = half_domain(k)
        mine = 2.0 * half_domain_integral(k, r, f2**2 * p(k * r) * p(k * s), wx)
        assert mine == pytest.approx(one_loop(kt, pt, [k])[0][0], rel=5e-3)


def test_one_loop_png_raises_the_power_more_towards_smaller_scales():
    """Positive f_NL of either shape adds power at one loop, relatively more at higher k (k ≤ 0.1)."""
    from cosmotransfer.perturbation import matter_power

    fid = fiducial_vector()
    k = np.array([0.02, 0.05, 0.1])
    for shape in pr.SHAPES:
        rel = png_p12(fid, k, shape) / matter_power(fid, k)
        assert np.all(rel > 0) and np.all(np.diff(rel) > 0)
    with pytest.raises(ValueError, match="unknown PNG shape"):
        png_p12(fid, k, "orthogonal")


def test_suite_slopes_recover_a_known_first_order_response():
    rng = np.random.default_rng(2)
    n, nk = 400, 6
    params = np.tile(fiducial_vector(), (n, 1))
    f = rng.uniform(-300, 300, n)
    params[:, PARAM_NAMES.index("fNL_loc")] = f
    slope = np.linspace(1e-5, 5e-5, nk)
    pk = np.exp(f[:, None] * slope + 1e-8 * f[:, None] ** 2 + 0.01 * rng.normal(size=(n, nk)))
    got, err = pr.suite_slopes(params, pk, "local")
    assert np.all(np.abs(got - slope) < 4 * err) and np.all(err < 5e-6)


def test_calibration_outside_its_range_is_a_clear_error():
    with pytest.raises(ConfigError, match="--tier simulated"):
        pr.check_calibrated(with_params(fNL_loc=100.0, Mnu=0.2))
    with pytest.raises(ConfigError, match="both f_NL"):
        pr.check_calibrated(with_params(fNL_loc=100.0, fNL_equil=100.0))
    pr.check_calibrated(with_params(Mnu=0.2))  # no PNG: nothing to check


def test_missing_or_corrupted_table_names_the_command(tmp_path):
    with pytest.raises(DataFileError, match="validate-engine png --preset book"):
        pr.read_responses(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"shapes": {"local": {"a": [1]}}}))
    with pytest.raises(DataFileError, match="validate-engine png"):
        pr.read_responses(bad)


# --- the shipped calibration (`cosmotransfer validate-engine png --preset book`) -------------
def _shipped() -> dict:
    path = pr.table_file()
    if not path.is_file():
        pytest.fail(f"{path} is not shipped; make it with `cosmotransfer validate-engine png --preset book`")
    return json.loads(path.read_text())


def test_shipped_fit_is_below_a_quijote_bins_sample_variance_on_held_out_pairs():
    table = _shipped()
    made_with = ("preset", "n_cosmologies", "held_out_every", "f_min_fraction", "design_seed", "seed_base",
                 "k_degree", "as_power")  # what the runs and the fit depend on (not the checks' settings)
    assert {k: table["calibration"][k] for k in made_with} == {k: PNG_RESPONSE[k] for k in made_with}
    assert sum(table["held_out"]) >= 4 and table["n_sims"] == len(pr.RUNS) * PNG_RESPONSE["n_cosmologies"]
    kb = kbins(BOX)
    for shape, t in table["shapes"].items():
        for (lo, hi), err, signal in zip(table["k_ranges"], t["held_out"]["rms"], t["held_out"]["signal_rms"]):
            m = (kb.k > lo) & (kb.k <= hi)
            floor = 1.0 / np.sqrt(kb.n_independent[m].max())  # the quietest Quijote bin of the range
            assert err < floor, f"{shape}, {lo}–{hi} h/Mpc: held-out rms {err:.4f} ≥ {floor:.4f}"
            assert err < signal  # it fits something: the response is larger than the error


def test_shipped_fit_agrees_with_one_loop_pt_at_low_k():
    table = _shipped()
    curves = pr.calibration_curves(table, PNG_RESPONSE["f_ref"])
    summary = pr.calibration_summary(table, curves)
    tol = PNG_RESPONSE["pt_tolerance"]
    for shape, s in summary.items():
        med, lo, hi = s["pt_ratio"]
        assert 1 - tol <= lo <= med <= hi <= 1 + tol, f"{shape}: fit/PT {lo:.2f}–{hi:.2f}"


def test_shipped_fit_reproduces_from_its_pairs():
    """The coefficients are the fit of the recorded pairs (the table is consistent with this code)."""
    table = _shipped()
    k, nm = np.asarray(table["k"]), np.asarray(table["n_modes"])
    theta, a_s, held = np.asarray(table["theta"]), np.asarray(table["a_s"]), np.asarray(table["held_out"])
    for shape, t in table["shapes"].items():
        fit = pr.fit_response(shape, k, nm, theta[~held], a_s[~held], np.asarray(t["odd"])[~held],
                              np.asarray(t["even"])[~held], a_s[0])
        assert np.allclose(fit.a, t["a"], rtol=1e-6, atol=0) and np.allclose(fit.b, t["b"], rtol=1e-6, atol=0)


def test_shipped_amplitude_scaling_is_what_the_held_out_error_asks_for():
    """Refitting the recorded pairs with the table's exponent gives its held-out error; without the
    A_s factor (linear in θ alone) the error is larger in every k range."""
    table = _shipped()
    same = pr.refit_held_out(table, table["calibration"]["as_power"])
    linear = pr.refit_held_out(table, 0.0)
    for shape, t in table["shapes"].items():
        assert np.allclose(same[shape], t["held_out"]["rms"], rtol=1e-9)
        assert all(lin > err for lin, err in zip(linear[shape], t["held_out"]["rms"]))
