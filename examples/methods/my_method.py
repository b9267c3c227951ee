"""One-step updates for ``theorylab sde derive examples/methods/my_method.py:NAME`` (see docs/theory.md#deriving-an-sde).

Each name is an Update (or a function with no required arguments returning one) built from
theorylab.symbolic.update's primitives; no string is parsed.
"""

from theorylab.symbolic.symbols import omega
from theorylab.symbolic.update import (Update, gaussian_noise, grad, mean_over_agents, qsgd, randk, sign,
                                       student_t_noise)

#: signSGD on one machine, Student-t noise
signsgd = Update("signsgd-t", sign(grad() + student_t_noise()))

#: DCSGD with Rand-k, N identical agents
dcsgd = Update("dcsgd", mean_over_agents(lambda a: randk(omega=a.omega)(grad() + gaussian_noise(a.sigma))))


def dcsgd_per_agent() -> Update:
    """DCSGD with 3 agents, each with its own (omega_i, sigma_i)."""
    return Update("dcsgd-per-agent",
                  mean_over_agents(lambda a: randk(omega=a.omega)(grad() + gaussian_noise(a.sigma)), n=3))


def dcsgd_shared_mask() -> Update:
    """DCSGD where every agent uses the same Rand-k mask (one compressor object, shared=True)."""
    C = randk(omega=omega)
    return Update("dcsgd-shared", mean_over_agents(lambda a: C(grad() + gaussian_noise(a.sigma), shared=True)))


#: QSGD (s = 1) on the exact gradient, plus independent sampling noise
qsgd_sgd = Update("qsgd-sgd", qsgd(1)(grad()) + gaussian_noise())

#: plain SGD on one machine (the smallest example)
sgd = Update("sgd", grad() + gaussian_noise())
