"""Symbolic core of theorylab (sympy): SDEs, PL bounds, derivations, scaling rules, compressor classes.

One source of truth: every numeric drift, diffusion and bound of theorylab is lambdified from
the expressions here. This package never imports :mod:`theorylab.simulate`.

- :mod:`.symbols`: the paper's symbols with meanings and domains.
- :mod:`.xi`: ``Xi_nu`` (Student-t CDF minus 1/2) and ``M_nu``.
- :mod:`.sde`: SDEs of DSGD, DCSGD (Theorem 1), DSignSGD (Theorem 2); ``SDE.lambdify``.
- :mod:`.bounds`: Theorems 3 and 4 and the single-agent plateaus as ``Bound`` objects.
- :mod:`.derivations`: Theorem 3 and Theorem 4's plateau derived step by step.
- :mod:`.rules`: scaling rules derived from the asymptotic levels.
- :mod:`.update`, :mod:`.derive`, :mod:`.consequences`: a one-step update written with random
  primitives, its SDE derived (``derive_sde``), and its stationary level, PL bound and scaling rules.
- :mod:`.classes`: compressor classes of Beznosikov et al., conversions proved or refuted.
- :mod:`.render`: LaTeX, Markdown, text and JSON for every object; ``regenerate``.
- :mod:`.lecture`, :mod:`.communication`: the lecture's rates and communication costs (their
  own helper's modules, re-exported as submodules because their short symbol names clash).
"""

from __future__ import annotations

from .assumptions import Assumption, check_assumptions, parse_value
from .bounds import BOUND_NAMES, ELL_CANDIDATES, Bound, ell_candidate, get_bound
from .render import FORMATS, Document, regenerate, render, to_document
from .sde import (
    SDE,
    SDE_NAMES,
    NumericSDE,
    dcsgd_sde,
    dsgd_sde,
    dsignsgd_general_sde,
    dsignsgd_sde,
    get_sde,
    randk_indicator_moments,
    randk_phi_moment,
    randk_phi_moment_bruteforce,
    randk_sigma_tilde,
    sgd_sde,
    signsgd_sde,
)
from .symbols import SYMBOLS, SymbolInfo, agent_symbols, grad_symbols, symbol, symbol_info
from .xi import M, Xi, m_numeric, numeric_functions, t_density, xi_hyper, xi_numeric
from .derivations import (
    Derivation,
    Step,
    all_derivations,
    randk_derivation,
    theorem2_derivation,
    theorem3_derivation,
    theorem4_derivation,
)
from .rules import RuleCheck, RuleRow, RuleTable, exact_rule, level_ratio, rule_table, scaling_condition, verify_rule
from .derive import NotDerivable, derive_sde
from .update import Update
from .classes import (
    B1,
    B2,
    B3,
    U,
    ClassTable,
    CompressorClass,
    ComplexityResult,
    Contractive,
    Conversion,
    ConversionResult,
    FiniteCompressor,
    cgd_complexity,
    class_facts,
    class_tables,
    conversion_results,
    rand_k,
    random_scaling,
    top_k,
    verify_conversion,
)
from . import communication, lecture  # written by the lecture/communication helper; symbols kept namespaced

__all__ = [
    "NotDerivable",
    "derive_sde",
    "Update",
    "Assumption",
    "check_assumptions",
    "parse_value",
    "BOUND_NAMES",
    "ELL_CANDIDATES",
    "Bound",
    "ell_candidate",
    "get_bound",
    "FORMATS",
    "Document",
    "regenerate",
    "render",
    "to_document",
    "SDE",
    "SDE_NAMES",
    "NumericSDE",
    "dcsgd_sde",
    "dsgd_sde",
    "dsignsgd_sde",
    "dsignsgd_general_sde",
    "get_sde",
    "randk_indicator_moments",
    "randk_phi_moment",
    "randk_phi_moment_bruteforce",
    "randk_sigma_tilde",
    "sgd_sde",
    "signsgd_sde",
    "SYMBOLS",
    "SymbolInfo",
    "agent_symbols",
    "grad_symbols",
    "symbol",
    "symbol_info",
    "M",
    "Xi",
    "m_numeric",
    "numeric_functions",
    "t_density",
    "xi_hyper",
    "xi_numeric",
    "Derivation",
    "Step",
    "all_derivations",
    "randk_derivation",
    "theorem2_derivation",
    "theorem3_derivation",
    "theorem4_derivation",
    "RuleCheck",
    "RuleRow",
    "RuleTable",
    "exact_rule",
    "level_ratio",
    "rule_table",
    "scaling_condition",
    "verify_rule",
    "B1",
    "B2",
    "B3",
    "U",
    "ClassTable",
    "CompressorClass",
    "ComplexityResult",
    "Contractive",
    "Conversion",
    "ConversionResult",
    "FiniteCompressor",
    "cgd_complexity",
    "class_facts",
    "class_tables",
    "conversion_results",
    "rand_k",
    "random_scaling",
    "top_k",
    "verify_conversion",
    "communication",
    "lecture",
]
