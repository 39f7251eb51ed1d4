"""The words every stage shares: kinds of calls, boxes, wires and cells, view options, and symbols.

Values are StrEnums, so they compare equal to (and serialise as) their plain strings; no module
compares a domain term as a string literal of its own.
"""

from __future__ import annotations

from enum import StrEnum


class CallKind(StrEnum):
    """What a recorded call is."""

    MODULE = "module"
    OP = "op"
    FUNCTION = "function"  # a torch Python helper such as pack_padded_sequence, grouping its ops


class NodeKind(StrEnum):
    """What a box of the main diagram stands for."""

    MODULE = "module"
    OP = "op"
    FUNCTION = "function"
    INPUT = "input"
    OUTPUT = "output"
    CELL = "cell"  # one layer and direction of an opened nn.LSTM/GRU/RNN
    REFERENCE = "reference"  # a far reader's pointer to a shared input's maker


class MetaKey(StrEnum):
    """Keys of `Trace.meta`: how the forward pass ran (values are text)."""

    TORCH = "torch"
    TRAINING = "training"  # str(model.training): "True" or "False"
    AUTOGRAD = "autograd"  # Switch.ON or Switch.OFF
    OUTPUT_TYPE = "output_type"


class Switch(StrEnum):
    ON = "on"
    OFF = "off"


class Severity(StrEnum):
    """How sure the doctor is that a finding is a bug (most severe first)."""

    ERROR = "error"  # the forward pass failed
    WARNING = "warning"  # very probably a bug
    NOTE = "note"  # worth a look; often fine


class Paint(StrEnum):
    """The colour classes of the diagrams (the legend is drawn from them)."""

    MODULE = "module"
    OP = "op"
    FUNCTION = "function"
    INPUT = "input"
    OUTPUT = "output"
    ERROR = "error"
    GATE = "gate"
    CELL = "cell"
    REFERENCE = "reference"
    POINTWISE = "pointwise"  # ⊙ and + inside a gate diagram


class ClusterKind(StrEnum):
    """A frame around boxes: a module's body or a rolled loop."""

    MODULE = "module"
    LOOP = "loop"
    REPEAT = "repeat"  # sibling layers of one structure, folded into one


class Role(StrEnum):
    """How the view draws a call."""

    ROOT = "root"  # the model itself: its children are drawn at top level
    CLUSTER = "cluster"  # a frame around its children
    NODE = "node"  # one box
    INSIDE = "inside"  # part of an ancestor drawn as one box
    HIDDEN = "hidden"  # bookkeeping, folded away


class WireKind(StrEnum):
    """An element of a recurrent cell's gate wiring."""

    INPUT = "input"
    OUTPUT = "output"
    LINEAR = "linear"
    GATE = "gate"
    POINTWISE = "pointwise"
    OP = "op"


class CellMode(StrEnum):
    """The equations of a recurrent cell: PyTorch's modes, or a hand-written cell."""

    LSTM = "LSTM"
    GRU = "GRU"
    RNN_TANH = "RNN_TANH"
    RNN_RELU = "RNN_RELU"
    CUSTOM = "custom"


class Direction(StrEnum):
    """The direction a recurrent layer runs over time."""

    FORWARD = "forward"
    REVERSE = "reverse"


class Activation(StrEnum):
    """Activations a recurrent cell applies to its gates."""

    SIGMOID = "sigmoid"
    TANH = "tanh"
    RELU = "relu"


class GatesMode(StrEnum):
    """`--gates`: which recurrent cells are drawn open (besides module paths named explicitly)."""

    AUTO = "auto"
    ALL = "all"
    NONE = "none"


class OpsMode(StrEnum):
    """`--ops`: whether bookkeeping ops are drawn."""

    DEFAULT = "default"
    ALL = "all"


class Theme(StrEnum):
    """`--theme`: the diagram's background."""

    LIGHT = "light"
    DARK = "dark"
    TRANSPARENT = "transparent"


class Layout(StrEnum):
    """`--direction`: Graphviz rank direction."""

    TB = "TB"
    LR = "LR"


class Format(StrEnum):
    """Files `render` can write."""

    SVG = "svg"
    PNG = "png"
    PDF = "pdf"
    DOT = "dot"
    JSON = "json"
    HTML = "html"


IMAGE_FORMATS = (Format.SVG, Format.PNG, Format.PDF)

# The producer of a tensor that is a model input (otherwise a call id, or None when never seen made).
INPUT_PRODUCER = "input"

# Gate activations as drawn in boxes and labels.
ACTIVATION_SYMBOLS = {Activation.SIGMOID: "σ", Activation.TANH: "tanh", Activation.RELU: "ReLU"}

# Op names (as recorded) -> the symbol drawn for them.
OP_SYMBOLS = {
    "sigmoid": "σ",
    "tanh": "tanh",
    "mul": "⊙",
    "__mul__": "⊙",
    "__rmul__": "⊙",
    "add": "+",
    "__add__": "+",
    "__radd__": "+",
    "sub": "−",
    "__sub__": "−",
    "__rsub__": "−",
    "matmul": "@",
    "__matmul__": "@",
}

# Node ids in a built-in cell's wiring that other stages read: its input x(t) and new hidden state h(t).
CELL_INPUT_NODE = "x"
CELL_HIDDEN_NODE = "h1"

# The op that indexing (`x[i]`, `h_n[-1]`) records.
GETITEM = "__getitem__"

# Where a built-in recurrent module's results sit in what it returns: the sequence of outputs, h_n
# (alone, or first of (h_n, c_n)) and c_n.
SEQUENCE_PATHS = ("output[0].data", "output[0]", "output")
STATE_PATH = "output[1]"
H_N_PATHS = ("output[1]", "output[1][0]")
C_N_PATH = "output[1][1]"

# Op names (stripped of underscores) by the pointwise role they play in a cell.
MUL_OPS = frozenset({"mul", "rmul", "mul_"})
ADD_OPS = frozenset({"add", "radd", "add_"})
RSUB = "rsub"  # `1 - z`: the scalar comes first
SUB_OPS = frozenset({"sub", RSUB})
# Recorded op name -> the activation it applies.
ACTIVATION_OPS = {
    "sigmoid": Activation.SIGMOID,
    "sigmoid_": Activation.SIGMOID,
    "tanh": Activation.TANH,
    "tanh_": Activation.TANH,
    "relu": Activation.RELU,
}
