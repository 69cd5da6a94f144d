#!/usr/bin/env python3
"""A kazoo peer driven by the same line protocol as tests/peers/java/CuratorPeer.java.

Usage: python3 kazoo_peer.py <connectString> <sessionTimeoutMs> [connectTimeoutMs]

Prints "ready" once connected, then runs one command per stdin line, in order, with one reply line each
("ok[ <payload>]" or "error <message>"). Asynchronous lines start with "event " ("event connection <STATE>").

  mutex-acquire <id> <path> <timeoutMs>   kazoo Lock; ok acquired | ok timeout (timeoutMs < 0: wait forever)
  mutex-release <id>                      ok released
  children <path>                         ok <child>,<child>,... (sorted; "ok" alone when empty)
  delete-recursive <path>                 ok deleted (also when the path does not exist)
  ping                                    ok pong
  quit                                    ok bye, after closing everything; then the process exits

kazoo names its lock nodes "<uuid4 hex>__lock__<10 digits>" (Curator: "_c_<uuid>-lock-<10 digits>") and
only counts children matching its own pattern, so a kazoo Lock and a Curator InterProcessMutex on the same
path do NOT exclude each other (shared/RECIPES.md section 5). kazoo locks are not reentrant: acquiring a held
handle is an error here instead of the deadlock kazoo would give.
"""

import sys
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout, NoNodeError

_out_lock = threading.Lock()


def emit(line):
    # Replies (main thread) and events (kazoo's threads) never interleave mid-line.
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def describe(error):
    text = type(error).__name__
    if str(error):
        text += ": " + str(error)
    return text.replace("\r", " ").replace("\n", " ")


class Peer:
    def __init__(self, client):
        self.client = client
        self.locks = {}

    def execute(self, args):
        command = args[0]
        if command == "mutex-acquire":
            self._expect(args, 4, "mutex-acquire <id> <path> <timeoutMs>")
            return self._acquire(args[1], args[2], int(args[3]))
        if command == "mutex-release":
            self._expect(args, 2, "mutex-release <id>")
            lock = self.locks.pop(args[1], None)
            if lock is None:
                return "error no held lock named '%s'" % args[1]
            lock.release()
            return "ok released"
        if command == "children":
            self._expect(args, 2, "children <path>")
            children = sorted(self.client.get_children(args[1]))
            return "ok " + ",".join(children) if children else "ok"
        if command == "delete-recursive":
            self._expect(args, 2, "delete-recursive <path>")
            try:
                self.client.delete(args[1], recursive=True)
            except NoNodeError:
                pass
            return "ok deleted"
        if command == "ping":
            return "ok pong"
        return "error unknown command '%s'" % command

    def _acquire(self, handle_id, path, timeout_ms):
        if handle_id in self.locks:
            return "error handle '%s' is already held (kazoo locks are not reentrant)" % handle_id
        lock = self.client.Lock(path, handle_id)
        try:
            lock.acquire(timeout=None if timeout_ms < 0 else timeout_ms / 1000.0)
        except LockTimeout:
            return "ok timeout"
        self.locks[handle_id] = lock
        return "ok acquired"

    @staticmethod
    def _expect(args, count, usage):
        if len(args) != count:
            raise ValueError("usage: " + usage)

    def close_all(self):
        for lock in self.locks.values():
            try:
                lock.release()
            except Exception as error:  # best effort; closing the session removes the node anyway
                print("kazoo_peer: releasing %s: %s" % (lock.path, describe(error)), file=sys.stderr)
        self.locks.clear()
        try:
            self.client.stop()
            self.client.close()
        except Exception as error:
            print("kazoo_peer: closing: %s" % describe(error), file=sys.stderr)


def main():
    if len(sys.argv) < 3:
        emit("error usage: kazoo_peer.py <connectString> <sessionTimeoutMs> [connectTimeoutMs]")
        return 2
    connect_string = sys.argv[1]
    session_timeout = int(sys.argv[2]) / 1000.0
    connect_timeout = (int(sys.argv[3]) if len(sys.argv) > 3 else 15000) / 1000.0

    client = KazooClient(hosts=connect_string, timeout=session_timeout)
    client.add_listener(lambda state: emit("event connection " + str(state)))
    try:
        client.start(timeout=connect_timeout)
    except Exception as error:
        emit("error could not connect to %s: %s" % (connect_string, describe(error)))
        client.close()
        return 2

    peer = Peer(client)
    emit("ready")
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        if line == "quit":
            peer.close_all()
            emit("ok bye")
            return 0
        try:
            reply = peer.execute(line.split())
        except Exception as error:
            reply = "error " + describe(error)
        emit(reply)
    peer.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
