"""Correct public models on which `archviz doctor` must find nothing (issue #19). Opt-in: `pytest -m public`.

`public/` holds one model file per model: Hugging Face transformers (`hf_*`), timm (`timm_*`),
torchvision (`tv_*`) and diffusers (`diffusers_*`) models built from configs with random weights,
and `public/written/`, models written the way well-known public code is written. Each test runs
`archviz doctor FILE` and requires exit 0 with no warning and no error (notes are allowed).

The default run skips these tests (`-m "not public"` in pyproject's addopts): they need the
libraries, take minutes, and many fail until the doctor stops raising false alarms on them. A test
whose library is missing is skipped. torchvision — which transformers, timm and diffusers import
too — is imported through `public/_torchvision_shim.py`, which runs the file named by
`ARCHVIZ_TVSHIM` first when that variable is set; if torchvision still cannot be imported, the
test is skipped with the reason. See `public/README.md`.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from archviz.cli import main

PUBLIC = Path(__file__).resolve().parent / "public"
FIXTURES = sorted(p for p in PUBLIC.rglob("*.py") if not p.name.startswith("_"))
PACKAGES = {"hf_": "transformers", "timm_": "timm", "tv_": "torchvision", "diffusers_": "diffusers"}
FINDING = re.compile(r": (warning|error) \[")


def package_of(path: Path) -> str | None:
    """The library a fixture needs, from its name prefix; None for plain-torch files."""
    return next((pkg for prefix, pkg in PACKAGES.items() if path.name.startswith(prefix)), None)


def torchvision_shim() -> ModuleType:
    """Import public/_torchvision_shim.py (running the ARCHVIZ_TVSHIM file, if that variable is set)."""
    spec = importlib.util.spec_from_file_location("_torchvision_shim", PUBLIC / "_torchvision_shim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skip_unless_importable(package: str) -> None:
    """Skip the test unless `package` imports, torchvision included where it is installed."""
    if importlib.util.find_spec("torchvision") is not None:
        try:
            torchvision_shim().import_torchvision()
        except ImportError as e:
            pytest.skip(str(e))
    pytest.importorskip(package)


def test_the_corpus_is_large_enough_and_every_file_needs_a_known_library_or_none() -> None:
    assert len(FIXTURES) >= 60
    for path in FIXTURES:
        assert not path.name.startswith("test_") and not path.name.endswith("_test.py")
        assert (path.parent.name == "written") == (package_of(path) is None), path.name


@pytest.mark.public
@pytest.mark.parametrize("path", FIXTURES, ids=[str(p.relative_to(PUBLIC)) for p in FIXTURES])
def test_archviz_doctor_finds_nothing_in_a_correct_public_model(path: Path) -> None:
    package = package_of(path)
    if package is not None:
        skip_unless_importable(package)
    result = CliRunner().invoke(main, ["doctor", str(path)])
    findings = [line for line in result.output.splitlines() if FINDING.search(line)]
    assert findings == [], result.output
    assert result.exit_code == 0, result.output
