"""`render --format mermaid`: a flowchart of the same view the SVG draws, escaped with mermaid's entities."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from diffpairs import PAIRS

from archviz.cli import main
from archviz.draw.mermaid import text, to_mermaid
from archviz.kinds import Layout, NodeKind
from archviz.view.graph import Cluster, Edge, Graph, Node


def test_render_writes_an_mmd_file(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["render", str(PAIRS / "residual_new.py"), "--format", "mermaid", "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    mmd = (tmp_path / "residual_new.mmd").read_text(encoding="utf-8")
    assert mmd.startswith("flowchart TB\n")
    boxes = dict(re.findall(r'^\s*(n\d+)\["([^"]*)"\]$', mmd, flags=re.M))
    edges = re.findall(r"^\s*(n\d+) -->\|\"([^\"]*)\"\| (n\d+)$", mmd, flags=re.M)
    assert any(label.startswith("block.ff.0<br/>Linear") for label in boxes.values())
    names = {k: v.split("<br/>")[0] for k, v in boxes.items()}
    # the residual: embed's output read by the block's norm and by the add
    embed = next(k for k, v in names.items() if v == "embed")
    assert {names[dst] for src, _, dst in edges if src == embed} == {"block.norm", "add"}
    assert all(label == "[2, 10, 24]" for src, label, _ in edges if src == embed)
    assert mmd.count("subgraph ") == mmd.count("\n  end") + mmd.count("\n    end")


def test_mermaid_escapes_user_text() -> None:
    assert text('a "b" <c> #1 | `d`') == "a #quot;b#quot; #lt;c#gt; #35;1 #124; #96;d#96;"
    g = Graph(
        title="t",
        direction=Layout.LR,
        nodes=(
            Node("x", NodeKind.INPUT, "x", '[2] "q"', outputs=("[2]",)),
            Node("m", NodeKind.MODULE, 'evil"]\nclick', "Linear", cluster="c"),
        ),
        edges=(Edge("x", "m", "[2]"), Edge("m", "m", "[2] ×3", back=True)),
        clusters=(Cluster("c", "frame <b>", None, "module"),),  # type: ignore[arg-type]
    )
    out = to_mermaid(g, {"m": "added"}, {("x", "m"): "added"})
    assert out.startswith("flowchart LR")
    assert '"' not in "".join(re.findall(r'\["([^"]*)"\]', out)).replace("#quot;", "")
    assert 'n1["evil#quot;] click<br/>Linear"]' in out
    assert 'subgraph c0["frame #lt;b#gt;"]' in out
    assert "n1 -.->" in out and "class n1 d_added" in out and "linkStyle 0 stroke:" in out
