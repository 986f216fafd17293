"""portmatrix: vendor port-usage tables as data, resolved into flows, rendered into rules, proven on the wire."""

__version__ = "0.1.0"
