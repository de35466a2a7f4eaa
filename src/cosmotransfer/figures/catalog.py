"""Every figure of the book: its ID, its chapter, its producer and the data it draws.

The showyourwork habit: a reader who sees a figure can find the function that drew it and the data
it came from without reading the notebook. A notebook publishes each figure under its ID
(:func:`cosmotransfer.figures.publish`), the page's caption names the producer, and the design
page's figure map lists this table (tests hold all three to it).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..config import lookup


@dataclass(frozen=True)
class Figure:
    """One book figure: ``id`` (``fig-<chapter number>-<name>``), the ``chapter`` notebook that
    publishes it, its ``producer`` (a function of :mod:`cosmotransfer.figures`, as
    ``module.function``), the ``data`` it draws, and ``table``: what the downloadable
    ``downloads/<id>.csv`` behind it holds ("" for a figure without one)."""

    id: str
    chapter: str
    producer: str
    data: str
    table: str = ""


#: The tidy sweep table (``sweeps.sweep``): one row per case, variant, pre-training size, N, member, parameter.
SWEEP_TABLE = "test MSE per case, variant, n_pretrain, N, member (training seed) and parameter"


def _design(suite: str) -> Figure:
    return Figure(f"fig-01-design-{suite.replace('_', '-')}", "01_data", "data.design_corner",
                  f"`suites.design` of `{suite}` (the scale's points)")


FIGURES: dict[str, Figure] = {f.id: f for f in [
    *(_design(s) for s in ("bsq", "nwlh", "mg", "png_eq", "png_lc", "lh")),
    Figure("fig-01-split", "01_data", "data.split_figure",
           "`suites.design` and `suites.split` of `nwlh`, the scale's budgets"),
    Figure("fig-01-kgrid", "01_data", "data.kgrid_figure", "`stats.kbins` of the Quijote box"),
    Figure("fig-01-emulated-spectra", "01_data", "emulated.spectra_by_parameter", "`data/emulated/nwlh.npz`"),
    Figure("fig-01-emulated-responses", "01_data", "emulated.responses", "`emulate.response` (CAMB HMcode-2020, fremu)"),
    Figure("fig-01-emulated-vs-quijote", "01_data", "emulated.quijote_comparison",
           "`data/reference/emulated_vs_quijote.json`"),
    Figure("fig-11-density-slices", "11_engine", "sim.density_slices", "`sim.simulate_fields` at the fiducial cosmology"),
    Figure("fig-11-engine-spectra", "11_engine", "sim.spectra", "`sim.simulate_fields`, one seed per cosmology"),
    Figure("fig-11-engine-vs-theory", "11_engine", "sim.ratio_to_theory", "the same runs; CAMB linear and HMcode-2020"),
    Figure("fig-11-engine-vs-quijote", "11_engine", "sim.quijote_check_figure",
           "`data/reference/engine_vs_quijote_paper.json`"),
    Figure("fig-11-png-responses", "11_engine", "png.response_ratios", "`sim.simulate_fields` with f_NL^loc, f_NL^equil"),
    Figure("fig-11-png-skewness", "11_engine", "png.initial_density_skewness", "`sim.png.skewness_study`"),
    Figure("fig-11-png-calibration", "11_engine", "png.response_calibration",
           "`png_response.calibration_curves` of the shipped `validate-engine png` table and the CPU-preset and emulated PNG suites"),
    Figure("fig-11-neutrino-ratios", "11_engine", "neutrinos.neutrino_ratios",
           "`sim.experiments.parameter_responses`; CAMB ν-aware fits; `perturbation.matter_power`"),
    Figure("fig-11-neutrino-responses", "11_engine", "neutrinos.response_figure", "`sim.experiments.parameter_responses`"),
    Figure("fig-11-fr-boost", "11_engine", "fofr.boost_vs_fremu", "`sim.experiments.simulate_boosts`; fremu; linear theory"),
    Figure("fig-01-simulated-nwlh", "01_data", "sim.suite_overview",
           "`data/simulated/cpu/nwlh.npz`; `data.suite_responses`"),
    Figure("fig-01-low-k-excess", "01_data", "emulated.low_k_excess_figure",
           "`emulate.low_k_excess` of the real LH (`data/quijote/lh.npz`) and CAMB"),
    Figure("fig-01-marks-vs-quijote", "01_data", "sim.marks_check_figure", "`data/reference/engine_vs_marks_paper.json`"),
    Figure("fig-02-pretrain-mse", "02_pretraining", "learning.pretrain_mse", "the pre-trained networks (`.cache/pretrain`)"),
    Figure("fig-02-truth-vs-prediction", "02_pretraining", "learning.truth_vs_prediction",
           "the largest pre-trained network on the BSQ test set"),
    Figure("fig-02-learning-curves", "02_pretraining", "learning.learning_curves", "the pre-training histories"),
    Figure("fig-02-pretrain-size", "02_pretraining", "learning.pretrain_size_ablation",
           "`sweeps.sweep('mnu_pk')` at both pre-training sizes", SWEEP_TABLE),
    Figure("fig-03-real-nwlh", "03_neutrinos", "sim.suite_overview", "`data/quijote/nwlh.npz`; `data.suite_responses`"),
    Figure("fig-03-real-pk", "03_neutrinos", "learning.transfers_vs_budget",
           "`sweeps.sweep` of `mnu_pk_q`, `mnu_pk_q_emu`", SWEEP_TABLE),
    Figure("fig-03-real-mpk", "03_neutrinos", "learning.transfers_vs_budget",
           "`sweeps.sweep` of `mnu_mpk_q`, `mnu_p2mpk_q`, `mnu_p2mpk_q_emu`", SWEEP_TABLE),
    Figure("fig-03-real-ratio", "03_neutrinos", "learning.transfer_ratio", "the same five sweeps", SWEEP_TABLE),
    Figure("fig-04-fr-budget", "04_modified_gravity", "learning.mse_vs_budget", "`sweeps.sweep('fr_pk')`", SWEEP_TABLE),
    Figure("fig-04-mg-responses", "04_modified_gravity", "fofr.suite_response_panel",
           "the MG suite file; `data.suite_responses`"),
    Figure("fig-05-png-eq", "05_png", "learning.mse_vs_budget", "`sweeps.sweep('png_eq')`", SWEEP_TABLE),
    Figure("fig-05-png-lc", "05_png", "learning.mse_vs_budget", "`sweeps.sweep('png_lc')`", SWEEP_TABLE),
    Figure("fig-05-png-eq-emu", "05_png", "learning.mse_vs_budget", "`sweeps.sweep('png_eq_emu')`", SWEEP_TABLE),
    Figure("fig-05-png-lc-emu", "05_png", "learning.mse_vs_budget", "`sweeps.sweep('png_lc_emu')`", SWEEP_TABLE),
    Figure("fig-06-variants", "06_architectures", "learning.variants_by_case",
           "`sweeps.sweep` of every case in `config.RANKING_CASES`, all variants", SWEEP_TABLE),
    Figure("fig-07-signed-pk", "07_shap", "shap.case_signed_figure", "`explain.explain_case('mnu_pk')`; suite responses"),
    Figure("fig-07-regions-pk", "07_shap", "shap.case_region_figure", "`explain.case_regions` of `explain.explain_case('mnu_pk')`"),
    Figure("fig-07-heatmap-pk", "07_shap", "shap.case_heatmap", "`explain.explain_case('mnu_pk')`"),
    Figure("fig-07-signed-mpk", "07_shap", "shap.case_signed_figure", "`explain.explain_case('mnu_mpk')`; engine responses"),
    Figure("fig-07-regions-mpk", "07_shap", "shap.case_region_figure",
           "`explain.case_regions` of `explain.explain_case('mnu_mpk')`"),
    Figure("fig-07-heatmap-mpk", "07_shap", "shap.case_heatmap", "`explain.explain_case('mnu_mpk')`"),
    Figure("fig-08-predictors", "08_negative_transfer", "audit.predictor_vs_ratio",
           "`audit.audit` of `config.AUDIT_CASES`",
           "per case and parameter: the predictors, the measured transfer/scratch ratio and its verdict"),
    Figure("fig-08-mitigations-mpk", "08_negative_transfer", "learning.mse_vs_budget",
           "`sweeps.sweep('mnu_p2mpk_q')` with the mitigations of `transfer.mitigations_for`", SWEEP_TABLE),
    Figure("fig-08-mitigations-mpk-mpk", "08_negative_transfer", "learning.mse_vs_budget",
           "`sweeps.sweep('mnu_mpk_q')` with the mitigations of `transfer.mitigations_for`", SWEEP_TABLE),
    Figure("fig-08-mitigations-pk", "08_negative_transfer", "learning.mse_vs_budget",
           "`sweeps.sweep('mnu_pk_q')` with the mitigations of `transfer.mitigations_for`", SWEEP_TABLE),
    Figure("fig-09-posterior-scores", "09_posteriors", "posterior.scores_vs_budget",
           "`posterior.posterior_sweeps` of the cases in `config.POSTERIOR_SETTINGS`",
           "per case, variant, N, member (training seed) and parameter: the run's log density of the truth, the "
           "68 % width (parameter units), the bias and rms of z, the coverage and TARP errors"),
    Figure("fig-09-coverage", "09_posteriors", "posterior.coverage_figure",
           "`posterior.posterior_run` at the reference budget, scratch and transfer"),
    Figure("fig-09-joint-posteriors", "09_posteriors", "posterior.joint_posteriors",
           "`posterior.joint_draws` of two test simulations"),
]}


def get_figure(fig_id: str) -> Figure:
    """The catalog entry of ``fig_id``; a clear error naming the valid IDs otherwise."""
    return lookup(FIGURES, fig_id, "figure ID")
