"""The compressor catalogue of docs/theory.md#compressor-catalogue with one uniform interface.

Every compressor ``C`` (see :class:`Compressor`):

- ``C(x, rng)`` compresses each row of ``x`` (shape ``(..., d)``, numpy or cupy)
  independently, vectorised, drawing from the explicit generator ``rng``;
- ``C.unbiased``; ``C.omega(d)`` (class U(ω)), ``C.delta(d)`` (class C(δ)), which raise
  :class:`ClassNotApplicableError` where the class does not apply, and accept a sympy
  symbol for ``d``; ``C.bits(d)``; ``C.name``; ``C.spec`` (``from_spec(C.spec) == C``).

Catalogue: :class:`Identity`, :class:`RandK`, :class:`RandKUnscaled`, :class:`Bernoulli`,
:class:`TopK`, :class:`QSGD`, :class:`NaturalCompression`, :class:`NaturalDithering`,
:class:`TernGrad`, :class:`Sign`, :class:`ScaledSign`; combinators :class:`Compose`,
:class:`Scaled`, :class:`Induced`, :class:`RandomSwitch`. Build from text with
:func:`from_spec`; the registry is :data:`CATALOGUE` (and :data:`COMBINATORS`). A compressor
named on a command line (a spec, ``MODULE:NAME`` or ``FILE.py:NAME``):
:func:`load_user_compressor`.
"""

from ._base import ClassNotApplicableError, Compressor, check_input, row_norm
from .bernoulli import Bernoulli
from .combinators import Compose, Induced, RandomSwitch, Scaled
from .identity import Identity
from .natural import NaturalCompression, NaturalDithering
from .qsgd import QSGD
from .randk import RandK, RandKUnscaled
from .sign import ScaledSign, Sign
from .spec import CATALOGUE, COMBINATORS, CatalogueEntry, catalogue_specs, from_spec, list_compressors
from .terngrad import TernGrad
from .topk import TopK
from .user import load_user_compressor

__all__ = [
    "Compressor",
    "ClassNotApplicableError",
    "check_input",
    "row_norm",
    "Identity",
    "RandK",
    "RandKUnscaled",
    "Bernoulli",
    "TopK",
    "QSGD",
    "NaturalCompression",
    "NaturalDithering",
    "TernGrad",
    "Sign",
    "ScaledSign",
    "Compose",
    "Scaled",
    "Induced",
    "RandomSwitch",
    "from_spec",
    "CATALOGUE",
    "COMBINATORS",
    "CatalogueEntry",
    "catalogue_specs",
    "list_compressors",
    "load_user_compressor",
]
