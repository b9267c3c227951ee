"""The compressor contract of the kit, and the adapter that runs real compressors through it.

The kit draws ``C(x)`` many times at a fixed ``x``. It accepts three shapes of compressor:

- **batched** ``C(x, rng)``: ``x`` of shape ``(..., d)``, every row compressed independently,
  output of the same shape (the catalogue's contract);
- **single-vector** ``C(x, rng)`` or ``C(x)``: one vector ``(d,)`` in, ``(d,)`` out; the
  adapter calls it once per draw (``torch.func.vmap`` with independent randomness per row
  when a torch function allows it);
- **compress/decompress pairs**: a tuple ``(compress, decompress)`` or an object with
  ``.compress`` and ``.decompress``; ``compress(x[, rng])`` returns a payload (or a
  ``(payload, ctx)`` pair when ``decompress`` takes two arguments) and ``decompress`` returns
  the vector. Run single-vector.

Arrays may be numpy (or cupy) arrays or torch tensors (CPU), in ``float64``, ``float32``,
``float16`` or (torch only) ``bfloat16``. ``layout="auto"`` tries a ``(2, d)`` batch, then a
single vector; ``framework="auto"`` tries numpy, then torch. A compressor whose signature
has no ``rng`` parameter (one positional parameter) draws from global generators: the
adapter seeds ``numpy.random``, ``random`` and ``torch`` from the check's generator before
every call, so a run replays. A torch compressor whose rng parameter is named
``generator`` (or annotated ``torch.Generator``) gets a seeded ``torch.Generator``.

The output contract: a real floating array (or tensor, or list of floats) of the input's
shape. ``None``, complex or integer output, or a wrong shape, raise
:class:`CompressorContractError` naming the contract.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend import default_rng, get_xp, to_numpy
from ..errors import InvalidParameterError

__all__ = ["CompressorContractError", "Adapted", "DTypeInfo", "adapt", "resolve_dtype", "CONTRACT"]

CONTRACT = (
    "a compressor is C(x, rng) -> array of x's shape (batched over rows (..., d), or one vector (d,)), "
    "or a (compress, decompress) pair; real floating output"
)


class CompressorContractError(InvalidParameterError):
    """The compressor broke the kit's contract (wrong shape, ``None``, complex or integer output,
    or it fails on every input). The CLI exits with status 2."""


@dataclass(frozen=True)
class DTypeInfo:
    """A working dtype: its name, numpy dtype (``None`` for bfloat16), torch dtype name, limits."""

    name: str
    np_dtype: Any
    eps: float
    max: float
    tiny: float
    torch_only: bool


_DTYPES = {
    "float64": DTypeInfo("float64", np.float64, float(np.finfo(np.float64).eps), float(np.finfo(np.float64).max),
                         float(np.finfo(np.float64).tiny), False),
    "float32": DTypeInfo("float32", np.float32, float(np.finfo(np.float32).eps), float(np.finfo(np.float32).max),
                         float(np.finfo(np.float32).tiny), False),
    "float16": DTypeInfo("float16", np.float16, float(np.finfo(np.float16).eps), float(np.finfo(np.float16).max),
                         float(np.finfo(np.float16).tiny), False),
    # bfloat16: 8 exponent bits like float32, 8 significant bits (eps = 2^-7)
    "bfloat16": DTypeInfo("bfloat16", None, 2.0**-7, 3.3895313892515355e38, 1.1754943508222875e-38, True),
}


def resolve_dtype(dtype: Any) -> DTypeInfo:
    """A :class:`DTypeInfo` from a name (``"bfloat16"``), a numpy dtype or a torch dtype."""
    if isinstance(dtype, DTypeInfo):
        return dtype
    name = str(dtype).replace("torch.", "")
    if name not in _DTYPES:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            pass
    if name not in _DTYPES:
        raise InvalidParameterError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
    return _DTYPES[name]


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return torch


@dataclass
class Adapted:
    """A compressor run through the contract: ``draw(X, seed)`` gives float64 outputs ``(n, d)``."""

    source: Any
    layout: str  # "batched", "single" or "pair"
    framework: str  # "numpy" or "torch"
    takes_rng: bool
    dtype: DTypeInfo
    backend: str = "numpy"
    vmap: bool = False
    torch_generator: bool = False
    _pair_fns: Any = None

    @property
    def description(self) -> str:
        rng = "explicit rng" if self.takes_rng else "global RNGs seeded by the check"
        how = {"batched": "batched over rows", "single": "one vector per call", "pair": "compress/decompress pair"}
        v = ", torch.vmap" if self.vmap else ""
        return f"{how[self.layout]} ({self.framework}, {self.dtype.name}, {rng}{v})"

    # ------------------------------------------------------------------ calling
    def draw(self, X: np.ndarray, seed: Any) -> np.ndarray:
        """``C`` applied to every row of ``X`` (float64 values representable in the dtype)."""
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        rng = self._rng(ss)
        if self.layout == "batched":
            return self._out(self._call(self._in(X), rng), X.shape)
        if self.vmap:
            torch = _torch()
            fn = self._single_fn(rng)
            return self._out(torch.func.vmap(fn, randomness="different")(self._in(X)), X.shape)
        fn = self._single_fn(rng)
        T = self._in(X)
        out = np.empty(X.shape, dtype=np.float64)
        row = X.shape[1:]
        nd = np.ndarray
        for i in range(X.shape[0]):
            y = fn(T[i])
            if type(y) is nd and y.dtype.kind == "f" and y.shape == row:  # fast path
                out[i] = y
            else:
                out[i] = output_to_numpy(y, row)
        return out

    def _rng(self, ss: np.random.SeedSequence) -> Any:
        if not self.takes_rng:
            s = ss.generate_state(3)
            np.random.seed(int(s[0]))
            random.seed(int(s[1]))
            torch = _torch() if self.framework == "torch" or "torch" in _loaded() else None
            if torch is not None:
                torch.manual_seed(int(s[2]))
            return None
        if self.torch_generator:
            torch = _torch()
            g = torch.Generator()
            g.manual_seed(int(ss.generate_state(1)[0]))
            return g
        return default_rng(ss, get_xp(self.backend))

    def _call(self, x: Any, rng: Any) -> Any:
        C = self.source
        if self.layout == "pair":
            if self._pair_fns is None:
                self._pair_fns = _pair(C)
            comp, decomp, two = self._pair_fns
            payload = comp(x, rng) if self.takes_rng else comp(x)
            if two and isinstance(payload, tuple) and len(payload) == 2:
                return decomp(*payload)
            return decomp(payload)
        return C(x, rng) if self.takes_rng else C(x)

    def _single_fn(self, rng: Any) -> Callable[[Any], Any]:
        return lambda x: self._call(x, rng)

    def _in(self, X: np.ndarray) -> Any:
        if self.framework == "torch":
            torch = _torch()
            return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float64)).to(getattr(torch, self.dtype.name))
        xp = get_xp(self.backend)
        return xp.asarray(np.asarray(X).astype(self.dtype.np_dtype))

    def _out(self, y: Any, shape: tuple[int, ...]) -> np.ndarray:
        return output_to_numpy(y, shape)


def _loaded() -> set[str]:
    import sys

    return set(sys.modules)


def output_to_numpy(y: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Validate a compressor's output against the contract and return it as float64 numpy."""
    if y is None:
        raise CompressorContractError(f"the compressor returned None for an input of shape {shape}; {CONTRACT}")
    mod = type(y).__module__
    if mod.startswith("torch"):
        if y.is_complex():
            raise CompressorContractError(f"the compressor returned complex values ({y.dtype}); {CONTRACT}")
        if not y.is_floating_point():
            raise CompressorContractError(f"the compressor returned {y.dtype} values, not floats; {CONTRACT}")
        a = y.detach().to("cpu").double().numpy()
    else:
        try:
            a = to_numpy(y) if mod.startswith("cupy") else np.asarray(y)
        except (TypeError, ValueError) as exc:
            raise CompressorContractError(
                f"the compressor returned {type(y).__name__}, not an array ({exc}); {CONTRACT}"
            ) from None
        if a.dtype.kind == "c":
            raise CompressorContractError(f"the compressor returned complex values ({a.dtype}); {CONTRACT}")
        if a.dtype.kind not in "f":
            raise CompressorContractError(
                f"the compressor returned {a.dtype} values, not real floats; {CONTRACT}"
            )
    if a.shape != tuple(shape):
        raise CompressorContractError(
            f"the compressor returned shape {a.shape} for an input of shape {tuple(shape)}; {CONTRACT}"
        )
    return a.astype(np.float64, copy=False)


def _pair(C: Any) -> tuple[Callable, Callable, bool]:
    if isinstance(C, tuple):
        comp, decomp = C
    else:
        comp, decomp = C.compress, C.decompress
    return comp, decomp, _n_positional(decomp) >= 2


def is_pair(C: Any) -> bool:
    """``(compress, decompress)`` or an object with callable ``compress`` and ``decompress``."""
    if isinstance(C, tuple):
        return len(C) == 2 and all(callable(f) for f in C)
    return callable(getattr(C, "compress", None)) and callable(getattr(C, "decompress", None))


def _n_positional(f: Any) -> int:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return 2
    ps = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values()):
        return 99
    return len(ps)


_RNG_NAMES = ("rng", "generator", "gen", "random_state", "key", "prng", "random")


def _rng_param(f: Any) -> tuple[bool, bool]:
    """(takes an rng argument, wants a torch.Generator).

    The second positional parameter is the rng when it is required, or optional with an
    rng-like name (``rng=None``); an optional ``C(x, s=4)`` takes no rng.
    """
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return True, False
    params = list(sig.parameters.values())
    ps = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(ps) < 2:
        return any(p.kind == p.VAR_POSITIONAL for p in params), False
    p = ps[1]
    if p.default is not inspect.Parameter.empty and p.name.lower() not in _RNG_NAMES:
        return False, False
    ann = str(p.annotation)
    return True, (p.name in ("generator", "gen") or ("Generator" in ann and "torch" in ann))


def _short(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(msg) > 120:
        msg = msg[:117] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def adapt(C: Any, d: int, *, dtype: Any = "float64", layout: str = "auto", framework: str = "auto",
          backend: str = "numpy", seed: int = 0) -> Adapted:
    """Find how to call ``C`` (layout, framework, rng) by probing it at dimension ``d``.

    Raises :class:`CompressorContractError` when no way works (naming what each attempt did).
    """
    info = resolve_dtype(dtype)
    if layout not in ("auto", "batched", "single", "pair"):
        raise InvalidParameterError(f"layout must be 'auto', 'batched', 'single' or 'pair', got {layout!r}")
    if framework not in ("auto", "numpy", "torch"):
        raise InvalidParameterError(f"framework must be 'auto', 'numpy' or 'torch', got {framework!r}")
    pair = is_pair(C)
    if not pair and not callable(C):
        raise InvalidParameterError(f"C must be callable as C(x, rng) or a (compress, decompress) pair, got {C!r}")
    import importlib.util
    import sys

    has_torch = "torch" in sys.modules or importlib.util.find_spec("torch") is not None
    if info.torch_only or framework == "torch":
        if not has_torch:
            raise InvalidParameterError(
                f"dtype {info.name} / framework torch needs torch (pip install 'theorylab[torch]')"
            )
        frameworks = ["torch"]
    elif framework == "numpy":
        frameworks = ["numpy"]
    else:
        frameworks = ["numpy"] + (["torch"] if has_torch else [])  # torch is imported only if needed
    takes_rng, torch_gen = _rng_param(_pair(C)[0] if pair else C)
    layouts = ["pair"] if pair else (["batched", "single"] if layout == "auto" else [layout])
    if layout == "pair" and not pair:
        raise InvalidParameterError("layout='pair' needs a (compress, decompress) tuple or an object with both methods")
    probe = np.random.default_rng(seed).standard_normal((2, d))
    tried: list[str] = []
    contract: CompressorContractError | None = None
    for fw in frameworks:
        if contract is not None:
            break  # it ran on numpy input and returned something out of contract: not a torch function
        for lay in layouts:
            a = Adapted(C, lay, fw, takes_rng, info, backend, False, torch_gen and fw == "torch")
            X = probe if lay == "batched" else probe[:1]
            try:
                with np.errstate(all="ignore"):
                    a.draw(X, seed)
            except CompressorContractError as exc:
                contract = contract or exc
                tried.append(f"{lay} {fw}: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - user code: any failure means "not this way"
                tried.append(f"{lay} {fw}: {_short(exc)}")
                continue
            if lay != "batched" and fw == "torch" and not takes_rng:
                a.vmap = _vmap_works(a, probe)
            return a
    if contract is not None:
        raise CompressorContractError(f"{contract} (at d = {d})") from None
    raise CompressorContractError(
        f"could not call the compressor at d = {d}: " + "; ".join(tried[:4]) + f". Expected {CONTRACT}"
    )


def _vmap_works(a: Adapted, probe: np.ndarray) -> bool:
    try:
        a.vmap = True
        with np.errstate(all="ignore"):
            y = a.draw(np.repeat(probe[:1], 4, axis=0), 0)
        return bool(y.shape == (4, probe.shape[1]))
    except Exception:  # noqa: BLE001 - vmap is an optimisation; fall back to a loop
        return False
    finally:
        a.vmap = False
