r"""Integrate the SDEs of the symbolic layer, batched over paths.

The SDE ``dX = b(∇f(X)) dt + G(∇f(X)) dW`` is given as a
:class:`theorylab.symbolic.sde.NumericSDE` (drift and diffusion lambdified from the sympy
expressions; nothing is retyped here) together with a problem that supplies ``∇f``.

Schemes (step ``h``):

- ``"euler"``: Euler–Maruyama ``X ← X + b h + G ΔW``, ``ΔW ~ N(0, h I)``; weak order 1.
  Diagonal SDEs (``G = diag(s)``) use ``s ⊙ ΔW``; otherwise ``G ΔW`` for the factor
  ``G = D^{1/2}(I + β u uᵀ)`` of ``G Gᵀ = diag(D) + c g gᵀ`` (:meth:`NumericSDE.diffuse`),
  O(d) per path and step, no ``d × d`` matrix.
- ``"richardson"``: Talay–Tubaro extrapolation ``2 E g(X^{h/2}) − E g(X^{h})`` of two
  Euler–Maruyama runs driven by the *same* Brownian path (the coarse increment is the sum of
  two fine ones), combined path by path; weak order 2 for smooth test functions.

Brownian increments can be injected (``brownian=``): an array of shape
``(n_increments, paths, d)`` of increments of variance ``h`` (the fine ``h`` for
Richardson), or a callable ``(i, shape) -> increments``. This allows a path-by-path
comparison with another integrator driven by the same increments.

Speed: the state is updated in place and the Brownian increments go to reused buffers. With the
kernels below, a drift ``b`` or variance ``D`` that is a polynomial of degree <= 2 in ``g_j`` (every
DSGD/DCSGD SDE: ``b = −g_j``, ``D = a g_j² + c``) is read once from the SDE's own sympy
expression (``sympy.Poly``; each coefficient as lambdify printed it, nothing retyped; accepted only
if it reproduces the lambdified function bit for bit on probe values) and evaluated inside the kernel, so no array is built for it; a constant
rank-one coefficient ``c`` is evaluated once. Other expressions (``erf``, ``Ξ_ν``) are evaluated by
the lambdified function each step. With numba (``theorylab[fast]``, unless
``THEORYLAB_NUMBA=0``) the rest of a step, ``x ← (x + b h) + G ΔW`` with the increments drawn
inside, is one compiled kernel call (:func:`theorylab._numba.euler_diag`, and
:func:`theorylab._numba.euler_rank1` for ``diag(D) + c g gᵀ``, the factor of
:meth:`NumericSDE.diffuse` fused). Both paths give the same numbers bit for bit: the kernels draw
numpy's normals in numpy's order, round in the same order, and sum the rank-one factor's inner
products in numpy's pairwise order (paths that need the dense factor aside: numpy then takes it for
every path).

On a diagonal quadratic ``f(x) = ½ Σ_j λ_j x_j² + f*`` (declared by
:meth:`~theorylab.simulate.problems.Problem.diagonal_quadratic` and confirmed on the problem's own
``grad`` and ``gap``, bit for bit on probe points) the kernels also compute ``g = λ ⊙ x`` and the gap
``f(x) − f*`` (products and numpy's pairwise row sum in numpy's order: the same numbers). A diagonal
SDE with polynomial ``b`` and ``D`` there runs many steps per kernel call
(:func:`theorylab._numba.euler_diag_quadratic`), the gaps of a chunk observed in order afterwards;
paths found diverged are reset to the start at the end of their chunk rather than at once (they
are masked from the step they diverged at, and every path draws the same numbers either way), so the
record is the same as step by step.

Times: one optimizer step of size ``η`` is SDE time ``η``; the run lasts ``steps·η`` with
``substeps`` Euler steps per ``η`` and records on the same grid as the optimizer
(``steps``, ``points``, ``blocks``), so curves can be compared point by point.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .. import _numba
from ..backend import backend_name, default_rng, get_xp, to_numpy
from ..errors import InvalidParameterError, positive_int
from .problems import Problem
from .progress import progress_bar
from .record import Divergence, Recorder, Trajectory, explode_threshold

__all__ = ["SDERun", "integrate", "euler_step", "richardson_combine", "SCHEMES"]

SCHEMES: tuple[str, ...] = ("euler", "richardson")


@dataclass
class SDERun:
    """An integrated SDE: its :class:`Trajectory` and settings."""

    name: str
    trajectory: Trajectory
    params: dict[str, Any]
    seed: Any
    backend: str
    wall_time: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def euler_step(sde: Any, problem: Problem, x: Any, h: float, dw: Any) -> Any:
    """One Euler–Maruyama step ``x + b(∇f(x)) h + G(∇f(x)) dw`` (returns a new array)."""
    g = problem.grad(x)
    return x + sde.drift(g) * h + sde.diffuse(g, dw)


def _constant_or_fn(fn: Any, probe: Any) -> tuple[Any, Any]:
    """``(value, None)`` when the lambdified ``fn`` returns a scalar (a constant expression: sympy's
    lambdify then ignores its argument), else ``(None, fn)``."""
    v = fn(probe)
    if np.ndim(v) == 0:
        return float(v), None
    return None, fn


def _eval_poly(cf: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``(c2 v² + c1 v) + c0``, in the order the kernels evaluate it."""
    return (cf[2] * (v * v) + cf[1] * v) + cf[0]


# probe values for _poly_coeffs: |g| <= 1e100 (beyond ~1e154, v² overflows and 0·inf = NaN where
# the lambdified -g is finite; such replicas have long been flagged as diverged by the recorder)
_PROBE = np.concatenate([np.random.default_rng(0).standard_normal(200) * 10,
                         [0.0, -0.0, 1e-300, -3e-200, 1e100, -1e80, 3.0, -7.5, 0.5]])


def _poly_coeffs(sde: Any, which: int) -> np.ndarray | None:
    """``(c0, c1, c2)`` when the ``which``-th expression of ``sde`` (0: drift, 1: diagonal variance;
    :attr:`~theorylab.symbolic.sde.NumericSDE.expressions`, parameters substituted) is a polynomial of
    degree <= 2 in the gradient coordinate with numeric coefficients, read off with ``sympy.Poly``, and
    accepted only if :func:`_eval_poly` reproduces the lambdified function bit for bit on probe values;
    else None (then the function is called every step)."""
    import sympy as sp
    from sympy.printing.numpy import NumPyPrinter

    exprs, var = getattr(sde, "expressions", ()), getattr(sde, "variable", None)
    fn = (sde._drift, sde._cov_diag)[which]
    if len(exprs) <= which or var is None:
        return None
    try:
        poly = sp.Poly(exprs[which], var)
        if poly.degree() > 2 or poly.free_symbols - {var}:
            return None
        # each coefficient as the literal lambdify wrote into the function (its printer rounds Floats)
        printer = NumPyPrinter()
        cf = np.array([float(printer.doprint(poly.coeff_monomial(var**i))) for i in range(3)])
        with np.errstate(all="ignore"):
            ref = np.broadcast_to(np.asarray(fn(_PROBE), dtype=np.float64), _PROBE.shape)
            if not np.array_equal(_eval_poly(cf, _PROBE), ref, equal_nan=True):
                return None
        return cf
    except (sp.PolynomialError, sp.GeneratorsNeeded, TypeError, ValueError):  # erf, Xi, undefined functions
        return None


def _diagonal_quadratic(problem: Problem) -> tuple[np.ndarray, float] | None:
    """``(λ, f*)`` when ``problem`` declares itself ``f(x) = ½ Σ_j λ_j x_j² + f*``
    (:meth:`~theorylab.simulate.problems.Problem.diagonal_quadratic` with ``b = c = 0``) and its own
    ``grad`` and ``gap`` agree with that bit for bit — ``∇f(x) = λ ⊙ x`` and ``f(x) − f*`` equal to
    :func:`theorylab._numba.quadratic_gap` — on probe points (the start, random points of several
    scales, zero); else None (the problem's own functions are then called every step)."""
    d = int(problem.d)
    try:
        declared = problem.diagonal_quadratic()
        if declared is None or np.any(declared[1] != 0) or np.any(declared[2] != 0):
            return None
        lam = np.ascontiguousarray(declared[0], dtype=np.float64)
        fstar = float(problem.f_star)
        rng = np.random.default_rng(1)
        rows = max(4, min(24, (1 << 20) // d))  # at most ~8 MiB of probes for large d
        probe = np.concatenate([np.asarray(problem.initial(1, np), dtype=np.float64),
                                rng.standard_normal((rows, d)) * np.exp(rng.uniform(-4, 4, (rows, 1))),
                                np.zeros((1, d))])
        with np.errstate(all="ignore"):
            grad, gap = problem.grad(probe), problem.gap(probe)
            ok = (lam.shape == (d,) and bool(np.all(np.isfinite(lam))) and math.isfinite(fstar)
                  and isinstance(grad, np.ndarray) and np.array_equal(grad, lam * probe)
                  and isinstance(gap, np.ndarray) and np.array_equal(gap, _numba.quadratic_gap(probe, lam, fstar)))
        return (lam, fstar) if ok else None
    except Exception:  # a problem whose grad/gap are not plain numpy functions of x
        return None


class _Stepper:
    """Euler steps of ``sde`` on ``problem`` in place, with the constant parts of the drift and
    diffusion evaluated once and the increments in reused buffers (numba kernel when enabled).

    ``fused``: a diagonal SDE with polynomial ``b`` and ``D`` on a diagonal quadratic, integrated
    by :meth:`run` (many steps per kernel call, the gaps written by the kernel). ``quad``: the
    rank-one kernel computes ``g = λ ⊙ x`` and the gap itself (:meth:`step` with ``gap``)."""

    def __init__(self, sde: Any, problem: Problem, xp: ModuleType, rng: Any, paths: int, d: int) -> None:
        self.sde, self.problem, self.xp, self.rng = sde, problem, xp, rng
        self.kernel = (xp is np and _numba.enabled() and isinstance(rng, np.random.Generator)
                       and all(hasattr(sde, a) for a in ("_drift", "_cov_diag", "_cov_outer", "diagonal")))
        self.buf = xp.empty((paths, d), dtype=xp.float64)
        self.none = np.zeros((0, 0), dtype=np.float64)
        self.fused = self.quad = False
        if self.kernel:
            # polynomial (or constant) drift and variance: coefficients once, evaluated in the kernel
            self.b_poly, self.d_poly = _poly_coeffs(sde, 0), _poly_coeffs(sde, 1)
            self.c_const, self.c_fn = _constant_or_fn(sde._cov_outer, np.full((2, 1), 0.5))
            self.c_arr = None if self.c_const is None else np.full((1, 1), self.c_const)
            dq = None
            if self.b_poly is not None and self.d_poly is not None and (sde.diagonal or self.c_arr is not None):
                dq = _diagonal_quadratic(problem)
            if dq is not None:
                self.lam, self.fstar = dq
                self.fused, self.quad = bool(sde.diagonal), not sde.diagonal
                self.work = np.empty((2, d))
            if not sde.diagonal:
                self.sbuf, self.ubuf, self.wbuf = np.empty(d), np.empty(d), np.empty(d)
                self.dense = np.empty(paths, dtype=np.int64)

    def run(self, x: np.ndarray, h: float, sq: float, dw: np.ndarray | None, substeps: int, gaps: np.ndarray) -> None:
        """``len(gaps)`` optimizer steps of ``substeps`` Euler steps each (``fused`` only), in place;
        ``gaps[k]``: the gap after step ``k``; increments ``dw`` ``(len(gaps)·substeps, R, d)``, or
        ``sq · N(0, I)`` drawn from the generator when None."""
        assert self.b_poly is not None and self.d_poly is not None  # fused implies polynomial b and D
        dwk = _numba._EMPTY3 if dw is None else np.ascontiguousarray(dw, dtype=np.float64)
        _numba.euler_diag_quadratic(self.rng, x, self.lam, self.b_poly, self.d_poly, h, sq, dwk, substeps, gaps,
                                    self.fstar, self.work)

    def normals(self, sq: float, out: Any) -> Any:
        """``sq · N(0, I)`` into ``out``: the numbers of ``rng.standard_normal(out.shape) * sq``."""
        if self.kernel:
            _numba.standard_normal_fill(self.rng, out)
        elif self.xp is np:
            self.rng.standard_normal(out=out)
        else:
            out[...] = self.rng.standard_normal(out.shape)
        out *= sq
        return out

    @staticmethod
    def _values(fn: Any, g: Any) -> Any:
        v = np.asarray(fn(g), dtype=np.float64)
        if v.shape != g.shape:
            v = np.broadcast_to(v, g.shape)
        return np.ascontiguousarray(v)

    def step(self, x: Any, h: float, dw: Any = None, sq: float = 0.0, gap: Any = None) -> bool:
        """``x ← x + b(g) h + G(g) ΔW`` in place, ``g = ∇f(x)``; ``ΔW = dw``, or ``sq · N(0, I)``
        drawn from the generator when ``dw`` is None. With ``gap`` (``(R,)``) and ``quad``, the gap
        ``f(x) − f*`` after the step is written there and True returned; else False."""
        if self.quad:
            return self._step_quad(x, h, dw, sq, gap)
        g = self.problem.grad(x)
        if not self.kernel:
            if dw is None:
                dw = self.normals(sq, self.buf)
            x += self.sde.drift(g) * h
            x += self.sde.diffuse(g, dw)
            return False
        g = np.ascontiguousarray(g, dtype=np.float64)
        if dw is not None and dw.dtype != np.float64:
            dw = dw.astype(np.float64)
        dwk = self.none if dw is None else np.ascontiguousarray(dw)
        b = None if self.b_poly is not None else self._values(self.sde._drift, g)
        dd = None if self.d_poly is not None else self._values(self.sde._cov_diag, g)
        if self.sde.diagonal:
            _numba.euler_diag(self.rng, x, g, b, dd, h, sq, dwk, bc=self.b_poly, dc=self.d_poly)
            return False
        c = self.c_arr if self.c_arr is not None else self._values(self.c_fn, g[:, :1])
        n_dense = _numba.euler_rank1(self.rng, x, g, b, dd, c, h, sq, dwk, self.sbuf, self.ubuf, self.wbuf,
                                     self.dense, bc=self.b_poly, dc=self.d_poly)
        self._finish_rank1(n_dense, x, g, h, dw, sq)
        return False

    def _step_quad(self, x: np.ndarray, h: float, dw: Any, sq: float, gap: Any) -> bool:
        """:meth:`step` of the rank-one kernel on a diagonal quadratic: ``g`` and the gap in the kernel."""
        if dw is not None and dw.dtype != np.float64:
            dw = dw.astype(np.float64)
        dwk = self.none if dw is None else np.ascontiguousarray(dw)
        assert self.c_arr is not None  # quad implies a constant rank-one coefficient
        g_before = None
        n_dense = _numba.euler_rank1(self.rng, x, self.none, None, None, self.c_arr, h, sq, dwk, self.sbuf,
                                     self.ubuf, self.wbuf, self.dense, bc=self.b_poly, dc=self.d_poly,
                                     lam=self.lam, gap=gap, fstar=self.fstar)
        if n_dense != 0:  # those paths are unchanged: their gradient is the one before the step
            g_before = self.problem.grad(x)
        self._finish_rank1(n_dense, x, g_before, h, dw, sq)
        if gap is not None and n_dense > 0:
            rows = self.dense[:n_dense]
            gap[rows] = self.problem.gap(x[rows])
        return gap is not None

    def _finish_rank1(self, n_dense: int, x: np.ndarray, g: Any, h: float, dw: Any, sq: float) -> None:
        """The paths the rank-one kernel handed back: the dense factor, or the error."""
        if n_dense == -1:  # the clear error of NumericSDE.diffuse
            self.sde.diffuse(g, self.buf if dw is None else dw)
            raise InvalidParameterError(f"{getattr(self.sde, 'name', 'sde')}: the covariance diag(D) + c g g^T is "
                                        "not positive semi-definite; check the SDE's parameters")
        if n_dense > 0:  # paths needing the dense factor of NumericSDE.diffuse (Cholesky / eigh)
            rows = self.dense[:n_dense].copy()
            w = dw[rows] if dw is not None else self.rng.standard_normal((n_dense, x.shape[1])) * sq
            x[rows] += self.sde.drift(g[rows]) * h
            x[rows] += self.sde.diffuse(g[rows], w)


#: gaps kept per kernel call of the fused path (a (steps, paths) buffer of at most 2 MiB); with
#: injected increments also at most this many increments per call
_CHUNK = 1 << 18


def _run_fused(stepper: _Stepper, rec: Recorder, x: np.ndarray, x_reset: np.ndarray, h: float, sq: float,
               substeps: int, steps: int, paths: int, d: int, brownian: Any, draw: Any, bar: Any) -> None:
    """The Euler loop of :func:`integrate` on the fused path: chunks of steps per kernel call, the
    gaps of a chunk observed in order afterwards. Paths found diverged are reset to the start after
    their chunk instead of right away: they are masked from the step they diverged at, so the record
    is the same; the generator draws the same numbers for every path either way."""
    per = max(1, _CHUNK // paths)
    if draw is not None:
        per = max(1, min(per, _CHUNK // (paths * d * substeps)))
    gaps = np.empty((min(per, steps), paths))
    kstep = i_inc = 0
    while kstep < steps:
        m = min(per, steps - kstep)
        n = m * substeps
        if draw is None:
            dw = None
        elif callable(brownian):
            dw = np.stack([np.asarray(draw(i), dtype=np.float64) for i in range(i_inc, i_inc + n)])
        else:
            dw = np.asarray(brownian[i_inc:i_inc + n], dtype=np.float64)
        i_inc += n
        stepper.run(x, h, sq, dw, substeps, gaps[:m])
        newly = rec.observe_many(kstep + 1, gaps[:m])
        bar.advance(m)
        if newly is not None:
            x[newly] = x_reset
        kstep += m


def richardson_combine(fine: Trajectory, coarse: Trajectory) -> Trajectory:
    """Path-by-path ``2·fine − coarse`` (both on the same record grid and Brownian paths)."""
    if fine.values.shape != coarse.values.shape or not np.array_equal(fine.steps, coarse.steps):
        raise InvalidParameterError("richardson_combine needs two trajectories on the same grid and paths")
    alive = fine.alive & coarse.alive
    values = 2 * fine.values - coarse.values
    values[:, ~alive] = np.nan
    firsts = [s for s in (fine.divergence.first_step, coarse.divergence.first_step) if s is not None]
    n_dead = int((~alive).sum())
    div = Divergence(min(firsts) if firsts else None, n_dead / alive.size, n_dead, fine.divergence.threshold)
    return Trajectory(steps=fine.steps, times=fine.times, values=values,
                      block_sums=2 * fine.block_sums - coarse.block_sums, block_counts=fine.block_counts,
                      block_edges=fine.block_edges, divergence=div, n_steps=fine.n_steps, alive=alive)


def integrate(sde: Any, problem: Problem, *, eta: float, steps: int, paths: int, substeps: int = 1,
              scheme: str = "euler", seed: Any = 0, backend: str | ModuleType = "numpy", x0: Any = None,
              brownian: Any = None, points: int = 200, blocks: int = 100, explode: float | None = None,
              progress: bool | None = False, name: str | None = None) -> SDERun:
    """Integrate ``sde`` (a NumericSDE) on ``problem`` over ``[0, steps·eta]`` with ``paths`` paths.

    ``substeps`` Euler steps of size ``h = eta/substeps`` per optimizer step. See the module
    docstring for ``scheme`` and ``brownian``. The gap ``f(X) − f*`` is recorded every ``eta``.
    """
    if scheme not in SCHEMES:
        raise InvalidParameterError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    for nm, v in (("steps", steps), ("paths", paths), ("substeps", substeps)):
        positive_int(nm, v)
    if not (math.isfinite(eta) and eta > 0):
        raise InvalidParameterError(f"eta must be a finite number > 0, got {eta!r}")
    xp = get_xp(backend) if not isinstance(backend, ModuleType) else backend
    if getattr(sde, "backend", xp.__name__) != xp.__name__:
        raise InvalidParameterError(f"the SDE was lambdified for {sde.backend} but the run uses {xp.__name__}")
    d = problem.d
    rng = default_rng(seed, xp)
    h = eta / substeps
    rich = scheme == "richardson"
    hf = h / 2 if rich else h
    n_inc = steps * substeps * (2 if rich else 1)

    stepper = _Stepper(sde, problem, xp, rng, paths, d)
    sq = math.sqrt(hf)
    if brownian is None:
        draw = None
    elif callable(brownian):
        def draw(i: int) -> Any:
            return brownian(i, (paths, d))
    else:
        if tuple(brownian.shape) != (n_inc, paths, d):
            raise InvalidParameterError(
                f"injected Brownian increments must have shape {(n_inc, paths, d)} (increments, paths, d), "
                f"got {tuple(brownian.shape)}")

        def draw(i: int) -> Any:
            return brownian[i]

    def start() -> Any:
        if x0 is None:
            return problem.initial(paths, xp)
        return xp.broadcast_to(xp.asarray(x0, dtype=xp.float64), (paths, d)).copy()

    x = start()
    x_reset = problem.initial(1, xp)[0]
    gap0 = problem.gap(x)
    sde.drift(problem.grad(x[:1]))  # checks the SDE's dimension once (InvalidParameterError)
    thr = explode if explode is not None else explode_threshold(float(np.max(to_numpy(gap0))))
    recs = [Recorder(steps, paths, xp, points=points, blocks=blocks, explode=thr, dt=float(eta))]
    states = [x]
    if rich:
        recs.append(Recorder(steps, paths, xp, points=points, blocks=blocks, explode=thr, dt=float(eta)))
        states.append(start())
    for r, s in zip(recs, states):
        r.observe(0, gap0)
    i_inc = 0
    if rich:
        fine1, fine2, coarse = (xp.empty((paths, d), dtype=xp.float64) for _ in range(3))
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"), progress_bar(steps, name or "sde", progress) as bar:
        if stepper.fused and not rich:
            _run_fused(stepper, recs[0], x, x_reset, h, sq, substeps, steps, paths, d, brownian, draw, bar)
        else:
            gbuf = xp.empty(paths, dtype=xp.float64)
            for kstep in range(1, steps + 1):
                have_gap = False
                for i_sub in range(substeps):
                    if rich:
                        if draw is None:
                            dw1, dw2 = stepper.normals(sq, fine1), stepper.normals(sq, fine2)
                        else:
                            dw1, dw2 = draw(i_inc), draw(i_inc + 1)
                        i_inc += 2
                        stepper.step(states[0], hf, dw1)
                        stepper.step(states[0], hf, dw2)
                        stepper.step(states[1], h, xp.add(dw1, dw2, out=coarse))
                    else:
                        have_gap = stepper.step(states[0], h, None if draw is None else draw(i_inc), sq,
                                                gbuf if i_sub == substeps - 1 else None)
                        i_inc += 1
                for j, r in enumerate(recs):
                    dead = r.observe(kstep, gbuf if have_gap else problem.gap(states[j]))
                    if dead is not None:
                        states[j][dead] = x_reset
                bar.advance()
    wall = time.perf_counter() - t0
    traj = recs[0].result() if not rich else richardson_combine(recs[0].result(), recs[1].result())
    sde_name = str(name or getattr(sde, "name", None) or "sde")
    params = {"sde": sde_name, "eta": float(eta), "steps": int(steps),
              "paths": int(paths), "substeps": int(substeps), "h": h, "scheme": scheme,
              "sde_params": dict(getattr(sde, "params", {}))}
    return SDERun(sde_name, traj, params,
                  seed if not hasattr(seed, "bit_generator") else None, backend_name(xp), wall)

