"""The engine's reference checks (sim/validate.py): machinery at toy sizes, thresholds on the shipped tables."""
from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from cosmotransfer import paths
from cosmotransfer.config import BOX, PARAM_NAMES, ConfigError, SimPreset
from cosmotransfer.store import DataFileError
from cosmotransfer.figures.sim import (corners_check_table, hmcode_check_table, physics_check_table, quijote_check_figure,
                                      steps_check_table)
from cosmotransfer.sim import validate
from cosmotransfer.stats import kbins
from cosmotransfer.suites import get_suite

from simhelpers import SMOKE

#: the Quijote box at toy resolution: 32³ particles, the coarsest even mesh that reaches k = 0.5
TOY_QUIJOTE = SimPreset(box=BOX, n_particles=32, n_mesh=162, n_steps=3, z_init=9.0)


def test_corner_cosmologies_are_the_bsq_prior_extremes():
    c = validate.corner_cosmologies()
    bsq = get_suite("bsq")
    om, s8 = (np.array([t[PARAM_NAMES.index(p)] for t in c.values()]) for p in ("Om", "s8"))
    assert len(c) == 5 and "fiducial" in c
    assert set(om[1:]) == set(bsq.varied["Om"]) and set(s8[1:]) == set(bsq.varied["s8"])
    assert len({(a, b) for a, b in zip(om[1:], s8[1:])}) == 4


def test_hmcode_check_shards_table_and_resume(isolated_cache, monkeypatch, tmp_path):
    out = tmp_path / "h.json"
    # two shards make the ten boxes between them and write no table
    for shard in ((0, 2), (1, 2)):
        assert validate.write_check("hmcode", preset=SMOKE, out=out, n_seeds=2, progress=False, shard=shard) is None
    assert not out.exists() and len(list(isolated_cache.joinpath("validate").iterdir())) == 10
    # the run without a shard reads every box from the cache: the engine must not run again
    monkeypatch.setattr(validate, "Engine", lambda *a, **k: pytest.fail("re-simulated a cached box"))
    table = json.loads(validate.write_check("hmcode", preset=SMOKE, out=out, n_seeds=2, progress=False).read_text())
    assert len(table["cosmologies"]) == 5 and table["s_per_sim"] > 0  # recorded when each box was made
    for row in table["cosmologies"].values():
        assert np.all(np.isfinite(row["mean"])) and np.all(np.array(row["sd"]) > 0)  # two seeds differ
        assert row["within"] == [abs(m - 1) <= t for m, t in zip(row["mean"], validate.HMCODE_TOLERANCE)]
    shown = hmcode_check_table(table)  # notebook 01's view of it
    assert shown.shape == (5, 3) and shown.index[0] == "fiducial"


def test_quijote_check_ratios_rows_and_seeds(isolated_cache, tmp_path):
    """Fake Quijote files built from the engine's own boxes × 1.25: every median ratio is 0.8
    exactly only if the check simulates the right rows, parameters and seeds."""
    n_file, n = 5, 3
    rows = np.array([0, 2, 4])  # what linspace(0, 4, 3) picks
    lh = np.array([[0.30, 0.05, 0.70, 0.95, 0.80], [0.25, 0.045, 0.65, 0.97, 0.85], [0.35, 0.055, 0.72, 0.93, 0.75],
                   [0.28, 0.048, 0.68, 0.96, 0.82], [0.33, 0.052, 0.66, 0.98, 0.78]])
    params = np.tile(validate.fiducial_vector(), (n_file, 1))
    params[:, :5] = lh
    sims, _ = validate.simulate_cached(params[rows], validate.SEED_BASE + rows, TOY_QUIJOTE, progress=False)
    q = tmp_path / "quijote"
    q.mkdir()
    np.savetxt(q / "LH_params.txt", lh)
    for name, s in (("LH_Pk_m_z0.npy", "pk"), ("LH_MPk_m_z0.npy", "mpk")):
        ref = np.ones((n_file, sims[s].shape[1]))
        ref[rows] = sims[s] * 1.25
        np.save(q / name, ref)
    table = validate.quijote_check(TOY_QUIJOTE, n=n, quijote_dir=q, progress=False)
    assert table["rows"] == rows.tolist() and table["n_cosmologies"] == n
    for key in ("pk_median", "mpk_median", "pk_lo", "mpk_hi"):
        np.testing.assert_allclose(table["arrays"][key], 0.8, rtol=1e-6)
    assert table["mpk_share_within"] == 0.0 and table["mpk_max_deviation"] == pytest.approx(0.2, rel=1e-5)
    fig = quijote_check_figure(table)
    assert len(fig.axes) == 2 and all(ax.lines for ax in fig.axes)


def test_marks_check_compares_each_window_from_the_same_particles(isolated_cache, tmp_path):
    """Fake Quijote files from the engine's own boxes (analytic-window MP): the analytic window's
    ratio is 1 in every bin only if the check simulates the right rows, parameters and seeds, and
    it is the closest; the mesh window's is not 1."""
    from cosmotransfer.config import MARK_K_RANGES

    n_file, rows = 3, np.array([0, 1, 2])
    lh = np.array([[0.30, 0.05, 0.70, 0.95, 0.80], [0.25, 0.045, 0.65, 0.97, 0.85], [0.35, 0.055, 0.72, 0.93, 0.75]])
    params = np.tile(validate.fiducial_vector(), (n_file, 1))
    params[:, :5] = lh
    sims, _ = validate.simulate_cached(params, validate.SEED_BASE + rows, TOY_QUIJOTE, progress=False)
    q = tmp_path / "quijote"
    q.mkdir()
    np.savetxt(q / "LH_params.txt", lh)
    np.save(q / "LH_Pk_m_z0.npy", sims["pk"].astype(np.float64))
    np.save(q / "LH_MPk_m_z0.npy", sims["mpk"].astype(np.float64))
    table = validate.marks_check(TOY_QUIJOTE, n=3, quijote_dir=q, progress=False)
    assert table["rows"] == rows.tolist() and table["windows"] == ["analytic", "mesh"]
    np.testing.assert_allclose(table["arrays"]["analytic_median"], 1.0, rtol=1e-5)
    np.testing.assert_allclose(table["range_medians"]["analytic"], 1.0, rtol=1e-5)
    assert len(table["range_medians"]["mesh"]) == len(MARK_K_RANGES) and validate.closest_window(table) == "analytic"
    assert np.max(np.abs(np.array(table["arrays"]["mesh_median"]) - 1.0)) > 1e-3
    with pytest.raises(ConfigError, match="drop --shard"):
        validate.marks_check(TOY_QUIJOTE, n=3, quijote_dir=q, shard=(0, 2))


def _fake_corner_quijote(tmp_path):
    """Two LH rows near each of the five corner cosmologies (others' Ωb, h, n_s), plus far-off rows
    that must not be picked; fake Quijote spectra = the engine's own TOY_QUIJOTE boxes × 1.25 at
    those rows. Returns (folder, LH table, the boxes' summaries)."""
    corners = validate.corner_cosmologies()
    lh = []
    for theta in corners.values():
        for d_om, d_s8, ob, h, ns in ((0.004, -0.003, 0.045, 0.62, 0.93), (-0.003, 0.005, 0.055, 0.74, 1.01)):
            om = np.clip(theta[0] + d_om, 0.1, 0.5)
            s8 = np.clip(theta[4] + d_s8, 0.6, 1.0)
            lh.append([om, ob, h, ns, s8])
    lh += [[0.2, 0.05, 0.7, 0.96, 0.7], [0.4, 0.05, 0.7, 0.96, 0.9]]  # between the corners
    lh = np.array(lh)
    rows = np.arange(10)
    params = np.tile(validate.fiducial_vector(), (10, 1))
    params[:, :5] = lh[rows]
    sims, _ = validate.simulate_cached(params, validate.SEED_BASE + rows, TOY_QUIJOTE, progress=False)
    q = tmp_path / "quijote"
    q.mkdir()
    np.savetxt(q / "LH_params.txt", lh)
    for name, s in (("LH_Pk_m_z0.npy", "pk"), ("LH_MPk_m_z0.npy", "mpk")):
        ref = np.ones((len(lh), sims[s].shape[1]))
        ref[rows] = sims[s] * 1.25
        np.save(q / name, ref)
    return q, lh, sims


def test_corners_check_picks_the_rows_nearest_each_corner(isolated_cache, tmp_path):
    """Every engine/Quijote mean is 0.8 exactly (fake files: the engine × 1.25) only if the rows
    nearest each corner are picked; Quijote/HMcode is then 1.25 × engine/HMcode."""
    q, lh, _ = _fake_corner_quijote(tmp_path)
    corners = validate.corner_cosmologies()
    groups = validate.corner_rows(lh, 2)
    assert {name: r.tolist() for name, r in groups.items()} == {name: [2 * j, 2 * j + 1] for j, name in enumerate(corners)}
    table = validate.corners_check(TOY_QUIJOTE, n_rows=2, quijote_dir=q, progress=False)
    assert list(table["cosmologies"]) == list(corners) and not table["all_within"]
    for row in table["cosmologies"].values():
        np.testing.assert_allclose(row["sim_over_quijote"], 0.8, rtol=1e-6)
        np.testing.assert_allclose(row["quijote_over_hmcode"], 1.25 * np.array(row["sim_over_hmcode"]), rtol=1e-6)
        assert row["within"] == [False] * 3 and len(row["rows"]) == 2
    shown = corners_check_table(table)
    assert shown.shape == (5, 9) and shown.index[0].startswith("fiducial")


def test_steps_check_pairs_each_box_with_its_finer_stepped_twin(isolated_cache, tmp_path):
    """The step check re-runs the fiducial's and the (low Ωm, high σ8) corner's rows with more
    steps: at the preset's steps engine/Quijote is 0.8 exactly (fake files), and the gain is the
    per-box ratio of the finer-stepped run, recomputed here, to the coarse one."""
    q, lh, coarse = _fake_corner_quijote(tmp_path)
    with pytest.raises(ConfigError, match="more steps"):
        validate.steps_check(TOY_QUIJOTE, n_steps=TOY_QUIJOTE.n_steps, n_rows=2, quijote_dir=q, progress=False)
    t = validate.steps_check(TOY_QUIJOTE, n_steps=6, n_rows=2, quijote_dir=q, progress=False)
    assert list(t["cosmologies"]) == list(validate.STEPS_GROUPS) and t["n_steps"] == 6
    rows = np.array([0, 1, 4, 5])  # the fiducial's and "Om low, s8 high"'s rows in the fake table
    params = np.tile(validate.fiducial_vector(), (4, 1))
    params[:, :5] = lh[rows]
    fine, _ = validate.simulate_cached(params, validate.SEED_BASE + rows, replace(TOY_QUIJOTE, n_steps=6), progress=False)
    k_all = kbins(BOX).k
    idx = [int(np.argmin(abs(k_all - k))) for k in t["k"]]
    for j, name in enumerate(validate.STEPS_GROUPS):
        row = t["cosmologies"][name]
        assert row["rows"] == rows[2 * j:2 * j + 2].tolist()
        np.testing.assert_allclose(row["sim_over_quijote"], 0.8, rtol=1e-6)
        gain = fine["pk"][2 * j:2 * j + 2][:, idx] / coarse["pk"][rows[2 * j:2 * j + 2]][:, idx]
        np.testing.assert_allclose(row["gain"], gain.mean(axis=0), rtol=1e-5)
        np.testing.assert_allclose(row["sim_over_quijote_more_steps"], 0.8 * gain.mean(axis=0), rtol=1e-5)
        assert not np.allclose(row["gain"], 1.0)  # three steps and six differ
    assert steps_check_table(t).shape == (2, 9)


def test_physics_check_at_smoke_size(isolated_cache):
    """The machinery at smoke size (250 Mpc/h, 32³: the numbers mean little): every case is a
    same-seed ratio to the fiducial run, divided by its own reference; the f(R) boost grows with
    |f_R0| and the 1 eV marked spectrum falls far more than P (as in the engine's own tests)."""
    t = validate.physics_check(SMOKE, progress=False)
    c = t["cases"]
    assert list(c) == [f"{n}={v:g}" for n, v, _ in validate.PHYSICS_CASES] and t["s_per_sim"] > 0
    boosts = [c[f"fR0={v:g}"]["ratio"][1] for v in (-1e-6, -1e-5, -1e-4, -3e-4)]
    assert 1.0 < boosts[0] < boosts[1] < boosts[2] < boosts[3]
    assert c["Mnu=1"]["mpk_ratio"][1] < 0.9 and abs(c["Mnu=1"]["ratio"][1] - 1) < 0.05
    for row in c.values():
        assert 0.9 < row["over_linear_first_bin"] < 1.1 and all(0.85 < v < 1.15 for v in row["over_reference"])
    assert all(-1 <= c[w] <= 1 for c in t["cosine"].values() for w in ("unweighted", "modes"))
    shown = physics_check_table(t)
    assert shown.shape[0] == len(validate.PHYSICS_CASES) and "reference" in shown.columns


def test_png_check_at_smoke_size(isolated_cache):
    """The calibration's machinery on a small design at smoke size: every cosmology's five runs share a
    seed, the pairs' odd parts are the same-seed ratios, positive f_NL raises the small-scale power, and
    the fit reproduces from the recorded pairs; one-loop PT is recorded at the low-k bins."""
    from cosmotransfer.config import PNG_RESPONSE
    from cosmotransfer.png_response import RUNS, read_responses_from

    cal = {**PNG_RESPONSE, "n_cosmologies": 8, "held_out_every": 4}
    t = validate.png_check(SMOKE, progress=False, calibration=cal)
    assert t["n_sims"] == 8 * len(RUNS) and sum(t["held_out"]) == 2 and len(t["a_s"]) == 8
    resp = read_responses_from(t)
    k = np.asarray(t["k"])
    for shape, row in t["shapes"].items():
        odd = np.asarray(row["odd"])
        assert odd.shape == (8, len(k)) and np.median(odd[:, k > 0.2]) > 0
        assert set(row["held_out"]) == {"rms", "max", "signal_rms"} and len(row["pt"]["one_loop"]) == len(t["k_pt"])
        assert resp[shape](k, np.asarray(t["theta"][0]), 0.0, t["a_s"][0]) == pytest.approx(1.0)
    assert validate.png_check(SMOKE, progress=False, calibration=cal) == t  # cached boxes: the same table


def test_bad_input_gets_one_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="valid: hmcode, quijote, corners, steps, physics"):
        validate.write_check("quijote2")
    with pytest.raises(ConfigError, match="Quijote box"):
        validate.quijote_check(SMOKE)
    with pytest.raises(DataFileError, match="COSMOTRANSFER_QUIJOTE"):
        validate.quijote_check(TOY_QUIJOTE, quijote_dir=tmp_path)
    with pytest.raises(DataFileError, match="cosmotransfer validate-engine hmcode"):
        validate.read_check("hmcode", path=tmp_path / "missing.json")


# --- the shipped paper-preset tables (made with `cosmotransfer validate-engine`) -------------
def _shipped(check: str) -> dict:
    path = paths.engine_table(check, "paper")
    if not path.is_file():
        pytest.skip(f"{path} not made yet")
    return validate.read_check(check, "paper")


def test_shipped_hmcode_table():
    """The issue's tolerances (3 / 8 / 12% at k = 0.1 / 0.3 / 0.5) hold at the fiducial cosmology;
    at the (Ωm, σ8) corners of the BSQ prior they do not all hold (measured: Ωm = 0.5 is 8.1–8.6%
    under HMcode at k = 0.3; Ωm = 0.1 is 10–16% over at k = 0.1 and 20% under at k = 0.5 with
    σ8 = 1) — an open item of the engine issue. Held here: the fiducial to the tolerances and
    every corner to 25%, so a regression shows."""
    t = _shipped("hmcode")
    assert t["preset"]["n_particles"] == 256 and len(t["seeds"]) >= 5
    for name, row in t["cosmologies"].items():
        for m, tol, k in zip(row["mean"], t["tolerance"], t["k_targets"]):
            assert abs(m - 1) <= (tol if name == "fiducial" else 0.25), f"{name}: P/HMcode at k={k} is {m:.3f}"


def test_shipped_physics_table():
    """Neutrinos to 2% of HMcode-2020 for 0.1 and 0.4 eV, at the fiducial σ8 and at the fiducial A_s,
    and of one-loop SPT at k ≈ 0.1 for every mass. 1 eV misses HMcode-2020 by up to 2.9% either
    way, where CAMB's three ν-aware fits disagree with each other by more (HMcode-2016, halofit +
    Bird: the table's ``over_other_fits``): it is held within 2% of at least one of them at every
    k, and the ΛCDM run at 1 eV's fixed-A_s σ8 (0.608) follows HMcode-2020 to 2% — the miss is not
    the σ8 change. σ8 + 0.02 to 2% of HMcode; every first bin to 1% of linear theory. f(R): at
    k ≥ 0.05 to 3% of fremu in every bin, below it to 1.5% of linear theory; where the deviation
    from fremu over all its bins exceeds 3% (−1e-4, −3e-4), fremu itself strays from linear theory
    by more than 3% there."""
    t = _shipped("physics")
    assert {f"fR0={v:g}" for v in (-1e-6, -1e-5, -1e-4, -3e-4)} <= set(t["cases"])
    assert {f"{n}={v:g}" for n in ("Mnu", "Mnu_As") for v in (0.1, 0.4, 1)} <= set(t["cases"])
    for name, row in t["cases"].items():
        assert abs(row["over_linear_first_bin"] - 1) < 0.01, name
        if name.startswith("Mnu"):
            assert abs(row["over_spt_k01"] - 1) <= row["tolerance"], name
        if name in ("Mnu=0.1", "Mnu=0.4", "Mnu_As=0.1", "Mnu_As=0.4", "s8=0.854") or name.startswith("fR0"):
            assert all(abs(v - 1) <= row["tolerance"] for v in row["over_reference"]), name
        if name.startswith("fR0"):
            assert row["max_deviation_above"] <= row["tolerance"] and row["linear_deviation_below"] <= 0.015, name
            assert row["max_deviation"] <= row["tolerance"] or row["fremu_linear_deviation_below"] > row["tolerance"], name
        if name in ("Mnu=1", "Mnu_As=1"):
            fits = np.array([row["over_reference"]] + list(row["over_other_fits"].values()))
            assert np.all(np.min(np.abs(fits - 1), axis=0) <= row["tolerance"]), name
        if name == "s8=0.608":
            assert abs(row["s8"] - t["cases"]["Mnu_As=1"]["s8"]) < 1e-3
            assert all(abs(v - 1) <= row["tolerance"] for v in row["over_reference"]), name


def test_shipped_steps_table():
    """Twice the steps at the paper preset, same boxes: P gains little at k ≈ 0.1 (< 1%) and more at
    k ≈ 0.5, where the deficit against Quijote that remains is still larger than the gain — the
    small-scale deficit is mostly resolution, not time stepping (what keeps the preset at 10 steps)."""
    t = _shipped("steps")
    assert t["n_rows"] >= 8 and t["preset"]["n_particles"] == 256 and t["n_steps"] >= 2 * t["preset"]["n_steps"]
    assert set(t["cosmologies"]) == set(validate.STEPS_GROUPS)
    for name, row in t["cosmologies"].items():
        gain, left = np.array(row["gain"]), 1 - np.array(row["sim_over_quijote_more_steps"])
        assert abs(gain[0] - 1) < 0.01 and gain[-1] > 1, name
        assert left[-1] > gain[-1] - 1, name


def test_shipped_quijote_table(quijote_dir):
    from cosmotransfer.store import sha256_file

    t = _shipped("quijote")
    assert t["n_cosmologies"] >= 50
    for name, meta in t["inputs"].items():  # made from the files beside the project
        assert sha256_file(quijote_dir / meta["file"]) == meta["sha256"], name
    assert t["mpk_share_within"] >= 0.9
    k, med = np.array(t["arrays"]["k"]), np.array(t["arrays"]["pk_median"])
    assert np.all(np.abs(med[(k > 0.05) & (k <= 0.1)] - 1) < 0.05)


def test_shipped_marks_table(quijote_dir):
    """Made from the files beside the project, at the paper preset; the window the book uses is the
    one whose ratios stay closer to 1 where the windows differ (above the first k range)."""
    from cosmotransfer.config import MARK_WINDOW
    from cosmotransfer.store import sha256_file

    t = _shipped("marks")
    assert t["n_cosmologies"] >= 8 and t["preset"]["n_particles"] == 256 and t["adopted"] == MARK_WINDOW
    for name, meta in t["inputs"].items():
        assert sha256_file(quijote_dir / meta["file"]) == meta["sha256"], name
    assert validate.closest_window(t) == MARK_WINDOW, t["range_medians"]


def test_shipped_corners_table():
    """Refereed by the real Quijote runs nearest each (Ωm, σ8) corner (8 rows each), the engine is
    within the HMcode check's tolerances everywhere but Ωm = 0.1, σ8 = 1 at k = 0.5 (measured
    0.850 ± 0.022: held to 20% here, an open item of the engine issue), while HMcode-2020 itself is
    more than 8% off those Quijote runs at the Ωm = 0.1 corners (k ≈ 0.1) — the HMcode table's
    misses there are mostly HMcode's."""
    t = _shipped("corners")
    assert t["n_rows"] >= 8 and t["preset"]["n_particles"] == 256
    for name, row in t["cosmologies"].items():
        for j, (m, tol) in enumerate(zip(row["sim_over_quijote"], t["tolerance"])):
            allowed = 0.20 if (name, j) == ("Om low, s8 high", 2) else tol
            assert abs(m - 1) <= allowed, f"{name}: engine/Quijote at k={t['k_targets'][j]} is {m:.3f}"
    for name in ("Om low, s8 low", "Om low, s8 high"):
        assert abs(t["cosmologies"][name]["quijote_over_hmcode"][0] - 1) > 0.08
    if paths.QUIJOTE_DIR.is_dir():
        from cosmotransfer.store import sha256_file

        for meta in t["inputs"].values():
            assert sha256_file(paths.QUIJOTE_DIR / meta["file"]) == meta["sha256"]
