"""The two maintained Python libraries with REML, checked against each other and against the pooling.

PyMetaAnalysis (`meta_analyze`) gives the project's REML; PyMARE is the second opinion: its REML
estimate, tau2 and Hartung-Knapp interval (its default) must agree with the project's to 1e-6 on
metafor's dat.bcg log RR. PyMetaAnalysis' DL and PM must agree with the statsmodels ones the project
keeps for those methods. metafor itself is the reference in tests/test_metafor.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ketamine_evidence.transform.meta import pool_proportions, pool_ratio
from tests.transform.test_meta import _bcg_arrays, _log_rr, num

TOL = 1e-6


def test_pymare_reml_agrees_with_the_projects_reml() -> None:
    pymare = pytest.importorskip("pymare", reason="PyMARE is a dev dependency (pip install -e '.[dev]')")
    y, v = _log_rr()
    estimator = pymare.estimators.VarianceBasedLikelihoodEstimator(method="REML")
    estimator.fit_dataset(pymare.Dataset(y=y, v=v))
    summary = estimator.summary()
    fixed = summary.get_fe_stats()
    ours = pool_ratio(*_bcg_arrays(), measure="RR", method="reml")
    hk = pool_ratio(*_bcg_arrays(), measure="RR", method="reml", hartung_knapp=True)
    assert abs(float(np.ravel(fixed["est"])[0]) - num(ours.log_estimate)) < TOL
    assert abs(float(np.ravel(summary.tau2)[0]) - num(ours.tau2)) < TOL
    assert abs(float(np.ravel(fixed["ci_l"])[0]) - math.log(num(hk.ci_lower))) < TOL
    assert abs(float(np.ravel(fixed["ci_u"])[0]) - math.log(num(hk.ci_upper))) < TOL


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_pymetaanalysis_agrees_with_statsmodels(method: str) -> None:
    import meta_analyze

    y, v = _log_rr()
    theirs = meta_analyze.meta_analysis(effect=y, variance=v, model="random", tau2_method=method.upper(),
                                        atol=1e-12)
    ours = pool_ratio(*_bcg_arrays(), measure="RR", method=method)
    assert abs(theirs.estimate - num(ours.log_estimate)) < TOL
    assert abs(theirs.tau2 - num(ours.tau2)) < TOL
    assert abs(theirs.ci[0] - math.log(num(ours.ci_lower))) < TOL
    assert theirs.prediction_interval is not None
    assert abs(theirs.prediction_interval[0] - math.log(num(ours.pi_lower))) < TOL


def test_reml_edge_cases_are_defined() -> None:
    single = pool_ratio([3], [10], [5], [10], method="reml")
    assert single.status == "single_study" and single.tau2 is None and single.method == "reml"
    two = pool_proportions([3, 6], [10, 12], "reml", hartung_knapp=True)
    assert two.status == "pooled" and two.pi_lower is None and two.hartung_knapp
    homogeneous = pool_proportions([5, 10, 20], [10, 20, 40], "reml")
    assert homogeneous.tau2 == pytest.approx(0.0, abs=1e-12) and homogeneous.pi_lower is not None
    assert pool_proportions([0, 0], [10, 12], "reml").status == "no_events"


def test_reml_lies_between_or_near_dl_and_pm_on_dat_bcg() -> None:
    tau2 = {m: num(pool_ratio(*_bcg_arrays(), measure="RR", method=m).tau2) for m in ("dl", "pm", "reml")}
    assert tau2["dl"] < tau2["reml"] < tau2["pm"]
