"""Gate wiring of nn.LSTM / nn.GRU / nn.RNN and their Cell classes, from PyTorch's documented equations.

Built from the record alone (configuration, parameter names and the call's real shapes); drawn only
when the tracer's recomputation (`gates.verify`) reproduced the call's outputs.
"""

from __future__ import annotations

from ..record import Call, Cell, Check, Gate, WireEdge, WireNode, shape_text

# (gate name, activation) in the row order of weight_ih / weight_hh.
GATES = {
    "LSTM": (("i", "sigmoid"), ("f", "sigmoid"), ("g", "tanh"), ("o", "sigmoid")),
    "GRU": (("r", "sigmoid"), ("z", "sigmoid"), ("n", "tanh")),
    "RNN_TANH": (("h", "tanh"),),
    "RNN_RELU": (("h", "relu"),),
}
SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU"}


def _sizes(call: Call, cfg: dict[str, str]) -> tuple[int, int, int, int] | None:
    """(batch B, steps T, hidden H, output size P) of this call, from its real tensors."""
    H = int(cfg["hidden_size"])
    P = int(cfg["proj_size"]) or H
    if cfg["cell"] == "True":
        x = call.inputs[0].shape if call.inputs else ()
        return (x[0] if len(x) == 2 else 1), 1, H, P
    by_path = {t.path: t.shape for t in call.inputs}
    if "args[0].batch_sizes" in by_path:  # PackedSequence: T = len(batch_sizes), B from h_n
        T = by_path["args[0].batch_sizes"][0]
        h_n = next((t.shape for t in call.outputs if t.path in ("output[1]", "output[1][0]")), ())
        return (h_n[1] if len(h_n) == 3 else 1), T, H, P
    x = by_path.get("args[0]") or (call.inputs[0].shape if call.inputs else ())
    if len(x) == 2:
        return 1, x[0], H, P
    if len(x) != 3:
        return None
    B, T = (x[0], x[1]) if cfg["batch_first"] == "True" else (x[1], x[0])
    return B, T, H, P


def cells(call: Call, first_id: int) -> list[Cell]:
    """One Cell per layer and direction of a built-in recurrent call (wiring only if verified)."""
    cfg = dict(call.config)
    mode = cfg["mode"]
    sizes = _sizes(call, cfg)
    layers = int(cfg["num_layers"])
    directions = ("forward", "reverse") if cfg["bidirectional"] == "True" else ("forward",)
    out: list[Cell] = []
    for k in range(layers):
        for d in directions:
            cid = f"cell-{first_id + len(out)}"
            if sizes is None:
                out.append(Cell(cid, call.id, call.name, mode, k, d, notes=("input layout not understood",)))
                continue
            B, T, H, P = sizes
            I = int(cfg["input_size"]) if k == 0 else len(directions) * P
            suffix = "" if cfg["cell"] == "True" else f"_l{k}" + ("_reverse" if d == "reverse" else "")
            cell = _cell(cid, call, mode, k, d, T, B, I, H, P, suffix, cfg["bias"] == "True")
            out.append(cell)
    return out


def _cell(cid: str, call: Call, mode: str, k: int, d: str, T: int, B: int, I: int, H: int, P: int, suffix: str, bias: bool) -> Cell:
    gates = []
    for row, (g, act) in enumerate(GATES[mode]):
        rows = f"[{row * H}:{(row + 1) * H}]"
        w = [f"W_i{g} = weight_ih{suffix}{rows} {shape_text((H, I))}", f"W_h{g} = weight_hh{suffix}{rows} {shape_text((H, P))}"]
        if bias:
            w += [f"b_i{g} = bias_ih{suffix}{rows} {shape_text((H,))}", f"b_h{g} = bias_hh{suffix}{rows} {shape_text((H,))}"]
        gates.append(Gate(g, act, (B, H), tuple(w)))
    check = call.check
    notes = [] if check is None else [_verdict(check)]
    if P != H:
        notes.append(f"projection h_t = W_hr·(o ⊙ tanh c_t): weight_hr{suffix} {shape_text((P, H))}")
    if d == "reverse":
        notes.append(f"runs t = {T} … 1 (reverse direction)")
    base = Cell(cid, call.id, call.name, mode, k, d, T, tuple(gates), check=check, notes=tuple(notes))
    if check is None or not check.verified:
        why = check.note if check is not None else "verification was switched off"
        return Cell(**{**base.__dict__, "notes": (f"drawn closed: {why}",)})
    nodes, edges = _wiring(mode, B, I, H, P, bias, suffix)
    return Cell(**{**base.__dict__, "nodes": tuple(nodes), "edges": tuple(edges)})


def _verdict(check: Check) -> str:
    if check.verified:
        return f"verified: recomputed from the weights, max |error| {check.max_abs_error:.2g}"
    return f"not verified: {check.note}"


def _wiring(mode: str, B: int, I: int, H: int, P: int, bias: bool, suffix: str) -> tuple[list[WireNode], list[WireEdge]]:
    n: list[WireNode] = [WireNode("x", "input", "x(t)", shape=(B, I)), WireNode("h0", "input", "h(t−1)", shape=(B, P))]
    e: list[WireEdge] = []
    bh, bd = (B, H), (B, P)

    def linear(g: str, parts: str = "xh") -> str:
        terms = []
        if "x" in parts:
            terms.append(f"W_i{g}·x(t)" + (f" + b_i{g}" if bias else ""))
        if "h" in parts:
            terms.append(f"W_h{g}·h(t−1)" + (f" + b_h{g}" if bias else ""))
        nid = f"lin_{g}{parts}"
        n.append(WireNode(nid, "linear", " + ".join(terms), g, bh))
        if "x" in parts:
            e.append(WireEdge("x", nid, (B, I)))
        if "h" in parts:
            e.append(WireEdge("h0", nid, bd))
        return nid

    def gate(g: str, act: str, src: str) -> str:
        n.append(WireNode(f"act_{g}", "gate", SYMBOL[act], g, bh))
        e.append(WireEdge(src, f"act_{g}", bh))
        return f"act_{g}"

    def point(nid: str, label: str, srcs: tuple[str, ...], shape: tuple[int, ...] = bh, state: tuple[str, ...] = ()) -> str:
        n.append(WireNode(nid, "pointwise", label, shape=shape))
        e.extend(WireEdge(s, nid, shape, state=s in state) for s in srcs)
        return nid

    if mode == "LSTM":
        n.append(WireNode("c0", "input", "c(t−1)", shape=bh))
        acts = {g: gate(g, act, linear(g)) for g, act in GATES["LSTM"]}
        point("mul_f", "⊙", ("c0", acts["f"]), state=("c0",))
        point("mul_i", "⊙", (acts["i"], acts["g"]))
        point("add_c", "+", ("mul_f", "mul_i"), state=("mul_f",))
        n.append(WireNode("tanh_c", "gate", "tanh", "", bh))
        e.append(WireEdge("add_c", "tanh_c", bh))
        last = point("mul_o", "⊙", (acts["o"], "tanh_c"))
        if P != H:
            n.append(WireNode("proj", "linear", "W_hr·", "projection", bd, f"weight_hr{suffix} {shape_text((P, H))}"))
            e.append(WireEdge(last, "proj", bh))
            last = "proj"
        n += [WireNode("c1", "output", "c(t)", shape=bh), WireNode("h1", "output", "h(t)", shape=bd)]
        e += [WireEdge("add_c", "c1", bh, state=True), WireEdge(last, "h1", bd)]
        e += [WireEdge("c1", "c0", bh, state=True, back=True), WireEdge("h1", "h0", bd, back=True)]
    elif mode == "GRU":
        r = gate("r", "sigmoid", linear("r"))
        z = gate("z", "sigmoid", linear("z"))
        hn = linear("n", "h")
        point("mul_r", "⊙", (r, hn))
        point("add_n", "+", (linear("n", "x"), "mul_r"))
        n_ = gate("n", "tanh", "add_n")
        point("one_minus_z", "1 −", (z,))
        point("mul_n", "⊙", ("one_minus_z", n_))
        point("mul_z", "⊙", (z, "h0"))
        point("add_h", "+", ("mul_n", "mul_z"))
        n.append(WireNode("h1", "output", "h(t)", shape=bh))
        e += [WireEdge("add_h", "h1", bh), WireEdge("h1", "h0", bh, back=True)]
    else:
        act = GATES[mode][0][1]
        a = gate("h", act, linear("h"))
        n.append(WireNode("h1", "output", "h(t)", shape=bh))
        e += [WireEdge(a, "h1", bh), WireEdge("h1", "h0", bh, back=True)]
    return n, e
