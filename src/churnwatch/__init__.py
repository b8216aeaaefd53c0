"""churnwatch: an early-warning system for customer churn over CSV exports."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``churnwatch.__version__``, looked up only when asked (importlib.metadata is slow)."""
    if name != "__version__":
        raise AttributeError(f"module 'churnwatch' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("churnwatch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"
