r"""The drift function of DSignSGD under Student-t noise.

.. math::

    \Xi_\nu(x) = x\,M_\nu\;{}_2F_1\!\left(\tfrac12, \tfrac{\nu+1}{2}; \tfrac32; -\tfrac{x^2}{\nu}\right),
    \qquad M_\nu = \frac{\Gamma(\frac{\nu+1}{2})}{\sqrt{\pi\nu}\,\Gamma(\frac{\nu}{2})},

which equals ``F_nu(x) - 1/2`` with ``F_nu`` the Student-t CDF (so ``|Xi_nu| < 1/2``),
``Xi_nu'(x)`` is the t density (``Xi_nu'(0) = M_nu``) and ``Xi_oo(x) = erf(x/sqrt 2)/2``.
``E[sign(g + sigma T)] = 2 Xi_nu(g/sigma)`` for ``T ~ t_nu``.

``Xi`` and ``M`` are sympy functions: ``Xi(oo, x)`` evaluates to the ``erf`` form,
``Xi(nu, x).rewrite(sympy.hyper)`` gives the hypergeometric closed form, ``diff`` gives the
density. Numerically (:func:`xi_numeric`) ``Xi_nu(x) = sign(x)/2 * I_{x^2/(nu+x^2)}(1/2, nu/2)``
(regularized incomplete beta; the same as ``scipy.special.stdtr(nu, x) - 1/2`` but accurate
in relative terms near 0), on numpy or cupy arrays.
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import ArgumentIndexError

from ..backend import array_namespace
from ..errors import InvalidParameterError
from .parse import as_expr

__all__ = [
    "Xi",
    "M",
    "xi_hyper",
    "m_gamma",
    "t_density",
    "xi_limit_at_infinity",
    "xi_numeric",
    "m_numeric",
    "numeric_functions",
]


def m_gamma(nu_: sp.Expr) -> sp.Expr:
    """``M_nu = Gamma((nu+1)/2) / (sqrt(pi nu) Gamma(nu/2))``, the t density at 0."""
    return sp.gamma((nu_ + 1) / 2) / (sp.sqrt(sp.pi * nu_) * sp.gamma(nu_ / 2))


def xi_hyper(nu_: sp.Expr, x_: sp.Expr) -> sp.Expr:
    """The hypergeometric closed form of ``Xi_nu(x)`` (Compagnoni et al. 2025, Theorem 2; docs/theory.md#xi)."""
    half = sp.S.Half
    return x_ * m_gamma(nu_) * sp.hyper((half, (nu_ + 1) / 2), (sp.Rational(3, 2),), -x_**2 / nu_)


def t_density(nu_: sp.Expr, x_: sp.Expr) -> sp.Expr:
    """Student-t density ``M_nu (1 + x^2/nu)^{-(nu+1)/2}`` (``nu = oo``: standard normal)."""
    if nu_ is sp.S.Infinity:
        return sp.exp(-x_**2 / 2) / sp.sqrt(2 * sp.pi)
    return M(nu_) * (1 + x_**2 / nu_) ** (-(nu_ + 1) / 2)


@functools.cache
def xi_limit_at_infinity(nu_: sp.Expr) -> sp.Expr:
    """``lim_{x -> oo} Xi_nu(x) = integral_0^oo t density``, integrated by sympy (``1/2`` for every ``nu > 0``).

    Derived, not assumed: ``Xi_nu(0) = 0`` and ``Xi_nu' = t density``, so the limit is the integral
    of the density over ``(0, oo)``. A symbolic ``nu`` is replaced by a positive symbol first.
    """
    nu_ = as_expr(nu_, what="nu")
    nu_pos = nu_ if (nu_ is sp.S.Infinity or nu_.is_positive) else sp.Symbol("nu", positive=True)
    s_ = sp.Symbol("s", positive=True)
    dens = (t_density(nu_pos, s_) if nu_pos is sp.S.Infinity else
            m_gamma(nu_pos) * (1 + s_**2 / nu_pos) ** (-(nu_pos + 1) / 2))
    out = sp.integrate(dens, (s_, 0, sp.oo))
    if isinstance(out, sp.Integral) or out.has(sp.Piecewise):
        return sp.Limit(sp.Function("Xi")(nu_, s_), s_, sp.oo)  # pragma: no cover - sympy could not integrate
    return sp.simplify(sp.gammasimp(out))


class M(sp.Function):
    r"""``M_nu``: the Student-t density at 0, the bound of ``Xi_nu'`` (``M(oo) = 1/sqrt(2 pi)``)."""

    nargs = 1

    @classmethod
    def eval(cls, nu_: sp.Expr) -> sp.Expr | None:  # safe: sympy Function.eval
        if nu_ is sp.S.Infinity:
            return 1 / sp.sqrt(2 * sp.pi)
        if nu_.is_Number:
            if nu_.is_extended_positive is False:
                raise InvalidParameterError(f"M_nu needs nu > 0, got nu = {nu_}")
            return m_gamma(nu_)
        return None

    def _eval_rewrite_as_gamma(self, nu_: sp.Expr, **kwargs: Any) -> sp.Expr:
        return m_gamma(nu_)

    def _eval_is_positive(self) -> bool | None:
        return True if self.args[0].is_positive else None

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return m_gamma(self.args[0])._eval_evalf(prec)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        out = r"M_{%s}" % printer._print(self.args[0])
        return out if exp is None else r"%s^{%s}" % (out, exp)


class Xi(sp.Function):
    r"""``Xi(nu, x)`` is :math:`\Xi_\nu(x) = F_\nu(x) - 1/2` (elementwise drift of DSignSGD)."""

    nargs = 2

    @classmethod
    def eval(cls, nu_: sp.Expr, x_: sp.Expr) -> sp.Expr | None:  # safe: sympy Function.eval
        if nu_.is_Number and nu_.is_extended_positive is False:
            raise InvalidParameterError(f"Xi_nu needs nu > 0, got nu = {nu_}")
        if x_.is_zero:
            return sp.S.Zero
        if nu_ is sp.S.Infinity:
            return sp.erf(x_ / sp.sqrt(2)) / 2
        if x_ is sp.S.Infinity:  # the integral of the density, derived by sympy
            return xi_limit_at_infinity(nu_)
        if x_ is sp.S.NegativeInfinity:  # Xi is odd
            return -xi_limit_at_infinity(nu_)
        if x_.could_extract_minus_sign():
            return -cls(nu_, -x_)
        return None

    def fdiff(self, argindex: int = 2) -> sp.Expr:
        if argindex == 2:
            nu_, x_ = self.args
            return t_density(nu_, x_)
        raise ArgumentIndexError(self, argindex)

    def _eval_rewrite_as_hyper(self, nu_: sp.Expr, x_: sp.Expr, **kwargs: Any) -> sp.Expr:
        return xi_hyper(nu_, x_)

    def _eval_is_extended_real(self) -> bool | None:
        return True if (self.args[1].is_extended_real and self.args[0].is_positive) else None

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        nu_, x_ = self.args
        if not (nu_.is_number and x_.is_number):
            return None
        return xi_hyper(nu_, x_)._eval_evalf(prec)

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        out = r"\Xi_{%s}\left(%s\right)" % (printer._print(self.args[0]), printer._print(self.args[1]))
        return out if exp is None else r"%s^{%s}" % (out, exp)


# ----------------------------------------------------------------------------- numerics


def _special(xp: Any) -> Any:
    if xp.__name__ == "cupy":
        import cupyx.scipy.special as special  # type: ignore[import-not-found]

        return special
    import scipy.special as special

    return special


def xi_numeric(nu_: Any, x_: Any) -> Any:
    """``Xi_nu(x)`` on numpy or cupy arrays (``nu`` scalar or broadcastable; ``inf``: Gaussian).

    Uses ``Xi_nu(x) = sign(x)/2 * I_z(1/2, nu/2)`` with ``z = x^2/(nu + x^2)``, the
    regularized incomplete beta function (equal to ``stdtr(nu, x) - 1/2``).
    """
    xp = array_namespace(x_)
    special = _special(xp)
    x_ = xp.asarray(x_)
    if not xp.issubdtype(x_.dtype, xp.floating):
        x_ = x_.astype(xp.float64)
    nu_arr = xp.asarray(nu_, dtype=x_.dtype)
    gauss = 0.5 * special.erf(x_ / math.sqrt(2.0))
    if bool(xp.all(xp.isinf(nu_arr))):
        return gauss
    ctx = np.errstate(divide="ignore", invalid="ignore") if xp is np else contextlib.nullcontext()
    with ctx:
        x2 = x_ * x_
        z = 1.0 / (1.0 + nu_arr / x2)  # x = 0 -> 0, |x| = inf -> 1
        nu_finite = xp.where(xp.isinf(nu_arr), 1.0, nu_arr)
        out = 0.5 * xp.sign(x_) * special.betainc(0.5, nu_finite / 2.0, z)
    return xp.where(xp.isinf(nu_arr), gauss, out)


def m_numeric(nu_: float) -> float:
    """``M_nu`` as a float (``nu = inf`` gives ``1/sqrt(2 pi)``)."""
    nu_ = float(nu_)
    if not nu_ > 0:
        raise InvalidParameterError(f"M_nu needs nu > 0, got nu = {nu_}")
    if math.isinf(nu_):
        return 1.0 / math.sqrt(2.0 * math.pi)
    return math.exp(math.lgamma((nu_ + 1) / 2) - math.lgamma(nu_ / 2)) / math.sqrt(math.pi * nu_)


def numeric_functions(backend: str = "numpy") -> dict[str, Any]:
    """Array implementations of the special functions, for ``lambdify(modules=[this, backend])``."""
    if backend == "cupy":
        import cupy  # type: ignore[import-not-found]
        import cupyx.scipy.special as special  # type: ignore[import-not-found]

        def _m(nu_: Any) -> Any:
            return cupy.asarray(m_numeric(nu_))

        return {"Xi": xi_numeric, "M": _m, "erf": special.erf}
    import scipy.special as special

    return {"Xi": xi_numeric, "M": m_numeric, "erf": special.erf}
