"""EcoTrace core: webhook parsing, carbon method, ranking and emission factors, shared by every function."""

__version__ = "0.1.0"
