"""The emulated data tier: theory spectra, mode averaging, sample variance, errors, shipped data."""
from __future__ import annotations

import numpy as np
import pytest

from cosmotransfer import cosmology, emulate, paths
from cosmotransfer.config import BOX, N_KBINS, PARAM_NAMES, SCALES, ConfigError, fiducial_vector, with_params
from cosmotransfer.store import DataFileError, read_suite, verify_suite_file
from cosmotransfer.simulate import SuiteRun, reproduce, simulate
from cosmotransfer.stats import kbins
from cosmotransfer.suites import design, get_suite, sim_seeds

FID = fiducial_vector()


@pytest.fixture(scope="module")
def fid_spectra():
    return cosmology.Spectra(FID)


# --------------------------------------------------------------------------------------
# Sample variance and mode averaging (no CAMB)
# --------------------------------------------------------------------------------------
def test_gamma_draws_reproduce_the_per_bin_variance():
    nk = kbins(BOX).n_independent
    draws = np.stack([emulate.sample_variance(np.ones(N_KBINS), seed) for seed in range(5000)])
    # P·Gamma(N_k, 1/N_k): mean P, variance P²/N_k in every bin
    assert np.allclose(draws.mean(0), 1.0, atol=5 * np.sqrt(1 / nk / len(draws)))
    assert np.allclose(draws.var(0) * nk, 1.0, rtol=0.12)  # the variance of 5,000 draws is known to ≈ 3 %
    assert (draws > 0).all()


def test_sample_variance_is_seeded():
    a, b = emulate.sample_variance(np.ones(N_KBINS), 7), emulate.sample_variance(np.ones(N_KBINS), 7)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, emulate.sample_variance(np.ones(N_KBINS), 8))


def test_shell_modes_match_the_binning():
    kb = kbins(BOX)
    k, b, c = emulate.shell_modes(BOX)
    assert np.array_equal(np.bincount(b, weights=c, minlength=N_KBINS), kb.n_modes)
    assert np.allclose(np.bincount(b, weights=c * k, minlength=N_KBINS) / kb.n_modes, kb.k, rtol=1e-12)


def test_bin_average_equals_brute_force_over_the_lattice():
    kb = kbins(BOX)
    n_max = int(kb.index[-1]) + 1
    n = np.arange(-n_max, n_max + 1)
    r = np.sqrt(n[:, None, None] ** 2 + n[None, :, None] ** 2 + n[None, None, :] ** 2).ravel()
    i = np.floor(r).astype(int)
    power = lambda k: k**-1.3 * np.exp(-3 * k)  # noqa: E731 — any smooth curved spectrum
    keep = np.isin(i, kb.index)
    brute = np.bincount(np.searchsorted(kb.index, i[keep]), weights=power(r[keep] * kb.kf), minlength=N_KBINS)
    brute /= np.bincount(np.searchsorted(kb.index, i[keep]), minlength=N_KBINS)
    k, _, _ = emulate.shell_modes(BOX)
    assert np.allclose(emulate.bin_average(power(k)), brute, rtol=1e-10)


def test_mode_average_differs_from_the_bin_centre(fid_spectra):
    kb = kbins(BOX)
    k, _, _ = emulate.shell_modes(BOX)
    averaged = emulate.bin_average(fid_spectra.nonlinear(k))
    centre = fid_spectra.nonlinear(kb.k)
    assert abs(averaged[0] / centre[0] - 1) > 0.005  # ≈ 1.4 % in the first bin
    assert np.allclose(averaged[kb.k > 0.1], centre[kb.k > 0.1], rtol=0.01)


def test_low_k_excess_divides_by_the_mode_averaged_theory(fid_spectra):
    """Spectra made of the fiducial's own linear and HMcode P(k) give ratios of exactly 1 and 2."""
    k, _, _ = emulate.shell_modes(BOX)
    params = np.tile(FID, (3, 1))
    params[1, 0] = 0.1  # the lowest Ωm: picked first
    lin = emulate.bin_average(fid_spectra.linear(k))
    pk = np.stack([lin, lin, 2 * emulate.bin_average(fid_spectra.nonlinear(k))])
    low, control = emulate.low_k_rows(params, 1, 0.3)
    assert low.tolist() == [1] and control.tolist() == [0]
    out = emulate.low_k_excess(params, pk, np.array([0, 2]), 4)
    np.testing.assert_allclose(out["over_linear"][0], 1.0, rtol=1e-10)
    np.testing.assert_allclose(out["over_hmcode"][1], 2.0, rtol=1e-10)
    np.testing.assert_allclose(out["k"], kbins(BOX).k[:4])
    assert out["fb"] == pytest.approx(FID[1] / FID[0])
    assert abs(out["over_linear_k"][0, 0] - 1) > 0.005  # the bin's mean k is not its modes' average


# --------------------------------------------------------------------------------------
# Theory spectra
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("mnu", [0.0, 0.6])
def test_omega_m_counts_the_neutrinos(mnu):
    c = cosmology.Cosmo.from_vector(np.r_[FID[:5], mnu, -0.8, 0, 0, 0])
    p = cosmology.camb_params(c)
    assert p.ombh2 + p.omch2 + p.omnuh2 == pytest.approx(c.Om * c.h**2, rel=1e-12)
    assert (p.num_nu_massive == 3) == (mnu > 0)
    assert p.DarkEnergy.w == -0.8


def test_sigma8_normalisation(fid_spectra):
    k = np.geomspace(1e-4, 2.9, 4000)  # h/Mpc; CAMB solved to 2/Mpc
    x = 8.0 * k
    w = 3 * (np.sin(x) - x * np.cos(x)) / x**3
    s8 = np.sqrt(np.trapezoid(k**3 * fid_spectra.linear(k) * w**2 / (2 * np.pi**2), np.log(k)))
    assert fid_spectra.sigma8 == pytest.approx(FID[4], rel=1e-6)
    assert s8 == pytest.approx(FID[4], rel=5e-3)  # independent integral of the interpolated spectrum
    assert cosmology.linear_power(FID, 0.01) == pytest.approx(fid_spectra.linear(0.01), rel=1e-12)


def test_nonlinear_power_is_linear_on_large_scales(fid_spectra):
    k = np.array([0.01, 0.02, 0.5])
    ratio = fid_spectra.nonlinear(k) / fid_spectra.linear(k)
    assert np.allclose(ratio[:2], 1.0, atol=0.01) and ratio[2] > 1.5


def test_fR_boost_is_fremus_own_ratio():
    """Our z=0 fremu arithmetic equals get_power_spectrum / get_fid of fremu itself."""
    theta = design("mg", 1)[0]
    c = cosmology.Cosmo.from_vector(theta)
    emu = cosmology.fremu_emulator()
    emu.set_cosmo(Om=c.Om, Ob=c.Ob, h=c.h, ns=c.ns, sigma8=c.s8, mnu=c.Mnu, fR0=c.fR0, redshifts=[0.0])
    k = emu.ks[::20]
    theirs = emu.get_power_spectrum(k=k, z=0.0) / emu.get_power_spectrum(k=k, z=0.0, get_fid=True)
    from scipy.interpolate import CubicSpline

    ours = CubicSpline(emu.ks, cosmology._fremu_B(emu, np.array([[c.Om, c.Ob, c.h, c.ns, c.s8, c.Mnu, c.fR0]]))[0])(k)
    assert np.allclose(ours, theirs, rtol=1e-5)


def test_fR_boost_physics():
    theta = FID.copy()
    theta[5] = 0.1
    k = np.array([0.005, 0.01, 0.0278, 0.1, 0.3, 0.5])
    assert np.array_equal(cosmology.fR_boost(theta, k), np.ones(len(k)))  # GR: exactly 1
    theta[7] = -1e-4
    b = cosmology.fR_boost(theta, k)
    assert b[4] > 1.15 and b[5] > 1.2  # the fifth force enhances small-scale clustering
    assert abs(b[0] - 1) < abs(b[2] - 1)  # tapers to GR on large scales
    k0 = cosmology.fremu_emulator().ks[0]
    assert cosmology.fR_boost(theta, [k0 * (1 - 1e-9)]) == pytest.approx(cosmology.fR_boost(theta, [k0]), rel=1e-6)
    with pytest.raises(ConfigError, match="fremu covers"):
        cosmology.fR_boost(theta, [2.0])


# --------------------------------------------------------------------------------------
# The tier contract and its errors
# --------------------------------------------------------------------------------------
def test_settings_are_one_quijote_box_whatever_the_preset():
    a = emulate.settings(SCALES["smoke"].sim, ("pk",))
    assert a == emulate.settings(SCALES["paper"].sim, ("pk",))
    assert a["box"] == BOX and a["n_kbins"] == N_KBINS
    assert a["camb"]["camb_version"] and a["fR"]["fremu_version"] and a["camb"]["halofit_version"] == "mead2020"


def test_marked_pk_is_a_clear_error():
    with pytest.raises(ConfigError, match="simulated"):
        emulate.settings(None, ("pk", "mpk"))


def _toy_png_table(path) -> dict:
    """A calibration table with a known response (the fit's layout, no engine run)."""
    import json

    from cosmotransfer.png_response import Response

    deg = 4
    a, b = np.zeros((5, deg + 1)), np.zeros((5, deg + 1))
    a[0, 0], a[0, 1], a[1, 0], b[0, 0] = 2e-5, 1e-5, -4e-6, 1e-9
    resp = {shape: Response(shape, a, b, (np.log(0.0126), np.log(0.5)), 2.0e-9, 0.75) for shape in ("local", "equilateral")}
    path.write_text(json.dumps({"shapes": {shape: r.as_json() for shape, r in resp.items()}}))
    return resp


def test_png_is_hmcode_times_the_calibrated_response_times_gamma(tmp_path, monkeypatch):
    table = tmp_path / "png.json"
    resp = _toy_png_table(table)
    monkeypatch.setattr(emulate, "table_file", lambda: table)
    params, seeds = design("png_lc", 2), sim_seeds("png_lc", 2)  # ΛCDM at the fiducial: one CAMB run
    s = emulate.settings(None, ("pk",)) | emulate.design_settings(params)
    assert s["png_response"]["file"] == "png.json" and emulate.design_settings(FID[None]) == {}
    out = emulate.run_chunk(params, seeds, s, "cpu")["pk"]
    gauss = params[1].copy()
    gauss[PARAM_NAMES.index("fNL_loc")] = 0.0
    k, _, _ = emulate.shell_modes(BOX)
    f = params[1, PARAM_NAMES.index("fNL_loc")]
    sp = cosmology.Spectra(gauss)
    mean = emulate.bin_average(sp.nonlinear(k) * resp["local"](k, gauss, f, sp.A_s))
    assert np.allclose(out[1], emulate.sample_variance(mean, seeds[1]), rtol=1e-6, atol=0)
    # another table (a new calibration) is refused for a suite made with this one
    table.write_text(table.read_text().replace("2e-05", "3e-05"))
    with pytest.raises(ConfigError, match="regenerate"):
        emulate.run_chunk(params, seeds, s, "cpu")


def test_png_outside_the_calibration_is_a_clear_error():
    with pytest.raises(ConfigError, match="--tier simulated"):
        emulate.check_design(with_params(fNL_equil=300.0, Mnu=0.3))
    with pytest.raises(ConfigError, match="--tier simulated"):
        emulate.mean_pk(with_params(fNL_loc=100.0, w=-0.9))


def test_png_without_its_table_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setattr(emulate, "table_file", lambda: tmp_path / "missing.json")
    with pytest.raises(DataFileError, match="validate-engine png"):
        SuiteRun("png_lc", "emulated", n=4, preset="smoke")


def test_default_statistics_are_what_the_tier_makes(isolated_cache):
    assert "mpk" in get_suite("nwlh").statistics
    assert SuiteRun("nwlh", "emulated", n=4, preset="smoke").settings["statistics"] == ["pk"]
    with pytest.raises(ConfigError, match="simulated"):
        SuiteRun("nwlh", "emulated", n=4, preset="smoke", statistics=("mpk",))


def test_run_chunk_is_deterministic_and_is_theory_times_gamma():
    params, seeds = design("mg", 2), sim_seeds("mg", 2)
    assert (params[:, 7] != 0).all()  # f(R) points: exercises fremu too
    s = emulate.settings(None, ("pk",))
    a = emulate.run_chunk(params, seeds, s, "cpu")["pk"]
    b = emulate.run_chunk(params, seeds, s, "cpu")["pk"]
    assert a.dtype == np.float32 and a.shape == (2, N_KBINS)
    assert a.tobytes() == b.tobytes()
    expect = emulate.sample_variance(emulate.mean_pk(params[1]), seeds[1])
    assert np.array_equal(a[1], expect.astype(np.float32))


def test_other_settings_are_refused():
    s = emulate.settings(None, ("pk",))
    with pytest.raises(ConfigError, match="box"):
        emulate.run_chunk(FID[None], np.array([0]), {**s, "box": 500.0}, "cpu")


def test_runner_end_to_end(isolated_cache, tmp_path):
    out = simulate("nwlh", tier="emulated", n=2, preset="smoke", out=tmp_path / "nwlh.npz", progress=False)
    data = read_suite(out)
    assert data.tier == "emulated" and set(data.stats) == {"pk"} and data.stats["pk"].shape == (2, N_KBINS)
    assert np.array_equal(reproduce(out, [1])["pk"][0], data.stats["pk"][1])


# --------------------------------------------------------------------------------------
# Against the real Quijote latin hypercube (skipped without ../shared/quijote)
# --------------------------------------------------------------------------------------
def _quijote(quijote_dir, rows):
    params = np.loadtxt(quijote_dir / "LH_params.txt")[rows]
    full = np.tile(FID, (len(params), 1))
    full[:, :5] = params
    return full, np.load(quijote_dir / "LH_Pk_m_z0.npy")[rows]


def _check_against_quijote(cmp, tol_median, k_min):
    k = cmp["k"]
    mid = (k > k_min) & (k < 0.5)
    assert np.all(np.abs(cmp["theory_median"][mid] - 1) < tol_median)
    # On the largest scales Quijote scatters about the smooth model as one box's sample variance
    # does (further in, a cosmology-dependent model error adds to it: see the report numbers)
    large = k < 0.025
    assert np.all(np.abs(cmp["scatter_ref"][large] / cmp["scatter_expected"][large] - 1) < 0.5)
    assert np.all(np.abs(cmp["scatter_emu"][large] / cmp["scatter_expected"][large] - 1) < 0.5)


def test_quijote_sample(quijote_dir):
    """A quick check on 16 cosmologies of the 2,000 (the slow test uses all of them)."""
    params, pk = _quijote(quijote_dir, np.arange(0, 2000, 125))
    # 16 boxes: the median is still noisy on large scales, so only k > 0.05 h/Mpc is held to 5 %
    _check_against_quijote(emulate.compare_with_reference(params, pk), tol_median=0.05, k_min=0.05)


@pytest.mark.slow
def test_quijote_all_2000(quijote_dir):
    """All 2,000 cosmologies: the emulated tier tracks Quijote to a few per cent (≈ 15 CPU-minutes)."""
    params, pk = _quijote(quijote_dir, slice(None))
    cmp = emulate.compare_with_reference(params, pk)
    _check_against_quijote(cmp, tol_median=0.04, k_min=0.02)
    large = cmp["k"] < 0.025
    assert np.all(np.abs(cmp["scatter_ref"][large] / cmp["scatter_expected"][large] - 1) < 0.1)
    assert np.all(np.abs(cmp["scatter_emu"][large] / cmp["scatter_expected"][large] - 1) < 0.1)


def test_quijote_validation_round_trip(quijote_dir, tmp_path):
    """The validation table is written atomically, read back as the figure's dict, and names its inputs."""
    import json
    import shutil

    q = tmp_path / "quijote"
    q.mkdir()
    rows = [0, 700, 1400]
    np.save(q / "LH_Pk_m_z0.npy", np.load(quijote_dir / "LH_Pk_m_z0.npy")[rows])
    np.savetxt(q / "LH_params.txt", np.loadtxt(quijote_dir / "LH_params.txt")[rows])
    out = emulate.write_quijote_validation(tmp_path / "ref" / "v.json", quijote_dir=q, progress=False)
    table = json.loads(out.read_text())
    assert table["n_cosmologies"] == 3 and table["inputs"]["pk"]["file"] == "LH_Pk_m_z0.npy"
    cmp = emulate.read_quijote_validation(out)
    assert cmp["ratio_median"].shape == (N_KBINS,) and int(cmp["n"]) == 3
    assert np.all(np.abs(cmp["theory_median"][(cmp["k"] > 0.05)] - 1) < 0.15)
    shutil.rmtree(q)
    with pytest.raises(DataFileError, match="missing"):
        emulate.quijote_validation(q)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DataFileError, match="validate-emulated"):
        emulate.read_quijote_validation(tmp_path / "bad.json")


def test_shipped_quijote_validation_table(quijote_dir):
    """The table notebook 01 plots: all 2,000 Quijote cosmologies, made from the files beside the
    project, and the emulated tier within 4 % of Quijote's median for 0.02 < k < 0.5 h/Mpc."""
    import json

    from cosmotransfer.store import sha256_file

    table = json.loads((paths.DATA_DIR / emulate.VALIDATION_FILE).read_text())
    assert table["n_cosmologies"] == 2000
    assert table["inputs"]["pk"]["sha256"] == sha256_file(quijote_dir / "LH_Pk_m_z0.npy")
    assert table["inputs"]["params"]["sha256"] == sha256_file(quijote_dir / "LH_params.txt")
    cmp = emulate.read_quijote_validation()
    _check_against_quijote(cmp, tol_median=0.04, k_min=0.02)


# --------------------------------------------------------------------------------------
# Shipped data: manifests and the proof that the files come from this code
# --------------------------------------------------------------------------------------
SHIPPED = ("bsq", "nwlh", "mg", "png_eq", "png_lc")  # the emulated suites the project ships under data/emulated/


@pytest.mark.parametrize("suite", SHIPPED)
def test_shipped_suite_exists_and_regenerates(suite):
    """The file matches its manifest and its design, and 3 of its rows re-made by this code agree."""
    path = paths.suite_file(suite, "emulated")
    if not path.is_file():
        pytest.fail(f"{path} is not shipped; make it with `cosmotransfer simulate {suite} --tier emulated --workers 2`")
    manifest = verify_suite_file(path)
    data = read_suite(path, verify=False)
    assert manifest["n"] == len(data) and manifest["tier"] == "emulated" and manifest["preset"] == "paper"
    assert set(data.stats) == {"pk"} and data.stats["pk"].dtype == np.float32
    assert np.array_equal(data.params, design(suite, len(data))) and np.array_equal(data.seeds, sim_seeds(suite, len(data)))
    rows = [0, len(data) // 2, len(data) - 1]
    again = reproduce(path, rows)["pk"]
    assert np.allclose(again, data.stats["pk"][rows], rtol=1e-5, atol=0)


# --------------------------------------------------------------------------------------
# Figures (synthetic inputs: no CAMB)
# --------------------------------------------------------------------------------------
def test_figures_build():
    import matplotlib

    matplotlib.use("Agg", force=True)
    from cosmotransfer.figures import emulated as F

    kb = kbins(BOX)
    one = np.ones(N_KBINS)
    cmp = {"k": kb.k, "n": np.array(10), **{f"{a}_{b}": one for a in ("ratio", "theory") for b in ("median", "lo", "hi")},
           "scatter_ref": 1 / np.sqrt(kb.n_independent), "scatter_emu": 1 / np.sqrt(kb.n_independent),
           "scatter_expected": 1 / np.sqrt(kb.n_independent)}
    figs = [F.quijote_comparison(cmp),
            F.spectra_by_parameter(kb.k, np.outer(np.linspace(1, 2, 5), 1e4 / (1 + kb.k * 20)), np.linspace(0.01, 1, 5), "Mnu"),
            F.responses(kb.k, {"Mnu": {0.1: one, 0.5: 0.9 * one}, "fR0": {-1e-5: 1.1 * one}})]
    assert all(len(f.axes) >= 1 for f in figs)
