// Curator InterProcessMutex at scale, driven line by line by the benchmark harness (the "Held at once" and
// "Names over time" rows), so that the harness can read the ensemble (watches, znode count) between the steps.
// Compiled with javac against the Debian jars together with the other peers (it connects as CuratorLockBench does).
//
// Usage: java CuratorScaleBench <connectString>
//
// Prints "ready" once connected (or "error <message>" and exits with code 2), then answers each command line with
// one "ok[ <payload>]" or "error <message>" line (the line protocol of tests/peers/README.md):
//   hold <path> <count> <parallelism>  takes <count> locks <path>/lock-<i>, <parallelism> threads at a time, and
//                                      keeps them; ok <milliseconds>
//   release                            each thread releases the locks it took (InterProcessMutex belongs to the
//                                      thread that acquired it); ok <milliseconds>
//   names <path> <from> <to> <callers> <callers> threads take and release <path>/<i> for every i in [from, to),
//                                      a new InterProcessMutex for each name; ok <seconds>
//   memory                             used heap after System.gc(); ok <bytes>
//   quit                               releases what is held, closes the session; ok bye
// Every node it creates lives under the paths the harness gives; the harness reads and removes them.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;

public final class CuratorScaleBench {
    /** How long one acquisition may wait: the names are distinct, so a wait means something is wrong. */
    private static final long ACQUIRE_SECONDS = 60;

    private final CuratorFramework client;
    private Holding holding;

    private CuratorScaleBench(CuratorFramework client) {
        this.client = client;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: CuratorScaleBench <connectString>");
            System.exit(2);
        }
        CuratorFramework client;
        try {
            client = CuratorLockBench.connect(args[0]);
        } catch (IllegalStateException e) {
            print("error " + e.getMessage());
            System.exit(2);
            return;
        }
        print("ready");
        CuratorScaleBench bench = new CuratorScaleBench(client);
        BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            String line;
            while ((line = input.readLine()) != null) {
                String[] words = line.trim().split("\\s+");
                if (words[0].equals("quit")) {
                    break;
                }
                String reply;
                try {
                    reply = "ok " + bench.execute(words);
                } catch (Exception e) {
                    reply = "error " + String.valueOf(e).replace('\n', ' ');
                }
                print(reply);
            }
        } finally {
            if (bench.holding != null) {
                bench.holding.release();
            }
            client.close();
        }
        print("ok bye");
        System.exit(0);
    }

    private String execute(String[] words) throws Exception {
        switch (words[0]) {
            case "hold":
                if (holding != null) {
                    throw new IllegalStateException("locks are already held; release them first");
                }
                long started = System.nanoTime();
                Holding taken = new Holding(words[1], Integer.parseInt(words[2]), Integer.parseInt(words[3]));
                taken.awaitHeld();
                holding = taken;
                return millisecondsSince(started);
            case "release":
                if (holding == null) {
                    throw new IllegalStateException("no locks are held");
                }
                long releasing = System.nanoTime();
                Holding held = holding;
                holding = null;
                held.release();
                return millisecondsSince(releasing);
            case "names":
                return String.format(Locale.ROOT, "%.6f",
                        names(words[1], Long.parseLong(words[2]), Long.parseLong(words[3]), Integer.parseInt(words[4])));
            case "memory":
                return Long.toString(usedHeap());
            default:
                throw new IllegalArgumentException("unknown command '" + words[0] + "'");
        }
    }

    /** Locks taken by a fixed set of threads, each keeping its own until told to release them. */
    private final class Holding {
        private final CountDownLatch held;
        private final CountDownLatch releaseSignal = new CountDownLatch(1);
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicReference<Exception> failure = new AtomicReference<>();

        Holding(String path, int count, int parallelism) {
            AtomicLong next = new AtomicLong();
            int workers = Math.max(1, Math.min(parallelism, count));
            held = new CountDownLatch(workers);
            for (int t = 0; t < workers; t++) {
                Thread thread = new Thread(() -> {
                    List<InterProcessMutex> mine = new ArrayList<>();
                    try {
                        long i;
                        while (failure.get() == null && (i = next.getAndIncrement()) < count) {
                            mine.add(acquire(path + "/lock-" + i));
                        }
                    } catch (Exception e) {
                        failure.compareAndSet(null, e);
                    }
                    held.countDown();
                    try {
                        releaseSignal.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    for (InterProcessMutex mutex : mine) {
                        try {
                            mutex.release();
                        } catch (Exception e) {
                            failure.compareAndSet(null, e);
                        }
                    }
                });
                thread.setDaemon(true);
                thread.start();
                threads.add(thread);
            }
        }

        void awaitHeld() throws Exception {
            held.await();
            if (failure.get() != null) {
                release();
                throw failure.get();
            }
        }

        void release() throws Exception {
            releaseSignal.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
            if (failure.get() != null) {
                throw failure.get();
            }
        }
    }

    /** Takes and releases every name in [from, to) with {@code callers} threads; returns the seconds it took. */
    private double names(String path, long from, long to, int callers) throws Exception {
        AtomicLong next = new AtomicLong(from);
        AtomicReference<Exception> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        long started = System.nanoTime();
        for (int t = 0; t < Math.max(1, callers); t++) {
            Thread thread = new Thread(() -> {
                try {
                    long i;
                    while (failure.get() == null && (i = next.getAndIncrement()) < to) {
                        acquire(path + "/" + i).release();
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            });
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /** A new InterProcessMutex on {@code path}, acquired. */
    private InterProcessMutex acquire(String path) throws Exception {
        InterProcessMutex mutex = new InterProcessMutex(client, path);
        if (!mutex.acquire(ACQUIRE_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(path + " not acquired in " + ACQUIRE_SECONDS + " s");
        }
        return mutex;
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static String millisecondsSince(long started) {
        return String.format(Locale.ROOT, "%.3f", (System.nanoTime() - started) / 1e6);
    }

    private static void print(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
