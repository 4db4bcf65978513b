package dev.troupe.bench;

import dev.troupe.client.AttachedProcess;
import dev.troupe.client.ChannelSettings;
import dev.troupe.client.Channels;
import dev.troupe.client.GrpcAttach;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a live, idle process costs: {@code count} processes of {@code bench:sink} (each blocked in
 * receive) spawned on the launcher's host, from a client attached to the launcher's node. Reports
 * {@code idle_100k_rss_mb}: how much the VmRSS of all worker JVMs together grew from before the
 * spawns to when all are live, scaled to 100,000 processes when fewer were spawned (--quick), and
 * {@code idle_per_process_kb}. The processes are stopped afterwards. With {@code --entry bench:lua-sink
 * --prefix lua_} the same for idle Lua processes, reported as {@code lua_idle_kb} (KiB a process).
 */
final class IdleBench {
  private static final int SPAWNS_IN_FLIGHT = 512;
  /** Processes still live from earlier phases (services, say) that do not delay the measurement. */
  private static final int LEFTOVER_PROCESSES = 10;

  private IdleBench() {}

  static void run(Args a) throws Exception {
    int count = a.getInt("count", a.flag("quick") ? 20_000 : 100_000);
    String address = a.get("launcher");
    String host = a.get("host", "app:processes");
    long launcherPid = a.getLong("launcher-pid", -1);
    String entry = a.get("entry", "bench:sink");
    String prefix = a.get("prefix", "");
    ManagedChannel admin = Channels.open(address, ChannelSettings.defaults());
    AttachedProcess c = GrpcAttach.attach(address, "", "bench-idle", Duration.ofSeconds(10));
    try {
      SpawnBench.Pool pool = new SpawnBench.Pool(admin, host);
      awaitSettled(pool);
      Thread.sleep(1000);
      double before = workersRssMb(launcherPid);
      int jvmsBefore = SpawnBench.workerJvms(launcherPid).size();
      String[] pids = new String[count];
      Semaphore window = new Semaphore(SPAWNS_IN_FLIGHT);
      AtomicLong failed = new AtomicLong();
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        window.acquire();
        int slot = i;
        CompletableFuture<String> f = c.spawnAsync(entry, host, false, false);
        f.whenComplete((pid, t) -> {
          if (t != null) {
            failed.incrementAndGet();
          } else {
            pids[slot] = pid;
          }
          window.release();
        });
      }
      window.acquire(SPAWNS_IN_FLIGHT);
      double spawnS = (System.nanoTime() - t0) / 1e9;
      if (failed.get() > 0) {
        throw new IllegalStateException(failed.get() + " of " + count + " spawns failed");
      }
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (pool.stat("processes") < count && System.nanoTime() < deadline) {
        Thread.sleep(200);
      }
      Thread.sleep(2000); // let the worker JVMs settle (a GC, the last virtual threads parked)
      double after = workersRssMb(launcherPid);
      int live = pool.stat("processes");
      int jvmsAfter = SpawnBench.workerJvms(launcherPid).size();
      double growth = after - before;
      Stats.log("idle: %d %s processes spawned in %.1f s (%d live in worker JVMs), worker JVMs %d -> %d, RSS %.0f -> %.0f MB"
          + " (+%.0f MB, %.1f KB a process)", count, entry, spawnS, live, jvmsBefore, jvmsAfter, before, after, growth,
          growth * 1024 / count);
      if (prefix.isEmpty()) {
        Stats.result("idle_100k_rss_mb", growth * 100_000.0 / count);
        Stats.result("idle_per_process_kb", growth * 1024 / count);
        Stats.result("idle_processes", live);
        Stats.result("idle_worker_jvms", jvmsAfter);
      } else {
        Stats.result(prefix + "idle_kb", growth * 1024 / count);
      }
      for (String pid : pids) {
        if (pid != null) {
          c.post(pid, "stop");
        }
      }
      // Ended before this client goes: posts still queued when the JVM exits would be lost, and the
      // next phase measures from a pool without them.
      awaitSettled(pool);
    } finally {
      c.close();
      admin.shutdownNow();
    }
  }

  /**
   * Waits until no worker JVM is starting and the processes of an earlier phase have ended: memory they
   * free while this phase spawns would otherwise be counted against it.
   */
  private static void awaitSettled(SpawnBench.Pool pool) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while ((pool.stat("starting") > 0 || pool.stat("processes") > LEFTOVER_PROCESSES) && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
  }

  static double workersRssMb(long launcherPid) {
    double sum = 0;
    List<ProcessHandle> workers = SpawnBench.workerJvms(launcherPid);
    for (ProcessHandle w : workers) {
      double[] m = SpawnBench.memory(w.pid());
      if (m != null) {
        sum += m[0];
      }
    }
    return sum;
  }
}
