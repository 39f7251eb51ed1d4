"""Any text from the user's code or file names leaves archviz escaped, through every output: the SVG,
HTML, DOT and JSON files, stdout and stderr of `render`, and the doctor's text and JSON.

"Escaped" means: no C0/C1 control character (but newline and tab), no bidi override or isolate, no
zero-width or other invisible format character, no lone surrogate, no ANSI escape reaches any of them
raw (right-to-left spoofing, retitled terminals, hidden text); and the JSON record still gives the exact
text back when parsed.
"""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archviz.cli import main

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
NASTY = "\x00\x01\x07\x1b\x7f\x85\x9b\u202e\u202a\u2066\u200b\u200d\u2028\ufeff\u061c<>&\"'\\"
TEXT = st.text(alphabet=st.sampled_from(NASTY) | st.characters(codec="utf-8"), min_size=1, max_size=12)
FILE_TEXT = st.text(
    alphabet=st.sampled_from("\x01\x07\x1b\u202e\u200b\u2066 ab")
    | st.characters(codec="utf-8", exclude_characters="/\x00"),
    min_size=1,
    max_size=8,
)

MODEL = """
import torch
from torch import nn


def forward(self, x):
    h = getattr(self, KEY)(x)
    if MESSAGE is not None:
        raise ValueError(MESSAGE)
    return h


def build_model():
    model = type(CLS, (nn.Module,), {"forward": forward})()
    setattr(model, KEY, nn.Linear(4, 4))
    return model


def example_inputs():
    return (torch.randn(2, 4),)
"""


def _source(key: str, cls: str, message: str | None) -> str:
    return f"KEY = {key!r}\nCLS = {cls!r}\nMESSAGE = {message!r}\n" + MODEL


def _raw(where: str, text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})
    assert not found, f"{where} carries raw {found}"


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(name=TEXT, cls_name=TEXT, message=st.none() | TEXT, stem=FILE_TEXT)
def test_every_output_carries_text_escaped(
    tmp_path_factory: pytest.TempPathFactory, name: str, cls_name: str, message: str | None, stem: str
) -> None:
    key = "m_" + re.sub("[.\ud800-\udfff]", "_", name)  # torch refuses `.`; files cannot hold surrogates
    cls = re.sub("[\x00\ud800-\udfff]", "?", cls_name)  # type() refuses NUL and surrogates in a class name
    folder = tmp_path_factory.mktemp("esc")
    path = folder / f"{stem.strip() or 'm'}.py"
    path.write_text(_source(key, cls, message), encoding="utf-8")
    out = folder / "out"
    runner = CliRunner()
    done = runner.invoke(main, ["render", str(path), "-o", str(out), "--format", "svg,html,dot,json"])
    assert done.exit_code in (0, 1), (done.exit_code, done.stderr, done.exception)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    _raw("render stdout", done.stdout)
    _raw("render stderr", done.stderr)
    for written in sorted(out.iterdir()):
        _raw(written.name, written.read_text(encoding="utf-8"))  # strict UTF-8: no surrogate got in
    (written,) = out.glob("*.json")
    record = json.loads(written.read_text(encoding="utf-8"))
    assert record["model_class"] == cls and any(c["name"] == key for c in record["calls"])
    if message is not None:
        assert record["failure"]["message"] == message
    for form in ("text", "json"):
        doctor = runner.invoke(main, ["doctor", str(path), "--format", form])
        assert doctor.exit_code in (0, 1), (form, doctor.exit_code, doctor.stderr)
        _raw(f"doctor {form} stdout", doctor.stdout)
        _raw(f"doctor {form} stderr", doctor.stderr)
        if form == "json":
            json.loads(doctor.stdout)
