"""Checks written and tested, waiting for a layer that has not landed yet (not discovered).

They need :mod:`theorylab.compressors` (``from_spec``, ``RandK``, ``TopK``; issue 2). When it
lands, ``git mv proofs_checks/pending/<module>.py proofs_checks/checks/`` (and move their
entries into ``tests/test_proofs_checks_montecarlo.py`` and ``tests/test_proofs_checks_suite.py``,
listed in each module's ``PENDING_TESTS``). Discovery only imports ``proofs_checks.checks``.
"""

# Test entries to move with the modules (wrong claim -> expected verdict; documented quick verdict).
PENDING_MC_CASES = {
    "poster.theorem3-plateau": ({"level_factor": 0.5}, "refuted"),
    "poster.theorem3-trajectory": ({"level_factor": 0.5}, "refuted"),
    "poster.theorem1-sde-tracks-dcsgd": ({"omega_scale": 3.0}, "refuted"),
    "poster.scaling-rules-measured": ({"alpha_rule": "beta*omega"}, "refuted"),
    "beznosikov.error-feedback-fixes-top1": ({"algorithms": ("cgd",)}, "refuted"),
    "lecture.per-round-bound-randk": ({"bound": "d/(1+omega)**2"}, "refuted"),
}
PENDING_EXPECTED = {
    "beznosikov.error-feedback-fixes-top1": "holds",
    "lecture.per-round-bound-randk": "proved",
    "poster.scaling-rules-measured": "holds",
    "poster.theorem1-sde-tracks-dcsgd": "holds",
    "poster.theorem3-plateau": "holds",
    "poster.theorem3-trajectory": "holds",
}
