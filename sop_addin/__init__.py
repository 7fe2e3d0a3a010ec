"""sop-addin: Sales & Operations Planning in Excel, with a headless CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sop-addin")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
