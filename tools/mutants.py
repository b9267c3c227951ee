"""Mutation audit: plant one plausible bug at a time and see whether the test suite notices.

Each mutant replaces one exact snippet of the source by a wrong one. The script copies the
tree (tracked files only) to a scratch directory, applies one mutant, runs the test files
named for it (``pytest -x``: the first failing test kills the mutant) and restores the file.
A mutant whose snippet is no longer in the tree is reported as ``n/a`` (the code moved):
update its snippet rather than drop it.

    python tools/mutants.py                 # all mutants, table on stdout
    python tools/mutants.py --only estimate # ids containing "estimate"
    python tools/mutants.py --json out.json --rev HEAD

The test selection per mutant is the layer's test files (globs below), not the whole suite,
and never the golden table of all verdicts (``test_proofs_checks_suite.py``): a mutant that only
a far-away test or the golden table would notice counts as surviving, so the kill rate is a
lower bound.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

SYMBOLIC = "tests/test_symbolic*.py tests/test_proofs_checks*.py tests/test_claims*.py"
COMPRESSORS = "tests/test_compressors*.py tests/test_testing*.py tests/test_calibration*.py tests/test_exact*.py"
TESTING = "tests/test_testing*.py tests/test_calibration*.py tests/test_compressors*.py"
SIMULATE = ("tests/test_simulate*.py tests/test_calibration*.py tests/test_exact*.py tests/test_algorithms*.py "
            "tests/test_kernels*.py")
OPTIONS = "tests/test_options.py"  # every option at a value where it matters (run first: -x stops there)
WORST = "tests/test_worst_case.py"
STORE = "tests/test_sweep_faults.py tests/test_sweep_cluster.py tests/test_sweep_spec.py"
EXPERIMENT = "tests/test_experiment.py tests/test_sweep_spec.py tests/test_simulate_cli.py tests/test_cli_errors.py"
# the claim helpers' soundness suite first (fast: -x stops at its first failure), then the layer's tests
CLAIMS = "tests/test_claims_soundness.py tests/test_claims*.py tests/test_symbolic_soundness.py"
LABELS = "tests/test_sound_labels.py"
# the red-team statements first (each stopped at its time budget), then the claims' layer
REDTEAM = "tests/test_claims_redteam.py tests/test_claims_soundness.py tests/test_claims*.py"
CHECKS = "tests/test_proofs_checks*.py tests/test_claims*.py tests/test_calibration*.py tests/test_exact_calibration*.py"


@dataclass(frozen=True)
class Mutant:
    """One planted bug: replace ``old`` by ``new`` in ``path``; ``alts`` are ``(path, old, new)``
    for the same bug where the code has moved or been rewritten (the first that matches is used)."""

    id: str
    path: str
    old: str
    new: str
    tests: str
    what: str
    alts: tuple[tuple[str, str, str], ...] = ()


MUTANTS: tuple[Mutant, ...] = (
    # --- symbolic
    Mutant("bounds.delta-without-2", "theorylab/symbolic/bounds.py",
           "rate = 1 - eta * L**2 * omega / (2 * mu * N)", "rate = 1 - eta * L**2 * omega / (mu * N)", SYMBOLIC,
           "Theorem 3's Delta without its factor 2"),
    Mutant("classes.undetermined-sign", "theorylab/symbolic/classes.py",
           "    if c.is_nonnegative:\n        return True", "    if not c.is_negative:\n        return True", SYMBOLIC,
           "a certificate coefficient of undetermined sign accepted",
           (("theorylab/symbolic/classes.py", "    if c.is_nonnegative is True:\n        return True",
             "    if c.is_negative is not True:\n        return True"),)),
    Mutant("classes.term-sign", "theorylab/symbolic/classes.py",
           "    if not e.is_nonnegative:\n        raise", "    if e.is_negative:\n        raise", SYMBOLIC,
           "a certificate term of undetermined sign accepted",
           (("theorylab/symbolic/classes.py", "    if e.is_nonnegative is not True:\n        raise",
             "    if e.is_negative is True:\n        raise"),)),
    Mutant("xi.m-gamma", "theorylab/symbolic/xi.py",
           "return sp.gamma((nu_ + 1) / 2) / (sp.sqrt(sp.pi * nu_) * sp.gamma(nu_ / 2))",
           "return sp.gamma((nu_ + 1) / 2) / (sp.sqrt(2 * sp.pi * nu_) * sp.gamma(nu_ / 2))", SYMBOLIC,
           "Student-t density constant M_nu off by sqrt(2)"),
    Mutant("noise.student-scale", "theorylab/simulate/noise.py", "return z / xp.sqrt(chi2 / self.nu)",
           "return z / xp.sqrt(chi2 / (self.nu + 1))", SIMULATE, "Student-t draws (cupy path) with the wrong scale"),
    Mutant("sde.diffusion-eta", "theorylab/symbolic/sde.py",
           "cov_diag=eta / N * (1 - e_sign**2)", "cov_diag=eta * (1 - e_sign**2)", SYMBOLIC,
           "DSignSGD diffusion without 1/N"),
    Mutant("bounds.level-4", "theorylab/symbolic/bounds.py",
           "rate = ell * sp.sqrt(B) / sigma", "rate = ell * B / sigma", SYMBOLIC,
           "Theorem 4's Delta with B instead of sqrt(B)"),
    # --- the claims' decision procedure and domain conditions
    Mutant("decision.unknown-as-unsat", "theorylab/claims/decision.py",
           '    if r == z3.unknown:\n        return done("unknown", f"z3 returned unknown ({s.reason_unknown()})"',
           '    if r == z3.unknown:\n        r = z3.unsat\n    if r is None:\n'
           '        return done("unknown", f"z3 returned unknown ({s.reason_unknown()})"', CLAIMS,
           "z3's 'unknown' (a timeout) accepted as unsat, i.e. as a proof"),
    Mutant("decision.skip-domain", "theorylab/claims/decision.py", "    conds = merge(dom, stmt_conds)\n",
           "    conds = merge()\n", CLAIMS, "the decision procedure skips the domain conditions (z/z = 1 proved)"),
    Mutant("symbolic.skip-domain", "theorylab/claims/symbolic.py", "    for i, cond in enumerate(c.conds):\n",
           "    for i, cond in enumerate(c.conds[:0]):\n", CLAIMS,
           "the sympy path skips the domain conditions (exp(log(z)) = z proved for real z)"),
    Mutant("parse.decimal-as-float", "theorylab/symbolic/parse.py", "            return _exact_decimal(src)\n",
           "            return sp.Float(v)\n", CLAIMS, "decimals read as 15-digit Floats (1 + 1e-17 = 1 proved)"),
    Mutant("symbolic.nonneg-negative-power", "theorylab/claims/symbolic.py",
           "        if e.exp.is_nonnegative is True and _nonneg(e.base):\n", "        if _nonneg(e.base):\n", CLAIMS,
           "a negative power of a nonnegative base accepted as nonnegative (1/w >= 0 for w >= 0)"),
    Mutant("symbolic.slack-strict-upper", "theorylab/claims/symbolic.py",
           "            strict = lower[s][1] if s in lower else upper[s][1]\n",
           "            strict = (s in lower and lower[s][1]) or (s in upper and upper[s][1])\n", CLAIMS,
           "a strict upper bound makes the slack positive, so the closed lower end is never looked at"),
    Mutant("decision.minimal-polynomial-first", "theorylab/claims/decision.py",
           "    if near_zero and (v.is_algebraic or v.has(sp.CRootOf)) and _small_degree(v):\n",
           "    if v.is_algebraic or v.has(sp.CRootOf):\n", REDTEAM,
           "the minimal polynomial asked for every algebraic number, however far from 0 (atan(tan(x)) = x on "
           "(-pi/2, pi/2) hangs on cos of a rational multiple of pi with a large denominator)"),
    Mutant("symbolic.rewrite-large", "theorylab/claims/symbolic.py",
           "    return e if _terms(e) > _MAX_TERMS else f(e)\n", "    return f(e)\n", REDTEAM,
           "the sign rules simplify/factor an expression too large to expand (a degree-20 polynomial in 6 "
           "symbols runs minutes past its 2 s timeout)"),
    Mutant("fixed-point.unit-modulus-refutes", "theorylab/claims/fixed_points.py",
           "                if part.status is Status.REFUTED and not affine:\n", "                if False:\n",
           REDTEAM, "|T'(x̂)| = 1 taken as 'not attracting' for a nonlinear update (0 is refuted as an "
           "attracting point of x - eta*x**3, which attracts)"),
    Mutant("decision.huge-power-at-point", "theorylab/claims/decision.py",
           "    if _huge_at(rel, point):\n        return None\n", "", REDTEAM,
           "a sampled point substituted into x**(10**9 + 1) exactly (a rational power of ~5e9 bits: hangs)"),
    Mutant("fixed-point.signed-spectral-radius", "theorylab/claims/fixed_points.py",
           "            mods = [sp.Abs(e) for e in eig]\n", "            mods = [e for e in eig]\n", f"{OPTIONS} {CLAIMS}",
           "the spectral radius taken as the largest eigenvalue, not the largest modulus"),
    # --- compressors
    Mutant("natural.bits", "theorylab/compressors/natural.py", "return 9 * d", "return 8 * d", COMPRESSORS,
           "C_nat bits 9d -> 8d"),
    Mutant("qsgd.linf-omega-loose", "theorylab/compressors/qsgd.py",
           "return sp.Min((d - 1) / (4 * s**2), sp.sqrt(d - 1) / (2 * s))",
           "return sp.Min(d / (4 * s**2), sp.sqrt(d) / (2 * s))", COMPRESSORS, "QSGD l_inf omega loosened (d-1 -> d)"),
    Mutant("randk.scale", "theorylab/compressors/randk.py", "        return d / self.k\n",
           "        return d / (self.k + 1)\n", COMPRESSORS, "Rand-k scaled by d/(k+1)"),
    Mutant("randk.omega", "theorylab/compressors/randk.py", "return d / sp.Integer(self.k) - 1",
           "return d / sp.Integer(self.k) - 2", COMPRESSORS, "Rand-k omega understated by 1"),
    Mutant("bernoulli.scale", "theorylab/compressors/bernoulli.py", "x / x.dtype.type(self.p)",
           "x / x.dtype.type(self.p * 1.05)", COMPRESSORS, "Bernoulli divides by 1.05 p"),
    Mutant("bernoulli.omega", "theorylab/compressors/bernoulli.py", "return 1 / sp.nsimplify(self.p) - 1",
           "return 1 / sp.nsimplify(self.p) - sp.Rational(3, 2)", COMPRESSORS, "Bernoulli omega understated"),
    Mutant("topk.smallest", "theorylab/compressors/topk.py", "mask = topk_mask(xp.abs(x), self.k, xp)",
           "mask = topk_mask(-xp.abs(x), self.k, xp)", COMPRESSORS, "Top-k keeps the smallest entries"),
    Mutant("qsgd.levels", "theorylab/compressors/qsgd.py", "xi = (lev + up) / x.dtype.type(self.s)",
           "xi = (lev + up) / x.dtype.type(self.s + 1)", COMPRESSORS, "QSGD levels divided by s+1"),
    # --- testing kit
    Mutant("stats.bernstein-range", "theorylab/testing/_stats.py",
           "+ 7.0 * L * rng_width / (3.0 * (n - 1))", "+ 0.0 * L * rng_width / (3.0 * (n - 1))", TESTING,
           "empirical-Bernstein range term dropped"),
    Mutant("stats.bernstein-variance", "theorylab/testing/_stats.py", "np.sqrt(2.0 * L / n) * std",
           "np.sqrt(L / n) * std", TESTING, "empirical-Bernstein variance term halved"),
    # --- simulate
    Mutant("estimate.one-sided-t", "theorylab/simulate/estimate.py",
           "half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))",
           "half = float(stats.t.ppf(confidence, n - 1) * x.std(ddof=1) / math.sqrt(n))", SIMULATE,
           "stationary t-interval with a one-sided quantile"),
    Mutant("estimate.curve-one-sided", "theorylab/simulate/estimate.py",
           "half = stats.t.ppf(0.5 + confidence / 2, n - 1) * vals.std(axis=1, ddof=1) / math.sqrt(n)",
           "half = stats.t.ppf(confidence, n - 1) * vals.std(axis=1, ddof=1) / math.sqrt(n)", SIMULATE,
           "pointwise curve interval with a one-sided quantile"),
    Mutant("estimate.std-ddof", "theorylab/simulate/estimate.py", "* x.std(ddof=1) / math.sqrt(n))",
           "* x.std(ddof=1) / n)", SIMULATE, "standard error divided by n instead of sqrt(n)"),
    Mutant("verdict.no-bonferroni", "theorylab/simulate/verdict.py", "per_point = 1 - (1 - confidence) / p",
           "per_point = confidence", SIMULATE, "trajectory band without the correction over record times"),
    Mutant("verdict.midpoint", "theorylab/simulate/verdict.py", "    if bound > hi:\n",
           "    if bound > 0.5 * (lo + hi):\n", SIMULATE, "holds when the bound exceeds the interval's midpoint",
           (("theorylab/claims/band.py", "    if low <= lower and upper <= high:\n        return Status.HOLDS",
             "    if low <= 0.5 * (lower + upper) <= high:\n        return Status.HOLDS"),)),
    Mutant("models.sigma-mean", "theorylab/simulate/models.py",
           'sig = _sigma_eff(noise, n)\n        values["sigma"] = float(np.max(sig))',
           'sig = _sigma_eff(noise, n)\n        values["sigma"] = float(np.mean(sig))', SIMULATE,
           "per-agent sigma_i combined by mean instead of max"),
    Mutant("optimizers.sign-of-mean", "theorylab/simulate/optimizers.py",
           "xp.mean(xp.sign(problem.agent_grads(x) + noise.sample(shape, rng, xp)), axis=1)",
           "xp.sign(xp.mean(problem.agent_grads(x) + noise.sample(shape, rng, xp), axis=1))", SIMULATE,
           "DSignSGD takes the sign of the mean, not the mean of signs"),
    Mutant("noise.student-variance", "theorylab/simulate/noise.py", "self.nu / (self.nu - 2.0)",
           "self.nu / (self.nu - 1.0)", SIMULATE, "Student-t variance nu/(nu-1)"),
    Mutant("noise.batch", "theorylab/simulate/noise.py", "/ math.sqrt(self.batch)", "/ self.batch", SIMULATE,
           "noise scaled by 1/B instead of 1/sqrt(B)"),
    Mutant("problems.sinpl-grad", "theorylab/simulate/problems.py", "return 2.0 * x + 3.0 * xp.sin(2.0 * x)",
           "return 2.0 * x + 3.0 * xp.sin(x)", SIMULATE, "sinpl gradient wrong"),
    Mutant("sde.brownian-scale", "theorylab/simulate/sde.py", "sq = math.sqrt(hf)", "sq = hf", SIMULATE,
           "Brownian increments scaled by h instead of sqrt(h)"),
    Mutant("estimate.drift-level", "theorylab/simulate/estimate.py",
           "DRIFT_FALSE_ALARM = 1e-3", "DRIFT_FALSE_ALARM = 1e-1", SIMULATE,
           "stationarity drift test at 1e-1 instead of 1e-3",
           (("theorylab/simulate/estimate.py", "TREND_Z = float(stats.norm.ppf(1 - 0.5e-3))",
             "TREND_Z = float(stats.norm.ppf(1 - 0.5e-1))"),)),
    Mutant("estimate.drift-normal", "theorylab/simulate/estimate.py",
           "float(2 * stats.t.sf(abs(z), diff.size - 1))", "float(2 * stats.norm.sf(abs(z)))", SIMULATE,
           "paired drift test with a normal quantile instead of Student-t"),
    Mutant("problems.grad-rotation", "theorylab/simulate/problems.py",
           "return ((x @ q.T) * self._on(\"eigenvalues\", xp)) @ q",
           "return ((x @ q) * self._on(\"eigenvalues\", xp)) @ q", SIMULATE, "rotated quadratic gradient uses Q not Q^T"),
    # --- claim machinery and checks
    Mutant("montecarlo.point-in-band", "proofs_checks/montecarlo.py", "    if a <= lo and hi <= b:",
           "    if a <= 0.5 * (lo + hi) <= b:", CHECKS,
           "two-sided tolerance holds when the point estimate is inside the band",
           (("theorylab/claims/montecarlo.py", "    return within(bound, rtol=two_sided_tol).status(lo, hi)",
             "    return within(bound, rtol=two_sided_tol).status(0.5 * (lo + hi), 0.5 * (lo + hi))"),)),
    Mutant("verdict.combine-max", "proofs_checks/verdict.py", "conf = min(confs) if confs else None",
           "conf = max(confs) if confs else None", CHECKS, "combined holds reports the largest part confidence",
           (("theorylab/claims/verdict.py", "        total = math.fsum(rates)", "        total = min(rates)"),)),
    Mutant("verdict.combine-order", "proofs_checks/verdict.py",
           'order = {"error": 0, "refuted": 1, "inconclusive": 2, "holds": 3, "proved": 4}',
           'order = {"error": 0, "refuted": 3, "inconclusive": 2, "holds": 1, "proved": 4}', CHECKS,
           "combine lets holds win over refuted",
           (("theorylab/claims/status.py", "SEVERITY: dict[Status, int] = {Status.ERROR: 0, Status.REFUTED: 1, Status.INCONCLUSIVE: 2, Status.HOLDS: 3,",
             "SEVERITY: dict[Status, int] = {Status.ERROR: 0, Status.REFUTED: 3, Status.INCONCLUSIVE: 2, Status.HOLDS: 1,"),)),
    # --- options exercised where they matter (the mutation audit's survivors and their kinds)
    Mutant("scaffold.partial-control-1-over-S", "theorylab/simulate/algorithms/scaffold.py",
           "s.c += dc.sum(axis=1) / ctx.n", "s.c += dc.sum(axis=1) / n_s", f"{OPTIONS} {SIMULATE}",
           "SCAFFOLD's server control averaged over the S sampled clients, not over N"),
    Mutant("fedavg.server-lr-ignored", "theorylab/simulate/algorithms/fedavg.py",
           'k, lr, n_s = ctx.cache["fed"]', 'k, _lr, n_s = ctx.cache["fed"]\n        lr = 1.0',
           f"{OPTIONS} {SIMULATE}", "FedAvg's server step size has no effect"),
    Mutant("fedavg-m.momentum-ignored", "theorylab/simulate/algorithms/fedavg_m.py",
           'beta = ctx.cache["beta"]', "beta = 1.0", f"{OPTIONS} {SIMULATE}", "FedAvg-M's momentum has no effect"),
    Mutant("federated.participation-ignored", "theorylab/simulate/algorithms/_federated.py",
           's = ctx.n if s_raw is None else positive_int("participation S", s_raw)',
           's = ctx.n if s_raw is None else ctx.n + 0 * positive_int("participation S", s_raw)',
           f"{OPTIONS} {SIMULATE}", "client sampling ignored: every client takes part"),
    Mutant("exact.atc-noise-unmixed", "theorylab/simulate/exact/algorithms.py",
           'Q = gamma**2 * np.einsum("pq,jq,rq->jpr", w, v, w)', "Q = gamma**2 * v[:, :, None] * eye[None]",
           f"{OPTIONS} {SIMULATE}", "exact ATC gossip: the noise covariance not mixed by W (γ²V, not γ²WVWᵀ)"),
    Mutant("exact.fedavg-server-lr-ignored", "theorylab/simulate/exact/algorithms.py",
           "new = x + acc.scale(np.full(d, server_lr / s))", "new = x + acc.scale(np.full(d, 1.0 / s))",
           f"{OPTIONS} tests/test_engines_agree.py {SIMULATE}", "exact FedAvg ignores the server step size"),
    Mutant("exact.scaffold-server-lr-ignored", "theorylab/simulate/exact/algorithms.py",
           "new_x = x + dx.scale(np.full(d, server_lr / n))", "new_x = x + dx.scale(np.full(d, 1.0 / n))",
           f"{OPTIONS} tests/test_engines_agree.py {SIMULATE}", "exact SCAFFOLD ignores the server step size"),
    # --- worst-case certificates (exact checks of the SDP's dual)
    Mutant("worst.negative-multiplier-accepted", "theorylab/claims/worst_case/certificate.py",
           '        if v < 0 and c.kind == "ineq":', '        if v < 0 and c.kind == "ineq" and False:', WORST,
           "a certificate with a negative multiplier on an inequality accepted"),
    Mutant("worst.negative-pivot-accepted", "theorylab/claims/worst_case/exact.py",
           "        if d < 0:\n", "        if d < -1e-8:\n", WORST,
           "a residual matrix with a slightly negative pivot (eigenvalue -1e-9) accepted as PSD"),
    Mutant("worst.function-terms-ignored", "theorylab/claims/worst_case/certificate.py",
           "    if phi.lin:\n", "    if phi.lin and False:\n", WORST,
           "a combination that keeps function-value terms taken as a certificate"),
    # --- the sweep store's verification
    Mutant("store.checksum-unchecked", "theorylab/sweep/store.py",
           'if table.column("checksum")[0].as_py() != row_checksum(table):',
           'if table.column("checksum")[0].as_py() != row_checksum(table) and False:', STORE,
           "a row altered after it was written (a flipped bit) read back as a result"),
    Mutant("store.foreign-sweep-accepted", "theorylab/sweep/store.py",
           "        if row_sid != sid:\n", "        if row_sid != sid and False:\n", STORE,
           "rows of another sweep mixed into this store's table"),
    Mutant("store.copy-accepted", "theorylab/sweep/store.py",
           '        if f.name != f"{key}.parquet":\n', '        if f.name != f"{key}.parquet" and False:\n', STORE,
           "a row copied under another name counted as another cell"),
    # --- the Experiment shared by the library, the CLI and the sweeps
    Mutant("experiment.inapplicable-option-accepted", "theorylab/simulate/experiment.py",
           "bad = [_flag(k) for k in options if k not in alg.options]", "bad: list[str] = []", EXPERIMENT,
           "a method option given to a method that does not take it is silently accepted"),
    Mutant("experiment.exact-option-accepted", "theorylab/simulate/experiment.py",
           "bad = [_flag(k) for k in options if _EXACT_NAMES.get(k) not in takes]", "bad: list[str] = []", EXPERIMENT,
           "the exact engine accepts a method option it does not implement"),
    Mutant("experiment.burn-in-equal-steps", "theorylab/simulate/experiment.py",
           "if isinstance(self.burn_in, int) and self.burn_in >= self.steps:",
           "if isinstance(self.burn_in, int) and self.burn_in > self.steps:", EXPERIMENT,
           "burn_in = steps (nothing left to estimate from) accepted"),
    Mutant("experiment.compressor-dim-unchecked", "theorylab/simulate/experiment.py",
           "                        check_dim(problem.d)\n", "                        pass\n", EXPERIMENT,
           "k > d accepted before the run (fails later on a worker)"),
    Mutant("experiment.key-ignores-seed", "theorylab/simulate/experiment.py",
           'text = json.dumps(self.to_dict(), sort_keys=True,',
           'text = json.dumps({k: v for k, v in self.to_dict().items() if k != "seed"}, sort_keys=True,',
           EXPERIMENT, "two experiments that differ only in their seed share a key"),
    Mutant("run-settings.per-agent-sigma", "theorylab/claims/simulation.py",
           "if isinstance(sig, tuple) and len(set(sig)) == 1:", "if isinstance(sig, tuple):",
           f"{OPTIONS} {CHECKS}", "per-agent sigma collapsed to the first agent's"),
    Mutant("kit.bet-lambda-on-test-draws", "theorylab/testing/check.py",
           "lam = bet_lambda(r_sel, B)", "lam = bet_lambda(r, B)", f"{OPTIONS} {TESTING}",
           "the betting test chooses λ on the very draws it tests"),
    Mutant("kit.bet-lower-on-test-draws", "theorylab/testing/_stats.py",
           "return bet_log_capital(y, B, bet_lambda(y_sel, B)) >= L",
           "return bet_log_capital(y, B, bet_lambda(y, B)) >= L", f"{OPTIONS} {TESTING}",
           "the betting lower limit chooses λ on the very draws it tests"),
    # --- honest labels (issue 19, items 7-9)
    Mutant("labels.z3-unknown-as-proof", "proofs_checks/real_arithmetic.py",
           '    if dec.status in ("proved", "vacuous"):\n', '    if dec.status in ("proved", "vacuous", "unknown"):\n',
           LABELS, "the built-in checks' real-arithmetic helper takes 'unknown' as a proof"),
    Mutant("labels.instances-proved", "theorylab/claims/verdict.py",
           '    return holds(claimed, found, confidence=None, numbers=numbers, notes=notes,\n'
           '                 test=f"exact on the instances {instances}",',
           '    return proved(claimed, found, numbers=numbers, notes=notes) or holds(claimed, found, confidence=None,\n'
           '                 test=f"exact on the instances {instances}",', LABELS,
           "a statement decided on finitely many instances labelled proved"),
    Mutant("labels.joint-tolerance-dropped", "theorylab/claims/verdict.py",
           "                              tolerance=_joint_tolerance(parts)))",
           "                              tolerance=None))", LABELS, "a joint deterministic holds without its tolerance"),
    Mutant("labels.deterministic-rate-false-alarm", "theorylab/claims/rates.py",
           "    conf: float | None = None if deterministic else confidence",
           "    conf: float | None = confidence", LABELS, "a deterministic fit claims a false-alarm rate"),
    Mutant("labels.square-replicas", "theorylab/claims/rates.py", "        if ya.shape[0] == ya.shape[1]:",
           "        if False:", LABELS, "an ambiguous (n, n) array read silently as (replicas, n)"),
    Mutant("labels.limit-two-sided-text", "theorylab/claims/fixed_points.py",
           'text = f"lim_{{{variable} → {target}{sides[direction]}}} {what or e} = {claim_expr}"',
           'text = f"lim_{{{variable} → {target}}} {what or e} = {claim_expr}"', LABELS,
           "a one-sided limit printed as two-sided"),
    Mutant("labels.comparison-proved", "theorylab/symbolic/derivations.py",
           '"assumed (named: comparison lemma, applied with 2 mu Delta > 0',
           '"proved (named: comparison lemma, applied with 2 mu Delta > 0', LABELS,
           "the comparison lemma (an assumption) labelled proved"),
    Mutant("labels.b1-without-hypotheses", "proofs_checks/checks/compressor_classes.py",
           "        hyps = common + pos + _class_hypotheses(cls, s_, p_, g_)",
           "        hyps = common + pos", LABELS, "B1/B2 facts decided without the class's inequalities"),
)


def _copy_tree(rev: str, dest: str) -> None:
    arch = subprocess.run(["git", "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=arch, check=True)


def _locate(m: Mutant, root: str) -> tuple[str, str, str] | None:
    for rel, old, new in ((m.path, m.old, m.new), *m.alts):
        path = os.path.join(root, rel)
        if os.path.exists(path) and open(path, encoding="utf-8").read().count(old) == 1:
            return path, old, new
    return None


def run_mutant(m: Mutant, root: str, timeout: float, workers: int = 1) -> tuple[str, str, float]:
    found = _locate(m, root)
    if found is None:
        return "n/a", "snippet not found (code moved: add an alternative)", 0.0
    path, old, new = found
    src = open(path, encoding="utf-8").read()
    # the golden table of all verdicts (test_proofs_checks_suite.py) is left out on purpose: a planted
    # bug must fail a test that names what is wrong, not only "some verdict changed"
    # in the order the globs name them (the layer's own tests first: -x stops at the first failure)
    tests = list(dict.fromkeys(f for g in m.tests.split() for f in sorted(glob.glob(os.path.join(root, g)))
                               if not f.endswith("test_proofs_checks_suite.py")))
    if not tests:
        return "n/a", "no test files", 0.0
    open(path, "w", encoding="utf-8").write(src.replace(old, new))
    env = dict(os.environ, PYTHONPATH=root, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.perf_counter()
    try:
        par = ["-n", str(workers)] if workers > 1 else ["-p", "no:xdist"]
        r = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", *par, "-p", "no:cacheprovider",
                            "-m", "not notebooks", *tests], cwd=root, env=env, capture_output=True, text=True,
                           timeout=timeout)
        failed = [ln for ln in r.stdout.splitlines() if ln.startswith("FAILED") or ln.startswith("ERROR")]
        status = "killed" if r.returncode != 0 else "survived"
        detail = failed[0][:160] if failed else (r.stdout.strip().splitlines() or [""])[-1][:160]
    except subprocess.TimeoutExpired:
        status, detail = "timeout", f"> {timeout:g} s"
    finally:
        open(path, "w", encoding="utf-8").write(src)
    return status, detail, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default="HEAD", help="git revision to mutate (default HEAD)")
    ap.add_argument("--only", default="", help="run the mutants whose id contains this text")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--workers", type=int, default=1, help="pytest-xdist workers per mutant (default 1: no xdist)")
    ap.add_argument("--json", default=None, help="write the results to this file")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="theorylab-mutants-") as root:
        _copy_tree(a.rev, root)
        for m in MUTANTS:
            if a.only and a.only not in m.id:
                continue
            status, detail, secs = run_mutant(m, root, a.timeout, a.workers)
            rows.append({"id": m.id, "what": m.what, "status": status, "detail": detail, "seconds": round(secs, 1)})
            print(f"{m.id:32s} {status:9s} {secs:6.1f}s  {detail}", flush=True)
    applicable = [r for r in rows if r["status"] != "n/a"]
    killed = sum(r["status"] == "killed" for r in applicable)
    print(f"\nkilled {killed} of {len(applicable)} applicable mutants ({len(rows) - len(applicable)} n/a)")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump({"rev": a.rev, "rows": rows, "killed": killed, "applicable": len(applicable)}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
