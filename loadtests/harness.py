"""What the load scripts share: a free port, a process's memory, waiting for /health."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

__all__ = ["ROOT", "free_port", "memory_mib", "rss_mib", "wait_for_health"]

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_mib(pid: int) -> dict[str, float]:
    """Resident memory now (VmRSS) and at its highest (VmHWM), MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def rss_mib(pid: int) -> float:
    return memory_mib(pid).get("VmRSS", float("nan"))


def wait_for_health(base: str, server: subprocess.Popen[bytes], limit: float) -> float:
    """When (time.monotonic) the server at ``base`` first answered /health."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if server.poll() is not None:
            raise RuntimeError(f"the simulator exited with {server.returncode}")
        try:
            urllib.request.urlopen(base + "/health", timeout=1).close()
            return time.monotonic()
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"no /health answer within {limit} s")
