r"""The field's algorithms, batched over (replicas R, agents N, d), one file each.

Every algorithm follows one template (see :class:`Algorithm`): a state dataclass of batched
arrays, ``init(ctx)``, ``step(state, ctx)`` (one step, or one communication round), and
``iterate(state)`` (the point whose gap is recorded); its update rule, in the order the
operations happen, and its paper are in its module docstring.

=====================  ===========================================  =====================
method                 module                                       options
=====================  ===========================================  =====================
dsgd, psgd             :mod:`.classic` (server-based SGD)           —
dcsgd                  :mod:`.classic` (compressed, Rand-k fast)    —
dsignsgd               :mod:`.classic`                              —
ef14                   :mod:`.ef14`                                 —
ef21                   :mod:`.ef21`                                 —
diana                  :mod:`.diana`                                alpha
marina                 :mod:`.marina`                               p
fedavg                 :mod:`.fedavg` (Local SGD)                   local_steps, server_lr, participation
scaffold               :mod:`.scaffold` (option II)                 local_steps, server_lr, participation
fedavg-m               :mod:`.fedavg_m`                             + momentum
gossip-sgd             :mod:`.gossip` (the lecture's "DSGD")        topology, gossip
=====================  ===========================================  =====================

Adding your own, in one file::

    from dataclasses import dataclass
    from theorylab.simulate.algorithms import register_algorithm

    @dataclass
    class State:
        x: object          # (R, d)

    @register_algorithm
    class HalfStep:
        name = "half-step-sgd"
        summary = "SGD with half the step"
        citation = "me, 2026"
        options = {"factor": 0.5}          # the CLI does not know them; ctx.options has them
        compressor = "optional"            # "required" | "optional" | "none"
        decentralised = False

        def init(self, ctx):
            return State(ctx.x0.copy())

        def step(self, s, ctx):
            g = ctx.compress(ctx.grads(s.x))          # (R, N, d) stochastic, compressed
            s.x -= ctx.options["factor"] * ctx.eta * g.mean(axis=1)

        def iterate(self, s):
            return s.x

then ``run_optimizer("half-step-sgd", problem, noise, eta=..., steps=..., replicas=...)`` or
``theorylab simulate myfile.py:HalfStep ...``.
"""

from . import classic, diana, ef14, ef21, fedavg, fedavg_m, gossip, marina, scaffold  # noqa: F401  (registration)
from ._base import (ALGORITHMS, OPTION_HELP, Algorithm, Context, algorithm_names, check_options, get_algorithm,
                    register_algorithm)
from .loader import is_file_spec, load_object
from .run import deterministic_run, resolve_method, run_algorithm, run_optimizer
from .topology import TOPOLOGIES, Topology, mixing_matrix, mixing_rate, topology, validate_mixing

__all__ = [
    "ALGORITHMS", "OPTION_HELP", "Algorithm", "Context", "algorithm_names", "check_options", "get_algorithm",
    "register_algorithm", "is_file_spec", "load_object", "deterministic_run", "resolve_method", "run_algorithm",
    "run_optimizer", "TOPOLOGIES", "Topology", "mixing_matrix", "mixing_rate", "topology", "validate_mixing",
]
