"""A user's claim file: three statements of a short note on gradient descent, checked with
theorylab.claims. Run it with

    theorylab check --from examples/claims/my_claims.py

Each run function's keywords default to the claim as stated; pass other values (for example
``contraction(step_bound="2/L")``) to see a wrong version refuted with its counterexample.
"""

import numpy as np

from theorylab.claims import bound_vs_simulation, check, inequality, rate
from theorylab.simulate import gaussian, quadratic

POS = {"L": "positive", "mu": "positive", "gamma": "positive"}


@check(id="note.contraction", source="my note (2026), Lemma 1", method="symbolic",
       statement="0 <= 1 - gamma*mu < 1 when 0 < gamma <= 1/L and mu <= L")
def contraction(mode="quick", *, step_bound="1/L"):
    return inequality("1 - gamma*mu", ">=", 0, symbols=POS, assumptions=[f"gamma <= {step_bound}", "L >= mu"])


@check(id="note.gd-rate", source="my note (2026), Theorem 1", method="numeric",
       statement="gradient descent on f(x) = x^2/2 with step 1/(k+1) has error ~ 1/k (large k)")
def gd_rate(mode="quick", *, claimed="-1", first=1000):
    # x_k = 1/(k+1): the log-log slope is -1 only asymptotically; from k = 10 the curvature
    # widens the fit's interval past the ±0.05 band (inconclusive), from k = 1000 it does not
    ks = first * 2 ** np.arange(6)
    x, errors = 1.0, []
    for k in range(1, ks[-1] + 1):
        x -= x / (k + 1)  # x_k = 1/(k + 1) exactly
        if k in ks:
            errors.append(abs(x))
    return rate(ks, np.array(errors), claimed, tol=0.05, what="|x_k|", against="k")


@check(id="note.dsgd-level", source="my note (2026), Theorem 2", method="monte-carlo",
       statement="distributed SGD (N = 2, sigma = 1, eta = 0.05, d = 10) settles at eta*d*sigma^2/(4N), within 10%")
def dsgd_level(mode="quick", *, rtol=0.1):
    steps, replicas = (800, 200) if mode == "quick" else (4000, 2000)
    return bound_vs_simulation("eta*d*sigma**2/(4*N)", values={"eta": 0.05, "d": 10, "sigma": 1.0, "N": 2},
                               claim="equal", rtol=rtol, method="dsgd", problem=quadratic(10, 2, 1.0, 1.0, x0=0.1),
                               noise=gaussian(1.0, 1), eta=0.05, steps=steps, replicas=replicas, seed=1)
