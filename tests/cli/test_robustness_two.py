"""The second round of bad input: what a model file can do to the process around it, files that are
not files, `sys.exit` anywhere, options out of range, signals, leftovers, hangs.

Each case checks the exit status and one clear `archviz: ` paragraph naming the file and line (see
`check_message` in test_robustness.py), and what is left on disk.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from test_robustness import GRU, HEADER, LINEAR_MODEL, check_message, files_in, line_of, run, svg_text, write

import archviz.app.files
from archviz.app import docs

NET_CLASS = (
    HEADER
    + """

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)

    def forward(self, x):
        h = self.a(x)
        BODY
"""
)
NET = (
    NET_CLASS
    + """

def build_model():
    return Net()


def example_inputs():
    return torch.randn(2, 4)
"""
)


def net(tmp_path: Path, body: str, name: str = "net.py", head: str = "") -> Path:
    return write(tmp_path, name, head + NET.replace("BODY", body))


def cli(*args: object, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command in a subprocess: what a shell sees (exit status, both streams)."""
    cmd = [sys.executable, "-m", "archviz", *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


# ---------------------------------------------------------------------------------------------
# only regular files are read
# ---------------------------------------------------------------------------------------------


def test_a_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "model.py"
    os.mkfifo(fifo)
    check_message(run("render", fifo, "-o", tmp_path / "out"), 2, "model.py", "named pipe", "regular file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_link_to_a_device_is_refused(tmp_path, device):
    link = tmp_path / "model.py"
    link.symlink_to(device)
    check_message(run("render", link, "-o", tmp_path / "out"), 2, "model.py", "character device", device)


# ---------------------------------------------------------------------------------------------
# sys.exit anywhere in the model's code
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [5, 0])
def test_sys_exit_in_forward_draws_what_ran_and_exits_1(tmp_path, code):
    path = net(tmp_path, f"sys.exit({code})", head="import sys\n")
    result = run("render", path, "-o", tmp_path / "out")
    err = check_message(result, 1, f"net.py:{line_of(path, 'sys.exit(')}", "SystemExit", f"sys.exit({code})")
    assert "partial diagram" in err
    assert "a" in svg_text(tmp_path / "out" / "net.svg").split()  # the Linear that ran is drawn


def test_sys_exit_in_build_model_example_inputs_and_at_import(tmp_path):
    build = write(tmp_path, "b.py", HEADER + "import sys\n\n\ndef build_model():\n    sys.exit(3)\n")
    check_message(run("render", build, "-o", tmp_path / "o"), 1, f"b.py:{line_of(build, 'sys.exit')}", "sys.exit(3)")
    inputs = write(
        tmp_path, "i.py", LINEAR_MODEL + "\n\ndef example_inputs():\n    raise SystemExit('no data')\n"
    )  # fmt: skip
    err = check_message(run("render", inputs, "-o", tmp_path / "o"), 1, f"i.py:{line_of(inputs, 'SystemExit')}")
    assert "example_inputs() called sys.exit('no data')" in err
    top = write(tmp_path, "t.py", "import sys\n\nsys.exit(2)\n")
    err = check_message(run("render", top, "-o", tmp_path / "o"), 1, "t.py:3", "sys.exit(2)", "__main__")
    assert not files_in(tmp_path / "o")


def test_a_script_ending_in_sys_exit_0_renders_without_script_flag(tmp_path):
    path = write(
        tmp_path,
        "s.py",
        HEADER
        + "import sys\n\nmodel = nn.Sequential(nn.Linear(4, 8), nn.ReLU())\nprint(model(torch.randn(3, 4)).shape)\n"
        "sys.exit(0)\n",
    )
    result = run("render", path, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "[3, 8]" in svg_text(tmp_path / "o" / "s.svg")


# ---------------------------------------------------------------------------------------------
# the line that raised
# ---------------------------------------------------------------------------------------------


def test_a_failure_is_reported_at_the_line_that_raised(tmp_path):
    path = net(tmp_path, "parts = [h, h]\n        return parts[5]")
    result = run("render", path, "-o", tmp_path / "out")
    err = check_message(result, 1, f"net.py:{line_of(path, 'parts[5]')}", "IndexError", "Net.forward")
    assert f"net.py:{line_of(path, 'def forward')}" not in err
    html = (tmp_path / "out" / "net.html").read_text(encoding="utf-8")
    assert "return parts[5]" in html  # the report's failure section shows that line


# ---------------------------------------------------------------------------------------------
# what the model does to the process
# ---------------------------------------------------------------------------------------------


def test_a_model_that_closes_stdout(tmp_path):
    path = net(tmp_path, "sys.stdout.close()\n        return h", head="import sys\n")
    done = cli("render", path, "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
    assert done.stdout.split() == [str(tmp_path / "out" / "net.svg"), str(tmp_path / "out" / "net.html")]


def test_a_model_that_changes_folder_at_import(tmp_path):
    elsewhere = tempfile.mkdtemp(dir=tmp_path)
    path = write(
        tmp_path, "c.py", f"import os\nos.chdir({elsewhere!r})\n" + LINEAR_MODEL + "\n\nexample_inputs = None\n"
    )
    path.write_text(
        path.read_text().replace("example_inputs = None", "def example_inputs():\n    return torch.randn(2, 2)")
    )
    done = cli("render", "c.py", "-o", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.split()
    assert printed == ["out/c.svg", "out/c.html"]
    assert all((tmp_path / p).is_file() for p in printed)  # where it says, relative to where it was run
    assert not os.listdir(elsewhere)


# ---------------------------------------------------------------------------------------------
# options out of range
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--vocab", "0"], ["--vocab", "0 is not in the range 1<=x<="]),
        (["--vocab", "-5"], ["--vocab"]),
        (["--max-nodes", "0"], ["--max-nodes"]),
        (["--max-nodes", "-1"], ["--max-nodes"]),
        (["--call", "0"], ["--call"]),
        (["--call", "-1"], ["--call"]),
        (["--depth", "-1"], ["--depth", "x>=0"]),
        (["--timeout", "0"], ["--timeout"]),
    ],
)
def test_options_out_of_range_are_usage_errors(tmp_path, args, words):
    result = run("render", GRU, "-o", tmp_path / "o", *args)
    assert result.exit_code == 2, result.stderr
    assert all(w in result.stderr for w in words), result.stderr
    assert not files_in(tmp_path / "o")


def test_summary_depth_out_of_range(tmp_path):
    result = run("summary", GRU, "--depth", "-1")
    assert result.exit_code == 2 and "--depth" in result.stderr


def test_gates_naming_no_module_lists_the_cells(tmp_path):
    err = check_message(run("render", GRU, "-o", tmp_path / "o", "--gates", "nosuch.path"), 2, "nosuch.path")
    assert "cells.0, cells.1" in err
    assert not files_in(tmp_path / "o")


def test_model_option_naming_an_imported_module(tmp_path):
    err = check_message(run("render", GRU, "-o", tmp_path / "o", "--model", "torch"), 2, "gru.py", "--model torch")
    assert "the imported module torch" in err and "StackedGRU" in err


def test_summary_shows_the_forward_error_as_render_does(tmp_path):
    err = check_message(run("summary", GRU, "--input", "4x11"), 1, "forward pass failed", "gru.py:", "torch.cat", "[4]")
    assert "See above stack traces" not in err


# ---------------------------------------------------------------------------------------------
# signals and leftovers
# ---------------------------------------------------------------------------------------------


def test_sigterm_cleans_up_and_exits_143(tmp_path):
    path = net(tmp_path, "while True:\n            time.sleep(0.05)", head="import time\n")
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "archviz", "render", str(path), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(6)  # torch imported, the forward pass under way
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and "Traceback" not in err
    assert not os.listdir(out)


def test_stale_temporary_files_are_removed(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    old, fresh, other = out / ".archviz-dead.tmp", out / ".archviz-live.tmp", out / ".other.tmp"
    for f in (old, fresh, other):
        f.write_bytes(b"x" * 1000)
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    os.utime(other, (hours_ago, hours_ago))
    result = run("render", GRU, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert not old.exists() and fresh.exists() and other.exists()


def test_a_temporary_file_that_cannot_be_made(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(archviz.app.files.tempfile, "mkstemp", refuse)
    check_message(run("render", GRU, "-o", tmp_path / "o"), 1, "could not write", "gru.svg", "Permission denied")


# ---------------------------------------------------------------------------------------------
# --timeout
# ---------------------------------------------------------------------------------------------


def test_timeout_in_forward_draws_what_ran_and_says_where(tmp_path):
    path = net(tmp_path, "while True:\n            h = h + 0", head="")
    start = time.monotonic()
    result = run("render", path, "-o", tmp_path / "out", "--timeout", "2")
    assert time.monotonic() - start < 60
    err = check_message(result, 1, "Timeout", "stopped after 2 s (--timeout)", "partial diagram")
    loop = (line_of(path, "while True"), line_of(path, "h = h + 0"))  # where the loop was when stopped
    assert any(f"Net.forward (net.py:{n})" in err for n in loop), err
    assert "a" in svg_text(tmp_path / "out" / "net.svg").split()


def test_timeout_at_import(tmp_path):
    path = write(tmp_path, "hang.py", "n = 0\nwhile True:\n    n += 1\n")
    err = check_message(run("render", path, "-o", tmp_path / "o", "--timeout", "1"), 1, "stopped after 1 s")
    assert "hang.py:2" in err or "hang.py:3" in err


def test_docs_builds_stop_a_hanging_model(tmp_path):
    path = net(tmp_path, "while True:\n            h = h + 0")
    drawn = docs.draw(docs.Request(str(path)), [str(path)], str(tmp_path / "cache"), timeout=1)
    assert drawn.problem is not None and "Timeout" in drawn.problem
    assert Path(drawn.image).is_file()


# ---------------------------------------------------------------------------------------------
# TorchScript parts
# ---------------------------------------------------------------------------------------------

SCRIPTED = (
    HEADER
    + """

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.jit.script(nn.Linear(4, 4))
        self.b = torch.jit.script(nn.Linear(WIDTH, 2))

    def forward(self, x):
        return self.b(self.a(x))


def build_model():
    return Net()


def example_inputs():
    return torch.randn(2, 4)
"""
)


def test_torchscript_parts_render_and_their_failures_are_one_paragraph(tmp_path):
    ok = write(tmp_path, "ok.py", SCRIPTED.replace("WIDTH", "4"))
    result = run("render", ok, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    assert "[2, 2]" in svg_text(tmp_path / "o" / "ok.svg")
    bad = write(tmp_path, "bad.py", SCRIPTED.replace("WIDTH", "8"))
    err = check_message(run("render", bad, "-o", tmp_path / "o"), 1, f"bad.py:{line_of(bad, 'return self.b')}")
    assert "mat1 and mat2 shapes cannot be multiplied (2x4 and 8x2) (inside TorchScript code)" in err
    assert "Linear 'b'" in err and "weight [2, 8]" in err


def test_a_lazy_layer_is_traced_after_it_made_its_weights(tmp_path):
    path = write(
        tmp_path, "lazy.py",
        HEADER + "\n\ndef build_model():\n    return nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.Linear(8, 2))\n\n\n"
        "def example_inputs():\n    return torch.randn(3, 5)\n",
    )  # fmt: skip
    result = run("render", path, "-o", tmp_path / "o", "--format", "svg,json")
    assert result.exit_code == 0, result.stderr
    text = svg_text(tmp_path / "o" / "lazy.svg")
    assert "[3, 5]" in text and "[3, 8]" in text and "params 48" in text


# ---------------------------------------------------------------------------------------------
# found by an audit after round two
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["0", "5", "'bye\\x1b[31m'"])
def test_summary_says_the_model_called_sys_exit(tmp_path, code):
    path = net(tmp_path, f"sys.exit({code})\n        return h", head="import sys\n")
    err = check_message(run("summary", path), 1, "net.py:", "sys.exit(")
    assert "\x1b" not in err  # the escape code is shown, not sent to the terminal


@pytest.mark.parametrize("value", ["nan", "inf", "1e12", "-1"])
def test_timeout_must_be_a_finite_number_of_seconds(tmp_path, value):
    for command in ("render", "doctor", "summary"):
        check_message(run(command, GRU, "--timeout", value), 2, "--timeout")


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        ("GeneratorExit()", "GeneratorExit"),
        ("Odd('odd')", "Odd: odd"),
        ("BadStr()", "could not be read"),
    ],
)
def test_any_exception_from_forward_is_a_failure_drawn_at_its_line(tmp_path, raised, shown):
    head = (
        "class Odd(BaseException):\n    pass\n\n\n"
        "class BadStr(Exception):\n    def __str__(self):\n        raise RuntimeError('no text')\n\n\n"
    )
    path = net(tmp_path, f"raise {raised}", head=head)
    err = check_message(
        run("render", path, "-o", tmp_path / "out"), 1, f"net.py:{line_of(path, f'raise {raised}')}", shown
    )
    assert "partial diagram written" in err and (tmp_path / "out" / "net.svg").is_file()


def test_standard_output_that_cannot_be_written(tmp_path):
    closed = net(tmp_path, "os.close(1)\n        return h", head="import os\n")
    done = cli("render", closed, "-o", tmp_path / "a")
    assert done.returncode == 1 and "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert "could not write to standard output" in done.stderr and (tmp_path / "a" / "net.svg").is_file()
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "archviz", "render", GRU, "-o", tmp_path / "b"],
            stdout=full, stderr=subprocess.PIPE, text=True, check=False,
        )  # fmt: skip
    assert done.returncode == 1 and "No space left on device" in done.stderr and "Traceback" not in done.stderr
    # a reader that goes away: quietly, as SIGPIPE would end it
    shell = f"{sys.executable} -m archviz render {GRU} -o {tmp_path / 'c'} | true; echo ${{PIPESTATUS[0]}}"
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "141" and "Traceback" not in done.stderr and "Error" not in done.stderr


def test_timeout_also_bounds_the_doctors_runs(tmp_path):
    path = net(tmp_path, "time.sleep(1000)\n        return h", head="import time\n")
    started = time.monotonic()
    done = cli("render", path, "-o", tmp_path / "out", "--timeout", "2", timeout=60)
    assert done.returncode == 1 and "--timeout" in done.stderr
    assert time.monotonic() - started < 30  # the pass the limit stopped is not run again


SCRIPT = (
    NET_CLASS
    + """

GUARD
    Net()(torch.randn(2, 4))
"""
)


@pytest.mark.parametrize(
    ("body", "guard", "options", "shown"),
    [
        ("raise ValueError('v')", 'if __name__ == "__main__":', ["--script"], "ValueError: v"),
        ("raise ValueError('v')", "if True:", [], "ValueError: v"),  # a pasted script: no __main__ guard
        ("sys.exit(5)", 'if __name__ == "__main__":', ["--script"], "sys.exit(5)"),
    ],
)
def test_a_script_fails_at_the_line_that_raised_and_is_drawn(tmp_path, body, guard, options, shown):
    path = write(tmp_path, "s.py", "import sys\n" + SCRIPT.replace("BODY", body).replace("GUARD", guard))
    raised = line_of(path, body)
    err = check_message(run("render", path, "-o", tmp_path / "out", *options), 1, f"s.py:{raised}", shown)
    assert f"s.py:{line_of(path, 'Net()(torch')}" not in err  # not the line that called the model
    assert "partial diagram written" in err and (tmp_path / "out" / "s.svg").is_file()
