#!/usr/bin/env python3
"""A kazoo peer driven by the same line protocol as tests/peers/java/CuratorPeer.java.

Usage: python3 kazoo_peer.py <connectString> <sessionTimeoutMs> [connectTimeoutMs]

Prints "ready" once connected, then runs one command per stdin line, in order, with one reply line each
("ok[ <payload>]" or "error <message>"). Asynchronous lines start with "event " ("event connection <STATE>").

  mutex-acquire <id> <path> <timeoutMs> [<pattern>,...]
                                          kazoo Lock; ok acquired | ok timeout (timeoutMs < 0: wait forever,
                                          0: try once without waiting); the optional comma-separated patterns
                                          are passed as extra_lock_patterns (kazoo >= 2.7.1)
  mutex-release <id>                      ok released
  rw-acquire <id> <path> read|write <timeoutMs> [<pattern>,...]
                                          kazoo ReadLock / WriteLock, otherwise as mutex-acquire
  rw-release <id>                         ok released
  children <path>                         ok <child>,<child>,... (sorted; "ok" alone when empty)
  delete-recursive <path>                 ok deleted (also when the path does not exist)
  ping                                    ok pong
  quit                                    ok bye, after closing everything; then the process exits

While an acquire waits, the peer prints "event lock-waiting <id> <predecessor node>" each time kazoo decides to
wait for a node ahead of it (hooked on kazoo's Lock._get_predecessor, kazoo 2.8 to 2.11), so a test can tell that
kazoo saw a holder without sleeping.

kazoo names its nodes "<uuid4 hex>__lock__<10 digits>" (Lock, WriteLock) and "<uuid4 hex>__rlock__<10 digits>"
(ReadLock), and only counts children matching its own patterns (Lock: __lock__; WriteLock: __lock__, __rlock__;
ReadLock: __lock__) plus extra_lock_patterns. Without extra patterns a kazoo lock does NOT see Curator's or
ZkSync's "_c_<uuid>-lock-<10 digits>" nodes (shared/RECIPES.md section 5); ZkSync sees kazoo's. kazoo locks are
not reentrant: acquiring a held handle is an error here instead of the deadlock kazoo would give.
"""

import sys
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import LockTimeout, NoNodeError
from kazoo.recipe.lock import Lock, ReadLock, WriteLock

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


def reporting(base):
    """A subclass of kazoo's lock class that reports each decision to wait (see the module docstring)."""

    class Reporting(base):
        def _get_predecessor(self, node):
            predecessor = super()._get_predecessor(node)
            if predecessor is not None:
                emit("event lock-waiting %s %s" % (self.data.decode("utf-8"), predecessor))
            return predecessor

    return Reporting


LOCK_CLASSES = {"mutex": reporting(Lock), "read": reporting(ReadLock), "write": reporting(WriteLock)}


class Peer:
    def __init__(self, client):
        self.client = client
        self.locks = {}

    def execute(self, args):
        command = args[0]
        if command == "mutex-acquire":
            self._expect(args, (4, 5), "mutex-acquire <id> <path> <timeoutMs> [<pattern>,...]")
            return self._acquire("mutex", args[1], args[2], int(args[3]), args[4:])
        if command == "rw-acquire":
            self._expect(args, (5, 6), "rw-acquire <id> <path> read|write <timeoutMs> [<pattern>,...]")
            if args[3] not in ("read", "write"):
                return "error rw-acquire: expected 'read' or 'write', got '%s'" % args[3]
            return self._acquire(args[3], args[1], args[2], int(args[4]), args[5:])
        if command in ("mutex-release", "rw-release"):
            self._expect(args, (2,), command + " <id>")
            lock = self.locks.pop(args[1], None)
            if lock is None:
                return "error no held lock named '%s'" % args[1]
            lock.release()
            return "ok released"
        if command == "children":
            self._expect(args, (2,), "children <path>")
            children = sorted(self.client.get_children(args[1]))
            return "ok " + ",".join(children) if children else "ok"
        if command == "delete-recursive":
            self._expect(args, (2,), "delete-recursive <path>")
            try:
                self.client.delete(args[1], recursive=True)
            except NoNodeError:
                pass
            return "ok deleted"
        if command == "ping":
            return "ok pong"
        return "error unknown command '%s'" % command

    def _acquire(self, kind, handle_id, path, timeout_ms, patterns):
        if handle_id in self.locks:
            return "error handle '%s' is already held (kazoo locks are not reentrant)" % handle_id
        extra = tuple(patterns[0].split(",")) if patterns else ()
        lock = LOCK_CLASSES[kind](self.client, path, handle_id, extra_lock_patterns=extra)
        try:
            if timeout_ms == 0:
                acquired = lock.acquire(blocking=False)
            else:
                acquired = lock.acquire(timeout=None if timeout_ms < 0 else timeout_ms / 1000.0)
        except LockTimeout:
            acquired = False
        if not acquired:
            return "ok timeout"
        self.locks[handle_id] = lock
        return "ok acquired"

    @staticmethod
    def _expect(args, counts, usage):
        if len(args) not in counts:
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
