import numpy as np

from cosmotransfer.config import K_F, K_MAX, N_KBINS
from cosmotransfer.stats import kbins


def test_kgrid_matches_quijote_file(quijote_k):
    kb = kbins()
    assert len(kb) == N_KBINS == len(quijote_k)
    np.testing.assert_allclose(kb.k, quijote_k, rtol=2e-4)


def test_kgrid_structure():
    kb = kbins()
    assert kb.index[0] == 1 and np.all(np.diff(kb.index) == 1)  # DC dropped, contiguous shells
    assert kb.k[-1] <= K_MAX < (kb.index[-1] + 1.5) * K_F
    assert np.all((kb.k >= kb.edges[:-1]) & (kb.k < kb.edges[1:]))
    # first shell: |n| in [1, 2): 6 faces + 12 edges + 8 corners
    assert kb.n_modes[0] == 26
    np.testing.assert_allclose(kb.k[0] / K_F, (6 + 12 * np.sqrt(2) + 8 * np.sqrt(3)) / 26)
    # shells hold about 4π i² modes
    i = kb.index[-10:]
    np.testing.assert_allclose(kb.n_modes[-10:], 4 * np.pi * (i + 0.5) ** 2, rtol=0.03)


def test_smaller_box_has_coarser_grid():
    kb = kbins(250.0)
    assert len(kb) < N_KBINS and abs(kb.kf - 4 * K_F) < 1e-12
