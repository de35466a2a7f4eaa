"""The degeneracy audit: its table at the smoke scale, its rank correlation and its misses."""
import numpy as np
import pandas as pd
import pytest

from cosmotransfer import audit
from cosmotransfer.config import K_MAX, KMAX_CUTS


def test_audit_table_at_the_smoke_scale():
    t = audit.audit("smoke")
    assert set(t.columns) >= {"case", "param", "tier", "group", "cos_s8", "degeneracy", "ratio", "verdict",
                              "informative"}
    assert "png_lc" not in set(t.case)  # σ8 fixed: no σ8 response to compare with
    assert ((t.cos_s8 >= -1) & (t.cos_s8 <= 1)).all() and (t.degeneracy >= 1 - 1e-9).all()
    assert {"mnu_pk_q", "mnu_mpk_q", "mnu_p2mpk_q"} <= set(t.case)
    # cases that share a fine-tuning suite and statistic share their predictors
    real_mp = t[(t.group == "nwlh/quijote/mpk") & (t.param == "Mnu") & (t.k_max == K_MAX)]
    assert real_mp.cos_s8.nunique() == 1 and len(real_mp) == 3
    # the scale cuts: the same simulations (one bootstrap group), their own responses
    cuts = audit.scale_cuts(t)
    assert list(zip(cuts.stat, cuts.k_max)) == [(s, k) for s in ("mpk", "pk") for k in KMAX_CUTS + (K_MAX,)]
    assert cuts.groupby("stat").cos_s8.nunique().eq(3).all()
    assert set(cuts.group) == {"nwlh/quijote/mpk", "nwlh/quijote/pk"}


def table(pred, ratio, groups):
    return pd.DataFrame({"cos_s8": pred, "ratio": ratio, "group": groups,
                         "verdict": ["negative transfer" if r > 1.05 else "gain" if r < 0.95 else "no clear difference"
                                     for r in ratio]})


def test_rank_correlation_and_its_band():
    x = np.linspace(-1, 1, 12)
    t = table(x, 1.2 - 0.3 * x, [f"g{i // 2}" for i in range(12)])  # a perfect decreasing relation
    r = audit.rank_correlation(t, "cos_s8")
    assert r.rho == pytest.approx(-1.0) and r.lo == pytest.approx(-1.0) and r.n_groups == 6
    noisy = table(x, np.random.default_rng(1).permutation(1.2 - 0.3 * x), [f"g{i}" for i in range(12)])
    rn = audit.rank_correlation(noisy, "cos_s8")
    assert rn.hi - rn.lo > 0.3 and rn.lo < rn.rho < rn.hi


def test_misses_are_sign_disagreements():
    t = table([-0.8, -0.5, 0.4, 0.9], [1.3, 0.9, 1.2, 0.8], ["a", "b", "c", "d"])
    assert list(audit.misses(t).index) == [1, 2]
