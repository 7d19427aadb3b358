"""A small HTTP load generator: N connections for a fixed time, latencies in milliseconds."""
from __future__ import annotations

import http.client
import multiprocessing
import statistics
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else float("nan")

    def line(self, name: str) -> str:
        return (f"{name:<28} {self.rate:8.0f} req/s   p50 {self.percentile(50):6.1f} ms   "
                f"p99 {self.percentile(99):6.1f} ms   errors {self.errors}")


def _connection_loop(port: int, path: str, headers: dict, stop_at: float, out: list, errors: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            errors.append(0)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        out.append((time.perf_counter() - started) * 1000)
    connection.close()


def _process(port: int, path: str, headers: dict, connections: int, seconds: float, queue) -> None:
    stop_at = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[int] = []
    threads = [threading.Thread(target=_connection_loop, args=(port, path, headers, stop_at, latencies, errors))
               for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put((latencies, len(errors)))


def run_load(port: int, path: str, headers: dict | None = None, connections: int = 20, seconds: float = 10,
             processes: int = 2) -> LoadResult:
    """Hit `path` with `connections` open connections (spread over processes) for `seconds`."""
    queue = multiprocessing.get_context("fork").Queue()
    per_process = max(1, connections // processes)
    workers = [multiprocessing.get_context("fork").Process(
        target=_process, args=(port, path, headers or {}, per_process, seconds, queue)) for _ in range(processes)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    latencies = [value for result in results for value in result[0]]
    return LoadResult(len(latencies), sum(result[1] for result in results), elapsed, latencies)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000
