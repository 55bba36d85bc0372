"""The fixed signatures of model kernels, shared by models (which define kernels) and solvers
(which call them through numba first-class function types, so that compiled solvers are generic
*and* cacheable).

    kernel(x, lam, par, reg, Phi, out) -> None          (outputs, Jacobian, payoff)
    fixed_point_map(x, lam, par, reg, Phi, out, work) -> None

x    float64[::1]    unknowns of the short run, in logs (length m, usually K)
lam  float64[::1]    distribution of the mobile factor (K)
par  float64[::1]    scalar parameters
reg  float64[:, ::1] per-region parameters, one row each (n_reg x K)
Phi  the freeness operator (neg.operators.OPERATOR, a tuple of one numba type for every kind of
     operator), applied only through the products of neg.operators (freeness_dot, ...)
out  float64[::1] for the fixed-point map and the payoff; float64[:, ::1] for outputs (5 x K)
     and the Jacobian (m x m)
work float64[::1] scratch of length work_size(m, K) = WORK_VECTORS * max(m, K), contents
     undefined on entry, owned by the solver (one per thread): the map is called a few million
     times in a batch of small problems, where allocating its temporaries would cost as much as
     computing them. A map may also ignore it and allocate.
"""

from numba import njit, types
from numba.core.types.function_type import WrapperAddressProtocol
from numba.experimental.function_type import _get_wrapper_address

from neg.operators import OPERATOR

VEC = types.float64[::1]
MAT = types.float64[:, ::1]

MAP_SIGNATURE = types.void(VEC, VEC, VEC, MAT, OPERATOR, VEC, VEC)
PAYOFF_SIGNATURE = types.void(VEC, VEC, VEC, MAT, OPERATOR, VEC)
BLOCK_SIGNATURE = types.void(VEC, VEC, VEC, MAT, OPERATOR, MAT)

MapKernel = types.FunctionType(MAP_SIGNATURE)
BlockKernel = types.FunctionType(BLOCK_SIGNATURE)

#: vectors of scratch a fixed-point map may use (each of length max(m, K))
WORK_VECTORS = 4


def lazy_njit(signature, **options):
    """``@njit(signature, cache=True, **options)``, compiled when first used instead of at import.

    An explicit signature makes numba compile (or load from its cache) at import, so that
    ``import neg`` compiled every kernel of every model (33 s measured on a fresh install). The
    dispatcher made here is lazy: :func:`fast_kernel` (how solvers receive kernels) and
    :func:`compile_declared` (``neg compile``) compile it for ``signature``, and a call from
    Python with arguments of the declared types finds that version. ``signature`` is kept as
    the dispatcher's ``declared_signature``.
    """
    def wrap(func):
        dispatcher = njit(cache=True, **options)(func)
        dispatcher.declared_signature = signature
        return dispatcher
    return wrap


def compile_declared(dispatcher) -> None:
    """Compile (or load from the cache) a :func:`lazy_njit` dispatcher for its signature."""
    dispatcher.compile(dispatcher.declared_signature)


@njit(cache=True)
def work_size(m: int, K: int) -> int:
    """Length of the fixed-point map's scratch for m unknowns on K regions."""
    return WORK_VECTORS * max(m, K)


#: rows of the outputs kernel
OUTPUT_ROWS = ("wage", "income", "price_index", "real_wage", "payoff")


class _FastKernel(WrapperAddressProtocol):
    """A compiled kernel passed to compiled solvers by a cached address.

    Numba looks up a dispatcher's address on every call that passes it as a first-class
    function (about 0.3 ms); wrapping it in the wrapper-address protocol pays that once.
    Calling the wrapper from Python calls the kernel itself.
    """

    __slots__ = ("dispatcher", "_sig", "_addr", "_numba_type_")

    def __init__(self, dispatcher, sig):
        self.dispatcher, self._sig, self._addr = dispatcher, sig, None
        self._numba_type_ = types.FunctionType(sig)  # typeof() reads this instead of rebuilding it

    def __wrapper_address__(self):
        if self._addr is None:
            self._addr = _get_wrapper_address(self.dispatcher, self._sig)
        return self._addr

    def signature(self):
        return self._sig

    def __call__(self, *args):
        return self.dispatcher(*args)


_FAST: dict = {}


def fast_kernel(dispatcher, sig):
    """The cached wrapper of a compiled kernel (see :class:`_FastKernel`). Keyed by identity:
    hashing a numba signature costs microseconds, and the signatures are module constants."""
    key = (id(dispatcher), id(sig))
    k = _FAST.get(key)
    if k is None or k.dispatcher is not dispatcher:
        k = _FAST[key] = _FastKernel(dispatcher, sig)
    return k
