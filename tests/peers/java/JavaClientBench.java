// Throughput of the official ZooKeeper Java client (zookeeper.jar): asynchronous getData and setData on one
// znode with a fixed number of requests in flight, over one session. Single file, compiled with javac.
//
// Usage: java JavaClientBench <connectString> <root> [inflight=1000] [seconds=5] [warmupSeconds=1] [valueBytes=100]
//
// Creates <root> (and its parents) if missing, then its own znode <root>/java-client-bench-<uuid>, which it
// deletes at the end; <root> itself is left for the caller. Prints one JSON object per line on stdout:
//   {"peer":"zookeeper-java","benchmark":"getData","params":{...},"operations":N,"seconds":S,
//    "opsPerSecond":X,"errors":E}
// Exit code 0 on success, 1 on failure (message on stderr).

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

public final class JavaClientBench {
    private final ZooKeeper zk;
    private final String node;
    private final int inflight;
    private final byte[] value;

    private JavaClientBench(ZooKeeper zk, String node, int inflight, byte[] value) {
        this.zk = zk;
        this.node = node;
        this.inflight = inflight;
        this.value = value;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: JavaClientBench <connectString> <root> [inflight=1000] [seconds=5] "
                    + "[warmupSeconds=1] [valueBytes=100]");
            System.exit(2);
        }
        String connectString = args[0];
        String root = args[1];
        int inflight = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 5;
        double warmupSeconds = args.length > 4 ? Double.parseDouble(args[4]) : 1;
        int valueBytes = args.length > 5 ? Integer.parseInt(args[5]) : 100;

        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, 30000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        int exitCode = 0;
        String node = null;
        try {
            if (!connected.await(15, TimeUnit.SECONDS)) {
                throw new IllegalStateException("could not connect to " + connectString + " within 15 s");
            }
            ensurePath(zk, root);
            node = zk.create(root + "/java-client-bench-" + UUID.randomUUID(), new byte[valueBytes],
                    ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            JavaClientBench bench = new JavaClientBench(zk, node, inflight, new byte[valueBytes]);
            for (String operation : new String[] {"getData", "setData"}) {
                if (warmupSeconds > 0) {
                    bench.run(operation, warmupSeconds);
                }
                long[] result = bench.run(operation, seconds);
                double elapsed = result[2] / 1e9;
                System.out.println(String.format(Locale.ROOT,
                        "{\"peer\":\"zookeeper-java\",\"benchmark\":\"%s\",\"params\":{\"inflight\":%d,"
                                + "\"valueBytes\":%d,\"durationSeconds\":%s},\"operations\":%d,\"seconds\":%.3f,"
                                + "\"opsPerSecond\":%.1f,\"errors\":%d}",
                        operation, inflight, valueBytes, seconds, result[0], elapsed, result[0] / elapsed, result[1]));
                System.out.flush();
            }
        } catch (Exception e) {
            System.err.println("JavaClientBench failed: " + e);
            exitCode = 1;
        } finally {
            if (node != null) {
                try {
                    zk.delete(node, -1);
                } catch (Exception e) {
                    System.err.println("JavaClientBench: deleting " + node + ": " + e);
                }
            }
            zk.close();
        }
        System.exit(exitCode);
    }

    /** Keeps {@code inflight} requests outstanding for {@code seconds}, then drains; returns {ok, errors, nanos}. */
    private long[] run(String operation, double seconds) throws InterruptedException {
        Semaphore permits = new Semaphore(inflight);
        AtomicLong completed = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        boolean get = operation.equals("getData");
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
            }
            if (get) {
                zk.getData(node, false, (rc, path, ctx, data, stat) -> {
                    (rc == 0 ? completed : errors).incrementAndGet();
                    permits.release();
                }, null);
            } else {
                zk.setData(node, value, -1, (rc, path, ctx, stat) -> {
                    (rc == 0 ? completed : errors).incrementAndGet();
                    permits.release();
                }, null);
            }
        }
        if (!permits.tryAcquire(inflight, 30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(operation + ": requests still outstanding 30 s after the run");
        }
        return new long[] {completed.get(), errors.get(), System.nanoTime() - start};
    }

    private static void ensurePath(ZooKeeper zk, String path) throws Exception {
        StringBuilder current = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            current.append('/').append(part);
            try {
                zk.create(current.toString(), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException ignored) {
                // Already there (another run, or the caller created it).
            }
        }
    }
}
