"""`--timeout` and SIGTERM hold whatever the model's code catches: the stop is no `Exception`, it comes
again while the code runs on, and after a few caught stops (or a grace period after SIGTERM) archviz
ends the process itself and says so. Nothing is written after a SIGTERM the model swallowed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LOOP = """import time
import torch
from torch import nn


class Stubborn(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        while True:  # a retry loop around flaky work
            try:
                time.sleep(0.05)
                {work}
            except {caught}:
                continue


def build_model():
    return Stubborn()


def example_inputs():
    return torch.randn(2, 4)
"""


def model(tmp_path: Path, caught: str, work: str = "pass") -> Path:
    path = tmp_path / "stubborn.py"
    path.write_text(LOOP.format(caught=caught, work=work), encoding="utf-8")
    return path


def archviz(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "archviz", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    return done, time.monotonic() - started


def test_a_retry_loop_catching_exception_is_stopped_by_timeout(tmp_path: Path) -> None:
    done, took = archviz("render", str(model(tmp_path, "Exception")), "-o", str(tmp_path / "o"), "--timeout", "2")
    assert done.returncode == 1, done.stderr
    assert "stopped after 2 s (--timeout)" in done.stderr
    assert took < 30
    assert (tmp_path / "o" / "stubborn.svg").is_file()  # what ran is drawn


def test_a_model_catching_every_stop_is_ended_and_says_so(tmp_path: Path) -> None:
    done, took = archviz("render", str(model(tmp_path, "BaseException")), "-o", str(tmp_path / "o"), "--timeout", "1")
    assert done.returncode == 124, done.stderr
    assert "caught the stop 3 times and ran on" in done.stderr and "ended the process" in done.stderr
    assert took < 30


ONCE = """import time
import torch
from torch import nn


class CatchesOnce(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        try:
            time.sleep(3)
        except BaseException:
            pass  # a cleanup block that swallows everything, then carries on
        return self.fc(x)


def build_model():
    return CatchesOnce()


def example_inputs():
    return torch.randn(2, 4)
"""


def test_a_stop_caught_once_then_finished_is_drawn_whole_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "once.py"
    path.write_text(ONCE, encoding="utf-8")
    done, _ = archviz("render", str(path), "-o", str(tmp_path / "o"), "--timeout", "1")
    assert done.returncode == 0, done.stderr
    assert "the model's code caught archviz's stop (1×) and ran on to the end" in done.stderr
    assert (tmp_path / "o" / "once.svg").is_file()


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_sigterm_swallowed_by_the_model_still_ends_with_143_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "o"
    command = [sys.executable, "-m", "archviz", "render", str(model(tmp_path, "BaseException")), "-o", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)  # torch imported, the model looping
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143, stderr
    assert "terminated (SIGTERM)" in stderr
    assert not out.exists() or not any(p.suffix in (".svg", ".html") for p in out.iterdir())


def test_a_closed_stdout_is_said_on_stderr_with_exit_1(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "gru.py"
    command = f'"{sys.executable}" -m archviz render "{example}" -o "{tmp_path / "o"}" -q >&-'
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "could not write to standard output" in done.stderr and "the files themselves were written" in done.stderr
    assert (tmp_path / "o" / "gru.svg").is_file()


@pytest.mark.parametrize(("umask", "expected"), [(0o077, 0o600), (0o022, 0o644)])
def test_written_files_honour_the_umask_and_keep_an_existing_mode(tmp_path: Path, umask: int, expected: int) -> None:
    from archviz.app.files import write_atomic

    old = os.umask(umask)
    try:
        fresh = write_atomic(str(tmp_path / "fresh.svg"), b"<svg/>")
        kept = tmp_path / "kept.svg"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        write_atomic(str(kept), b"<svg/>")
    finally:
        os.umask(old)
    assert os.stat(fresh).st_mode & 0o777 == expected
    assert os.stat(kept).st_mode & 0o777 == 0o640 and kept.read_bytes() == b"<svg/>"
