import numpy as np
import pytest

from cosmotransfer.config import (
    LCDM_PARAMS, PARAM_NAMES, PRIORS, SCALES, SIM_PRESETS, ConfigError, check_in_prior, fiducial_vector, get_param,
    get_scale, get_sim_preset,
)


def test_prior_table_is_complete_and_consistent():
    assert PARAM_NAMES == ("Om", "Ob", "h", "ns", "s8", "Mnu", "w", "fR0", "fNL_loc", "fNL_equil")
    for p in PRIORS.values():
        assert p.lo < p.hi, p.name
        assert p.lo <= p.fiducial <= p.hi, p.name
        assert p.label
    # the paper's target-scaling bounds
    assert (PRIORS["Ob"].lo, PRIORS["Ob"].hi) == (0.02, 0.08)
    assert (PRIORS["fR0"].lo, PRIORS["fR0"].hi) == (-3e-4, 0.0)
    assert (PRIORS["fNL_equil"].lo, PRIORS["fNL_equil"].hi) == (-600.0, 600.0)
    assert LCDM_PARAMS == PARAM_NAMES[:5]
    np.testing.assert_allclose(fiducial_vector()[:5], [0.3175, 0.049, 0.6711, 0.9624, 0.834])


def test_scaling_round_trip_and_prior_mean_score():
    p = PRIORS["s8"]
    x = np.linspace(p.lo, p.hi, 7)
    np.testing.assert_allclose(p.unscale(p.scale(x)), x)
    assert p.scale(p.lo) == 0 and p.scale(p.hi) == 1
    # predicting the prior mean of a uniform target scores 1/12 in scaled MSE
    u = p.scale(np.random.default_rng(0).uniform(p.lo, p.hi, 200_000))
    assert abs(np.mean((u - 0.5) ** 2) - 1 / 12) < 1e-3


def test_out_of_prior_raises_naming_the_range():
    check_in_prior("Om", [0.1, 0.3, 0.5])
    with pytest.raises(ConfigError, match=r"Om=0.6 lies outside its prior \[0.1, 0.5\]"):
        check_in_prior("Om", [0.3, 0.6])
    with pytest.raises(ConfigError, match="outside"):
        check_in_prior("Mnu", float("nan"))


def test_unknown_names_list_the_valid_choices():
    with pytest.raises(ConfigError, match="valid parameters: Om, Ob"):
        get_param("Omega_m")
    with pytest.raises(ConfigError, match="valid scales: smoke, book, paper"):
        get_scale("huge")
    with pytest.raises(ConfigError, match="valid presets: smoke, cpu, book, paper"):
        get_sim_preset("huge")


def test_sim_presets_keep_the_paper_resolution():
    """Every preset but smoke has the paper's particle spacing, force cell and steps; only the box differs."""
    paper = SIM_PRESETS["paper"]
    for name in ("cpu", "book"):
        p = SIM_PRESETS[name]
        assert p.box / p.n_particles == paper.box / paper.n_particles
        assert p.box / p.n_mesh == paper.box / paper.n_mesh
        assert (p.n_steps, p.z_init) == (paper.n_steps, paper.z_init)
    for sc in SCALES.values():  # every scale reads suites of a known preset, at most as many as it uses
        get_sim_preset(sc.suite_preset)
        for suite, n in sc.n_simulated.items():
            assert n <= (sc.n_suite.get(suite) or n)
        assert sc.pretrain_sizes("simulated") and max(sc.pretrain_sizes("simulated")) <= max(sc.n_pretrain)
    assert get_scale("book").pretrain_sizes("simulated") == (1400,)  # the train pool of 2,000 boxes
    assert get_scale("book").pretrain_sizes("emulated") == (2000, 22000)


def test_scales_are_ordered_by_cost():
    s, b, p = (get_scale(n) for n in ("smoke", "book", "paper"))
    assert set(SCALES) == {"smoke", "book", "paper"}
    for suite in ("bsq", "nwlh", "mg", "png_eq", "png_lc"):
        assert s.n_suite[suite] <= b.n_suite[suite] <= p.n_suite[suite]
    assert s.max_epochs < b.max_epochs <= p.max_epochs
    assert p.budgets == (50, 75, 100, 125, 150, 200, 400, 800, 1400)
    assert p.sim.box == 1000.0 and p.sim.n_particles == 256 and p.sim.n_mesh == 512
