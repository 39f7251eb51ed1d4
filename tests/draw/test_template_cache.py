"""The report's compiled template is kept between runs in jinja2's per-user cache folder: the page is
the same bytes compiled afresh, read from the cache, or with no cache folder to be had, and a template
that changed is compiled again."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
from conftest import ROOT

from archviz import app
from archviz.draw.html import report


@pytest.fixture(autouse=True)
def _fresh_template() -> Iterator[None]:
    """The tests' template (made with a cache in their temp folder) is not left for other tests."""
    yield
    report.template.cache_clear()


def _page(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # where jinja2 makes its cache folder
    report.template.cache_clear()
    sink = app.MemorySink()
    app.run(app.Source.file(str(ROOT / "examples" / "gru.py")), app.Options(formats=("html",)), sink)
    return sink.files["gru.html"]


def _cached(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("_jinja2-cache-*/__archviz-*.cache"))


def test_the_page_is_the_same_compiled_or_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = _page(tmp_path, monkeypatch)
    files = _cached(tmp_path)  # the template compiled once, kept
    assert len(files) == 1 and files[0].stat().st_size > 1000
    stamp = files[0].stat().st_mtime_ns
    assert _page(tmp_path, monkeypatch) == cold
    assert files[0].stat().st_mtime_ns == stamp  # read, not written again


def test_no_cache_folder_is_no_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = _page(tmp_path, monkeypatch)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")  # no folder can be made in it, whoever runs this
    assert _page(not_a_folder, monkeypatch) == cold
    assert report._compiled_cache() is None


def test_the_cache_name_changes_with_the_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """jinja2 checks the template's text itself; what else changes the compiled code changes the name."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = report._compiled_cache()
    monkeypatch.setitem(report._OPTIONS, "trim_blocks", False)
    second = report._compiled_cache()
    assert isinstance(first, jinja2.FileSystemBytecodeCache) and isinstance(second, jinja2.FileSystemBytecodeCache)
    assert first.pattern != second.pattern
