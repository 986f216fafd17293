"""Flow-log readers: one module per format, found through :mod:`._registry`."""

from portmatrix.audit.readers._protocol import FlowLogReader
from portmatrix.audit.readers._registry import READERS, SNIFF_ORDER, load, names

__all__ = ["READERS", "SNIFF_ORDER", "FlowLogReader", "load", "names"]
