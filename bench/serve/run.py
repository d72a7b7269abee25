#!/usr/bin/python3
"""The serve load test of issues 17 and 19 (called by bench/serve/run.sh once the index is built).

Scenarios, each a `wrk` run against GET /api/search on 127.0.0.1 with queries.lua (skewed repeats plus a share
of never-seen queries), RSS of the server sampled from /proc every 0.25 s:
  (a) `serve --query-cache 0 --no-batching`: every request its own text-tower forward pass;
  (b) `serve` (query cache and batching on);
  (c) the server of (b) again with one bomb upload per second alongside (image bombs that declare huge images
      or thousands of scans); bar: search p99 <= 1.5x (b)'s, no 5xx, RSS back within 10% 5 s after the bombs stop;
  (b2) the same load once more after the bombs (a second no-bomb reference for (c));
  (d) 1 GiB uploads (declared by Content-Length, and chunked): refused without being read.
Prints each result as it comes and writes a JSON file with all of them.
"""
import argparse, glob, json, os, re, select, socket, subprocess, sys, threading, time, urllib.request, urllib.error

MB = 1_000_000


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from serve_process import ServeProcess as Server  # noqa: E402


class RssSampler:
    def __init__(self, server, every=0.25):
        self.server, self.every, self.samples, self._stop = server, every, [], threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(self.server.rss())
            self._stop.wait(self.every)

    def stop(self):
        self._stop.set()
        self.t.join()
        return dict(rss_min_mb=round(min(self.samples) / MB), rss_max_mb=round(max(self.samples) / MB), rss_last_mb=round(self.samples[-1] / MB))


def wrk(server, lua, queries, seconds, args):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua,
           server.url + "/", "--", queries, str(args.unique_share)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode != 0 or not line: raise RuntimeError(f"wrk failed: {p.stdout}\n{p.stderr}")
    r = json.loads(line[-1])
    r["command"] = " ".join(cmd).replace(os.path.dirname(lua) + "/", "")
    return r


def post(url, data, timeout=30):
    req = urllib.request.Request(url + "/api/search/image?k=3", data=data, method="POST", headers={"Content-Type": "application/octet-stream"})
    t = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r: status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    except OSError as e:
        status, body = -1, str(e).encode()
    return status, time.monotonic() - t, body


def bombs_alongside(server, bombs, stop, results):
    """One bomb upload per second (cycling through the files) until stop is set."""
    i = 0
    next_at = time.monotonic()
    while not stop.is_set():
        name, data = bombs[i % len(bombs)]
        status, seconds, body = post(server.url, data)
        results.append(dict(file=name, status=status, seconds=round(seconds, 3), error=body[:200].decode(errors="replace")))
        i += 1
        next_at += 1.0
        stop.wait(max(0.0, next_at - time.monotonic()))


def huge_upload(server, chunked, total=1 << 30):
    """Sends (up to) 1 GiB of zeros to /api/search/image until the server answers; returns what happened."""
    s = socket.create_connection((server.host, server.port))
    head = f"POST /api/search/image HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nContent-Type: image/jpeg\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {total}\r\n\r\n"
    with open(f"/proc/{server.p.pid}/clear_refs", "w") as f: f.write("5")   # restart VmHWM from the current RSS
    rss0 = server.rss()
    t = time.monotonic()
    s.sendall(head.encode())
    chunk = b"\0" * (64 << 10)
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
    s.setblocking(False)
    sent, pending, answer = 0, b"", b""
    while time.monotonic() - t < 120:
        readable, writable, _ = select.select([s], [s] if sent < total or pending else [], [], 1.0)
        if readable:
            try: answer = s.recv(4096)
            except (BlockingIOError, ConnectionError): pass
            break
        if writable:
            if not pending: pending = framed
            try:
                n = s.send(pending)
                sent, pending = sent + n, pending[n:]
            except BlockingIOError: pass
            except (BrokenPipeError, ConnectionResetError): break
    s.setblocking(True)
    s.settimeout(10)
    if not answer:
        try: answer = s.recv(4096)
        except OSError: pass
    seconds = time.monotonic() - t
    s.close()
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    return dict(framing="chunked" if chunked else "Content-Length: 1073741824", status_line=status, seconds=round(seconds, 3),
                client_bytes_sent_mb=round(sent / MB, 1), server_rss_before_mb=round(rss0 / MB), server_peak_rss_mb=round(server.status("VmHWM") / MB))


def scenario(name, server, lua, queries, args, warmup=True):
    if warmup: wrk(server, lua, queries, args.warmup, args)
    sampler = RssSampler(server)
    cpu0 = server.cpu()
    r = wrk(server, lua, queries, args.seconds, args)
    r.update(sampler.stop())
    r["server_cpu_s"] = round(server.cpu() - cpu0, 1)
    r["scenario"], r["server"] = name, server.command
    print(f"({name}) {r['rps']:.1f} req/s, p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms, "
          f"non-2xx {r['non2xx']}, 5xx {r['status_5xx']}, socket errors {r['connect_errors'] + r['read_errors'] + r['write_errors'] + r['timeouts']}, "
          f"RSS {r['rss_min_mb']}-{r['rss_max_mb']} MB; {r['server']}", flush=True)
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--bombs", required=True, help="folder with the bomb files (issue19_*)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--unique-share", type=float, default=0.1)
    a = ap.parse_args()
    lua = os.path.join(os.path.dirname(os.path.abspath(__file__)), "queries.lua")
    logs = os.path.dirname(os.path.abspath(a.out))
    results = dict(seconds=a.seconds, threads=a.threads, connections=a.connections, unique_share=a.unique_share)

    server = Server(a.cli, ["--dir", a.dir, "--query-cache", "0", "--no-batching"], os.path.join(logs, "serve-a.log"))
    try: results["a"] = scenario("a", server, lua, a.queries, a)
    finally: server.stop()

    server = Server(a.cli, ["--dir", a.dir], os.path.join(logs, "serve-b.log"))
    try:
        # A longer warm-up here, so the common queries are cached before (b) measures, as in steady traffic.
        wrk(server, lua, a.queries, 2 * a.warmup, a)
        results["b"] = b = scenario("b", server, lua, a.queries, a)
        time.sleep(3)
        rss_before = server.rss()
        bombs = [(os.path.basename(f), open(f, "rb").read()) for f in sorted(glob.glob(os.path.join(a.bombs, "issue19_*")))]
        stop, uploads = threading.Event(), []
        t = threading.Thread(target=bombs_alongside, args=(server, bombs, stop, uploads))
        t.start()
        try: c = scenario("c", server, lua, a.queries, a, warmup=False)
        finally:
            stop.set()
            t.join()
        time.sleep(5)
        rss_after = server.rss()
        c["bombs"] = dict(sent=len(uploads), files=sorted({u["file"] for u in uploads}), statuses=sorted({u["status"] for u in uploads}),
                          slowest_s=max(u["seconds"] for u in uploads), first=uploads[0])
        c["rss_before_bombs_mb"], c["rss_after_bombs_mb"] = round(rss_before / MB), round(rss_after / MB)
        c["p99_ratio_to_b"] = round(c["p99_ms"] / b["p99_ms"], 2)
        c["bars"] = dict(p99_within_1_5x=c["p99_ms"] <= 1.5 * b["p99_ms"], no_5xx=c["status_5xx"] == 0 and all(u["status"] < 500 for u in uploads),
                         rss_back_within_10pct=abs(rss_after - rss_before) <= 0.1 * rss_before)
        results["c"] = c
        results["b2"] = b2 = scenario("b2", server, lua, a.queries, a, warmup=False)
        c["p99_ratio_to_b2"] = round(c["p99_ms"] / b2["p99_ms"], 2)
        print(f"    bombs: {len(uploads)} uploads of {', '.join(c['bombs']['files'])}: HTTP {c['bombs']['statuses']}, slowest {c['bombs']['slowest_s']} s; "
              f"p99 {c['p99_ratio_to_b']}x (b), {c['p99_ratio_to_b2']}x (b2); RSS {c['rss_before_bombs_mb']} MB before, {c['rss_after_bombs_mb']} MB 5 s after; bars {c['bars']}", flush=True)
        results["d"] = []
        for chunked in (False, True):
            d = huge_upload(server, chunked)
            results["d"].append(d)
            print(f"(d) 1 GiB upload, {d['framing']}: '{d['status_line']}' after {d['seconds']} s, {d['client_bytes_sent_mb']} MB sent by the client "
                  f"(socket buffers included), server RSS {d['server_rss_before_mb']} MB before, peak {d['server_peak_rss_mb']} MB", flush=True)
        results["stats_after"] = urllib.request.urlopen(server.url + "/api/info").read().decode()
    finally:
        server.stop()
    json.dump(results, open(a.out, "w"), indent=1)
    ok = all(results["c"]["bars"].values()) and all(results[k]["status_5xx"] == 0 for k in ("a", "b", "b2")) \
        and all(d["status_line"].startswith("HTTP/1.1 413") for d in results["d"])
    print("bars met" if ok else "BAR NOT MET", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
