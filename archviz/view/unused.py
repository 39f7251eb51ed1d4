"""Op boxes that explain nothing: values nothing drawn reads and the model does not return (an unused
`head_arange`, a `mask.all()` only an `if` looks at) are left out and named in one page note."""

from __future__ import annotations

from ..kinds import NodeKind, OpsMode, named_in_place
from ..record import TensorMeta, Trace
from .graph import Edge, Node, View


def drop_unused(
    trace: Trace,
    view: View,
    groups: set[str],
    nodes: dict[str, Node],
    edges: dict[tuple[str, str, int, str], list[TensorMeta]],
    extra: list[Edge],
) -> str:
    """Leave out (from `nodes` and `edges`) the op boxes whose values nothing drawn reads, and so on back;
    the page note that says so. `--ops all` draws them; a write in place (`add_`, `x[i] = v`) is kept: it
    changes state. `groups`: the ids of folded op groups."""
    if view.ops == OpsMode.ALL:
        return ""
    dropped: list[str] = []
    while True:
        feeding = {e[0] for e in edges} | {e.src for e in extra}
        dead = [n for n in nodes.values() if n.kind == NodeKind.OP and not n.error and n.id not in feeding]
        # a box of one op call or a folded group; not the parts of an opened nn.LSTM (`call-0016:cat1`)
        dead = [n for n in dead if n.id in groups or (n.id == n.call and not named_in_place(trace.call(n.id).name))]
        if not dead:
            break
        for n in dead:
            dropped.append(n.title)
            del nodes[n.id]
        gone = {n.id for n in dead}
        for key in [k for k in edges if k[1] in gone]:
            del edges[key]
    if not dropped:
        return ""
    names = ", ".join(dict.fromkeys(dropped))
    why = "no box reads them (unused, or read only as Python values by .item() or if); --ops all draws them"
    return f"not drawn: {names}: {why}"
