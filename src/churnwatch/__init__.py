"""churnwatch: an early-warning system for customer churn over CSV exports."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("churnwatch")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
