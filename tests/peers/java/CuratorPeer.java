// A Curator peer driven by a line protocol, used by ZkSync's interoperability tests
// (tests/ZkSync.TestSupport/Peers/CuratorPeer.cs). Single file, no build tool: compiled with javac against
// the Debian jars (libcurator-recipes-java, zookeeper).
//
// Usage: java CuratorPeer <connectString> <sessionTimeoutMs> [connectTimeoutMs]
//
// Protocol (UTF-8, one line each way, "\n"):
//   - After connecting the peer prints "ready" (or "error <message>" and exits with code 2).
//   - Commands run one at a time, in order; each gets exactly one reply, "ok[ <payload>]" or "error <message>".
//     A blocking acquire therefore delays the commands sent after it on the same peer.
//   - Asynchronous lines start with "event ": "event leader <id> true|false" and "event connection <STATE>".
//   - <id> names a handle chosen by the caller; one peer may hold many. Handle ids of mutexes, read/write locks
//     and latches live in separate tables.
//
//   mutex-acquire <id> <path> <timeoutMs>            InterProcessMutex; ok acquired | ok timeout (timeoutMs < 0: wait forever)
//   mutex-release <id>                               ok released
//   rw-acquire <id> <path> read|write <timeoutMs>    InterProcessReadWriteLock; ok acquired | ok timeout
//   rw-release <id>                                  ok released
//   latch-start <id> <path> <participantId>          LeaderLatch; ok started, then events on leadership changes
//   latch-is-leader <id>                             ok true | ok false
//   latch-stop <id>                                  ok stopped (closes the latch, notifying its listener)
//   children <path>                                  ok <child>,<child>,... (sorted; "ok" alone when empty)
//   delete-recursive <path>                          ok deleted (also when the path does not exist)
//   ping                                             ok pong
//   quit                                             ok bye, after closing everything; then the process exits
// Reentrancy follows Curator: acquiring a held handle again increments its count, and the handle is forgotten
// once it is released as many times. On stdin EOF the peer closes everything and exits.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.retry.ExponentialBackoffRetry;

public final class CuratorPeer {
    private static final PrintStream OUT = new PrintStream(System.out, false, StandardCharsets.UTF_8);

    /** A held (or being acquired) lock: a plain mutex, or one side of a read/write lock. */
    private static final class LockHandle {
        final String path;
        final String mode;
        final InterProcessMutex lock;

        LockHandle(String path, String mode, InterProcessMutex lock) {
            this.path = path;
            this.mode = mode;
            this.lock = lock;
        }
    }

    private final CuratorFramework client;
    private final Map<String, LockHandle> mutexes = new HashMap<>();
    private final Map<String, LockHandle> rwLocks = new HashMap<>();
    private final Map<String, LeaderLatch> latches = new HashMap<>();

    private CuratorPeer(CuratorFramework client) {
        this.client = client;
    }

    /** Writes one protocol line; replies (main thread) and events (Curator threads) never interleave mid-line. */
    static void emit(String line) {
        synchronized (OUT) {
            OUT.print(line);
            OUT.print('\n');
            OUT.flush();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            emit("error usage: CuratorPeer <connectString> <sessionTimeoutMs> [connectTimeoutMs]");
            System.exit(2);
        }
        String connectString = args[0];
        int sessionTimeoutMs = Integer.parseInt(args[1]);
        int connectTimeoutMs = args.length > 2 ? Integer.parseInt(args[2]) : 15000;

        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(sessionTimeoutMs)
                .connectionTimeoutMs(Math.min(sessionTimeoutMs, connectTimeoutMs))
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 2000))
                // Keep the connection string we were given; the tracker would rewrite it from /zookeeper/config.
                .ensembleTracker(false)
                .build();
        client.getConnectionStateListenable().addListener((c, state) -> emit("event connection " + state.name()));
        client.start();
        if (!client.blockUntilConnected(connectTimeoutMs, TimeUnit.MILLISECONDS)) {
            emit("error could not connect to " + connectString + " within " + connectTimeoutMs + " ms");
            client.close();
            System.exit(2);
        }

        CuratorPeer peer = new CuratorPeer(client);
        emit("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.equals("quit")) {
                peer.closeAll();
                emit("ok bye");
                System.exit(0);
            }
            String reply;
            try {
                reply = peer.execute(line.split("\\s+"));
            } catch (Exception e) {
                reply = "error " + describe(e);
            }
            emit(reply);
        }
        peer.closeAll();
        System.exit(0);
    }

    private String execute(String[] a) throws Exception {
        switch (a[0]) {
            case "mutex-acquire":
                expect(a, 4, "mutex-acquire <id> <path> <timeoutMs>");
                return acquire(mutexes, a[1], a[2], "mutex", Long.parseLong(a[3]));
            case "mutex-release":
                expect(a, 2, "mutex-release <id>");
                return release(mutexes, a[1]);
            case "rw-acquire":
                expect(a, 5, "rw-acquire <id> <path> read|write <timeoutMs>");
                if (!a[3].equals("read") && !a[3].equals("write")) {
                    return "error mode must be read or write, got '" + a[3] + "'";
                }
                return acquire(rwLocks, a[1], a[2], a[3], Long.parseLong(a[4]));
            case "rw-release":
                expect(a, 2, "rw-release <id>");
                return release(rwLocks, a[1]);
            case "latch-start":
                expect(a, 4, "latch-start <id> <path> <participantId>");
                return startLatch(a[1], a[2], a[3]);
            case "latch-is-leader":
                expect(a, 2, "latch-is-leader <id>");
                return "ok " + latch(a[1]).hasLeadership();
            case "latch-stop":
                expect(a, 2, "latch-stop <id>");
                latch(a[1]).close();
                latches.remove(a[1]);
                return "ok stopped";
            case "children":
                expect(a, 2, "children <path>");
                List<String> children = new ArrayList<>(client.getChildren().forPath(a[1]));
                Collections.sort(children);
                return children.isEmpty() ? "ok" : "ok " + String.join(",", children);
            case "delete-recursive":
                expect(a, 2, "delete-recursive <path>");
                client.delete().quietly().deletingChildrenIfNeeded().forPath(a[1]);
                return "ok deleted";
            case "ping":
                return "ok pong";
            default:
                return "error unknown command '" + a[0] + "'";
        }
    }

    private String acquire(Map<String, LockHandle> table, String id, String path, String mode, long timeoutMs)
            throws Exception {
        LockHandle handle = table.get(id);
        if (handle == null) {
            InterProcessMutex lock;
            if (mode.equals("mutex")) {
                lock = new InterProcessMutex(client, path);
            } else {
                InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, path);
                lock = mode.equals("read") ? rw.readLock() : rw.writeLock();
            }
            handle = new LockHandle(path, mode, lock);
        } else if (!handle.path.equals(path) || !handle.mode.equals(mode)) {
            return "error handle '" + id + "' is already used for " + handle.mode + " " + handle.path;
        }
        boolean acquired;
        if (timeoutMs < 0) {
            handle.lock.acquire();
            acquired = true;
        } else {
            acquired = handle.lock.acquire(timeoutMs, TimeUnit.MILLISECONDS);
        }
        if (!acquired) {
            return "ok timeout";
        }
        table.put(id, handle);
        return "ok acquired";
    }

    private static String release(Map<String, LockHandle> table, String id) throws Exception {
        LockHandle handle = table.get(id);
        if (handle == null) {
            return "error no held lock named '" + id + "'";
        }
        handle.lock.release();
        if (!handle.lock.isOwnedByCurrentThread()) {
            table.remove(id);
        }
        return "ok released";
    }

    private String startLatch(String id, String path, String participantId) throws Exception {
        if (latches.containsKey(id)) {
            return "error latch '" + id + "' is already started";
        }
        LeaderLatch latch = new LeaderLatch(client, path, participantId, LeaderLatch.CloseMode.NOTIFY_LEADER);
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                emit("event leader " + id + " true");
            }

            @Override
            public void notLeader() {
                emit("event leader " + id + " false");
            }
        });
        latch.start();
        latches.put(id, latch);
        return "ok started";
    }

    private LeaderLatch latch(String id) {
        LeaderLatch latch = latches.get(id);
        if (latch == null) {
            throw new IllegalArgumentException("no started latch named '" + id + "'");
        }
        return latch;
    }

    /** Best effort: release every lock, close every latch, then close the session. */
    private void closeAll() {
        for (Map<String, LockHandle> table : List.of(mutexes, rwLocks)) {
            for (LockHandle handle : table.values()) {
                try {
                    while (handle.lock.isOwnedByCurrentThread()) {
                        handle.lock.release();
                    }
                } catch (Exception e) {
                    System.err.println("CuratorPeer: releasing " + handle.path + ": " + describe(e));
                }
            }
            table.clear();
        }
        for (LeaderLatch latch : latches.values()) {
            try {
                latch.close(LeaderLatch.CloseMode.SILENT);
            } catch (Exception e) {
                System.err.println("CuratorPeer: closing latch: " + describe(e));
            }
        }
        latches.clear();
        client.close();
    }

    private static void expect(String[] a, int count, String usage) {
        if (a.length != count) {
            throw new IllegalArgumentException("usage: " + usage);
        }
    }

    private static String describe(Throwable e) {
        String message = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return message.replace('\r', ' ').replace('\n', ' ');
    }
}
