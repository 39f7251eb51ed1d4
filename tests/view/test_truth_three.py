"""Wiring defects seen on public models (issue 21), each on a small model written the way that code is."""

from __future__ import annotations

import math
import warnings

import torch
from conftest import tensor_shapes
from torch import nn

from archviz import capture, view
from archviz.kinds import NodeKind


def _into(g: view.Graph, nid: str) -> list[str]:
    return [e.src for e in g.edges if e.dst == nid]


# ---- 1. an input handed back unchanged --------------------------------------------------------------


class _ConvModule(nn.Module):
    """A conformer-style block: reads a padding mask, returns the sequence only."""

    def __init__(self) -> None:
        super().__init__()
        self.ff = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        return self.ff(x).masked_fill(pad.unsqueeze(-1), 0.0)


class _Encoder(nn.Module):
    """Like torchaudio's Conformer: `lengths` comes back as it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList([_ConvModule() for _ in range(2)])

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pad = torch.arange(x.size(1))[None, :] >= lengths[:, None]
        for layer in self.layers:
            x = layer(x, pad)
        return x, lengths


class _Wrapper(nn.Module):
    """The encoder's pair handed on by its caller (an RNN-T's transcriber)."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = _Encoder()

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encoder(x, lengths)


def test_a_length_handed_back_unchanged_is_wired_from_its_input() -> None:
    x, lengths = torch.randn(2, 5, 8), torch.tensor([5, 3])
    for model in (_Encoder(), _Wrapper()):
        trace = capture.trace_model(model, (x, lengths))
        assert [o.shape for o in trace.outputs] == tensor_shapes(model(x, lengths))
        for depth in (None, 1, 2):
            g = view.build(trace, view.View(depth=depth))
            ins = {n.subtitle: n.id for n in g.nodes if n.kind == NodeKind.INPUT}
            outs = [n.id for n in g.nodes if n.kind == NodeKind.OUTPUT]
            assert len(outs) == 2 and all(_into(g, o) for o in outs), (type(model).__name__, depth)
            if depth is None:
                assert _into(g, outs[1]) == [ins["lengths"]]
                assert next(e.label for e in g.edges if e.dst == outs[1]) == "[2] int64"


# ---- 2. computation on an input is no constant -----------------------------------------------------


def _sinusoidal(timesteps: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    exponent = -math.log(10000.0) * torch.arange(0, half, dtype=torch.float32)
    exponent = exponent / half
    freqs = torch.exp(exponent)
    emb = timesteps[:, None].float() * freqs[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    return emb


class _TimeProj(nn.Module):
    def forward(self, timesteps: torch.Tensor) -> torch.Tensor:
        return _sinusoidal(timesteps, 16)


class _Denoiser(nn.Module):
    """A diffusion model's timestep path: expand the timestep, embed it in a module, project it."""

    def __init__(self) -> None:
        super().__init__()
        self.time_proj = _TimeProj()
        self.time_mlp = nn.Linear(16, 32)
        self.conv = nn.Conv2d(32, 32, 3, padding=1)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        timesteps = timestep.expand(sample.shape[0])
        t_emb = self.time_proj(timesteps)
        return self.conv(sample + self.time_mlp(t_emb)[:, :, None, None])


def test_a_timestep_embedding_is_named_for_what_it_makes_and_keeps_its_input() -> None:
    model, args = _Denoiser(), (torch.randn(2, 32, 4, 4), torch.tensor([7]))
    trace = capture.trace_model(model, args)
    assert [o.shape for o in trace.outputs] == tensor_shapes(model(*args))
    g = view.build(trace)
    titles = [n.title for n in g.nodes]
    assert "constants" not in titles and "mask construction" not in titles
    (emb,) = [n for n in g.nodes if n.title == "emb"]  # the variable its last op is assigned to
    assert emb.notes == ("10 ops: arange, mul, div, exp, getitem, sin, cos, cat",)
    # what it computes from reaches it: an edge from the timestep's path into the group
    timestep = next(n.id for n in g.nodes if n.kind == NodeKind.INPUT and n.subtitle == "timestep")
    reach, todo = {timestep}, [timestep]
    while todo:
        cur = todo.pop()
        for e in g.edges:
            if e.src == cur and e.dst not in reach:
                reach.add(e.dst)
                todo.append(e.dst)
    assert emb.id in reach
    assert any(line.endswith("[2, 16]") for line in emb.outputs)


# ---- 6. an index inside a rolled loop ---------------------------------------------------------------


class _StepLoop(nn.Module):
    """A hand-written recurrence that walks time with `x[t]` and writes a buffer with `outs[:, t]`."""

    def __init__(self) -> None:
        super().__init__()
        self.cell = nn.GRUCell(4, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.size(1), 8)
        outs = []
        for t in range(x.size(0)):
            h = self.cell(x[t], h)
            outs.append(h[:, 2])
        return torch.stack(outs)


def test_an_index_in_a_rolled_loop_reads_as_its_range_not_step_one() -> None:
    model, x = _StepLoop(), torch.randn(5, 3, 4)
    trace = capture.trace_model(model, (x,))
    assert [o.shape for o in trace.outputs] == tensor_shapes(model(x))
    titles = [n.title for n in view.build(trace).nodes]
    assert "getitem [0…4]" in titles and "getitem [0]" not in titles
    assert "getitem [:, 2]" in titles  # the same in every step: said as it is
    unrolled = [n.title for n in view.build(trace, view.View(unroll=True)).nodes]
    assert [t for t in unrolled if t.startswith("getitem [")][:3] == ["getitem [0]", "getitem [:, 2]", "getitem [1]"]


# ---- 9. sparse tensors -----------------------------------------------------------------------------


class _GraphConv(nn.Module):
    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.1)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        support = torch.mm(x, self.weight)
        return torch.spmm(adj, support)


class _GCN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gc1, self.gc2 = _GraphConv(6, 8), _GraphConv(8, 3)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.gc1(x, adj))
        return torch.log_softmax(self.gc2(h, adj), dim=1)


def test_a_sparse_adjacency_shows_its_layout_and_spmm_its_name() -> None:
    edges = torch.tensor([[0, 1, 2, 3, 4, 0, 2], [1, 2, 3, 4, 0, 0, 2]])
    adj = torch.sparse_coo_tensor(edges, torch.ones(7), (5, 5), check_invariants=True)
    model, x = _GCN(), torch.randn(5, 6)
    trace = capture.trace_model(model, (x, adj))
    assert [o.shape for o in trace.outputs] == tensor_shapes(model(x, adj))
    assert trace.inputs[1].layout == "sparse_coo" and trace.inputs[1].nnz == 7 and trace.inputs[0].layout == ""
    ops = [c.name for c in trace.calls if c.kind == "op"]
    assert ops == ["mm", "spmm", "relu", "mm", "spmm", "log_softmax"]
    g = view.build(trace)
    adj_in = next(n.id for n in g.nodes if n.kind == NodeKind.INPUT and n.subtitle == "adj")
    labels = {e.label for e in g.edges if e.src == adj_in}
    assert labels == {"[5, 5] sparse_coo nnz=7"}
    from archviz.record import Trace

    assert Trace.from_json(trace.to_json()).inputs[1] == trace.inputs[1]  # the record keeps it


# ---- 8. a returned cache, whole --------------------------------------------------------------------


class _KVLayer:
    """One layer's keys and values, kept in attributes, as Hugging Face's cache layers keep them."""

    def __init__(self) -> None:
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None

    def update(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.keys = k if self.keys is None else torch.cat([self.keys, k], dim=-2)
        self.values = v if self.values is None else torch.cat([self.values, v], dim=-2)
        return self.keys, self.values


class _KVCache:
    """A dynamic cache: a list of layers that grows as the model runs (no tensor, no dict, no dataclass)."""

    def __init__(self) -> None:
        self.layers: list[_KVLayer] = []

    def update(self, k: torch.Tensor, v: torch.Tensor, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        while len(self.layers) <= idx:
            self.layers.append(_KVLayer())
        return self.layers[idx].update(k, v)


class _PairCache:
    """An encoder-decoder cache: two caches under two names."""

    def __init__(self) -> None:
        self.self_attention_cache, self.cross_attention_cache = _KVCache(), _KVCache()


class _LMOutput(dict):  # type: ignore[type-arg]
    """A mapping with attribute access, as Hugging Face's ModelOutput is."""

    __getattr__ = dict.__getitem__


class _Attention(nn.Module):
    def __init__(self, idx: int) -> None:
        super().__init__()
        self.idx = idx
        self.qkv = nn.Linear(16, 48)
        self.out = nn.Linear(16, 16)

    def forward(self, h: torch.Tensor, memory: torch.Tensor, cache: _PairCache) -> torch.Tensor:
        b, t, _ = h.shape
        q, k, v = self.qkv(h).view(b, t, 3, 2, 8).permute(2, 0, 3, 1, 4)
        k, v = cache.self_attention_cache.update(k, v, self.idx)
        ck, cv = cache.cross_attention_cache.update(
            memory.view(b, -1, 2, 8).transpose(1, 2), memory.view(b, -1, 2, 8).transpose(1, 2), self.idx
        )
        a = torch.softmax(q @ k.transpose(-1, -2), dim=-1) @ v + torch.softmax(q @ ck.transpose(-1, -2), dim=-1) @ cv
        return h + self.out(a.transpose(1, 2).reshape(b, t, 16))


class _CachedDecoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(20, 16)
        self.layers = nn.ModuleList([_Attention(0), _Attention(1)])
        self.head = nn.Linear(16, 20)

    def forward(self, input_ids: torch.Tensor, memory: torch.Tensor) -> _LMOutput:
        cache = _PairCache()
        h = self.embed(input_ids)
        for layer in self.layers:
            h = layer(h, memory, cache)
        return _LMOutput(logits=self.head(h), past_key_values=cache)


def test_a_returned_cache_is_drawn_as_outputs_with_its_tensors() -> None:
    model, args = _CachedDecoder(), (torch.randint(0, 20, (2, 5)), torch.randn(2, 3, 16))
    trace = capture.trace_model(model, args)
    out = model(*args)
    expected = {"output['logits']": tuple(out["logits"].shape)}
    for side in ("self_attention_cache", "cross_attention_cache"):
        for i, layer in enumerate(getattr(out["past_key_values"], side).layers):
            for field in ("keys", "values"):
                expected[f"output['past_key_values'].{side}.layers[{i}].{field}"] = tuple(getattr(layer, field).shape)
    assert {t.path: t.shape for t in trace.outputs} == expected
    g = view.build(trace)
    outs = [n for n in g.nodes if n.kind == NodeKind.OUTPUT]
    assert len(outs) == 9 and all(_into(g, n.id) for n in outs)  # each wired from what made it
    keys0 = next(n for n in outs if n.subtitle == "output['past_key_values'].self_attention_cache.layers[0].keys")
    assert next(e.label for e in g.edges if e.dst == keys0.id) == "keys [2, 2, 5, 8]"
    shallow = view.build(trace, view.View(depth=1, unroll=True))  # layers not folded
    by_id = {n.id: n.title for n in shallow.nodes}
    made = {n.subtitle: [by_id[s] for s in _into(shallow, n.id)] for n in shallow.nodes if n.kind == NodeKind.OUTPUT}
    assert made["output['past_key_values'].self_attention_cache.layers[1].values"] == ["layers.1"]
    assert made["output['logits']"] == ["head"]


# ---- 10. one rule for norms; one spelling for mapping outputs; quiet means quiet ------------------------


class _RMSNorm(nn.Module):
    """T5's layer norm: no mean subtraction, no bias, written as ops."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        variance = h.to(torch.float32).pow(2).mean(-1, keepdim=True)
        return self.weight * (h * torch.rsqrt(variance + 1e-6))


class _Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer_norm = _RMSNorm(16)
        self.ff = nn.Linear(16, 16)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.ff(self.layer_norm(h))


class _Stack(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = nn.ModuleList([_Block(), _Block()])
        self.final_layer_norm = _RMSNorm(16)

    def forward(self, h: torch.Tensor) -> _LMOutput:
        for b in self.block:
            h = b(h)
        return _LMOutput(last_hidden_state=self.final_layer_norm(h))


def test_hand_written_norms_are_one_box_inside_blocks_and_at_the_end() -> None:
    model, x = _Stack(), torch.randn(2, 5, 16)
    trace = capture.trace_model(model, (x,))
    assert [o.shape for o in trace.outputs] == [tuple(model(x)["last_hidden_state"].shape)]
    for v in (view.View(), view.View(unroll=True), view.View(depth=3)):
        g = view.build(trace, v)
        titles = [n.title for n in g.nodes]
        assert "final_layer_norm" in titles and "rsqrt" not in titles and "pow" not in titles
        assert any(t.endswith("layer_norm") and t.startswith("block.") for t in titles)
        assert not any(c.label.startswith(("final_layer_norm", "block.0.layer_norm")) for c in g.clusters)
    everything = [n.title for n in view.build(trace, view.View(ops="all", unroll=True)).nodes]
    assert everything.count("rsqrt") == 3  # --ops all opens them, every one


def test_mapping_outputs_are_spelled_as_keys_and_records_in_the_attribute_spelling_still_load() -> None:
    from archviz.record import Trace

    model, x = _Stack(), torch.randn(2, 5, 16)
    trace = capture.trace_model(model, (x,))
    assert [t.path for t in trace.outputs] == ["output['last_hidden_state']"]
    g = view.build(trace)
    (out,) = [n for n in g.nodes if n.kind == NodeKind.OUTPUT]
    assert next(e.label for e in g.edges if e.dst == out.id) == "last_hidden_state [2, 5, 16]"
    # a record written before this spelling was chosen: `output.last_hidden_state`
    older = Trace.from_json(trace.to_json().replace("output['last_hidden_state']", "output.last_hidden_state"))
    assert [t.path for t in older.outputs] == ["output.last_hidden_state"] and older.lint() == []
    g = view.build(older)
    (out,) = [n for n in g.nodes if n.kind == NodeKind.OUTPUT]
    assert out.subtitle == "output.last_hidden_state"
    assert next(e.label for e in g.edges if e.dst == out.id) == "last_hidden_state [2, 5, 16]"


def test_quiet_means_no_warning_and_no_hint_on_stderr(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from archviz import cli

    model = tmp_path / "warns.py"
    model.write_text(
        "import warnings\nimport torch\nfrom torch import nn\n\n\n"
        "class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.a, self.unused = nn.Linear(4, 4), nn.Linear(4, 4)\n\n"
        "    def forward(self, x):\n        warnings.warn('this path is deprecated')\n        return self.a(x)\n\n\n"
        "def build_model():\n    return M()\n\n\ndef example_inputs():\n    return (torch.randn(2, 4),)\n",
        encoding="utf-8",
    )
    args = ["render", str(model), "-o", str(tmp_path / "out"), "--format", "dot"]
    said = []
    for extra in ([], ["-q"]):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = CliRunner().invoke(cli.main, [*args, *extra])
        assert result.exit_code == 0 and result.stdout.strip().endswith("warns.dot")
        said.append((result.stderr, [str(w.message) for w in caught]))
    (loud, loud_warnings), (quiet, quiet_warnings) = said
    assert "the doctor found" in loud and "this path is deprecated" in loud_warnings
    assert quiet == "" and quiet_warnings == []


# ---- 7. boxes that explain nothing ---------------------------------------------------------------------


class _MaskedEncoder(nn.Module):
    """Builds its attention mask the way Hugging Face's mask helpers do: a padding check only an `if`
    reads, an index table it never uses, and the int64 mask converted to bool on the way."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(30, 16)
        self.attn = nn.MultiheadAttention(16, 2, batch_first=True)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        padding_mask = attention_mask.to(dtype=torch.bool)
        if padding_mask.all():
            padding_mask = None
        head_arange = torch.arange(1)[None, :, None, None]  # noqa: F841  (built, never read)
        h = self.embed(input_ids)
        key_padding = ~padding_mask if padding_mask is not None else None
        return self.attn(h, h, h, key_padding_mask=key_padding, need_weights=False)[0]


def test_unused_values_are_left_out_and_said_and_a_converted_mask_keeps_its_dtype() -> None:
    from archviz.draw import dot

    model = _MaskedEncoder().eval()
    args = (torch.randint(0, 30, (2, 6)), torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]]))
    trace = capture.trace_model(model, args)
    assert [o.shape for o in trace.outputs] == tensor_shapes(model(*args))
    g = view.build(trace)
    titles = [n.title for n in g.nodes]
    assert "all" not in titles and not any(t.startswith("getitem [None") for t in titles) and "arange" not in titles
    assert g.left_out.startswith("not drawn: all") and "no box reads them" in g.left_out and "--ops all" in g.left_out
    every = view.build(trace, view.View(ops="all"))
    assert "all" in [n.title for n in every.nodes] and every.left_out == ""
    # every op box drawn feeds something
    feeding = {e.src for e in g.edges}
    assert all(n.id in feeding for n in g.nodes if n.kind == NodeKind.OP)
    mask_in = next(n.id for n in g.nodes if n.kind == NodeKind.INPUT and n.subtitle == "attention_mask")
    labels = [e.label for e in g.edges if e.src == mask_in]
    assert labels and all("int64→bool" in label for label in labels), labels
    text = dot.to_dot(g)
    legend = text[text.index("legend-table") :]
    assert "module" in legend and "input / output" in legend
    assert "recurrent cell" not in legend and "gate (σ, tanh)" not in legend and "loop state" not in legend
    assert "torch helper" not in legend and "error" not in legend


# ---- 5. a submodule used through its methods --------------------------------------------------------


class _CorrBlock(nn.Module):
    """RAFT's correlation block: no forward; the model calls `build_pyramid` once and `index_pyramid`
    at every refinement step."""

    def __init__(self, levels: int = 2) -> None:
        super().__init__()
        self.levels = levels
        self.pyramid: list[torch.Tensor] = []

    def build_pyramid(self, fmap1: torch.Tensor, fmap2: torch.Tensor) -> None:
        b, c, h, w = fmap1.shape
        corr = torch.matmul(fmap1.flatten(2).transpose(1, 2), fmap2.flatten(2)) / c**0.5
        corr = corr.reshape(b * h * w, 1, h, w)
        self.pyramid = [corr]
        for _ in range(self.levels - 1):
            corr = nn.functional.avg_pool2d(corr, kernel_size=2, stride=2)
            self.pyramid.append(corr)

    def index_pyramid(self, coords: torch.Tensor) -> torch.Tensor:
        b, _, h, w = coords.shape
        grid = coords.permute(0, 2, 3, 1).reshape(b * h * w, 1, 1, 2)
        feats = [nn.functional.grid_sample(level, grid, align_corners=True) for level in self.pyramid]
        return torch.cat(feats, dim=1).view(b, h, w, -1).permute(0, 3, 1, 2)


class _FlowNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fnet = nn.Conv2d(3, 8, 3, padding=1)
        self.corr_block = _CorrBlock()
        self.update = nn.Conv2d(2 + 2, 2, 3, padding=1)
        self.head = _Head()

    def forward(self, img1: torch.Tensor, img2: torch.Tensor) -> torch.Tensor:
        self.corr_block.build_pyramid(self.fnet(img1), self.fnet(img2))
        coords = torch.zeros(img1.shape[0], 2, img1.shape[2], img1.shape[3])
        for _ in range(3):
            corr = self.corr_block.index_pyramid(coords)
            coords = coords + self.update(torch.cat([corr, coords], dim=1))
        return self.head.forward(coords)  # no hook runs for a direct `.forward()`


class _Head(nn.Module):
    def forward(self, flow: torch.Tensor) -> torch.Tensor:
        return torch.tanh(flow) * 4.0


def test_ops_in_a_submodules_methods_belong_to_it() -> None:
    model, args = _FlowNet(), (torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4))
    trace = capture.trace_model(model, args)
    assert [o.shape for o in trace.outputs] == tensor_shapes(model(*args))
    corr_calls = [c for c in trace.calls if c.name == "corr_block"]
    assert len(corr_calls) == 4 and all(c.kind == "module" and c.type == "_CorrBlock" for c in corr_calls)
    kids = trace.children()
    assert {k.name for k in kids[corr_calls[0].id]} >= {"matmul", "avg_pool2d"}
    assert {k.name for k in kids[corr_calls[1].id]} >= {"grid_sample", "cat"}
    assert all(c.parent != trace.calls[0].id for c in trace.calls if c.name in ("grid_sample", "avg_pool2d", "matmul"))
    assert corr_calls[1].outputs and corr_calls[1].outputs[0].shape == (1, 2, 4, 4)
    g = view.build(trace, view.View(depth=1))
    titles = [n.title for n in g.nodes]
    assert "grid_sample" not in titles and "matmul" not in titles and "corr_block" in titles
    corr = [n for n in g.nodes if n.title == "corr_block"]
    fnet = next(n.id for n in g.nodes if n.title == "fnet")
    assert any(e.src == fnet and e.dst == corr[0].id for e in g.edges)  # the features go into the block
    assert len(corr) == 2 and any(e.src == corr[0].id and e.dst == corr[1].id for e in g.edges)  # the pyramid
    assert "head" in titles and "tanh" not in titles
    assert all(_into(g, n.id) for n in g.nodes if n.kind == NodeKind.OUTPUT)
