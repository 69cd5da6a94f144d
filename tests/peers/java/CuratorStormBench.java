// The reconnect-storm row's Curator side (benchmarks/ZkSync.Benchmarks/StormBenchmark.cs): <sessions>
// CuratorFramework clients, each its own ZooKeeper session on the full connection string, each setting a getData
// watch on every node <root>/n0 .. <root>/n<watches-1> (created by the benchmark beforehand). The benchmark then
// restarts the ensemble's leader and measures; this program only reports what its sessions see.
//
// Usage: java CuratorStormBench <connectString> <root> <sessions> <watches>
//
// Line protocol (as tests/peers/java/CuratorPeer.java): "ready" once every watch is set (every getData answered),
// "event reconnected" once every session has been SUSPENDED (or LOST) and is RECONNECTED again since "ready";
// commands, one reply each: "fires" -> "ok <NodeDataChanged notifications so far>", "quit" -> "ok bye", then the
// sessions close and the process exits (also on stdin EOF).

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

public final class CuratorStormBench {
    private static final PrintStream OUT = new PrintStream(System.out, false, StandardCharsets.UTF_8);

    private static synchronized void print(String line) {
        OUT.println(line);
        OUT.flush();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: CuratorStormBench <connectString> <root> <sessions> <watches>");
            System.exit(2);
        }
        String connectString = args[0];
        String root = args[1];
        int sessions = Integer.parseInt(args[2]);
        int watches = Integer.parseInt(args[3]);
        AtomicLong fires = new AtomicLong();
        Watcher watcher = (WatchedEvent event) -> {
            if (event.getType() == Watcher.Event.EventType.NodeDataChanged) {
                fires.incrementAndGet();
            }
        };

        // Per session: has it been disconnected since "ready", is it connected now. Guarded by the lock.
        Object lock = new Object();
        boolean[] armed = {false};
        boolean[] dropped = new boolean[sessions];
        boolean[] back = new boolean[sessions];
        int[] reconnected = {0};
        List<CuratorFramework> clients = new ArrayList<>();
        try {
            for (int i = 0; i < sessions; i++) {
                CuratorFramework client = CuratorFrameworkFactory.builder()
                    .connectString(connectString)
                    .sessionTimeoutMs(30_000)
                    .connectionTimeoutMs(15_000)
                    .retryPolicy(new ExponentialBackoffRetry(100, 10))
                    .build();
                int index = i;
                client.getConnectionStateListenable().addListener((c, state) -> {
                    synchronized (lock) {
                        if (!armed[0]) {
                            return;
                        }
                        if (state == ConnectionState.SUSPENDED || state == ConnectionState.LOST) {
                            if (back[index]) {
                                back[index] = false;
                                reconnected[0]--;
                            }
                            dropped[index] = true;
                        } else if (state == ConnectionState.RECONNECTED && dropped[index] && !back[index]) {
                            back[index] = true;
                            if (++reconnected[0] == sessions) {
                                print("event reconnected");
                            }
                        }
                    }
                });
                client.start();
                if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("session " + i + " did not connect within 30 s");
                }
                clients.add(client);
            }

            // Every session sets its watches in the background (pipelined), then waits for every answer.
            CountDownLatch answered = new CountDownLatch(sessions * watches);
            AtomicLong failed = new AtomicLong();
            for (CuratorFramework client : clients) {
                for (int n = 0; n < watches; n++) {
                    client.getData().usingWatcher(watcher).inBackground((c, event) -> {
                        if (event.getResultCode() != 0) {
                            failed.incrementAndGet();
                        }
                        answered.countDown();
                    }).forPath(root + "/n" + n);
                }
            }
            if (!answered.await(120, TimeUnit.SECONDS) || failed.get() != 0) {
                throw new IllegalStateException("setting the watches failed (" + failed.get() + " errors, "
                    + answered.getCount() + " unanswered)");
            }
            synchronized (lock) {
                armed[0] = true;
            }
            print("ready");

            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                line = line.trim();
                if (line.equals("fires")) {
                    print("ok " + fires.get());
                } else if (line.equals("quit")) {
                    print("ok bye");
                    break;
                } else if (!line.isEmpty()) {
                    print("error unknown command: " + line);
                }
            }
        } catch (Exception e) {
            print("error " + String.valueOf(e.getMessage()).replace('\n', ' '));
            e.printStackTrace();
            System.exit(2);
        } finally {
            for (CuratorFramework client : clients) {
                client.close();
            }
        }
        System.exit(0);
    }
}
