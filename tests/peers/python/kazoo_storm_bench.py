#!/usr/bin/env python3
"""The reconnect-storm row's kazoo side (benchmarks/ZkSync.Benchmarks/StormBenchmark.cs).

Usage: python3 kazoo_storm_bench.py <connectString> <root> <sessions> <watches>

<sessions> KazooClient instances, each its own session on the full connection string, each setting a get() watch
on every node <root>/n0 .. <root>/n<watches-1> (created by the benchmark beforehand). The benchmark then restarts
the ensemble's leader and measures; this script only reports what its sessions see.

Line protocol (as tests/peers/python/kazoo_peer.py): "ready" once every watch is set (every get answered),
"event reconnected" once every session has been SUSPENDED (or LOST) and is CONNECTED again since "ready";
commands, one reply each: "fires" -> "ok <CHANGED notifications so far>", "quit" -> "ok bye", then the sessions
close and the script exits (also on stdin EOF).
"""

import sys
import threading

from kazoo.client import KazooClient
from kazoo.protocol.states import EventType, KazooState

_print_lock = threading.Lock()


def emit(line):
    with _print_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main():
    if len(sys.argv) != 5:
        sys.stderr.write("usage: kazoo_storm_bench.py <connectString> <root> <sessions> <watches>\n")
        return 2
    connect_string, root = sys.argv[1], sys.argv[2]
    sessions, watches = int(sys.argv[3]), int(sys.argv[4])

    fires = [0]
    lock = threading.Lock()
    armed = [False]
    dropped = [False] * sessions
    back = [False] * sessions
    reconnected = [0]

    def watcher(event):
        if event.type == EventType.CHANGED:
            with lock:
                fires[0] += 1

    def listener_for(index):
        def listener(state):
            with lock:
                if not armed[0]:
                    return
                if state in (KazooState.SUSPENDED, KazooState.LOST):
                    if back[index]:
                        back[index] = False
                        reconnected[0] -= 1
                    dropped[index] = True
                elif state == KazooState.CONNECTED and dropped[index] and not back[index]:
                    back[index] = True
                    reconnected[0] += 1
                    if reconnected[0] == sessions:
                        emit("event reconnected")
        return listener

    clients = []
    try:
        for index in range(sessions):
            client = KazooClient(hosts=connect_string, timeout=30.0)
            client.add_listener(listener_for(index))
            client.start(timeout=30)
            clients.append(client)

        # Every session sends its gets without waiting (pipelined), then every answer is awaited.
        pending = [client.get_async("%s/n%d" % (root, n), watch=watcher) for client in clients for n in range(watches)]
        for result in pending:
            result.get(timeout=120)
        with lock:
            armed[0] = True
        emit("ready")

        for line in sys.stdin:
            line = line.strip()
            if line == "fires":
                with lock:
                    emit("ok %d" % fires[0])
            elif line == "quit":
                emit("ok bye")
                break
            elif line:
                emit("error unknown command: " + line)
        return 0
    except Exception as e:  # reported on the protocol, details on stderr
        emit("error " + str(e).replace("\n", " "))
        raise
    finally:
        for client in clients:
            try:
                client.stop()
                client.close()
            except Exception:
                pass


if __name__ == "__main__":
    sys.exit(main())
