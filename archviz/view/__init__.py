"""View: the view graph (plain data) and building it from a trace and options — depth, loops rolled
or unrolled, opened recurrent modules, fitting to a size budget — and the names of output files.
"""

from .build import build
from .fit import fit
from .graph import Cluster, Edge, Graph, Node, View, lint, parse_gates

__all__ = ["Cluster", "Edge", "Graph", "Node", "View", "build", "fit", "lint", "parse_gates"]
