"""The shared part of the Sphinx directive and the MkDocs plugin: cache keys and public messages."""

from __future__ import annotations

from pathlib import Path

from archviz.app import docs


def test_the_theme_and_the_view_options_are_part_of_the_key(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text("X = 1\n", encoding="utf-8")
    sources = docs.local_sources(str(model))
    keys = {
        docs.cache_key(docs.Request(str(model), **options), sources)
        for options in ({}, {"theme": "dark"}, {"theme": "transparent"}, {"depth": 1}, {"model": "m"}, {"fmt": "png"})
    }
    assert len(keys) == 6
    assert docs.cache_key(docs.Request(str(model)), sources) == docs.cache_key(docs.Request(str(model)), sources)


def test_public_messages_name_files_as_the_document_did() -> None:
    path, src = "/home/ci/project/docs/models/net.py", "/home/ci/project/docs"

    def public(message: str, given: str) -> str:
        return docs.public_message(message, path, given, roots=(src,))

    assert public(f"{path}: no such file.", "models/net.py") == "models/net.py: no such file."
    assert public(f"{path}: no such file.", "/models/net.py") == "/models/net.py: no such file."
    data = "FileNotFoundError: '/home/ci/project/docs/models/data/w.bin'"
    assert public(data, "models/net.py") == "FileNotFoundError: 'models/data/w.bin'"
    assert public("read /home/ci/project/docs/other/a.txt", "models/net.py") == "read other/a.txt"
    assert public("in /usr/lib/python3.11/site-packages/x/y.py", "models/net.py") == "in y.py"
    assert public(r"in C:\Users\ci\x.py", "models/net.py") == "in x.py"
    kept = "shapes 4x7 and 10x32, ratio 1/2, see https://pytorch.org/docs/stable/nn.html, a/b.py"
    assert public(kept, "models/net.py") == kept
