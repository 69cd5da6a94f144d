#!/usr/bin/env python3
"""kazoo Lock at scale, driven line by line by the benchmark harness: the commands of
tests/peers/java/CuratorScaleBench.java ("Held at once" and "Names over time"), so that the harness can read the
ensemble (watches, znode count) between the steps.

Usage: python3 kazoo_scale_bench.py <connectString>

Prints "ready" once connected (or "error <message>" and exits with code 2), then answers each command line with
one "ok[ <payload>]" or "error <message>" line:
  hold <path> <count> <parallelism>   takes <count> locks <path>/lock-<i>, <parallelism> threads at a time, and keeps
                                      them; ok <milliseconds>
  release                             each thread releases the locks it took; ok <milliseconds>
  names <path> <from> <to> <callers>  <callers> threads take and release <path>/<i> for every i in [from, to), a new
                                      Lock for each name; ok <seconds>
  memory                              the process's resident set (VmRSS) after gc.collect(); ok <bytes>
  quit                                releases what is held, closes the session; ok bye

kazoo runs its session on the threading handler (one connection thread, one callback thread); the callers are
Python threads sharing it, under the GIL.
"""

import gc
import os
import sys
import threading
import time

from kazoo.client import KazooClient

# How long one acquisition may wait: the names are distinct, so a wait means something is wrong.
ACQUIRE_SECONDS = 60.0


class Counter:
    """Hands out the integers of [start, end) to many threads."""

    def __init__(self, start, end):
        self._next = start
        self._end = end
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            if self._next >= self._end:
                return None
            value = self._next
            self._next += 1
            return value

    def each(self, failures):
        """The integers this thread gets, until they run out or a thread has failed."""
        while not failures:
            value = self.take()
            if value is None:
                return
            yield value


def acquire(client, path):
    """A new Lock on `path`, acquired."""
    lock = client.Lock(path)
    if not lock.acquire(timeout=ACQUIRE_SECONDS):
        raise RuntimeError("%s not acquired in %d s" % (path, ACQUIRE_SECONDS))
    return lock


class Holding:
    """Locks taken by a fixed set of threads, each keeping its own until told to release them."""

    def __init__(self, client, path, count, parallelism):
        self._release = threading.Event()
        self._failures = []
        counter = Counter(0, count)
        workers = max(1, min(parallelism, count))
        self._held = threading.Barrier(workers + 1)

        def worker():
            mine = []
            try:
                for i in counter.each(self._failures):
                    mine.append(acquire(client, "%s/lock-%d" % (path, i)))
            except Exception as error:  # reported to the harness by await_held
                self._failures.append(error)
            self._held.wait()
            self._release.wait()
            for lock in mine:
                try:
                    lock.release()
                except Exception as error:
                    self._failures.append(error)

        self._threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()

    def await_held(self):
        self._held.wait()
        if self._failures:
            self.release()

    def release(self):
        self._release.set()
        for thread in self._threads:
            thread.join()
        if self._failures:
            raise self._failures[0]


def names(client, path, start, end, callers):
    counter = Counter(start, end)
    failures = []

    def worker():
        try:
            for i in counter.each(failures):
                acquire(client, "%s/%d" % (path, i)).release()
        except Exception as error:
            failures.append(error)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, callers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - started


def resident_bytes():
    gc.collect()
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reply(line):
    sys.stdout.write(line.replace("\n", " ") + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) < 2:
        print("usage: kazoo_scale_bench.py <connectString>", file=sys.stderr)
        return 2
    client = KazooClient(hosts=sys.argv[1], timeout=30.0)
    try:
        client.start(timeout=15)
    except Exception as error:
        reply("error could not connect to %s: %r" % (sys.argv[1], error))
        return 2
    reply("ready")
    holding = None
    try:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "quit":
                break
            try:
                if words[0] == "hold":
                    if holding is not None:
                        raise RuntimeError("locks are already held; release them first")
                    started = time.perf_counter()
                    taken = Holding(client, words[1], int(words[2]), int(words[3]))
                    taken.await_held()
                    holding = taken
                    reply("ok %.3f" % ((time.perf_counter() - started) * 1000))
                elif words[0] == "release":
                    if holding is None:
                        raise RuntimeError("no locks are held")
                    started = time.perf_counter()
                    held, holding = holding, None
                    held.release()
                    reply("ok %.3f" % ((time.perf_counter() - started) * 1000))
                elif words[0] == "names":
                    reply("ok %.6f" % names(client, words[1], int(words[2]), int(words[3]), int(words[4])))
                elif words[0] == "memory":
                    reply("ok %d" % resident_bytes())
                else:
                    raise RuntimeError("unknown command '%s'" % words[0])
            except Exception as error:
                reply("error %r" % (error,))
    finally:
        if holding is not None:
            try:
                holding.release()
            except Exception:
                pass
        client.stop()
        client.close()
    reply("ok bye")
    return 0


if __name__ == "__main__":
    sys.exit(main())
