"""The default view is an overview (#20): repeats folded by structure whatever their names, modules that
hand their input back drawn as edges, one module's inside drawn alone (`--focus`), and the automatic
view bounded in height at 100 % with its caption saying how to get more."""

from __future__ import annotations

import re
from collections import OrderedDict

import pytest
import torch
from click.testing import CliRunner
from torch import nn

import archviz
from archviz import app, view
from archviz.cli import main
from archviz.errors import UsageError
from archviz.kinds import ClusterKind, NodeKind, OpsMode
from archviz.record import Trace
from archviz.view.fit import SCREENS_PX, Budget, fit


class Layer(nn.Module):
    """A residual MLP layer: two Linears, a GELU, a LayerNorm."""

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.norm, self.up, self.down = nn.LayerNorm(width), nn.Linear(width, 2 * width), nn.Linear(2 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.down(torch.nn.functional.gelu(self.up(self.norm(x))))


def _encoder(n: int = 12) -> nn.Module:
    """Twelve identical layers named like torchvision's ViT: `encoder_layer_0 … encoder_layer_11`."""
    return nn.Sequential(OrderedDict((f"encoder_layer_{i}", Layer()) for i in range(n)))


def _frames(g: view.Graph) -> list[view.Cluster]:
    return [c for c in g.clusters if c.kind == ClusterKind.REPEAT]


# ---- repeats folded by structure ----------------------------------------------------------------------------


def test_twelve_identical_blocks_with_unnumbered_names_fold_x12() -> None:
    record = archviz.trace(nn.Sequential(OrderedDict(layers=_encoder())).eval(), torch.randn(2, 5, 8))
    g = view.build(record)
    (frame,) = _frames(g)
    assert frame.repeat == 12
    assert frame.label.startswith("layers.encoder_layer_0 … encoder_layer_11 ×12 · [2, 5, 8] → [2, 5, 8]")
    per_layer = 2 * 8 + (8 * 16 + 16) + (16 * 8 + 8)
    assert f"{per_layer:,} params each (not shared), {12 * per_layer:,} in all" in frame.label
    # one layer drawn: its Linears once each
    assert [n.title for n in g.nodes].count("layers.encoder_layer_0.up") == 1
    assert not any("encoder_layer_1." in n.title for n in g.nodes)
    # the graph says which module is which member, in order, so the report can find `encoder_layer_7`
    folds = dict(g.folds)
    assert folds[frame.id] == tuple((f"layers.encoder_layer_{i}",) for i in range(12))


def test_blocks_called_one_per_line_fold_only_from_three() -> None:
    class Lines(nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.n = n
            self.first, self.second, self.third = Layer(), Layer(), Layer()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.first(x)
            x = self.second(x)
            if self.n == 3:
                x = self.third(x)
            return x

    three = _frames(view.build(archviz.trace(Lines(3).eval(), torch.randn(2, 8))))
    assert [f.repeat for f in three] == [3] and three[0].label.startswith("first, second, third ×3")
    # two same-shaped layers on two lines are two roles (fc1, fc2), not a stack
    assert _frames(view.build(archviz.trace(Lines(2).eval(), torch.randn(2, 8)))) == []


class Temporal(nn.Module):
    """A TCN block: a dilated causal-padded conv, the residual added."""

    def __init__(self, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(8, 8, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + torch.relu(self.conv(x))


def test_blocks_differing_in_a_constructor_argument_fold_and_the_frame_says_so() -> None:
    model = nn.Sequential(*[Temporal(d) for d in (1, 2, 4)]).eval()
    record = archviz.trace(model, torch.randn(2, 8, 20))
    assert [c.settings for c in record.calls if c.type == "Conv1d"] == [
        "8, 8, kernel_size=(3,), stride=(1,), padding=(1,)",
        "8, 8, kernel_size=(3,), stride=(1,), padding=(2,), dilation=(2,)",
        "8, 8, kernel_size=(3,), stride=(1,), padding=(4,), dilation=(4,)",
    ]  # torch's own print of each layer's settings, kept in the record
    (frame,) = _frames(view.build(record))
    assert frame.repeat == 3
    assert "differ in conv padding=(1,)/(2,)/(4,), dilation=default/(2,)/(4,)" in frame.label
    # the same blocks with one dilation: nothing differs, and the frame says nothing of it
    same = view.build(archviz.trace(nn.Sequential(*[Temporal(2) for _ in range(3)]).eval(), torch.randn(2, 8, 20)))
    assert "differ" not in _frames(same)[0].label


def test_settings_round_trip_through_json() -> None:
    record = archviz.trace(nn.Sequential(Temporal(2)).eval(), torch.randn(1, 8, 6))
    back = Trace.from_json(record.to_json())
    assert [c.settings for c in back.calls] == [c.settings for c in record.calls]
    assert any("dilation=(2,)" in c.settings for c in back.calls)


# ---- pass-through modules ------------------------------------------------------------------------------------


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj, self.skip, self.drop, self.out = nn.Linear(8, 8), nn.Identity(), nn.Dropout(0.3), nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.drop(self.skip(self.proj(x))))


def test_identity_and_eval_dropout_are_drawn_as_the_edge_they_pass() -> None:
    record = archviz.trace(Head().eval(), torch.randn(4, 8))
    ids = {c.name: c.id for c in record.calls}
    g = view.build(record)
    titles = {n.title for n in g.nodes}
    assert {"proj", "out"} <= titles and not {"skip", "drop"} & titles
    (edge,) = [e for e in g.edges if e.src == ids["proj"] and e.dst == ids["out"]]
    assert edge.passes == (ids["skip"], ids["drop"]) and edge.label == "via skip, drop\n[4, 8]"
    assert edge.id == "pass-" + ids["skip"]
    places = dict(g.places)
    assert places[ids["skip"]] == places[ids["drop"]] == edge.id  # the report's tree and panels point to it
    assert view.lint(g) == []
    # asked for, they are boxes
    every = view.build(record, view.View(ops=OpsMode.ALL))
    assert {"skip", "drop"} <= {n.title for n in every.nodes}


def test_a_training_dropout_is_a_box_and_two_in_a_row_stay_wired() -> None:
    model = nn.Sequential(nn.Dropout(0.0), nn.Dropout(0.5), nn.Linear(3, 3)).train()
    record = archviz.trace(model, torch.randn(2, 3))
    g = view.build(record)
    assert view.lint(g) == []
    boxes = [n.title for n in g.nodes if n.kind == NodeKind.MODULE]
    assert boxes == ["1", "2"]  # p=0 hands its input back; p=0.5 in training makes a new tensor
    (into,) = [e for e in g.edges if e.dst == record.calls[2].id]
    assert into.src == "in-0" and into.label.startswith("via Dropout 0\n")


def test_the_report_keeps_a_row_and_a_panel_for_a_module_drawn_as_an_edge(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = archviz.render(Head().eval(), torch.randn(4, 8), out=tmp_path, formats="svg,html", name="head")
    page = (tmp_path / "head.html").read_text(encoding="utf-8")
    svg = (tmp_path / "head.svg").read_text(encoding="utf-8")
    assert str(tmp_path / "head.html") in paths
    assert re.search(r'<g id="pass&#45;call&#45;\d{4}" class="edge"', svg)
    assert "drawn as the edge it passes" in page
    assert 'data-id="call-0002"' in page and 'data-id="call-0003"' in page  # skip and drop rows in the tree


# ---- focus --------------------------------------------------------------------------------------------------


def _deep() -> nn.Module:
    return nn.Sequential(OrderedDict(stem=nn.Linear(8, 8), encoder=nn.Sequential(OrderedDict(layers=_encoder(4)))))


def test_focus_draws_one_modules_inside_alone() -> None:
    record = archviz.trace(_deep().eval(), torch.randn(2, 8))
    sink = app.MemorySink()
    app.run(app.Source.of(record), app.Options(formats=("dot",), focus="encoder.layers.encoder_layer_2"), sink)
    (name,) = sink.files
    assert name.endswith(".encoder.layers.encoder_layer_2.dot")  # beside the whole model's files
    dot_text = sink.files[name].decode("utf-8")
    assert "encoder.layers.encoder_layer_2.up" in dot_text and "encoder.layers.encoder_layer_2.down" in dot_text
    assert "stem" not in dot_text and "encoder_layer_1." not in dot_text and "encoder_layer_3." not in dot_text
    g = view.build(record, view.View(focus="encoder.layers.encoder_layer_2"))
    (inp,) = [n for n in g.nodes if n.kind == NodeKind.INPUT]
    assert inp.outputs == ("[2, 8]",)  # what the layer read from outside is the diagram's input


def test_focus_on_an_unknown_path_names_the_paths_there_are() -> None:
    record = archviz.trace(_deep().eval(), torch.randn(2, 8))
    with pytest.raises(UsageError) as caught:
        view.build(record, view.View(focus="encoder.layers.encoder_layer_9"))
    message = str(caught.value)
    assert message.startswith("--focus encoder.layers.encoder_layer_9: no module of that path ran")
    assert "encoder.layers.encoder_layer_0, encoder.layers.encoder_layer_1" in message


def test_focus_on_the_command_line_exits_2_on_an_unknown_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = tmp_path / "deep.py"
    model.write_text(
        "import torch\nfrom torch import nn\n\n"
        "def build_model():\n"
        "    return nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Linear(4, 4), nn.ReLU()))\n\n"
        "def example_inputs():\n"
        "    return torch.randn(2, 4)\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    bad = runner.invoke(main, ["render", str(model), "--focus", "1.5", "-o", str(tmp_path / "out"), "-q"])
    assert bad.exit_code == 2 and "--focus 1.5" in bad.stderr and "1.0, 1.1" in bad.stderr
    good = runner.invoke(main, ["render", str(model), "--focus", "1", "--format", "dot", "-o", str(tmp_path / "o")])
    assert good.exit_code == 0, good.stderr
    dot_text = (tmp_path / "o" / "deep.1.dot").read_text(encoding="utf-8")  # beside deep.dot, not over it
    assert '"1.0"' not in dot_text and "<B>1.0</B>" in dot_text and "<B>0</B>" not in dot_text


# ---- the automatic view ---------------------------------------------------------------------------------------


def _long() -> nn.Module:
    """Six stages of twelve layers whose widths all differ: nothing folds, depth 2 is 72 boxes tall."""
    widths = [8 + i for i in range(73)]
    stages = [
        nn.Sequential(*[nn.Linear(widths[12 * s + i], widths[12 * s + i + 1]) for i in range(12)]) for s in range(6)
    ]
    return nn.Sequential(*stages)


def _svg_px(svg: str) -> tuple[float, float]:
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    assert m
    return float(m[1]) * 96 / 72, float(m[2]) * 96 / 72


def test_the_automatic_view_is_the_most_detailed_one_that_stays_readable() -> None:
    record = archviz.trace(_long().eval(), torch.randn(2, 8))
    sink = app.MemorySink()
    result = app.run(app.Source.of(record), app.Options(formats=("svg", "dot")), sink)
    svg = next(v for k, v in sink.files.items() if k.endswith(".svg")).decode("utf-8")
    dot_text = next(v for k, v in sink.files.items() if k.endswith(".dot")).decode("utf-8")
    _, height = _svg_px(svg)
    assert height <= SCREENS_PX
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    assert min(sizes) * 96 / 72 >= 10  # drawn at 100 %: never scaled down to a strip
    assert "drawn with --depth 1 of 2; --depth 2 for all" in dot_text
    assert any("tall" in note for note in result.notes)
    # the same depth asked for is drawn as asked, without a caption
    sink = app.MemorySink()
    app.run(app.Source.of(record), app.Options(formats=("svg", "dot"), depth=2), sink)
    asked = next(v for k, v in sink.files.items() if k.endswith(".svg")).decode("utf-8")
    assert _svg_px(asked)[1] > SCREENS_PX and "--depth 2 for all" not in asked


def test_compact_boxes_come_before_less_depth() -> None:
    record = archviz.trace(_long().eval(), torch.randn(2, 8))
    tall = Budget(max_height_px=SCREENS_PX)
    fitted = fit(record, view.View(), tall)
    # at depth 2, 72 boxes are too tall even compact; depth 1 fits with full boxes, no compact needed
    assert fitted.view is not None and fitted.view.depth == 1 and not fitted.view.compact
    assert fitted.graph.caption == "drawn with --depth 1 of 2; --depth 2 for all"
    # a budget only compact boxes meet (the estimate skips views over 1.25 × the budget): the same depth, compact
    squeezed = fit(record, view.View(depth=1), Budget(max_height_px=0.6 * _full_height(record)))
    assert squeezed.view is not None and squeezed.view.compact and squeezed.graph.compact
    assert "compact boxes" in squeezed.graph.caption
    # no budget for height: nothing changes
    assert fit(record, view.View()).graph.caption == ""


def _full_height(record: Trace) -> float:
    from archviz.view.fit import tall_pt

    return tall_pt(view.build(record, view.View(depth=1))) * 96 / 72


def test_focus_through_the_api(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = archviz.render(_deep().eval(), torch.randn(2, 8), out=tmp_path, formats="dot", name="f", focus="encoder")
    assert paths == [str(tmp_path / "f.dot")]
    dot_text = (tmp_path / "f.dot").read_text(encoding="utf-8")
    assert "encoder.layers.encoder_layer_0" in dot_text and "<B>stem</B>" not in dot_text
    assert "×4" in dot_text  # the focused module's own repeats are folded
