"""Claims as checks with earned verdicts: the public library behind ``theorylab check``.

State a claim, get a verdict (proved / holds / refuted / inconclusive, each with its
evidence)::

    from theorylab.claims import check, identity

    @check(id="mine.square", source="my note (2026), eq. (1)", statement="(a+b)^2 expands",
           method="symbolic")
    def square(mode="quick", *, rhs="a**2 + 2*a*b + b**2"):
        return identity("(a + b)**2", rhs, symbols={"a": "real", "b": "real"})

    square().status          # Status.PROVED
    square(rhs="a**2 + b**2").status   # Status.REFUTED, with the counterexample

Modules, one concept each:

- :mod:`.status`: :class:`Status`, the one verdict vocabulary of every layer (defined on the
  ground floor, :mod:`theorylab.verdicts`, and re-exported here with the band and
  :func:`~theorylab.verdicts.format_rate`);
- :mod:`.verdict`: :class:`Verdict` (claimed beside found, numbers, counterexample, test,
  tolerance, false-alarm rate) and :func:`decide` / :func:`combine`;
- :mod:`.band`: a confidence interval against a tolerance band (one-sided or equivalence);
- :mod:`.checks`: the :func:`check` decorator, the registry, :func:`discover` and :func:`load_file`;
- :mod:`.plugins`: :func:`installed_checks`, every check an installed package registers under the
  entry-point group ``theorylab.checks`` (what ``theorylab check`` runs);
- :mod:`.runner` and :mod:`.report`: run checks (``jobs``) and render the table (text, Markdown, JSON);
- :mod:`.decision` (z3's exact decision procedure for algebraic claims: ``decide``,
  ``prove_nonnegative``, ``prove_psd``) and :mod:`.domain` (where an expression is defined);
- claim helpers: :mod:`.symbolic` (identities and inequalities under named assumptions),
  :mod:`.simulation` (a bound against a simulated method), :mod:`.fixed_points` (closed-form
  fixed points and limits), :mod:`.rates` (the slope of a log-log fit), :mod:`.montecarlo`.

``claims`` sits above ``symbolic`` and ``simulate`` and imports them (its helpers do, when
called); those layers take :class:`Status` and the band from :mod:`theorylab.verdicts`, never
from here.
"""

from .band import Band, interval_status, lower_bound, upper_bound, within
from .checks import CHECK_METHODS, MODES, Check, ImportFailure, check, discover, load_file, registry, select
from .plugins import ENTRY_POINT_GROUP, installed_checks
from .report import FORMATS, explain, render, summary
from .runner import Result, collect, run_check, run_checks
from .fixed_points import fixed_point, limit
from .rates import loglog_slope, rate
from .simulation import bound_function, bound_vs_simulation, run_settings
from .status import STATUSES, Status
from .symbolic import identity, inequality
from .verdict import Verdict, combine, decide, errored, exact_on_instances, holds, inconclusive, proved, refuted

__all__ = [
    "Status",
    "STATUSES",
    "Verdict",
    "proved",
    "holds",
    "exact_on_instances",
    "refuted",
    "inconclusive",
    "errored",
    "decide",
    "combine",
    "Band",
    "interval_status",
    "upper_bound",
    "lower_bound",
    "within",
    "Check",
    "check",
    "discover",
    "load_file",
    "registry",
    "select",
    "ImportFailure",
    "ENTRY_POINT_GROUP",
    "installed_checks",
    "CHECK_METHODS",
    "MODES",
    "Result",
    "run_check",
    "run_checks",
    "collect",
    "render",
    "explain",
    "summary",
    "FORMATS",
    "identity",
    "inequality",
    "bound_vs_simulation",
    "bound_function",
    "run_settings",
    "fixed_point",
    "limit",
    "rate",
    "loglog_slope",
]


def _document() -> None:
    from .symbolic import document_canonical_symbols

    document_canonical_symbols(identity, inequality, fixed_point, limit, bound_vs_simulation, bound_function)


_document()
