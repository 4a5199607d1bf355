"""Timing helpers shared by the benchmark scripts and their worker processes. Imports nothing
heavy, so that ONNX Runtime's worker can use it without loading PyTorch."""

import statistics
import time
from pathlib import Path


def settle() -> None:
    """Lets the last framework's idle worker threads stop spin-waiting (OpenMP's and ORT's spin
    for a while after their last task) before the next framework is timed."""
    time.sleep(1.0)


def timed(f, warmup: int, runs: int) -> tuple[float, float]:
    """Median milliseconds of `runs` calls after `warmup`, and CPU time ÷ wall time over them."""
    for _ in range(warmup):
        f()
    times = []
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    busy = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return statistics.median(times) * 1e3, busy


def peak_mib() -> float:
    """This process's peak resident memory: VmHWM, which starts afresh at exec (ru_maxrss
    would include the parent's memory at fork time)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
