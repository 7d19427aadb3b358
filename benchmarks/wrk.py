"""`wrk`, the load generator the budget is measured with: not Python, so it does not hold the server back.

It comes from Debian's packages; `ensure_wrk` installs it when it is missing and the bench may (root, apt-get).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    #: Answers that were neither 2xx nor 3xx, plus connection errors and timeouts.
    errors: int


def ensure_wrk() -> str:
    """The path of `wrk`, installed from Debian's packages when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        raise RuntimeError("wrk is needed: install it (Debian: apt-get install wrk)")
    subprocess.run([apt, "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("apt-get install wrk did not install wrk")
    return found


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS_MS[unit]


def parse(output: str) -> WrkResult:
    """The figures of `wrk --latency`'s report."""
    percentiles = {int(p): _ms(value) for p, value in re.findall(r"^\s+(50|99)%\s+(\S+)$", output, re.MULTILINE)}
    requests = int(re.search(r"^\s+(\d+) requests in", output, re.MULTILINE).group(1))
    rate = float(re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = (int(failed.group(1)) if failed else 0) + (
        sum(int(count) for count in socket_errors.groups()[::3]) if socket_errors else 0)
    return WrkResult(rate, percentiles[50], percentiles[99], requests, errors)


def run_wrk(port: int, path: str, headers: dict | None = None, connections: int = 20, seconds: float = 10,
            threads: int = 2) -> WrkResult:
    """`connections` connections on `path` for `seconds`, GET."""
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    finished = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                              check=True)
    return parse(finished.stdout)
