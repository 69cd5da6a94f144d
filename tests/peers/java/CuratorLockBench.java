// Curator InterProcessMutex benchmark. Single file, compiled with javac against the Debian jars.
//
// Usage: java CuratorLockBench <connectString> <root> [iterations=1000] [seconds=5] [sessions=8] [callers=64]
//                              [warmupSeconds=1] [rows=all|queue]
//
// Rows (one JSON object per line on stdout, same shape as JavaClientBench):
//   mutex-uncontended  one session, one lock: acquire+release latency p50/p99 over <iterations>
//   mutex-handoff      <sessions> sessions contending on one lock for <seconds>: acquisitions/s
//   mutex-distinct     <callers> threads sharing one session, one lock name each, for <seconds>: acquisitions/s
//   mutex-queue        (rows=queue: the only row) <sessions> sessions queueing on one lock for <warmupSeconds> and
//                      then <seconds> (the measured window, marked by the lines "window-start" and "window-end"),
//                      each waiting as long as the run lasts: acquisitions/s and p50/p99 of the wait in the window
// Everything lives under <root>/curator-lock-bench-<uuid>, deleted at the end. Exit code 0 on success, 1 on
// failure (message on stderr).

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;

public final class CuratorLockBench {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: CuratorLockBench <connectString> <root> [iterations=1000] [seconds=5] "
                    + "[sessions=8] [callers=64] [warmupSeconds=1]");
            System.exit(2);
        }
        String connectString = args[0];
        String base = args[1] + "/curator-lock-bench-" + UUID.randomUUID();
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 5;
        int sessions = args.length > 4 ? Integer.parseInt(args[4]) : 8;
        int callers = args.length > 5 ? Integer.parseInt(args[5]) : 64;
        double warmupSeconds = args.length > 6 ? Double.parseDouble(args[6]) : 1;
        boolean queueOnly = args.length > 7 && args[7].equals("queue");

        List<CuratorFramework> clients = new ArrayList<>();
        int exitCode = 0;
        try {
            for (int i = 0; i < Math.max(1, sessions); i++) {
                clients.add(connect(connectString));
            }
            if (queueOnly) {
                queue(clients, base + "/queue", seconds, warmupSeconds);
            } else {
                mainRows(clients, base, iterations, seconds, callers, warmupSeconds);
            }
        } catch (Exception e) {
            System.err.println("CuratorLockBench failed: " + e);
            exitCode = 1;
        } finally {
            if (!clients.isEmpty()) {
                try {
                    clients.get(0).delete().quietly().deletingChildrenIfNeeded().forPath(base);
                } catch (Exception e) {
                    System.err.println("CuratorLockBench: deleting " + base + ": " + e);
                }
            }
            for (CuratorFramework client : clients) {
                client.close();
            }
        }
        System.exit(exitCode);
    }

    /** One session as every Curator driver opens it (CuratorScaleBench too); throws if not connected within 15 s. */
    static CuratorFramework connect(String connectString) throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(30000)
                .connectionTimeoutMs(15000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 2000))
                .ensembleTracker(false)
                .build();
        client.start();
        if (!client.blockUntilConnected(15, TimeUnit.SECONDS)) {
            client.close();
            throw new IllegalStateException("could not connect to " + connectString + " within 15 s");
        }
        return client;
    }

    /** The three rows of the default mode (rows=all). */
    private static void mainRows(List<CuratorFramework> clients, String base, int iterations, double seconds,
            int callers, double warmupSeconds) throws Exception {
        CuratorFramework main = clients.get(0);
        // (a) uncontended latency
        InterProcessMutex mutex = new InterProcessMutex(main, base + "/uncontended");
        for (int i = 0; i < Math.min(100, Math.max(10, iterations / 10)); i++) {
            mutex.acquire();
            mutex.release();
        }
        long[] samples = new long[iterations];
        long start = System.nanoTime();
        for (int i = 0; i < iterations; i++) {
            long t = System.nanoTime();
            mutex.acquire();
            mutex.release();
            samples[i] = System.nanoTime() - t;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Arrays.sort(samples);
        print(String.format(Locale.ROOT,
                "{\"peer\":\"curator\",\"benchmark\":\"mutex-uncontended\",\"params\":{\"iterations\":%d},"
                        + "\"operations\":%d,\"seconds\":%.3f,\"opsPerSecond\":%.1f,\"errors\":0,"
                        + "\"p50Ms\":%.3f,\"p99Ms\":%.3f}",
                iterations, iterations, elapsed, iterations / elapsed,
                percentile(samples, 0.50) / 1e6, percentile(samples, 0.99) / 1e6));

        // (b) handoffs between sessions on one lock
        List<InterProcessMutex> contenders = new ArrayList<>();
        for (CuratorFramework client : clients) {
            contenders.add(new InterProcessMutex(client, base + "/handoff"));
        }
        if (warmupSeconds > 0) {
            run(contenders, warmupSeconds);
        }
        long[] handoff = run(contenders, seconds);
        printRate("mutex-handoff", "\"sessions\":" + clients.size(), seconds, handoff);

        // (c) distinct lock names, one shared session
        List<InterProcessMutex> distinct = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            distinct.add(new InterProcessMutex(main, base + "/distinct/lock-" + i));
        }
        if (warmupSeconds > 0) {
            run(distinct, warmupSeconds);
        }
        long[] parallel = run(distinct, seconds);
        printRate("mutex-distinct", "\"callers\":" + callers, seconds, parallel);
    }

    /**
     * The queue row: every session loops on one lock, each wait bounded only by the end of the run; the measured window
     * follows the warm-up inside the same run, so the queue is already formed when it opens (steady state).
     */
    private static void queue(List<CuratorFramework> clients, String path, double seconds, double warmupSeconds)
            throws InterruptedException {
        AtomicLong acquisitions = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<Long> waits = java.util.Collections.synchronizedList(new ArrayList<>());
        long begin = System.nanoTime();
        long open = begin + (long) (warmupSeconds * 1e9);
        long close = open + (long) (seconds * 1e9);
        List<Thread> threads = new ArrayList<>();
        for (CuratorFramework client : clients) {
            InterProcessMutex mutex = new InterProcessMutex(client, path);
            Thread thread = new Thread(() -> {
                long remaining;
                while ((remaining = close - System.nanoTime()) > 0) {
                    try {
                        long asked = System.nanoTime();
                        if (mutex.acquire(TimeUnit.NANOSECONDS.toMillis(remaining) + 1, TimeUnit.MILLISECONDS)) {
                            long got = System.nanoTime();
                            if (got >= open && got < close) {
                                waits.add(got - asked);
                            }
                            mutex.release();
                            acquisitions.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                }
            });
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        sleepUntil(open);
        long before = acquisitions.get();
        long errorsBefore = errors.get();
        long opened = System.nanoTime();
        print("window-start");
        sleepUntil(close);
        long after = acquisitions.get();
        long errorsAfter = errors.get();
        double elapsed = (System.nanoTime() - opened) / 1e9;
        print("window-end");
        for (Thread thread : threads) {
            thread.join(30000);
        }
        long[] sorted = waits.stream().mapToLong(Long::longValue).sorted().toArray();
        print(String.format(Locale.ROOT,
                "{\"peer\":\"curator\",\"benchmark\":\"mutex-queue\",\"params\":{\"sessions\":%d,\"durationSeconds\":%s},"
                        + "\"operations\":%d,\"seconds\":%.3f,\"opsPerSecond\":%.1f,\"errors\":%d,"
                        + "\"p50Ms\":%.3f,\"p99Ms\":%.3f}",
                clients.size(), seconds, after - before, elapsed, (after - before) / elapsed, errorsAfter - errorsBefore,
                sorted.length == 0 ? 0 : percentile(sorted, 0.50) / 1e6,
                sorted.length == 0 ? 0 : percentile(sorted, 0.99) / 1e6));
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, left / 1_000_000));
        }
    }

    /** One thread per mutex, acquire+release in a loop for {@code seconds}; returns {acquisitions, errors, nanos}. */
    private static long[] run(List<InterProcessMutex> mutexes, double seconds) throws InterruptedException {
        AtomicLong acquisitions = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        long[] window = new long[2];
        List<Thread> threads = new ArrayList<>();
        for (InterProcessMutex mutex : mutexes) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                    long remaining;
                    while ((remaining = window[1] - System.nanoTime()) > 0) {
                        try {
                            // Bounded wait so that every thread notices the end of the window.
                            if (mutex.acquire(Math.min(TimeUnit.NANOSECONDS.toMillis(remaining) + 1, 1000),
                                    TimeUnit.MILLISECONDS)) {
                                mutex.release();
                                acquisitions.incrementAndGet();
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        window[0] = System.nanoTime();
        window[1] = window[0] + (long) (seconds * 1e9);
        go.countDown();
        for (Thread thread : threads) {
            thread.join(30000);
            if (thread.isAlive()) {
                throw new IllegalStateException("a benchmark thread is still running 30 s after the window");
            }
        }
        return new long[] {acquisitions.get(), errors.get(), System.nanoTime() - window[0]};
    }

    private static void printRate(String benchmark, String params, double seconds, long[] result) {
        double elapsed = result[2] / 1e9;
        print(String.format(Locale.ROOT,
                "{\"peer\":\"curator\",\"benchmark\":\"%s\",\"params\":{%s,\"durationSeconds\":%s},"
                        + "\"operations\":%d,\"seconds\":%.3f,\"opsPerSecond\":%.1f,\"errors\":%d}",
                benchmark, params, seconds, result[0], elapsed, result[0] / elapsed, result[1]));
    }

    private static long percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
