"""Sequential CPU measurement: worker CPU time per request, one request at a time."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench import procfs
from bench.client import expect_status, send
from bench.workloads import Workload

#: Let the worker finish the previous response's teardown before reading its CPU time.
SETTLE_SECONDS = 0.05
#: With this many clock ticks of worker CPU the measurement is precise enough without more requests.
ENOUGH_TICKS = 200


@dataclass(frozen=True)
class CpuPlan:
    """When to stop: ``duration`` wall seconds and ``min_requests`` (or ENOUGH_TICKS of CPU),
    but never past ``max_seconds`` or ``max_requests``."""

    duration: float
    min_requests: int
    max_seconds: float
    max_requests: int
    warmup_requests: int


@dataclass(frozen=True)
class CpuSample:
    requests: int
    wall_seconds: float
    cpu_seconds: float

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / self.requests


def _enough(plan: CpuPlan, n: int, elapsed: float, ticks: float) -> bool:
    if n >= plan.max_requests or elapsed >= plan.max_seconds:
        return True
    return elapsed >= plan.duration and (n >= plan.min_requests or ticks >= ENOUGH_TICKS)


def measure_cpu(port: int, worker_pid: int, workload: Workload, plan: CpuPlan) -> CpuSample:
    """Send ``workload`` requests one by one; return the worker's CPU time they cost."""
    for _ in range(plan.warmup_requests):
        request = workload.next_request()
        expect_status(request, send(port, request), workload.status)
    time.sleep(SETTLE_SECONDS)
    cpu_before = procfs.cpu_seconds(worker_pid)
    began = time.perf_counter()
    n = 0
    while True:
        request = workload.next_request()
        expect_status(request, send(port, request), workload.status)
        n += 1
        elapsed = time.perf_counter() - began
        ticks = (procfs.cpu_seconds(worker_pid) - cpu_before) * procfs.CLOCK_TICKS
        if _enough(plan, n, elapsed, ticks):
            break
    time.sleep(SETTLE_SECONDS)
    cpu = procfs.cpu_seconds(worker_pid) - cpu_before
    return CpuSample(requests=n, wall_seconds=elapsed, cpu_seconds=cpu)
