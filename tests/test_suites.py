import numpy as np
import pytest

from cosmotransfer.config import PARAM_NAMES, PRIORS, ConfigError
from cosmotransfer.suites import SUITES, design, get_suite, make_split, sim_seeds, split, validate_point

EXPECTED = {  # name: (points, used, sampler, varied)
    "bsq": (32768, 32768, "sobol", {"Om", "Ob", "h", "ns", "s8"}),
    "nwlh": (2000, 2000, "lh", {"Om", "Ob", "h", "ns", "s8", "Mnu", "w"}),
    "mg": (2048, 2000, "sobol", {"Om", "Ob", "h", "ns", "s8", "Mnu", "fR0"}),
    "png_eq": (1000, 1000, "lh", {"Om", "h", "ns", "s8", "fNL_equil"}),
    "png_lc": (1000, 1000, "lh", {"fNL_loc"}),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_design_sizes_ranges_and_fixed_values(name):
    n, n_used, sampler, varied = EXPECTED[name]
    s = get_suite(name)
    assert (s.n, s.n_used, s.sampler, set(s.varied)) == (n, n_used, sampler, varied)
    d = design(s, s.n)
    assert d.shape == (n, len(PARAM_NAMES))
    for j, p in enumerate(PARAM_NAMES):
        col = d[:, j]
        if p in s.varied:
            lo, hi = s.varied[p]
            assert PRIORS[p].lo <= lo < hi <= PRIORS[p].hi
            assert col.min() >= lo and col.max() <= hi
            # space-filling: every tenth of the range is populated in proportion
            counts = np.histogram(col, bins=10, range=(lo, hi))[0]
            assert counts.min() >= 0.8 * n / 10, (p, counts)
        else:
            assert np.all(col == s.value_of(p)), p
    assert set(s.targets) <= set(s.varied)


def test_specific_quijote_choices():
    assert SUITES["nwlh"].varied["Mnu"] == (0.01, 1.0) and "w" not in SUITES["nwlh"].targets
    assert SUITES["png_eq"].value_of("Ob") == 0.049
    assert SUITES["mg"].new_params == ("Mnu", "fR0")
    assert SUITES["png_lc"].new_params == ("fNL_loc",)
    d = design("png_lc")
    np.testing.assert_allclose(d[:, :5], np.tile([0.3175, 0.049, 0.6711, 0.9624, 0.834], (1000, 1)))


def test_designs_are_deterministic_and_prefix_stable():
    a = design("nwlh")
    b = design("nwlh")
    assert a.tobytes() == b.tobytes()
    np.testing.assert_array_equal(design("bsq", 100), design("bsq")[:100])  # smaller scales use a prefix
    assert not np.array_equal(design("nwlh")[:, :5], design("mg")[:2000, :5])


def test_sim_seeds_unique_across_suites():
    seeds = np.concatenate([sim_seeds(s, SUITES[s].n) for s in SUITES])
    assert len(np.unique(seeds)) == len(seeds)
    assert sim_seeds("nwlh")[7] == SUITES["nwlh"].seed_base + 7


@pytest.mark.parametrize("name", list(EXPECTED))
def test_split_fractions_disjoint_nested(name):
    s = get_suite(name)
    sp = split(s)
    n = s.n_used
    assert (len(sp.pool), len(sp.val)) == (int(0.7 * n), int(0.15 * n))
    allidx = np.concatenate([sp.pool, sp.val, sp.test])
    assert sorted(allidx) == list(range(n))
    prev = set()
    for N in (50, 75, 100, 125, 150, 200, 400, 700):
        cur = set(sp.train(N))
        assert len(cur) == N and prev <= cur
        prev = cur
    assert split(s).test.tobytes() == sp.test.tobytes()


def test_split_errors_and_generic_split():
    sp = make_split(100, seed=3)
    assert len(sp.pool) == 70 and len(sp.val) == 15 and len(sp.test) == 15
    with pytest.raises(ConfigError, match="train pool"):
        sp.train(71)


def test_bad_input_errors():
    with pytest.raises(ConfigError, match="valid suites: bsq, nwlh, mg, png_eq, png_lc"):
        get_suite("LH")
    with pytest.raises(ConfigError, match="has 1000 design points"):
        design("png_eq", 5000)
    with pytest.raises(ConfigError, match="outside its prior"):
        validate_point("nwlh", {"Mnu": 1.5})
    with pytest.raises(ConfigError, match="outside its prior"):
        validate_point("nwlh", {"Ob": 0.02})  # inside the prior table, outside nwLH's range
    with pytest.raises(ConfigError, match="unknown parameter"):
        validate_point("bsq", {"sigma8": 0.8})
    validate_point("nwlh", {"Mnu": 0.1, "Om": 0.3})
