"""Linux /proc readers: a process's CPU time, resident memory and children."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """Fields 3.. of /proc/<pid>/stat (everything after the parenthesised command name)."""
    text = (PROC / str(pid) / "stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """utime + stime (stat fields 14 and 15) of ``pid``, in seconds."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def start_time(pid: int) -> int:
    """Start time of ``pid`` (stat field 22, clock ticks after boot): tells pid reuse apart."""
    return int(_stat_fields(pid)[19])


def rss_bytes(pid: int) -> int:
    """VmRSS of ``pid`` from /proc/<pid>/status."""
    for line in (PROC / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            value, unit = line.split()[1:3]
            if unit != "kB":
                raise ValueError(f"unexpected VmRSS unit {unit!r}")
            return int(value) * 1024
    raise ValueError(f"no VmRSS for pid {pid}")


def children(pid: int) -> list[int]:
    """Child pids of ``pid``: /proc/<pid>/task/*/children if the kernel has it, else a scan."""
    task_dir = PROC / str(pid) / "task"
    try:
        files = [task / "children" for task in task_dir.iterdir()]
        if files and all(f.exists() for f in files):
            return sorted(int(c) for f in files for c in f.read_text().split())
    except OSError:
        pass
    found: list[int] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat_fields(int(entry.name))[1]) == pid:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(found)
