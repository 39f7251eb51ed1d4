"""The version of archviz, importable by every stage without importing anything else."""

__version__ = "0.1.0"
