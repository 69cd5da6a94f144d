#!/usr/bin/env python3
"""kazoo Lock benchmark: the same three rows as tests/peers/java/CuratorLockBench.java.

Usage: python3 kazoo_lock_bench.py <connectString> <root> [iterations=1000] [seconds=5] [sessions=8]
                                   [callers=64] [warmupSeconds=1] [rows=all|queue]

  mutex-uncontended  one session, one lock: acquire+release latency p50/p99 over <iterations>
  mutex-handoff      <sessions> sessions contending on one lock for <seconds>: acquisitions/s
  mutex-distinct     <callers> threads sharing one session, one lock name each, for <seconds>: acquisitions/s
  mutex-queue        (rows=queue: the only row) <sessions> sessions queueing on one lock for <warmupSeconds> and
                     then <seconds> (the measured window, marked by the lines "window-start" and "window-end"),
                     each waiting as long as the run lasts: acquisitions/s and p50/p99 of the wait in the window

One JSON object per line on stdout. Everything lives under <root>/kazoo-lock-bench-<uuid>, deleted at the
end. Exit code 0 on success, 1 on failure (message on stderr).
"""

import json
import math
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout


def connect(connect_string):
    client = KazooClient(hosts=connect_string, timeout=30.0)
    client.start(timeout=15)
    return client


def percentile(sorted_samples, p):
    index = max(0, min(len(sorted_samples) - 1, math.ceil(p * len(sorted_samples)) - 1))
    return sorted_samples[index]


def run(locks, seconds):
    """One thread per lock, acquire+release in a loop for `seconds`; returns (acquisitions, errors, elapsed)."""
    counts = [0] * len(locks)
    errors = [0] * len(locks)
    go = threading.Event()
    window = [0.0, 0.0]

    def worker(index, lock):
        go.wait()
        while True:
            remaining = window[1] - time.monotonic()
            if remaining <= 0:
                return
            try:
                # Bounded wait so that every thread notices the end of the window.
                lock.acquire(timeout=min(remaining + 0.001, 1.0))
                lock.release()
                counts[index] += 1
            except LockTimeout:
                pass
            except Exception:  # counted, the run goes on
                errors[index] += 1

    threads = [threading.Thread(target=worker, args=(i, lock), daemon=True) for i, lock in enumerate(locks)]
    for thread in threads:
        thread.start()
    window[0] = time.monotonic()
    window[1] = window[0] + seconds
    go.set()
    for thread in threads:
        thread.join(30)
        if thread.is_alive():
            raise RuntimeError("a benchmark thread is still running 30 s after the window")
    return sum(counts), sum(errors), time.monotonic() - window[0]


def queue(clients, path, seconds, warmup):
    """The queue row: every session loops on one lock, each wait bounded only by the end of the run; the measured
    window follows the warm-up inside the same run, so the queue is already formed when it opens (steady state)."""
    counts = [0] * len(clients)
    errors = [0] * len(clients)
    waits = []
    begin = time.monotonic()
    opens = begin + warmup
    closes = opens + seconds

    def worker(index, lock):
        while True:
            remaining = closes - time.monotonic()
            if remaining <= 0:
                return
            try:
                asked = time.monotonic()
                lock.acquire(timeout=remaining + 0.001)
                got = time.monotonic()
                if opens <= got < closes:
                    waits.append(got - asked)
                lock.release()
                counts[index] += 1
            except LockTimeout:
                pass
            except Exception:  # counted, the run goes on
                errors[index] += 1

    threads = [threading.Thread(target=worker, args=(i, client.Lock(path)), daemon=True)
               for i, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, opens - time.monotonic()))
    before, errors_before, opened = sum(counts), sum(errors), time.monotonic()
    print("window-start", flush=True)
    time.sleep(max(0.0, closes - time.monotonic()))
    after, errors_after, elapsed = sum(counts), sum(errors), time.monotonic() - opened
    print("window-end", flush=True)
    for thread in threads:
        thread.join(30)
    waits.sort()
    row = rate_row("mutex-queue", {"sessions": len(clients), "durationSeconds": seconds},
                   (after - before, errors_after - errors_before, elapsed))
    row["p50Ms"] = round(percentile(waits, 0.50) * 1000, 3) if waits else 0
    row["p99Ms"] = round(percentile(waits, 0.99) * 1000, 3) if waits else 0
    emit(row)


def emit(row):
    sys.stdout.write(json.dumps(row, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def rate_row(benchmark, params, result):
    operations, errors, elapsed = result
    return {"peer": "kazoo", "benchmark": benchmark, "params": params, "operations": operations,
            "seconds": round(elapsed, 3), "opsPerSecond": round(operations / elapsed, 1), "errors": errors}


def main():
    if len(sys.argv) < 3:
        print("usage: kazoo_lock_bench.py <connectString> <root> [iterations=1000] [seconds=5] [sessions=8] "
              "[callers=64] [warmupSeconds=1]", file=sys.stderr)
        return 2
    connect_string = sys.argv[1]
    base = sys.argv[2] + "/kazoo-lock-bench-" + str(uuid.uuid4())
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    sessions = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    callers = int(sys.argv[6]) if len(sys.argv) > 6 else 64
    warmup = float(sys.argv[7]) if len(sys.argv) > 7 else 1.0
    queue_only = len(sys.argv) > 8 and sys.argv[8] == "queue"

    clients = []
    try:
        for _ in range(max(1, sessions)):
            clients.append(connect(connect_string))
        main_client = clients[0]
        if queue_only:
            queue(clients, base + "/queue", seconds, warmup)
            return 0

        # (a) uncontended latency
        lock = main_client.Lock(base + "/uncontended")
        for _ in range(min(100, max(10, iterations // 10))):
            lock.acquire()
            lock.release()
        samples = []
        start = time.perf_counter()
        for _ in range(iterations):
            t = time.perf_counter()
            lock.acquire()
            lock.release()
            samples.append(time.perf_counter() - t)
        elapsed = time.perf_counter() - start
        samples.sort()
        emit({"peer": "kazoo", "benchmark": "mutex-uncontended", "params": {"iterations": iterations},
              "operations": iterations, "seconds": round(elapsed, 3),
              "opsPerSecond": round(iterations / elapsed, 1), "errors": 0,
              "p50Ms": round(percentile(samples, 0.50) * 1000, 3),
              "p99Ms": round(percentile(samples, 0.99) * 1000, 3)})

        # (b) handoffs between sessions on one lock
        contenders = [client.Lock(base + "/handoff") for client in clients]
        if warmup > 0:
            run(contenders, warmup)
        emit(rate_row("mutex-handoff", {"sessions": len(clients), "durationSeconds": seconds},
                      run(contenders, seconds)))

        # (c) distinct lock names, one shared session
        distinct = [main_client.Lock("%s/distinct/lock-%d" % (base, i)) for i in range(callers)]
        if warmup > 0:
            run(distinct, warmup)
        emit(rate_row("mutex-distinct", {"callers": callers, "durationSeconds": seconds},
                      run(distinct, seconds)))
        return 0
    except Exception as error:
        print("kazoo_lock_bench failed: %r" % (error,), file=sys.stderr)
        return 1
    finally:
        if clients:
            try:
                clients[0].delete(base, recursive=True)
            except Exception as error:
                print("kazoo_lock_bench: deleting %s: %r" % (base, error), file=sys.stderr)
        for client in clients:
            try:
                client.stop()
                client.close()
            except Exception:
                pass


if __name__ == "__main__":
    sys.exit(main())
