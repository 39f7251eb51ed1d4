"""The words every stage shares: kinds of calls, boxes, wires and cells, view options, and symbols.

Values are StrEnums, so they compare equal to (and serialise as) their plain strings; no module
compares a domain term as a string literal of its own.
"""

from __future__ import annotations

import re
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


class FindingCode(StrEnum):
    """What kind of problem a doctor's finding is (`--select`/`--ignore` and suppressions name these)."""

    FORWARD_FAILED = "forward-failed"
    SHAPE_CLASH = "shape-clash"
    BATCH_TIME = "batch-time"
    PADDING_READ = "padding-read"
    PROBABILITIES = "probabilities"
    DEAD_MODULE = "dead-module"
    DEAD_PARAM = "dead-param"
    DEAD_RESULT = "dead-result"
    BATCH_MIX = "batch-mix"
    GATE_SATURATION = "gate-saturation"
    AXES_SCRAMBLED = "axes-scrambled"  # a view/reshape that interleaves axes instead of grouping them
    BATCH_AXIS = "batch-axis"  # an output whose batch axis is not the inputs' batch (2·B, or gone at B = 1)
    BROADCAST = "broadcast"  # an elementwise op or loss whose broadcasting pairs two different axes (B × B)
    SOFTMAX_AXIS = "softmax-axis"  # a softmax over an axis the following weighted sum does not reduce
    FEATURE_AXIS = "feature-axis"  # a feature layer (Linear, LayerNorm, conv channels) reading time or batch
    LAYOUT = "layout"  # a module's documented layout (batch_first) against stronger evidence
    POSITIONS = "positions"  # positions made from the batch size, used along time
    SHARED_GATE = "shared-gate"  # two gates of a hand-written cell computed by one weight
    BIDIRECTIONAL = "bidirectional"  # a bidirectional RNN's halves read as the wrong direction or layer


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


def saturation_bounds(kind: str) -> tuple[str, str]:
    """How a gate's saturated ends are written: `0.01`/`0.99` for sigmoid, `−0.99`/`0.99` for tanh."""
    return ("−0.99", "0.99") if kind == Activation.TANH else ("0.01", "0.99")


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
    MERMAID = "mermaid"  # a flowchart for Markdown, written as `.mmd`


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

# Recorded op name -> the activation it applies.
ACTIVATION_OPS = {
    "sigmoid": Activation.SIGMOID,
    "sigmoid_": Activation.SIGMOID,
    "tanh": Activation.TANH,
    "tanh_": Activation.TANH,
    "relu": Activation.RELU,
}


# ---- op names: the one vocabulary every stage reads ------------------------------------------------
# Names as the recorder writes them (`Call.name` of an op: `add`, `__add__`, `add_`); where a set holds
# stems, callers compare `op_stem(name)`.


_NORM_CLASS = re.compile(r"Norm(\d[dD])?$")


def is_norm_class(type_name: str) -> bool:
    """A normalisation layer by its class name (`T5LayerNorm`, `LlamaRMSNorm`, `LayerNorm2d`): a
    hand-written one is drawn as one box, as torch's own `nn.LayerNorm` is, wherever it sits."""
    return bool(_NORM_CLASS.search(type_name))


def op_stem(name: str) -> str:
    """`__rmul__` -> `rmul`, `mul_` -> `mul`: an op name without Python's operator underscores or the
    in-place mark."""
    return name.strip("_")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SETITEM = "__setitem__"
# Stems by the pointwise role they play in a cell.
MUL_OPS = _words("mul rmul mul_")
ADD_OPS = _words("add radd add_")
RSUB = "rsub"  # `1 - z`: the scalar comes first
SUB_OPS = frozenset({"sub", RSUB})
# Ops that only read metadata or move data between dtypes and devices: folded away by default.
BOOKKEEPING_OPS = _words(
    "to type float double half bfloat16 int long bool cpu cuda contiguous detach detach_ requires_grad_ clone "
    "numel size dim shape dtype device ndim is_cuda is_floating_point data layout names T mT grad_fn "
    "requires_grad is_leaf stride storage_offset element_size __len__ __bool__ __index__ __int__ __float__ "
    "__format__ __hash__ item tolist"
)
# Python's in-place operators, which PyTorch runs as these methods.
IN_PLACE_DUNDERS = _words(
    "__setitem__ __iadd__ __isub__ __imul__ __itruediv__ __ifloordiv__ __imod__ __ipow__ __imatmul__ __iand__ "
    "__ior__ __ixor__ __ilshift__ __irshift__"
)


def named_in_place(name: str) -> bool:
    """An op whose name says it writes in place: PyTorch's trailing underscore (`add_`), or Python's
    in-place operators (`x[i] = v`, `x += y`)."""
    return (name.endswith("_") and not name.endswith("__")) or name in IN_PLACE_DUNDERS


# Ops that make a constant tensor from a size or a value (what a mask or a position table is built from).
CREATION_OPS = _words(
    "zeros ones full empty arange range linspace eye tensor as_tensor zeros_like ones_like full_like empty_like "
    "new_zeros new_ones new_full new_empty new_tensor tril_indices triu_indices"
)
RANDOM_OPS = _words("rand randn randint randperm rand_like randn_like randint_like normal bernoulli multinomial")
FACTORY_OPS = CREATION_OPS | RANDOM_OPS  # every op that makes a tensor of a size it is given
# Comparisons, logic and masking: how an attention mask is built from constants and integer inputs.
MASKING_OPS = _words(
    "eq ne lt le gt ge __eq__ __ne__ __lt__ __le__ __gt__ __ge__ logical_not logical_and logical_or "
    "bitwise_not __invert__ __and__ __or__ masked_fill masked_fill_ where triu tril triu_ tril_"
)
ELEMENTWISE_OPS = _words(
    "add sub mul div true_divide floor_divide remainder pow maximum minimum where eq ne lt le gt ge "
    "__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __iadd__ __isub__ __imul__ "
    "__itruediv__ __pow__ __and__ __or__ add_ sub_ mul_ div_ rsub logical_and logical_or atan2 hypot "
    "masked_fill lerp addcmul addcdiv"
)
MATMUL_OPS = _words("matmul mm bmm __matmul__ __rmatmul__ einsum baddbmm addmm")
JOIN_OPS = _words("cat concat concatenate stack hstack vstack")
RESHAPE_OPS = _words("view reshape expand repeat unflatten broadcast_to")
REDUCE_OPS = _words("mean sum var std amax amin max min logsumexp norm prod median nansum nanmean")
# Module classes by role.
RECURRENT_MODULES = _words("LSTM GRU RNN")
# torch's Python helpers recorded as one call grouping their ops (torch/nn/utils/rnn.py).
COMPOSITE_HELPERS = _words(
    "pack_padded_sequence pad_packed_sequence pack_sequence pad_sequence unpack_sequence unpad_sequence"
)
