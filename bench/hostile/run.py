#!/usr/bin/python3
"""Issue 19's process-level bar, measured on the real CLI (called by bench/hostile/run.sh).

"No input file of <= 1 MB makes info, embed, index or serve exceed 300 MB RSS above the model's own size or
2 s of CPU; every refusal is one line naming the file, exit 2, no stack trace."

Every hostile file of the set (`ClipSharp.Fuzz hostile`: the hostile checkpoints of the tests and the image
bombs / worst ~1 MB images of the decode-budget measurements) goes through each command that can take it,
each run a fresh process under /usr/bin/time (peak RSS, user + sys CPU):
  checkpoint F:  info --model F;  embed --model F --text ...;  index DIR --model F;  serve --dir DIR --model F
  image F:       embed --images F;  index DIR-holding-F;  serve: F POSTed to /api/search/image of a running server
                 (that server's CPU for the request from /proc/PID/stat, its peak RSS from VmHWM reset before).
RSS "above the model's own size": for a hostile checkpoint the checkpoint is the model, so peak RSS minus its
file size; for a hostile image, peak RSS minus that of the same command on a benign image with the same model
(the runtime plus the model as loaded: what the model costs this process), also reported against the model
file's size alone. A refusal must be exit 2 with exactly one stderr line naming the file and no stack
trace; `index` lists a refused image as one line under "could not be indexed" and exits 0 (a folder's corrupt
files are not fatal), and `serve` answers a refused upload with a JSON 400.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time, urllib.request, urllib.error

MB = 1_000_000
LIMIT_BYTES = 1 << 20          # "<= 1 MB" read generously as 1 MiB
RSS_BAR = 300 * MB
CPU_BAR = 2.0


def timed(cmd, timeout=60, env=None):
    """Runs cmd under /usr/bin/time; returns (exit code, stdout, stderr, cpu seconds, peak RSS bytes)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-f", "%U %S %M", "-o", tf.name] + cmd
        try:
            p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired as e:
            return 124, e.stdout or "", (e.stderr or "") + f"\n(killed after {timeout} s)", float("inf"), 0
        fields = tf.read().split()[-3:]
        user, sys_, kb = float(fields[0]), float(fields[1]), int(fields[2])
        return p.returncode, p.stdout, p.stderr, user + sys_, kb * 1024


def refusal_problems(code, stderr, path):
    lines = [l for l in stderr.splitlines() if l.strip()]
    problems = []
    if code != 2: problems.append(f"exit {code}")
    if len(lines) != 1: problems.append(f"{len(lines)} stderr lines")
    if not any(path in l for l in lines): problems.append("file not named")
    if "   at " in stderr or "Exception:" in stderr: problems.append("stack trace")
    return problems


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from serve_process import ServeProcess  # noqa: E402


class Server(ServeProcess):
    """A running `clipsharp serve`, and one upload's CPU and peak RSS."""

    def post(self, data):
        req = urllib.request.Request(self.url + "/api/search/image?k=3", data=data, method="POST", headers={"Content-Type": "application/octet-stream"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r: return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def measure(self, data):
        self.reset_peak()
        rss0, cpu0 = self.status("VmRSS"), self.cpu()
        status, body = self.post(data)
        return status, body, self.cpu() - cpu0, self.status("VmHWM"), rss0



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--set", required=True, help="folder written by ClipSharp.Fuzz hostile")
    ap.add_argument("--model", required=True)
    ap.add_argument("--benign", required=True, help="a normal image")
    ap.add_argument("--work", required=True)
    ap.add_argument("--json", required=True, help="where to write every row")
    a = ap.parse_args()
    cli = ["dotnet", a.cli]
    model_bytes = os.path.getsize(a.model)
    work = a.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    manifest = [l.rstrip("\n").split("\t") for l in open(os.path.join(a.set, "manifest.tsv"))][1:]
    out = os.path.join(work, "out.jsonl")
    benign_dir = os.path.join(work, "benign")
    os.makedirs(benign_dir)
    shutil.copy(a.benign, benign_dir)
    rows = []

    def row(command, kind, path, size, code, cpu, rss, baseline, outcome, problems):
        # baseline: what "the model's own size" is for this row (see the module's docstring).
        r = dict(command=command, kind=kind, file=os.path.basename(path), bytes=size, exit=code, cpu_s=round(cpu, 3),
                 peak_rss_mb=round(rss / MB, 1), baseline_rss_mb=round(baseline / MB, 1),
                 above_baseline_mb=round((rss - baseline) / MB, 1), above_model_file_mb=round((rss - (size if kind == "checkpoint" else model_bytes)) / MB, 1),
                 outcome=outcome, problems=problems)
        in_bar = size <= LIMIT_BYTES
        if in_bar and cpu > CPU_BAR: problems.append(f"CPU {cpu:.2f} s > {CPU_BAR} s")
        if in_bar and rss - baseline > RSS_BAR: problems.append(f"RSS {(rss - baseline) / MB:.0f} MB above the model's own size")
        r["in_bar"] = in_bar
        rows.append(r)
        flag = "FAIL " + "; ".join(problems) if problems and in_bar else ("(over 1 MiB) " + "; ".join(problems) if problems else "ok")
        print(f"{command:6} {os.path.basename(path):44} {size:>9} exit {code:>3}  cpu {cpu:5.2f} s  rss {rss / MB:6.1f} MB "
              f"(+{(rss - baseline) / MB:6.1f} over the model)  {outcome[:70]}  {flag}", flush=True)

    # Baselines: each command on a benign input with the same model.
    base = {}
    _, _, _, _, base["info"] = timed(cli + ["info", "--model", a.model])
    _, _, _, _, base["embed-text"] = timed(cli + ["embed", "--model", a.model, "--text", "a cat", "--out", out])
    _, _, _, _, base["embed-image"] = timed(cli + ["embed", "--model", a.model, "--images", a.benign, "--out", out])
    code, so, se, _, base["index"] = timed(cli + ["index", benign_dir, "--model", a.model, "--db", os.path.join(work, "base.db")])
    if code != 0: sys.exit(f"benign index failed: {se}")
    print("baselines (benign input, same model): " + ", ".join(f"{k} {v / MB:.0f} MB" for k, v in base.items()), flush=True)
    # The server that hostile models are given to (`serve --model F` on an index of the benign folder).
    timed(cli + ["index", benign_dir, "--model", a.model])

    for kind, path, size, expect in ((r[0], r[1], int(r[2]), r[3]) for r in manifest):
        if kind != "checkpoint": continue
        for command, args in [
            ("info", ["info", "--model", path]),
            ("embed", ["embed", "--model", path, "--text", "a cat", "--out", out, "--threads", "1"]),
            ("index", ["index", benign_dir, "--model", path, "--db", os.path.join(work, "hostile-model.db")]),
            ("serve", ["serve", "--dir", benign_dir, "--model", path, "--port", "0"]),
        ]:
            code, so, se, cpu, rss = timed(cli + args, timeout=30)
            problems = refusal_problems(code, se, path)
            if expect and expect not in se: problems.append(f"refusal lacks '{expect}'")
            row(command, kind, path, size, code, cpu, rss, size, (se.strip().splitlines() or ["(no stderr)"])[-1], problems)

    server = Server(a.cli, ["--dir", benign_dir])
    try:
        # Warm the server up (JIT, thread pool, one image forward pass) before taking its baseline.
        for _ in range(3): server.post(open(a.benign, "rb").read())
        _, _, _, serve_base, _ = server.measure(open(a.benign, "rb").read())
        print(f"serve baseline: peak {serve_base / MB:.0f} MB while answering a benign upload", flush=True)
        for kind, path, size in ((r[0], r[1], int(r[2])) for r in manifest):
            if kind != "image": continue
            code, so, se, cpu, rss = timed(cli + ["embed", "--model", a.model, "--images", path, "--out", out], timeout=30)
            accepted = code == 0 and "error" not in se and "skipped" not in se
            problems = [] if accepted else refusal_problems(code, se, path)
            row("embed", kind, path, size, code, cpu, rss, base["embed-image"], "embedded" if code == 0 else se.strip().splitlines()[-1], problems)

            d = os.path.join(work, "img-" + os.path.basename(path))
            os.makedirs(d)
            shutil.copy(path, d)
            code, so, se, cpu, rss = timed(cli + ["index", d, "--model", a.model], timeout=30)
            listed = [l for l in (so + se).splitlines() if l.strip().startswith(os.path.basename(path) + ":")]
            problems = []
            if code != 0: problems.append(f"exit {code}")
            if "   at " in so + se: problems.append("stack trace")
            added = re.search(r"(\d+) added", so)
            if not listed and not (added and added.group(1) == "1"): problems.append("neither indexed nor listed as failed")
            row("index", kind, path, size, code, cpu, rss, base["index"], listed[0].strip() if listed else "indexed", problems)

            status, body, cpu, peak, rss0 = server.measure(open(path, "rb").read())
            problems = []
            if status >= 500 or status not in (200, 400, 413): problems.append(f"HTTP {status}")
            if status != 200 and "error" not in body: problems.append("no JSON error")
            outcome = f"HTTP {status} " + (json.loads(body).get("error", "") if status != 200 else "searched")
            row("serve", kind, path, size, status, cpu, peak, serve_base, outcome, problems)
    finally:
        server.stop()

    json.dump(dict(model=a.model, model_bytes=model_bytes, baselines={k: v for k, v in base.items()}, serve_baseline=serve_base, rows=rows),
              open(a.json, "w"), indent=1)
    failed = [r for r in rows if r["in_bar"] and r["problems"]]
    print()
    print("worst case per command (inputs of <= 1 MiB):")
    print("| command | kind | inputs | worst CPU s (file) | worst peak RSS MB (file) | most above the model's own size, MB (file) | that file's peak minus the model file, MB | refusals breaking the form |")
    print("|---|---|---:|---|---|---|---:|---:|")
    for command, kind in [(c, k) for c in ("info", "embed", "index", "serve") for k in ("checkpoint", "image")]:
        rs = [r for r in rows if r["command"] == command and r["kind"] == kind and r["in_bar"]]
        if not rs: continue
        c = max(rs, key=lambda r: r["cpu_s"])
        m = max(rs, key=lambda r: r["peak_rss_mb"])
        over = max(rs, key=lambda r: r["above_baseline_mb"])
        bad = sum(1 for r in rs if any(not p.startswith(("CPU", "RSS")) for p in r["problems"]))
        print(f"| {command} | {kind} | {len(rs)} | {c['cpu_s']:.2f} ({c['file']}) | {m['peak_rss_mb']:.0f} ({m['file']}) | {over['above_baseline_mb']:.0f} ({over['file']}) | "
              f"{over['above_model_file_mb']:.0f} | {bad} |")
    print(f"\nmodel {a.model} ({model_bytes / MB:.1f} MB); bar: <= {RSS_BAR // MB} MB above the model's own size, <= {CPU_BAR} s CPU, refusals one line / exit 2")
    if failed:
        print(f"BAR BROKEN by {len(failed)} runs:")
        for r in failed: print(f"  {r['command']} {r['file']}: {'; '.join(r['problems'])}")
        sys.exit(1)
    print("bar met by every input of <= 1 MiB")


if __name__ == "__main__":
    main()
