"""The package version, in a module of its own so that every layer can read it without importing
the ``neg`` package itself (which would import everything)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__: str = version("neg")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"
