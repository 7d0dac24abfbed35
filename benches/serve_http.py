#!/usr/bin/env python3
"""Latency of go-judge's POST /run through `judge serve`, as a front end sees it.

One keep-alive connection, requests one after another, medians: /bin/true, and cat with an
input and two collectors. The in-process cost of the same requests is criterion's
`cargo bench -p judge-benches --bench serve`.

    target/release/judge serve --listen 127.0.0.1:5051 --jobs 1 &
    python3 benches/serve_http.py 5051 500
"""
import http.client
import json
import statistics
import sys
import time

port = int(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 500
connection = http.client.HTTPConnection("127.0.0.1", port)


def run(body):
    start = time.perf_counter()
    connection.request("POST", "/run", body, {"Content-Type": "application/json"})
    answer = connection.getresponse().read()
    took = time.perf_counter() - start
    assert json.loads(answer)[0]["status"] == "Accepted", answer
    return took


requests = {
    "/bin/true": json.dumps({"cmd": [{"args": ["/bin/true"]}]}),
    "cat, input and collectors": json.dumps({"cmd": [{
        "args": ["/bin/cat"],
        "files": [{"content": "1 2\n"}, {"name": "stdout", "max": 1024},
                  {"name": "stderr", "max": 1024}]}]}),
}
for body in requests.values():
    for _ in range(20):
        run(body)
times = {name: [] for name in requests}
for _ in range(rounds):
    for name, body in requests.items():
        times[name].append(run(body))
for name, values in times.items():
    print(f"{name}: median {statistics.median(values) * 1000:.3f} ms over {rounds}")
