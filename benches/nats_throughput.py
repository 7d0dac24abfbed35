#!/usr/bin/env python3
"""Judging throughput through NATS JetStream beside the local pool, side by side.

    python3 benches/nats_throughput.py [ROUNDS] [SUBMISSIONS] [TESTS]

Needs root, `cargo build --release -p judge-cli` and nats-server (apt install nats-server).
Makes an A+B problem of TESTS tests and SUBMISSIONS copies of one C solution (one
compilation, cached, so the figure is the runs), starts nats-server on 127.0.0.1 with a
temporary store, then for ROUNDS rounds times, interleaved in each round:

  local-1   judge batch --jobs 1             (the local pool, one worker)
  nats-1    judge batch --nats, one `judge worker --jobs 1 --cpus 0` process
  local-2   judge batch --jobs 2             (CPUs 0 and 1)
  nats-2    judge batch --nats, two `judge worker --jobs 1` processes, --cpus 0 and 1

Each time is the batch command's wall clock (workers started and ready before it, so the
figure includes packing and uploading the package, enqueueing, every job's pull, progress,
result and ack, and the batch collecting the results). Prints the median runs per second of
each and the NATS/local ratios.
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JUDGE = os.path.join(ROOT, "target", "release", "judge")

SOLUTION = """#include <stdio.h>
int main(void) { long long a, b; if (scanf("%lld %lld", &a, &b) == 2) printf("%lld\\n", a + b); return 0; }
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, deadline=20):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit("nats-server did not start")


def start_worker(url, name, cpu, cache, logdir):
    out = open(os.path.join(logdir, name + ".out"), "w+")
    err = open(os.path.join(logdir, name + ".log"), "w")
    proc = subprocess.Popen(
        [JUDGE, "worker", "--nats", url, "--jobs", "1", "--cpus", str(cpu), "--name", name,
         "--cache-dir", cache],
        stdout=out, stderr=err)
    end = time.time() + 60
    while time.time() < end:
        out.seek(0)
        if "ready" in out.read():
            return proc
        if proc.poll() is not None:
            sys.exit(f"worker {name} exited: see {err.name}")
        time.sleep(0.05)
    sys.exit(f"worker {name} not ready")


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()


def batch(args, problem, subs, cache, report):
    if os.path.exists(report):
        os.remove(report)
    cmd = [JUDGE, "batch", "--problem", problem, *subs, "--json", report] + args
    if "--nats" not in args:
        cmd += ["--cache-dir", cache]
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])}...: {done.stderr}")
    with open(report) as f:
        lines = f.read().splitlines()
    if len(lines) != len(subs) or any('"verdict":"AC"' not in l for l in lines):
        sys.exit(f"not every submission accepted: {lines[:3]}")
    return elapsed


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    tests = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    work = tempfile.mkdtemp(prefix="judge-nats-bench-")
    problem = os.path.join(work, "problem")
    os.makedirs(problem)
    for i in range(tests):
        with open(os.path.join(problem, f"{i + 1}.in"), "w") as f:
            f.write(f"{i} {i * 7}\n")
        with open(os.path.join(problem, f"{i + 1}.ans"), "w") as f:
            f.write(f"{i * 8}\n")
    subs_dir = os.path.join(work, "subs")
    os.makedirs(subs_dir)
    subs = []
    for i in range(count):
        path = os.path.join(subs_dir, f"s{i:04}.c")
        with open(path, "w") as f:
            f.write(SOLUTION)
        subs.append(path)
    cache = os.path.join(work, "cache")
    report = os.path.join(work, "r.jsonl")
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["nats-server", "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", os.path.join(work, "store")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    times = {"local-1": [], "nats-1": [], "local-2": [], "nats-2": []}
    try:
        # Warm the compile cache (the workers share it) and the package upload.
        batch(["--jobs", "1"], problem, subs[:1], cache, report)
        for r in range(rounds):
            times["local-1"].append(batch(["--jobs", "1"], problem, subs, cache, report))
            workers = [start_worker(url, f"w{r}a", 0, cache, work)]
            times["nats-1"].append(batch(["--nats", url], problem, subs, cache, report))
            times["local-2"].append(batch(["--jobs", "2"], problem, subs, cache, report))
            workers.append(start_worker(url, f"w{r}b", 1, cache, work))
            times["nats-2"].append(batch(["--nats", url], problem, subs, cache, report))
            stop(workers)
    finally:
        server.terminate()
        server.wait()
    runs = count * tests
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"{count} submissions x {tests} tests = {runs} runs, {rounds} rounds, medians:")
    for k in times:
        print(f"  {k:8} {median[k]:7.3f} s  {runs / median[k]:8.1f} runs/s")
    for n in ("1", "2"):
        local, nats = median[f"local-{n}"], median[f"nats-{n}"]
        extra_ms = (nats - local) * 1000 / count
        print(f"  {n} worker(s): NATS/local throughput {local / nats:.3f}, "
              f"{extra_ms:+.2f} ms per job")
    if not os.environ.get("KEEP"):
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
