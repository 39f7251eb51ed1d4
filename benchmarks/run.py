#!/usr/bin/env python
"""Time archviz against torchview and torchlens on the same forward passes; write a markdown report.

    python benchmarks/run.py                      # everything, medians of 3 runs after one warm-up
    python benchmarks/run.py --quick --repeat 1   # a small subset, for a smoke test
    python benchmarks/run.py --tools archviz,torchview --workloads gru-T10,resnet-small

One invocation does the whole benchmark. For each workload the parent process times the plain
forward pass, then starts one short-lived worker process per tool — the same
file run with `--worker` — under a time limit (`--timeout`, default 120 s, warm-up included).
A worker that runs out of time is killed with its whole process group (Graphviz included) and
reported as `timeout`; one that raises is reported as `failed: <reason>`. Every tool, archviz
included, runs in such a fresh process, so no tool's global patching (torchlens wraps torch's
functions for good on first use) or leftover heap can touch another's numbers.

Per run and tool:
    trace     archviz: capture.trace_model + analysis.annotate; torchview: draw_graph (its trace and
              its graphviz.Digraph construction are one call); torchlens: torchlens.trace
    render    archviz: view.fit(trace, View(), Budget()) (what `archviz render` draws) + dot.to_dot +
              graphviz.render(svg); torchview: visual_graph.pipe(format="svg"); torchlens:
              Trace.draw(view="rolled", svg) + reading the file
    e2e       the two back to back, timed as one span
Memory is measured in a separate run after the first timed one: see `RssSampler`, `GraphvizMeter`
and README.md. A workload's `make()` gives (model, args) or (model, args, kwargs); every tool gets
the kwargs too.

After the tools, `archviz render FILE -q --format svg,dot` runs as a subprocess on the model files in
benchmarks/ (default options, --depth 1, --depth 2): wall time, exit code, boxes, picture size and
the Graphviz layout time of the written .dot file. See `CLI_FILES` and README.md.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import glob
import html
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import models  # torch is imported here
import report_pages
import torch
from torch import nn

TOOLS = ("archviz", "torchview", "torchlens")
UNROLLED = "archviz-unrolled"  # archviz, View(unroll=True) through view.fit(max_nodes=400)
UNROLLED_WORKLOAD = "gru-T200"
MAX_NODES = 400
SCALING = ("gru-T10", "gru-T1000")
GRACE_S = 5.0  # a worker is killed this long after its deadline
BUSY_CORES = 0.15  # other processes' CPU use (in cores) above which a row is flagged

# `archviz render` from the command line: model file in benchmarks/ → the workload name that selects
# it with --workloads (decoder-7b-meta has no comparison workload: the name selects this row alone).
CLI_FILES: dict[str, str] = {
    "llama_7b.py": "llama-7b-meta",
    "decoder_7b.py": "decoder-7b-meta",
    "bert_base.py": "bert-base",
    "t5_small.py": "t5-small",
    "resnet50.py": "resnet50",
    "sequential_10k.py": "sequential-10k",
    "mobilenet_se.py": "mobilenet-se",
}
CLI_OPTIONS: tuple[tuple[str, ...], ...] = ((), ("--depth", "1"), ("--depth", "2"))
CLI_TIMEOUT_S = 120.0  # per `archviz render` subprocess, and for re-running `dot` on its .dot file
GOAL_WALL_S = 10.0  # a default `archviz render` should finish within this …
GOAL_DOT_S = 5.0  # … with a Graphviz layout no longer than this

# ====================================================================================
# Measuring
# ====================================================================================


def _status_kb(field_name: str) -> int:
    """A `kB` field of /proc/self/status (VmRSS, VmHWM), in kB; 0 where /proc is missing."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(field_name.encode() + b":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_hwm() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux ≥ 4.0); False if refused."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _trim_heap() -> None:
    """Give freed heap back to the OS, so the next run's growth is measured from a low baseline."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class RssSampler:
    """Peak resident-set growth of this process while the `with` block runs.

    A daemon thread reads VmRSS from /proc/self/status every `interval` seconds (2 ms); the kernel's
    own high-water mark VmHWM, reset on entry through /proc/self/clear_refs, catches spikes shorter
    than a sampling interval. `peak_kb` is the larger of the two minus the VmRSS read on entry.
    Child processes (Graphviz's `dot`) are not part of VmRSS: see `GraphvizMeter`.
    """

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.base_kb = 0
        self.sampled_kb = 0
        self.hwm_kb = 0
        self.samples = 0
        self.hwm_used = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Self:
        self.hwm_used = _reset_hwm()
        self.base_kb = _status_kb("VmRSS")
        self.sampled_kb = self.base_kb
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sampled_kb = max(self.sampled_kb, _status_kb("VmRSS"))
            self.samples += 1

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sampled_kb = max(self.sampled_kb, _status_kb("VmRSS"))
        self.hwm_kb = _status_kb("VmHWM") if self.hwm_used else 0

    @property
    def peak_kb(self) -> int:
        return max(self.sampled_kb, self.hwm_kb) - self.base_kb


GRAPHVIZ_PROGRAMS = ("dot", "neato", "fdp", "sfdp", "twopi", "circo")


class GraphvizMeter:
    """Peak RSS of every Graphviz process started while the `with` block runs (kB), exactly.

    Graphviz runs as a child process, outside the tool's VmRSS. Inside the block, PATH starts
    with a folder of shell wrappers named like Graphviz's programs that run the real program
    under GNU `/usr/bin/time -f %M` (the child's maxrss from wait4), appending to a log. All three
    tools look `dot` up on PATH at call time (archviz through shutil.which, torchview and
    torchlens through the graphviz package), so all are measured the same way. The wrapper costs
    a few ms per call, which is why it is on only in the memory run. `peak_kb` is None when
    /usr/bin/time is missing or no Graphviz program ran.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.log = os.path.join(folder, "graphviz-maxrss.log")
        self.saved_path: str | None = None
        self.peak_kb: int | None = None
        self.calls = 0

    def __enter__(self) -> Self:
        timer = "/usr/bin/time"
        if not os.access(timer, os.X_OK):
            return self
        os.makedirs(self.folder, exist_ok=True)
        made = 0
        for name in GRAPHVIZ_PROGRAMS:
            real = shutil.which(name)
            if real is None or os.path.dirname(real) == self.folder:
                continue
            path = os.path.join(self.folder, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(f'#!/bin/sh\nexec {timer} -a -o "{self.log}" -f %M "{real}" "$@"\n')
            os.chmod(path, 0o755)
            made += 1
        if made:
            open(self.log, "w").close()
            self.saved_path = os.environ.get("PATH", "")
            os.environ["PATH"] = self.folder + os.pathsep + self.saved_path
        return self

    def __exit__(self, *exc: object) -> None:
        if self.saved_path is None:
            return
        os.environ["PATH"] = self.saved_path
        with open(self.log, encoding="utf-8") as f:
            values = [int(line) for line in f.read().split("\n") if line.strip().isdigit()]
        self.calls = len(values)
        self.peak_kb = max(values) if values else None


def count_nodes(svg: bytes) -> int:
    """Nodes drawn: SVG `<g class="node">` groups, less archviz's legend box (its only non-model node)."""
    ids = re.findall(r'<g id="([^"]*)" class="node"', svg.decode("utf-8", "replace"))
    return sum(1 for i in ids if html.unescape(i) != "legend-table")


# ====================================================================================
# The tools, as they are called in a worker
# ====================================================================================


@dataclass
class RunOutput:
    trace_s: float
    render_s: float
    e2e_s: float
    svg: bytes
    parts: dict[str, float] = field(default_factory=dict)
    note: str = ""


Runner = Callable[[nn.Module, tuple[Any, ...], dict[str, Any]], RunOutput]


def on_meta(model: nn.Module) -> bool:
    """Whether the model's weights are on the meta device (shapes only: never move it to CPU)."""
    return any(t.is_meta for t in (*model.parameters(), *model.buffers()))


def _archviz_runner(workdir: str, unrolled: bool = False) -> Runner:
    from archviz import analysis, capture, view
    from archviz.draw import dot, graphviz
    from archviz.view.fit import Budget

    def run(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RunOutput:
        t0 = time.perf_counter()
        trace = capture.trace_model(model, args, kwargs)
        t1 = time.perf_counter()
        trace = analysis.annotate(trace)
        t2 = time.perf_counter()
        if unrolled:
            fitted = view.fit(trace, view.View(unroll=True), MAX_NODES)
            note = fitted.note or "(no collapse needed)"
        else:
            # View() (rolled, full depth) fitted to the CLI's default budget: what `archviz render` draws.
            fitted = view.fit(trace, view.View(), Budget())
            note = fitted.note or ""
        g = fitted.graph
        t3 = time.perf_counter()
        text = dot.to_dot(g)
        t4 = time.perf_counter()
        svg = graphviz.render(text, "svg")
        t5 = time.perf_counter()
        parts = {"trace_model": t1 - t0, "annotate": t2 - t1, "build": t3 - t2, "to_dot": t4 - t3, "dot": t5 - t4}
        return RunOutput(t2 - t0, t5 - t2, t5 - t0, svg, parts, note)

    return run


def _torchview_runner(workdir: str) -> Runner:
    from torchview import draw_graph

    def run(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RunOutput:
        # A meta model stays on meta: draw_graph calls model.to(device), and CPU would mean 27 GB for a 7B.
        device = "meta" if on_meta(model) else "cpu"
        t0 = time.perf_counter()
        cg = draw_graph(
            model, input_data=kwargs if kwargs else list(args), expand_nested=True, roll=True, depth=math.inf,
            device=device,
        )  # fmt: skip
        t1 = time.perf_counter()
        svg = cg.visual_graph.pipe(format="svg")
        t2 = time.perf_counter()
        return RunOutput(t1 - t0, t2 - t1, t2 - t0, svg)

    return run


def _torchlens_runner(workdir: str) -> Runner:
    import torchlens
    from torchlens.options import CaptureOptions

    stem = os.path.join(workdir, "torchlens_graph")

    def run(model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> RunOutput:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            # layers_to_save="none": metadata only, no activations kept (the graph needs none).
            trace = torchlens.trace(
                model, args, input_kwargs=kwargs or None, capture=CaptureOptions(layers_to_save="none")
            )
            t1 = time.perf_counter()
            trace.draw(view="rolled", vis_fileformat="svg", vis_save_only=True, vis_outpath=stem)
            with open(stem + ".svg", "rb") as f:
                svg = f.read()
            t2 = time.perf_counter()
        rank = any("rank" in str(w.message).lower() and "layout" in str(w.message).lower() for w in caught)
        del trace
        return RunOutput(t1 - t0, t2 - t1, t2 - t0, svg, note="layout: torchlens rank engine (auto)" if rank else "")

    return run


def make_runner(tool: str, workdir: str) -> Runner:
    if tool == "archviz":
        return _archviz_runner(workdir)
    if tool == UNROLLED:
        return _archviz_runner(workdir, unrolled=True)
    if tool == "torchview":
        return _torchview_runner(workdir)
    if tool == "torchlens":
        return _torchlens_runner(workdir)
    raise SystemExit(f"unknown tool {tool!r}")


# ====================================================================================
# Worker: one tool on one workload, in its own process
# ====================================================================================


def worker_main(tool: str, workload: str, repeat: int, deadline: float, result_file: str) -> int:
    """Warm up, then timed runs and one memory run within `deadline`; events go to `result_file` as JSON lines."""
    with open(result_file, "a", encoding="utf-8") as out:

        def emit(**event: Any) -> None:
            out.write(json.dumps(event) + "\n")
            out.flush()

        return _worker_runs(tool, workload, repeat, deadline, os.path.dirname(result_file), emit)


def _worker_runs(
    tool: str, workload: str, repeat: int, deadline: float, workdir: str, emit: Callable[..., None]
) -> int:
    phase = "setup"
    try:
        runner = make_runner(tool, workdir)
        model, args, kwargs = models.split(models.BY_NAME[workload].make())
        emit(event="ready", t=time.time())

        def one() -> tuple[RunOutput, float]:
            gc.collect()
            start = time.perf_counter()
            r = runner(model, args, kwargs)
            return r, time.perf_counter() - start

        phase = "warm-up"
        emit(event="start", kind="warmup", t=time.time())
        r, wall = one()
        emit(event="run", kind="warmup", **_run_fields(r, wall))
        estimate = wall
        # After the warm-up: one timed run, the memory run, then the other timed runs, each only if
        # it is expected to end before the deadline (slow cases get fewer runs, not a timeout).
        plan = ["timed", "memory"] + ["timed"] * (repeat - 1)
        for kind in plan:
            if time.time() + estimate > deadline:
                emit(event="skip", kind=kind, reason="time limit")
                continue
            phase = kind
            emit(event="start", kind=kind, t=time.time())
            if kind == "memory":
                _trim_heap()
                with GraphvizMeter(os.path.join(workdir, "graphviz-wrappers")) as gv, RssSampler() as sampler:
                    r, wall = one()
                emit(
                    event="run", kind=kind, rss_peak_kb=sampler.peak_kb, rss_base_kb=sampler.base_kb,
                    rss_sampled_kb=sampler.sampled_kb - sampler.base_kb, samples=sampler.samples,
                    hwm_used=sampler.hwm_used, graphviz_kb=gv.peak_kb, graphviz_calls=gv.calls, **_run_fields(r, wall),
                )  # fmt: skip
            else:
                r, wall = one()
                emit(event="run", kind=kind, **_run_fields(r, wall))
            estimate = wall
            del r
        emit(event="done")
        return 0
    except BaseException as exc:  # noqa: BLE001  (reported by the parent as "failed: ...")
        text = f"{type(exc).__name__}: {exc}".strip().replace("\n", " ")
        cause = exc.__cause__
        if cause is not None:
            text += (
                f" (cause: {type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''})"
            )
        emit(event="error", phase=phase, error=text)
        return 1


def _run_fields(r: RunOutput, wall: float) -> dict[str, Any]:
    return {
        "trace_s": r.trace_s, "render_s": r.render_s, "e2e_s": r.e2e_s, "wall_s": wall,
        "nodes": count_nodes(r.svg), "svg_bytes": len(r.svg), "parts": r.parts, "note": r.note,
    }  # fmt: skip


# ====================================================================================
# Parent: forward timing, workers, report
# ====================================================================================


@dataclass
class ToolResult:
    tool: str
    workload: str
    status: str = "ok"  # ok, timeout, failed: ...
    runs: list[dict[str, Any]] = field(default_factory=list)  # timed runs
    warmup: dict[str, Any] | None = None
    memory: dict[str, Any] | None = None
    skipped: int = 0
    lower_bound_s: float | None = None  # for a timeout: the unfinished run had taken at least this long
    wall_s: float = 0.0
    warm_only: bool = False  # no timed run fitted: `runs` holds the warm-up run alone
    other_cores: float | None = None  # CPU used by other processes while the worker ran, in cores

    def median(self, key: str) -> float | None:
        values = [r[key] for r in self.runs]
        return statistics.median(values) if values else None

    def median_part(self, key: str) -> float | None:
        values = [r["parts"][key] for r in self.runs if key in r.get("parts", {})]
        return statistics.median(values) if values else None

    @property
    def nodes(self) -> int | None:
        for r in self.runs + ([self.warmup] if self.warmup else []):
            return int(r["nodes"])
        return None

    @property
    def note(self) -> str:
        for r in self.runs + ([self.warmup] if self.warmup else []):
            return str(r.get("note", ""))
        return ""


def time_forward(
    model: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], repeat: int
) -> tuple[float, float | None]:
    """Median seconds of `model(*args, **kwargs)` under torch.no_grad() after one warm-up call, and the
    CPU (in cores) other processes used meanwhile. (A meta model computes shapes only: fast.)

    A forward pass shorter than 20 ms is timed as the mean of a batch of calls lasting ~20 ms, so
    each of the `repeat` samples is above the clock's noise.
    """
    busy0, mine0, t0 = _busy_seconds(), _self_cpu(), time.perf_counter()
    with torch.no_grad():
        start = time.perf_counter()
        model(*args, **kwargs)
        one = time.perf_counter() - start
        calls = max(1, min(1000, int(0.02 / max(one, 1e-6))))
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(calls):
                model(*args, **kwargs)
            samples.append((time.perf_counter() - start) / calls)
    busy1, mine1, t1 = _busy_seconds(), _self_cpu(), time.perf_counter()
    other = None
    if busy0 is not None and busy1 is not None and t1 > t0:
        # over at least 1 s: /proc/stat counts in 10 ms ticks, too coarse to judge a 0.1 s window by
        other = max(0.0, (busy1 - busy0) - (mine1 - mine0)) / max(t1 - t0, 1.0)
    return statistics.median(samples), other


def _busy_seconds() -> float | None:
    """CPU-seconds spent busy on all CPUs since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat", encoding="utf-8") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = sum(values[:8]) - values[3] - values[4]  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_worker(tool: str, workload: str, repeat: int, timeout: float, tmp: str) -> ToolResult:
    """Run one (tool, workload) in a fresh process group with a deadline; collect its events.

    Also measures how much CPU other processes used meanwhile: the machine's busy time from
    /proc/stat less the worker's own (and its Graphviz children's) from RUSAGE_CHILDREN.
    """
    workdir = tempfile.mkdtemp(prefix=f"{tool}-{workload}-", dir=tmp)
    result_file = os.path.join(workdir, "events.jsonl")
    open(result_file, "w").close()
    busy0, mine0 = _busy_seconds(), _children_cpu()
    started = time.time()
    deadline = started + timeout
    cmd = [
        sys.executable, os.path.abspath(__file__), "--worker", tool, workload,
        "--repeat", str(repeat), "--deadline", repr(deadline), "--result-file", result_file,
    ]  # fmt: skip
    with open(os.path.join(workdir, "stdout.txt"), "wb") as so, open(os.path.join(workdir, "stderr.txt"), "wb") as se:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=so, stderr=se, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout + GRACE_S)
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the worker and its Graphviz child, nothing else
            except ProcessLookupError:
                pass
            proc.wait()
    killed_at = time.time()
    busy1, mine1 = _busy_seconds(), _children_cpu()
    result = ToolResult(tool, workload, wall_s=killed_at - started)
    # Not for a killed worker: its Graphviz child dies unwaited, so that CPU would look like another's.
    if busy0 is not None and busy1 is not None and not timed_out:
        result.other_cores = max(0.0, (busy1 - busy0) - (mine1 - mine0)) / max(result.wall_s, 1.0)
    last_start: float | None = None
    error: str | None = None
    with open(result_file, encoding="utf-8") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = ev.get("event")
            if kind == "start":
                last_start = float(ev["t"])
            elif kind == "run":
                last_start = None
                if ev["kind"] == "warmup":
                    result.warmup = ev
                elif ev["kind"] == "memory":
                    result.memory = ev
                else:
                    result.runs.append(ev)
            elif kind == "skip":
                result.skipped += 1
            elif kind == "error":
                error = f"{ev['error']} (during {ev['phase']})"
    if timed_out:
        result.status = "timeout"
        if last_start is not None:
            result.lower_bound_s = killed_at - last_start
    elif error is not None:
        result.status = "failed: " + error
    elif proc.returncode != 0:
        with open(os.path.join(workdir, "stderr.txt"), encoding="utf-8", errors="replace") as f:
            tail = [ln.strip() for ln in f.read().splitlines() if ln.strip()]
        reason = tail[-1] if tail else f"exit status {proc.returncode}"
        if proc.returncode < 0:
            reason = f"killed by signal {-proc.returncode}" + (f" ({tail[-1]})" if tail else "")
        result.status = "failed: " + reason
    if result.status == "ok" and not result.runs:
        if result.warmup is None:
            result.status = "failed: no run finished"
        else:  # the warm-up alone used the time: its figures are all there is
            result.runs, result.warm_only = [result.warmup], True
    if result.status == "ok":
        shutil.rmtree(workdir, ignore_errors=True)
    return result


# ====================================================================================
# `archviz render` from the command line
# ====================================================================================


@dataclass
class CliRun:
    """One `archviz render benchmarks/FILE -q --format svg,dot` subprocess, and `dot` re-run on its .dot."""

    file: str
    options: tuple[str, ...]
    exit: int | None = None  # None: killed at CLI_TIMEOUT_S
    wall_s: float = 0.0
    dot_s: float | None = None
    dot_error: str = ""
    boxes: int | None = None
    megapixels: float | None = None
    note: str = ""  # what archviz printed on stderr

    @property
    def goal_met(self) -> bool:
        """Every run exits 0; a default run also within GOAL_WALL_S, with a layout within GOAL_DOT_S."""
        if self.exit != 0:
            return False
        if self.options:
            return True
        return self.wall_s < GOAL_WALL_S and self.dot_s is not None and self.dot_s < GOAL_DOT_S


def archviz_command() -> list[str]:
    """The `archviz` console script of this interpreter's environment, else `python -m archviz`."""
    script = os.path.join(os.path.dirname(sys.executable), "archviz")
    if os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "archviz"]


def _run_limited(cmd: list[str], cwd: str, timeout: float) -> tuple[int | None, float, bytes, bytes]:
    """(exit status or None when killed for time, wall seconds, stdout, stderr) of `cmd` in its own
    process group; the whole group (Graphviz included) is killed at `timeout`."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, time.perf_counter() - start, out, err
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        return None, time.perf_counter() - start, out, err


def svg_megapixels(svg: bytes) -> float | None:
    """The picture's area at 96 dpi in megapixels, from the root `<svg width="…pt" height="…pt"`."""
    m = re.search(rb'<svg\b[^>]*?\bwidth="([\d.]+)pt"[^>]*?\bheight="([\d.]+)pt"', svg)
    if m is None:
        return None
    w, h = (float(v) * 96 / 72 for v in m.groups())
    return w * h / 1e6


def run_cli(file: str, options: tuple[str, ...], tmp: str) -> CliRun:
    """`archviz render benchmarks/<file> -q --format svg,dot -o <dir> [options]`, timed; then `dot -Tsvg`
    on the .dot file it wrote, timed once."""
    out = tempfile.mkdtemp(prefix=f"cli-{file.removesuffix('.py')}-", dir=tmp)
    cmd = [
        *archviz_command(), "render", os.path.join("benchmarks", file), "-q", "--format", "svg,dot", "-o", out,
        *options,
    ]  # fmt: skip
    gc.collect()
    code, wall, _, err = _run_limited(cmd, models.ROOT, CLI_TIMEOUT_S)
    result = CliRun(file, options, code, wall)
    lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
    result.note = " ".join(lines)
    stem = os.path.join(out, file.removesuffix(".py"))
    svgs = [stem + ".svg"] if os.path.exists(stem + ".svg") else sorted(glob.glob(os.path.join(out, "*.svg")))
    dots = [stem + ".dot"] if os.path.exists(stem + ".dot") else sorted(glob.glob(os.path.join(out, "*.dot")))
    if svgs:
        with open(svgs[0], "rb") as f:
            svg = f.read()
        result.boxes = count_nodes(svg)
        result.megapixels = svg_megapixels(svg)
    exe = shutil.which("dot")
    if dots and exe:
        dot_code, dot_wall, _, dot_err = _run_limited([exe, "-Tsvg", dots[0], "-o", os.devnull], out, CLI_TIMEOUT_S)
        if dot_code == 0:
            result.dot_s = dot_wall
        elif dot_code is None:
            result.dot_error = f"dot timed out after {CLI_TIMEOUT_S:.0f} s"
        else:
            tail = dot_err.decode("utf-8", "replace").strip().splitlines()
            result.dot_error = f"dot exited {dot_code}" + (f": {tail[-1]}" if tail else "")
    shutil.rmtree(out, ignore_errors=True)
    return result


def cli_text(r: CliRun) -> str:
    """A one-line progress message for stderr."""
    exit_text = "timeout" if r.exit is None else f"exit {r.exit}"
    return (
        f"{' '.join(r.options) or 'default'}: {exit_text}, {r.wall_s:.1f} s, dot "
        f"{'—' if r.dot_s is None else f'{r.dot_s:.1f} s'}, {r.boxes if r.boxes is not None else '—'} boxes"
    )


def cli_section(runs: list[CliRun]) -> list[str]:
    """The report's "archviz render, from the command line" section."""
    lines = [
        "",
        "## archviz render, from the command line",
        "",
        (
            "`archviz render benchmarks/FILE -q --format svg,dot -o DIR [OPTIONS]` as a subprocess, once per row "
            f"(limit {CLI_TIMEOUT_S:.0f} s): model building, tracing, fitting, layout and writing included, Python's "
            "and archviz's start-up too. *wall s*: the whole subprocess; *dot s*: `dot -Tsvg` re-run once on the "
            ".dot file it wrote (the layout alone); *boxes*: nodes in the written SVG (legend not counted); *MP*: "
            "the picture's area in megapixels at 96 dpi (from the SVG's width and height in pt, px = pt · 96/72); "
            "*note*: what archviz printed on stderr."
        ),
        "",
        (
            f"Goals: every default run exits 0 in < {GOAL_WALL_S:.0f} s with a layout < {GOAL_DOT_S:.0f} s, and "
            "`--depth 1` / `--depth 2` exit 0. *goal*: ✓ met, ✗ missed."
        ),
        "",
        "| file | options | exit | wall s | dot s | boxes | MP | goal | note |",
        "|---|---|--:|--:|--:|--:|--:|:-:|---|",
    ]
    for r in runs:
        exit_text = "timeout" if r.exit is None else str(r.exit)
        dot_text = f"{r.dot_s:.2f}" if r.dot_s is not None else "—"
        mp = "—" if r.megapixels is None else f"{r.megapixels:.1f}" if r.megapixels >= 1 else f"{r.megapixels:.2f}"
        note = "; ".join(t for t in (r.note, r.dot_error) if t)
        lines.append(
            f"| {r.file} | {' '.join(r.options) or 'default'} | {exit_text} | {r.wall_s:.1f} | {dot_text} "
            f"| {r.boxes if r.boxes is not None else '—'} | {mp} | {'✓' if r.goal_met else '✗'} "
            f"| {short(note, 300) if note else ''} |"
        )
    met = sum(r.goal_met for r in runs)
    lines += ["", f"{met} of {len(runs)} rows meet the goals."]
    return lines


# ---- formatting -------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    value = seconds * 1000
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def mb(kb: float | None) -> str:
    return "—" if kb is None else f"{kb / 1024:,.1f}"


def ratio(a: float | None, b: float | None, prefix: str = "") -> str:
    if a is None or b is None or b <= 0:
        return "—"
    x = a / b
    text = f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"
    return f"{prefix}{text}×"


def short(text: str, limit: int = 110) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def status_text(r: ToolResult, timeout: float) -> str:
    if r.status == "timeout":
        where = f"; a run was cut after {r.lower_bound_s:.0f} s" if r.lower_bound_s is not None else ""
        done = f"; {len(r.runs)} timed run(s) done" if r.runs else ""
        return f"timeout (>{timeout:.0f} s{where}{done})"
    busy = ""
    if r.other_cores is not None and r.other_cores >= BUSY_CORES:
        busy = f" — machine busy: other processes used {r.other_cores:.1f} cores meanwhile"
    if r.status != "ok":
        return short(r.status) + busy
    notes = []
    if r.warm_only:
        notes.append(f"warm-up only ({r.runs[0]['wall_s']:.0f} s): no timed run fitted in {timeout:.0f} s")
    elif r.skipped:
        notes.append(f"{r.skipped} run(s) skipped for time")
    if r.note and r.tool != UNROLLED:
        notes.append(r.note)
    return "ok" + (" — " + "; ".join(notes) if notes else "") + busy


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version(), "torch": torch.__version__}
    for name in ("archviz", "torchview", "torchlens", "graphviz"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    exe = shutil.which("dot")
    if exe:
        done = subprocess.run([exe, "-V"], capture_output=True, text=True, check=False)
        found["dot"] = (done.stderr or done.stdout).strip().removeprefix("dot - graphviz version ")
    return found


def cpu_busy(seconds: float = 1.0) -> float | None:
    """Fraction of all CPUs busy over `seconds` (from /proc/stat): other work skews every time here."""

    def snap() -> tuple[int, int] | None:
        try:
            with open("/proc/stat", encoding="utf-8") as f:
                values = [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return sum(values), idle

    a = snap()
    time.sleep(seconds)
    b = snap()
    if a is None or b is None or b[0] == a[0]:
        return None
    return 1.0 - (b[1] - a[1]) / (b[0] - a[0])


def load_text(busy: float | None) -> str:
    try:
        with open("/proc/loadavg", encoding="utf-8") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = "?"
    return ("?" if busy is None else f"{busy:.0%}") + f" CPU busy, load average {load}"


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _cell(r: ToolResult, key: str) -> str:
    """A median in ms; `≈` marks a figure from the warm-up run alone."""
    value = r.median(key)
    return ("≈" if r.warm_only and value is not None else "") + ms(value)


def _spread(r: ToolResult) -> str:
    values = [run["e2e_s"] for run in r.runs]
    if len(values) < 2:
        return "—"
    return f"{ms(min(values))}–{ms(max(values))}"


def _anchor(results: dict[tuple[str, str], ToolResult], workload: str, archviz_e2e: float | None) -> tuple[str, str]:
    """(best anchor e2e text, anchor / archviz text) for one workload."""
    known: list[tuple[float, str, bool]] = []  # (e2e, tool, from the warm-up alone)
    bounds: list[tuple[float, str]] = []  # (at least this long, tool) for timeouts
    for tool in ("torchview", "torchlens"):
        r = results.get((tool, workload))
        if r is None:
            continue
        e2e = r.median("e2e_s")
        if e2e is not None:
            known.append((e2e, tool, r.warm_only))
        elif r.status == "timeout" and r.lower_bound_s is not None:
            bounds.append((r.lower_bound_s, tool))
    best_known = min(known) if known else None
    best_bound = min(bounds) if bounds else None
    if best_known is not None and (best_bound is None or best_known[0] <= best_bound[0]):
        value, tool, warm = best_known
        mark = "≈" if warm else ""
        return f"{mark}{ms(value)} ({tool}{', warm-up' if warm else ''})", ratio(value, archviz_e2e, mark)
    if best_bound is not None:
        value, tool = best_bound
        return f">{ms(value)} ({tool}, timeout)", ratio(value, archviz_e2e, ">")
    return "—", "—"


def _busy_note(*rows: ToolResult) -> str:
    worst = max((r.other_cores or 0.0 for r in rows), default=0.0)
    return f" — machine busy: other processes used {worst:.1f} cores meanwhile" if worst >= BUSY_CORES else ""


def report(
    workloads: list[models.Workload],
    tools: list[str],
    forward: dict[str, float],
    forward_busy: dict[str, float | None],
    results: dict[tuple[str, str], ToolResult],
    args: argparse.Namespace,
    wall: float,
    load: tuple[str, str] = ("?", "?"),
    cli: list[CliRun] | None = None,
    pages: list[str] | None = None,
) -> str:
    v = versions()
    flagged = [r for r in results.values() if r.other_cores is not None and r.other_cores >= BUSY_CORES]
    busy_forward = [n for n, b in forward_busy.items() if b is not None and b >= BUSY_CORES]
    lines = [
        "# archviz benchmark",
        "",
        (
            f"`{' '.join(['python', 'benchmarks/run.py', *sys.argv[1:]])}` — {time.strftime('%Y-%m-%d %H:%M')}, "
            f"total wall time {wall:.0f} s.  "
        ),
        (
            f"{os.cpu_count()} CPUs ({cpu_name()}), torch {v['torch']} ({torch.get_num_threads()} threads), "
            f"Python {v['python']}, Graphviz {v.get('dot', '?')}; archviz {v['archviz']}, torchview {v['torchview']}, "
            f"torchlens {v['torchlens']}.  "
        ),
        f"Machine before the run: {load[0]}; after: {load[1]}. "
        + (
            f"**{len(flagged)} tool run(s) and {len(busy_forward)} forward timing(s) ran while other processes "
            f"used ≥ {BUSY_CORES} cores** (flagged in *status*, and `*` on *forward*).  "
            if flagged or busy_forward
            else f"Nothing ran while other processes used ≥ {BUSY_CORES} cores.  "
        ),
        (
            f"Times in ms: medians of {args.repeat} timed run(s) after one warm-up (*n*: timed runs that fitted in "
            f"the {args.timeout:.0f} s limit per tool and workload, warm-up included; `≈`: the warm-up run alone). "
            "*Peak ΔRSS*: the tool process's growth over its RSS just before one separate run (VmRSS sampled every "
            "2 ms, plus the kernel's VmHWM reset before the run). *dot RSS*: the peak RSS of the Graphviz process of "
            "that run (GNU time's maxrss), not part of ΔRSS. *nodes*: boxes in the SVG (archviz's legend not counted). "
            "Every tool draws a rolled view at full depth (archviz fitted to the CLI's default budget, as "
            "`archviz render` draws it: its note says when that drew less); see benchmarks/README.md."
        ),
        "",
        "## Per tool",
        "",
        (
            "| workload | tool | forward | trace | render | end-to-end | e2e min–max | trace / forward | peak ΔRSS MB "
            "| dot RSS MB | nodes | n | status |"
        ),
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for w in workloads:
        for tool in tools:
            r = results.get((tool, w.name))
            if r is None:
                continue
            fwd = forward.get(w.name)
            trace = r.median("trace_s")
            mem = r.memory or {}
            fwd_text = ms(fwd) + ("*" if w.name in busy_forward else "")
            lines.append(
                f"| {w.name} | {tool} | {fwd_text} | {_cell(r, 'trace_s')} | {_cell(r, 'render_s')} "
                f"| {_cell(r, 'e2e_s')} | {_spread(r)} | {('≈' if r.warm_only and trace else '') + ratio(trace, fwd)} "
                f"| {mb(mem.get('rss_peak_kb'))} | {mb(mem.get('graphviz_kb'))} "
                f"| {r.nodes if r.nodes is not None else '—'} | {0 if r.warm_only else len(r.runs)} "
                f"| {status_text(r, args.timeout)} |"
            )
    lines += [
        "",
        "## Per workload",
        "",
        (
            "*trace / forward*: archviz's trace time over the plain forward pass. *anchor / archviz*: the faster of "
            "torchview's and torchlens's end-to-end time over archviz's (above 1: archviz is faster). `>`: every "
            "other tool timed out, and the time its cut run had already taken is a lower bound; `≈`: the best other "
            "tool only finished its warm-up run."
        ),
        "",
        "| workload | forward | archviz trace | trace / forward | archviz e2e | best anchor e2e | anchor / archviz |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for w in workloads:
        a = results.get(("archviz", w.name))
        if a is None:
            continue
        fwd = forward.get(w.name)
        a_trace, a_e2e = a.median("trace_s"), a.median("e2e_s")
        anchor, anchor_ratio = _anchor(results, w.name, a_e2e)
        lines.append(
            f"| {w.name} | {ms(fwd) + ('*' if w.name in busy_forward else '')} | {_cell(a, 'trace_s')} "
            f"| {ratio(a_trace, fwd)} | {_cell(a, 'e2e_s')} | {anchor} | {anchor_ratio} |"
        )
    extras: list[str] = []
    u = results.get((UNROLLED, UNROLLED_WORKLOAD))
    if u is not None:
        message = status_text(u, args.timeout)
        if u.status == "ok":
            message = u.note + status_text(u, args.timeout).removeprefix("ok")
        extras.append(
            f"| {UNROLLED_WORKLOAD} unrolled: View(unroll=True) via view.fit(max_nodes={MAX_NODES}) "
            f"| {_cell(u, 'trace_s')} | {_cell(u, 'render_s')} | {_cell(u, 'e2e_s')} "
            f"| {u.nodes if u.nodes is not None else '—'} | {len(u.runs)} | {short(message, 400)} |"
        )
    small, large = (results.get(("archviz", name)) for name in SCALING)
    if small is not None and large is not None and small.runs and large.runs:
        detail = "; ".join(
            f"{p} {ms(small.median_part(p))} → {ms(large.median_part(p))} ms "
            f"({ratio(large.median_part(p), small.median_part(p))})"
            for p in ("build", "to_dot", "dot")
        )
        extras.append(
            f"| rendering scaling, rolled: {SCALING[1]} render / {SCALING[0]} render "
            f"| {ms(small.median('trace_s'))} → {ms(large.median('trace_s'))} "
            f"| {ms(small.median('render_s'))} → {ms(large.median('render_s'))} "
            f"| {ms(small.median('e2e_s'))} → {ms(large.median('e2e_s'))} | {small.nodes} → {large.nodes} "
            f"| {min(len(small.runs), len(large.runs))} "
            f"| **{ratio(large.median('render_s'), small.median('render_s'))}** render time for 100× the steps "
            f"({detail}){_busy_note(small, large)} |"
        )
    if extras:
        lines += [
            "",
            "## archviz extras",
            "",
            "| case | trace | render | end-to-end | nodes | n | result |",
            "|---|--:|--:|--:|--:|--:|---|",
            *extras,
        ]
    if cli:
        lines += cli_section(cli)
    if pages:
        lines += ["", *pages]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the warm-up (median reported)")
    parser.add_argument("--quick", action="store_true", help="only the quick subset of workloads")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma list of archviz, torchview, torchlens")
    parser.add_argument(
        "--workloads",
        default="",
        help="comma list of workload names (default: all); selects the `archviz render` rows of their model files "
        "too (decoder-7b-meta: that CLI row alone)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per (tool, workload), warm-up included")
    parser.add_argument("--out", default=os.path.join("benchmarks", "results.md"), help="markdown report path")
    parser.add_argument("--worker", nargs=2, metavar=("TOOL", "WORKLOAD"), help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--result-file", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker[0], args.worker[1], args.repeat, args.deadline, args.result_file)

    if args.repeat < 1:
        parser.error("--repeat must be 1 or more")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown or not tools:
        parser.error(f"--tools: unknown {', '.join(unknown) or '(none)'}; choose from {', '.join(TOOLS)}")
    cli_only = [n for n in CLI_FILES.values() if n not in models.BY_NAME]
    if args.workloads:
        names = [n.strip() for n in args.workloads.split(",") if n.strip()]
        missing = [n for n in names if n not in models.BY_NAME and n not in cli_only]
        if missing:
            known = ", ".join([*models.BY_NAME, *cli_only])
            parser.error(f"--workloads: unknown {', '.join(missing)}; choose from {known}")
        workloads = [models.BY_NAME[n] for n in names if n in models.BY_NAME]
    else:
        names = [w.name for w in models.WORKLOADS if w.quick or not args.quick]
        names += [] if args.quick else cli_only
        workloads = [models.BY_NAME[n] for n in names if n in models.BY_NAME]
    cli_files = [f for f, n in CLI_FILES.items() if n in names] if "archviz" in tools else []

    busy = cpu_busy()
    before = load_text(busy)
    print(f"[machine] {before}", file=sys.stderr, flush=True)
    if busy is not None and busy > 0.2:
        print("[machine] warning: other processes are using the CPU; times will be noisy", file=sys.stderr)
    begin = time.perf_counter()
    forward: dict[str, float] = {}
    forward_busy: dict[str, float | None] = {}
    results: dict[tuple[str, str], ToolResult] = {}
    jobs: list[tuple[str | None, str]] = []  # (None, workload): time its plain forward pass here
    for w in workloads:
        jobs += [(None, w.name)] + [(tool, w.name) for tool in tools]
    if "archviz" in tools and (not args.workloads or any(w.name == UNROLLED_WORKLOAD for w in workloads)):
        jobs.append((UNROLLED, UNROLLED_WORKLOAD))  # cheap, so in --quick too
    cli: list[CliRun] = []
    with tempfile.TemporaryDirectory(prefix="archviz-bench-") as tmp:
        for tool, name in jobs:
            if tool is None:  # just before the tools run on it, so a disturbance shows in both
                model, wargs, wkwargs = models.split(models.BY_NAME[name].make())
                forward[name], forward_busy[name] = time_forward(model, wargs, wkwargs, args.repeat)
                del model, wargs, wkwargs
                print(f"[forward] {name}: {ms(forward[name])} ms", file=sys.stderr, flush=True)
                continue
            r = run_worker(tool, name, args.repeat, args.timeout, tmp)
            results[(tool, name)] = r
            print(
                f"[{tool}] {name}: {status_text(r, args.timeout)}; e2e {ms(r.median('e2e_s'))} ms; "
                f"{r.wall_s:.1f} s in the worker",
                file=sys.stderr,
                flush=True,
            )
        for file in cli_files:
            for options in CLI_OPTIONS:
                c = run_cli(file, options, tmp)
                cli.append(c)
                print(f"[archviz render] {file} {cli_text(c)}", file=sys.stderr, flush=True)
    pages: list[str] = []
    if "archviz" in tools and not args.quick and not args.workloads and os.path.exists(report_pages.CHROMIUM):
        pages = report_pages.section(report_pages.run_all())
    wall = time.perf_counter() - begin
    after = load_text(cpu_busy(0.5))
    text = report(workloads, tools, forward, forward_busy, results, args, wall, (before, after), cli, pages)
    print(text)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
