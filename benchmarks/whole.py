#!/usr/bin/env python
"""Time whole processes, as users run them: `archviz render`, `archviz doctor`, torchview and torchlens.

    python benchmarks/whole.py                              # every workload, medians of 3; writes results.md
    python benchmarks/whole.py --quick                      # gru + bilstm, one run each
    python benchmarks/whole.py --workloads gru,resnet50 --commands floor,render,torchview --repeat 5

run.py times each tool's trace and render inside a warm worker; this script times what a user waits
for: a fresh `python` that imports torch and the tool, runs the model file, draws and writes the
files. Every command is a subprocess of the repository root under GNU time (`/usr/bin/time -f %M`,
for the peak RSS), in its own process group so a timeout kills Graphviz too. The commands of a
workload run round-robin, `--repeat` times, each round starting one command further on, so drift
and other load hit them all alike; the report gives medians. `floor` (`python -c "import torch"`)
is the start-up every command pays, so the goals compare time above it.

The parent never imports torch: it would only add noise next to the processes it times. The
torchview and torchlens commands are small scripts written into a temporary folder; they load the
model file by path the way `archviz render` does (a tensor from `example_inputs()` is one argument,
a tuple or list the positional arguments, a dict the keyword arguments). The public workloads
(Hugging Face BERT and GPT-2 from their configs, torchvision's ResNet-50 and ViT-B/16 with
`weights=None`) are model files generated into that folder too, and are skipped with a note when
their package is not importable; nothing is ever downloaded.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "benchmarks", "results.md")
SECTION = "## Whole process"
GNU_TIME = "/usr/bin/time"
TV_SHIM_DIR = "/work/shared"  # tvshim.py: lets PyPI's torchvision import beside the CPU torch (see that file)
FAIL_TEXT_LIMIT = 200  # characters of an error message kept for the notes
CELL_TEXT_LIMIT = 60  # and shown in a table cell


# ---- workloads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """A model file to run every command on; `source` is set for files generated at run time."""

    name: str
    file: str  # relative to the repository root, or the generated file's name
    needs: tuple[str, ...] = ()  # modules that must be importable, else the workload is skipped
    source: str = ""


LOCAL: tuple[Workload, ...] = (
    Workload("gru", "examples/gru.py"),
    Workload("bilstm", "examples/bilstm_classifier.py"),
    Workload("mogrifier", "examples/mogrifier.py"),
    Workload("bert-base", "benchmarks/bert_base.py"),
    Workload("resnet50", "benchmarks/resnet50.py"),
    Workload("t5-small", "benchmarks/t5_small.py"),
    Workload("llama-7b-meta", "benchmarks/llama_7b.py"),
    Workload("mobilenet-se", "benchmarks/mobilenet_se.py"),
    Workload("sequential-10k", "benchmarks/sequential_10k.py"),
)

_HF_HEAD = f"""\
import importlib.util
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # built from a config: nothing to download, and nothing may be
if importlib.util.find_spec("torchvision") and os.path.exists({TV_SHIM_DIR!r} + "/tvshim.py"):
    sys.path.insert(0, {TV_SHIM_DIR!r})  # transformers imports torchvision when it is installed
    import tvshim  # noqa: F401
import torch
"""

_TV_HEAD = f"""\
import sys

sys.path.insert(0, {TV_SHIM_DIR!r})
import tvshim  # noqa: F401  (before torchvision: defines the ops its CUDA wheel cannot load here)
import torch
"""

_IMAGE_INPUTS = """

def example_inputs():
    torch.manual_seed(0)
    return torch.randn(2, 3, 224, 224)
"""

_TEXT_INPUTS = """

def example_inputs():
    torch.manual_seed(0)
    input_ids = torch.randint(1000, 20000, (2, 32))
    attention_mask = torch.ones(2, 32, dtype=torch.long)
    attention_mask[1, 20:] = 0
    return {"input_ids": input_ids, "attention_mask": attention_mask}
"""

PUBLIC: tuple[Workload, ...] = (
    Workload(
        "hf-bert",
        "hf_bert.py",
        ("transformers",),
        _HF_HEAD
        + """from transformers import BertConfig, BertModel


def build_model():
    torch.manual_seed(0)
    return BertModel(BertConfig()).eval()
"""
        + _TEXT_INPUTS,
    ),
    Workload(
        "hf-gpt2",
        "hf_gpt2.py",
        ("transformers",),
        _HF_HEAD
        + """from transformers import GPT2Config, GPT2LMHeadModel


def build_model():
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(use_cache=False)).eval()  # no KV cache: the outputs are tensors
"""
        + _TEXT_INPUTS,
    ),
    Workload(
        "tv-resnet50",
        "tv_resnet50.py",
        ("torchvision",),
        _TV_HEAD
        + """from torchvision.models import resnet50


def build_model():
    torch.manual_seed(0)
    return resnet50(weights=None).eval()
"""
        + _IMAGE_INPUTS,
    ),
    Workload(
        "tv-vit",
        "tv_vit_b_16.py",
        ("torchvision",),
        _TV_HEAD
        + """from torchvision.models import vit_b_16


def build_model():
    torch.manual_seed(0)
    return vit_b_16(weights=None).eval()
"""
        + _IMAGE_INPUTS,
    ),
)

ALL_WORKLOADS = {w.name: w for w in (*LOCAL, *PUBLIC)}
QUICK = ("gru", "bilstm")


def missing_module(w: Workload) -> str | None:
    """The first module `w` needs that cannot be found (torchvision also needs the shim), else None."""
    for name in w.needs:
        if importlib.util.find_spec(name) is None:
            return name
        if name == "torchvision" and not os.path.exists(os.path.join(TV_SHIM_DIR, "tvshim.py")):
            return os.path.join(TV_SHIM_DIR, "tvshim.py")
    return None


def model_path(w: Workload, tmp: str) -> str:
    """The path to hand every command: relative to the root for the repository's files, else the generated file."""
    if not w.source:
        return w.file
    path = os.path.join(tmp, "models", w.file)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(w.source)
    return path


# ---- the competitors' scripts -------------------------------------------------------------------

_LOADER = '''\
"""Load the model file argv[1] as `archviz render` reads it; write the drawing into folder argv[2]."""
import importlib.util
import math
import os
import sys

import torch


def load(path):
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # as `python FILE` would, for its own imports
    spec = importlib.util.spec_from_file_location("whole_model", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["whole_model"] = module
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = module.build_model()
    torch.manual_seed(0)
    value = module.example_inputs()
    if isinstance(value, torch.Tensor):
        return model, (value,), {}
    if isinstance(value, dict):
        return model, (), dict(value)
    return model, tuple(value), {}


model, args, kwargs = load(sys.argv[1])
meta = any(t.is_meta for t in (*model.parameters(), *model.buffers()))  # weights on meta: shapes only
out = sys.argv[2]
'''

_PLAIN = """
# What every tool does before its own work: build the model, run it once (no autograd, as archviz).
with torch.no_grad():
    model(*args, **kwargs)
"""

_TORCHVIEW = """
from torchview import draw_graph

# A meta model stays on meta: draw_graph calls model.to(device), and CPU would mean 27 GB for a 7B.
graph = draw_graph(
    model, input_data=kwargs if kwargs else list(args), expand_nested=True, roll=True, depth=math.inf,
    device="meta" if meta else "cpu",
)
svg = graph.visual_graph.pipe(format="svg")
with open(os.path.join(out, "torchview.svg"), "wb") as f:
    f.write(svg)
"""

_TORCHLENS = """
import torchlens
from torchlens.options import CaptureOptions

# layers_to_save="none": metadata only, no activations kept (the drawing needs none). A meta model is refused
# unless structure_only=True, the mode torchlens's own error message points to for it.
capture = CaptureOptions(layers_to_save="none", structure_only=meta)
trace = torchlens.trace(model, args, input_kwargs=kwargs or None, capture=capture)
trace.draw(view="rolled", vis_fileformat="svg", vis_save_only=True, vis_outpath=os.path.join(out, "torchlens"))
"""


def write_scripts(tmp: str) -> dict[str, str]:
    """Write the plain-forward, torchview and torchlens scripts into `tmp`; their paths by command key."""
    paths = {}
    for key, body in (("plain", _PLAIN), ("torchview", _TORCHVIEW), ("torchlens", _TORCHLENS)):
        path = os.path.join(tmp, f"run_{key}.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(_LOADER + body)
        paths[key] = path
    return paths


# ---- commands -----------------------------------------------------------------------------------

COMMANDS: dict[str, str] = {  # key -> column header
    "floor": "floor s",
    "plain": "plain forward s",
    "render": "archviz render s",
    "render-svg": "render --format svg s",
    "doctor": "doctor s",
    "torchview": "torchview s",
    "torchlens": "torchlens s",
}


def command_argv(key: str, file: str, out: str, scripts: dict[str, str]) -> list[str]:
    """The command line of command `key` on model file `file`, writing into folder `out`."""
    py = sys.executable
    if key == "floor":
        return [py, "-c", "import torch"]
    if key == "render":
        return [py, "-m", "archviz", "render", file, "-q", "-o", out]
    if key == "render-svg":
        return [py, "-m", "archviz", "render", file, "-q", "--format", "svg", "-o", out]
    if key == "doctor":
        return [py, "-m", "archviz", "doctor", file]
    return [py, scripts[key], file, out]


# ---- running one command ------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One timed run: wall seconds, peak RSS in KB (None when unknown), exit status (None: killed for time)."""

    wall: float
    peak_kb: int | None
    exit: int | None
    ok: bool
    reason: str = ""


def read_peak_kb(path: str) -> tuple[int | None, str]:
    """GNU time's %M (KB) from its output file, and any other line it wrote ("Command terminated by signal 9")."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [ln.strip() for ln in f if ln.strip()]
    except OSError:
        return None, ""
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else None
    other = " ".join(ln for ln in lines if not ln.isdigit())
    return peak, other


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


ERROR_LINE = re.compile(r"^(archviz: |([A-Za-z_][\w.]*\.)?[A-Z]\w*(Error|Exception|Exit)\b)")


def error_line(*streams: bytes) -> str:
    """The likeliest error message in the first stream with any text: its last line that names an exception or
    is archviz's own message, else its last line; shortened, with a module path cut off the exception's name."""
    for data in streams:
        lines = [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]
        if not lines:
            continue
        text = next((ln for ln in reversed(lines) if ERROR_LINE.match(ln)), lines[-1])
        text = re.sub(r"^([A-Za-z_]\w*\.)+(?=[A-Z]\w*(Error|Exception|Exit)\b)", "", text)
        return shorten(text, FAIL_TEXT_LIMIT)
    return ""


CRASH_MARKS = (b"Traceback (most recent call last)", b"archviz: internal error", b"archviz: error:")


def ran(key: str, code: int, stdout: bytes, stderr: bytes) -> bool:
    """Whether the command did its job: exit 0, or for doctor exit 1 ("found something") with a report on
    stdout and no crash or archviz error on stderr, since a doctor that could not run exits 1 too."""
    if code == 0:
        return True
    if key != "doctor" or code != 1:
        return False
    return bool(stdout.strip()) and not any(mark in stderr for mark in CRASH_MARKS)


def run_timed(argv: list[str], timeout: float, tmp: str) -> tuple[int | None, float, bytes, bytes, str]:
    """Run `argv` under GNU time in its own process group: (exit or None on timeout, wall s, stdout, stderr,
    GNU time's output file). On timeout the whole group is killed, Graphviz and GNU time included."""
    fd, time_file = tempfile.mkstemp(prefix="time-", dir=tmp)
    os.close(fd)
    full = [GNU_TIME, "-f", "%M", "-o", time_file, *argv] if os.access(GNU_TIME, os.X_OK) else argv
    start = time.perf_counter()
    proc = subprocess.Popen(
        full, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=_CHILD_ENV
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        out, err = proc.communicate()
        return None, time.perf_counter() - start, out, err, time_file
    except BaseException:  # Ctrl-C: the child has its own session, so the signal did not reach it
        kill_group(proc.pid)
        raise
    return proc.returncode, time.perf_counter() - start, out, err, time_file


def kill_group(pid: int) -> None:
    """Kill the process group led by `pid`: the command, its Graphviz child and GNU time."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_command(key: str, file: str, timeout: float, tmp: str, scripts: dict[str, str]) -> Sample:
    """One timed run of command `key` on `file`, in a fresh output folder removed afterwards."""
    out = tempfile.mkdtemp(prefix=f"{key}-", dir=tmp)
    try:
        code, wall, stdout, stderr, time_file = run_timed(command_argv(key, file, out, scripts), timeout, tmp)
        peak, time_note = read_peak_kb(time_file)
        os.remove(time_file)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if code is None:
        return Sample(wall, None, None, False, f"timeout after {timeout:g} s")
    if ran(key, code, stdout, stderr):
        return Sample(wall, peak, code, True)
    reason = error_line(stderr, stdout) or time_note or "no message"
    return Sample(wall, peak, code, False, f"exit {code}: {reason}")


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Results:
    """Samples by (workload, command), and the notes the report carries."""

    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # workload -> why


def rotated(keys: list[str], start: int) -> list[str]:
    """`keys` starting at index `start`: each round begins one command further on."""
    start %= len(keys)
    return keys[start:] + keys[:start]


@dataclass(frozen=True)
class Plan:
    """What every workload runs: the commands, how many rounds, the time limit, and the scratch folder."""

    commands: list[str]
    repeat: int
    timeout: float
    tmp: str
    scripts: dict[str, str]


def given_up(runs: list[Sample]) -> bool:
    """Whether to stop running a command: after a timeout (another would cost --timeout for nothing) or two
    failures in a row (then the failure is the command's, not a passing disturbance such as a reinstall)."""
    if runs and runs[-1].exit is None and not runs[-1].ok:
        return True
    return len(runs) >= 2 and not runs[-1].ok and not runs[-2].ok


def run_workload(w: Workload, plan: Plan, results: Results) -> None:
    """Round-robin over the commands on `w`; a command that failed or timed out is not run again."""
    file = model_path(w, plan.tmp)
    repeat = plan.repeat
    for rnd in range(repeat):
        for key in rotated(plan.commands, rnd):
            runs = results.samples.setdefault((w.name, key), [])
            if given_up(runs):
                continue
            sample = run_command(key, file, plan.timeout, plan.tmp, plan.scripts)
            runs.append(sample)
            state = "ok" if sample.ok else sample.reason
            print(f"  {w.name} {key} [{rnd + 1}/{repeat}]: {sample.wall:.2f} s, {state}", file=sys.stderr, flush=True)


def warm_up(tmp: str) -> None:
    """Import every tool once, untimed, so the first timed command does not pay for a cold file cache alone."""
    code = "import torch, torchview, torchlens, graphviz, archviz.cli"
    run_timed([sys.executable, "-c", code], 300.0, tmp)


# ---- machine state ------------------------------------------------------------------------------


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Fraction of all CPUs busy over `seconds`, from /proc/stat: other work skews every time here."""

    def snap() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="utf-8") as f:
                values = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        return sum(values), values[3] + (values[4] if len(values) > 4 else 0)

    a = snap()
    time.sleep(seconds)
    b = snap()
    if a is None or b is None or b[0] == a[0]:
        return None
    return 1.0 - (b[1] - a[1]) / (b[0] - a[0])


def load_text() -> str:
    """'37% CPU busy, load average 0.52 0.80 0.61': measured now, over one second."""
    busy = cpu_busy()
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = "?"
    return ("?" if busy is None else f"{busy:.0%}") + f" CPU busy, load average {load}"


def source_text() -> str:
    """Which archviz was timed: `python -m archviz` from the root imports the root's own copy, so its commit
    (and whether archviz/ had uncommitted changes) says what the numbers belong to."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        paths = ["archviz", "templates"]
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return f"archviz from {ROOT}"
    if head.returncode != 0:
        return f"archviz from {ROOT} (not a git checkout)"
    changed = " with uncommitted changes in archviz/ or templates/" if dirty.stdout.strip() else ""
    return f"archviz from {ROOT} at {head.stdout.strip()}{changed}"


def versions() -> str:
    """Python, torch and the tools' versions, read from package metadata (nothing is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    found = [f"python {platform.python_version()}"]
    for name in ("torch", "archviz", "torchview", "torchlens", "transformers", "torchvision"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


# ---- the report ---------------------------------------------------------------------------------


def ok_walls(runs: list[Sample]) -> list[float]:
    """Wall times of the runs that succeeded."""
    return [s.wall for s in runs if s.ok]


def median_wall(results: Results, workload: str, key: str) -> float | None:
    """Median wall time of the successful runs, or None."""
    walls = ok_walls(results.samples.get((workload, key), []))
    return statistics.median(walls) if walls else None


def median_peak_mb(results: Results, workload: str, key: str) -> float | None:
    """Median peak RSS in MB of the successful runs that had one, or None."""
    peaks = [s.peak_kb for s in results.samples.get((workload, key), []) if s.ok and s.peak_kb is not None]
    return statistics.median(peaks) / 1024 if peaks else None


def failure(runs: list[Sample]) -> Sample | None:
    """The first failed run, if any."""
    return next((s for s in runs if not s.ok), None)


def time_cell(results: Results, workload: str, key: str) -> str:
    """Median seconds; `failed: …`/`timeout` when no run succeeded; the exit status when doctor found something."""
    runs = results.samples.get((workload, key))
    if not runs:
        return "—"
    med = median_wall(results, workload, key)
    bad = failure(runs)
    if med is None:
        assert bad is not None
        return "timeout" if bad.exit is None else f"failed: {shorten(bad.reason, CELL_TEXT_LIMIT)}"
    text = f"{med:.2f}"
    exits = sorted({s.exit for s in runs if s.ok and s.exit})
    if exits:
        text += f" (exit {','.join(map(str, exits))})"
    if bad is not None:
        text += f" ({len(runs) - len(ok_walls(runs))} of {len(runs)} failed)"
    return text


def mark(flag: bool) -> str:
    """✓ for a goal met, ✗ for one missed."""
    return "✓" if flag else "✗"


def above_floor_cell(results: Results, workload: str) -> str:
    """(render − floor) / (torchview − floor), with the goals ≤ 1 and ≤ 2/3."""
    floor = median_wall(results, workload, "floor")
    ours = median_wall(results, workload, "render")
    theirs = median_wall(results, workload, "torchview")
    if floor is None or ours is None or theirs is None:
        return "—"
    if theirs - floor <= 0:  # only on a noisy machine: then no ratio means anything
        return f"n/a: torchview {theirs - floor:+.2f} s, archviz {ours - floor:+.2f} s above floor"
    r = (ours - floor) / (theirs - floor)
    return f"{r:.2f} ≤1 {mark(r <= 1.0)} ≤⅔ {mark(r <= 2 / 3)}"


def above_plain_cell(results: Results, workload: str) -> str:
    """(render − plain) / (torchview − plain): each tool's own work, past building the model and one forward
    pass (which no tool can make cheaper, and which dominates a large model's time above the floor)."""
    plain = median_wall(results, workload, "plain")
    ours = median_wall(results, workload, "render")
    theirs = median_wall(results, workload, "torchview")
    if plain is None or ours is None or theirs is None:
        return "—"
    if theirs - plain <= 0:
        return f"n/a: torchview {theirs - plain:+.2f} s, archviz {ours - plain:+.2f} s above plain"
    r = (ours - plain) / (theirs - plain)
    return f"{r:.2f} ({ours - plain:.2f} / {theirs - plain:.2f} s) ≤⅔ {mark(r <= 2 / 3)}"


def doctor_cell(results: Results, workload: str) -> str:
    """doctor / render, whole-process times, with the goal ≤ 3."""
    doctor = median_wall(results, workload, "doctor")
    render = median_wall(results, workload, "render")
    if doctor is None or render is None:
        return "—"
    r = doctor / render
    return f"{r:.2f} {mark(r <= 3.0)}"


def peak_cell(results: Results, workload: str, key: str, versus: str | None = None) -> str:
    """Median peak MB; with `versus`, ✓/✗ for ≤ that command's peak."""
    if not results.samples.get((workload, key)):
        return "—"
    mine = median_peak_mb(results, workload, key)
    if mine is None:
        return "—"
    other = median_peak_mb(results, workload, versus) if versus else None
    return f"{mine:.0f}" + ("" if other is None else f" {mark(mine <= other)}")


TABLE_HEAD = (
    "| workload | floor s | plain forward s | archviz render s | render --format svg s | doctor s | torchview s "
    "| torchlens s | archviz above floor / torchview above floor | archviz above plain / torchview above plain "
    "| doctor / render | archviz peak MB | torchview peak MB | plain peak MB | torchlens peak MB |"
)


def table_row(results: Results, workload: str) -> str:
    """One workload's row; `|` inside a cell (an error message's) is escaped."""
    cells = [workload, *(time_cell(results, workload, key) for key in COMMANDS)]
    cells += [above_floor_cell(results, workload), above_plain_cell(results, workload)]
    cells.append(doctor_cell(results, workload))
    cells += [peak_cell(results, workload, "render", "torchview"), peak_cell(results, workload, "torchview")]
    cells += [peak_cell(results, workload, "plain"), peak_cell(results, workload, "torchlens")]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def failure_notes(results: Results) -> list[str]:
    """One bullet per (workload, command) with a failed run, with its full reason."""
    notes = []
    for (workload, key), runs in results.samples.items():
        bad = failure(runs)
        if bad is not None:
            notes.append(f"- {workload} / {key}: {bad.reason}")
    return notes


def explanation(repeat: int, timeout: float) -> str:
    """What the table measures, in the report itself, so a results file read alone says how it was made."""
    return (
        f"Each cell: median wall seconds of {repeat} run(s) of a fresh process, started from the repository root, "
        "round-robin over the commands (each round starting one command further on). *floor* is "
        '`python -c "import torch"`; *plain forward* loads the same file, builds the model and runs it once '
        "(no autograd), the work every tool does before its own; *archviz render* is "
        "`archviz render FILE -q -o DIR` (svg + html); *render "
        '--format svg* adds `--format svg`; *doctor* is `archviz doctor FILE` (exit 1, "found something", '
        "counts as ran and is shown); torchview and torchlens are scripts that load the same file and draw a "
        "rolled, fully expanded SVG. *above floor*: median − median floor; goals ≤ 1 and ≤ 2/3. *above plain*: "
        "median − median plain forward, each tool's own work (seconds in brackets). *doctor / "
        "render*: whole-process times, goal ≤ 3. Peak MB: GNU time's maxrss, the largest single process among "
        "the command and the children it waited for (Graphviz `dot` included), median; ✓ on archviz's when it is "
        f"≤ torchview's. Time limit {timeout:g} s per run; a command is not run again on a workload after a "
        "timeout or two failures in a row."
    )


def report(results: Results, workloads: list[str], header: list[str], repeat: int, timeout: float) -> str:
    """The `## Whole process` section: header lines, the table, then notes."""
    lines = [SECTION, "", *header, "", explanation(repeat, timeout), "", TABLE_HEAD]
    lines.append("|" + "---|" * TABLE_HEAD.count(" | ") + "---|")
    lines += [table_row(results, w) for w in workloads if w not in results.skipped]
    notes = [f"- {w}: skipped, {why}" for w, why in results.skipped.items()] + failure_notes(results)
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"


def replace_section(text: str, section: str) -> str:
    """`text` with its `## Whole process` section (up to the next `## ` heading) replaced, or `section` appended."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == SECTION), None)
    if start is None:
        sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        return text + sep + section
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    tail = "".join(lines[end:])
    return "".join(lines[:start]) + section + ("\n" + tail if tail else "")


def write_report(path: str, section: str) -> None:
    """Put `section` into the file at `path`, keeping the rest of it; written atomically."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".whole-", suffix=".md", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(replace_section(text, section))
    os.replace(tmp, path)


# ---- the command line ---------------------------------------------------------------------------


def parse_list(text: str, known: Iterable[str], what: str) -> list[str]:
    """A comma list of names, each checked against `known`."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    allowed = list(known)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(allowed)})")
    return names


HOW_TO = """\
How the table in results.md is made (the lead's run; helpers do not write results.md):
  1. a quiet machine: nothing else running (the report records the CPU load before and after; a load
     average above ~0.5 makes the seconds meaningless, ratios less so);
  2. from the repository root, with the checkout to measure importable (`pip install -e .` or
     PYTHONPATH=$PWD) and torchview, torchlens, transformers and torchvision installed:
         python benchmarks/whole.py                  # all workloads, 3 rounds: about an hour
     it replaces the `## Whole process` section of benchmarks/results.md (--out to write elsewhere);
  3. the in-process breakdown (plain forward, trace, analysis, layout, each output, RSS of the trace)
     is benchmarks/run.py's report (`python benchmarks/run.py`), which names each cost.
For a quick comparison of two checkouts, run each with --out pointing at a scratch file and the same
--workloads/--commands; `--commands render,doctor` gives the doctor / render column alone.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options; --quick picks the two examples and, unless --repeat is given, one round."""
    parser = argparse.ArgumentParser(
        description=__doc__, epilog=HOW_TO, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workloads", default=",".join(ALL_WORKLOADS), help="comma list of workload names")
    parser.add_argument("--commands", default=",".join(COMMANDS), help="comma list of " + ", ".join(COMMANDS))
    parser.add_argument("--repeat", type=int, default=None, help="rounds over the commands (default 3; --quick: 1)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per command run (default 300)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="markdown file whose '## Whole process' section is set")
    parser.add_argument("--quick", action="store_true", help="gru and bilstm, one round")
    args = parser.parse_args(argv)
    if args.quick:
        args.workloads = ",".join(QUICK)
    args.repeat = args.repeat if args.repeat is not None else (1 if args.quick else 3)
    if args.repeat < 1 or args.timeout <= 0:
        parser.error("--repeat must be ≥ 1 and --timeout > 0")
    return args


def run_all(workloads: list[str], commands: list[str], repeat: int, timeout: float, tmp: str) -> Results:
    """Every selected workload in turn, skipping those whose package is missing."""
    results = Results()
    plan = Plan(commands, repeat, timeout, tmp, write_scripts(tmp))
    warm_up(tmp)
    for name in workloads:
        w = ALL_WORKLOADS[name]
        missing = missing_module(w)
        if missing is not None:
            results.skipped[name] = f"{missing} is not importable"
            print(f"{name}: skipped ({missing} is not importable)", file=sys.stderr, flush=True)
            continue
        print(f"{name}:", file=sys.stderr, flush=True)
        run_workload(w, plan, results)
    return results


# Every tool runs as an installed package would: with its bytecode cached. pip compiles a wheel's modules
# when it installs them; an editable install (`pip install -e .`) does not, and some machines set
# PYTHONDONTWRITEBYTECODE, which would make archviz alone (not torch, not torchview, installed from
# wheels) compile its ~100 modules on every run. So the children may write bytecode, and archviz's is
# compiled once before the first run.
_CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _compile_archviz() -> None:
    """Compile archviz's modules to bytecode, as `pip install` of a wheel does."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(ROOT, "archviz")], check=False,
                   capture_output=True, env=_CHILD_ENV)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run, print the section on stdout and put it into --out."""
    args = parse_args(argv)
    _compile_archviz()
    workloads = parse_list(args.workloads, ALL_WORKLOADS, "workload")
    commands = parse_list(args.commands, COMMANDS, "command")
    before = load_text()
    started = datetime.datetime.now().astimezone()
    with tempfile.TemporaryDirectory(prefix="archviz-whole-") as tmp:
        results = run_all(workloads, commands, args.repeat, args.timeout, tmp)
    elapsed = (datetime.datetime.now().astimezone() - started).total_seconds()
    run = f"Run {started:%Y-%m-%d %H:%M %Z} on {os.cpu_count()} CPU(s), {elapsed / 60:.1f} min in all"
    header = [f"{run}; {versions()}; {source_text()}.", "", f"Machine before: {before}. After: {load_text()}."]
    section = report(results, workloads, header, args.repeat, args.timeout)
    print(section)
    write_report(args.out, section)
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
