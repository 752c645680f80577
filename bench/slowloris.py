#!/usr/bin/env python3
"""Commits while anonymous clients hold stalled connections (slowloris), against one daemon
binary, so that two binaries can be compared back to back.

    bench/slowloris.py DAEMON [--stalled N] [--commits K]

Starts DAEMON on a free port with a temporary data directory (--dev, rate limit off), signs in
an owner by the dev magic link, makes one agent, opens N connections that send half a request
head and stall, then makes K commits as the agent, each on a new connection, and prints one
JSON line: how many got 201, the other statuses, and the latency percentiles (ms)."""
import argparse, http.client, json, os, re, socket, subprocess, sys, tempfile, time


def start(daemon, data):
    p = subprocess.Popen([daemon, "--http", "127.0.0.1:0", "--data-dir", data, "--socket", data + "/ad.sock",
                          "--dev", "--rate-limit", "0", "--log-level", "warn"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    return p, int(re.search(r"http=http://127\.0\.0\.1:(\d+)", line).group(1))


def call(port, method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json", "Host": "localhost", **(headers or {})})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheader("Set-Cookie"), data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("daemon")
    ap.add_argument("--stalled", type=int, default=300)
    ap.add_argument("--commits", type=int, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as data:
        p, port = start(a.daemon, data)
        try:
            _, _, link = call(port, "POST", "/v1/auth/magic-link", {"email": "bench@example.com"})
            _, cookie, _ = call(port, "POST", "/v1/auth/verify", {"token": json.loads(link)["dev_token"]})
            owner = {"Cookie": cookie.split(";")[0]}
            _, _, made = call(port, "POST", "/v1/dashboard/agents", {"name": "top", "priority": 1}, owner)
            key = json.loads(made)["plaintext_key"]
            stalled = []
            for _ in range(a.stalled):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"POST /v1/bookings HTTP/1.1\r\nHost: localhost\r\nContent-Length: 500\r\n\r\n{")
                stalled.append(s)
            statuses, ms = {}, []
            base = 1893456000  # 2030-01-01T00:00:00Z
            for i in range(a.commits):
                start_s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i * 1800))
                end_s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + i * 1800 + 1800))
                t = time.monotonic()
                try:
                    status, _, _ = call(port, "POST", "/v1/bookings", {"start": start_s, "end": end_s},
                                        {"Authorization": "Bearer " + key})
                except OSError as e:
                    status = type(e).__name__
                ms.append((time.monotonic() - t) * 1000)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
            ms.sort()
            print(json.dumps({"daemon": a.daemon, "stalled": a.stalled, "commits": a.commits,
                              "created": statuses.get("201", 0), "statuses": statuses,
                              "p50_ms": round(ms[len(ms) // 2], 2), "max_ms": round(ms[-1], 2)}))
            for s in stalled:
                s.close()
        finally:
            p.terminate()
            p.wait()


if __name__ == "__main__":
    main()
