#!/usr/bin/python3
"""The markdown table of a bench/serve/run.py results file."""
import json, sys

r = json.load(open(sys.argv[1]))
print(f"\nwrk -t{r['threads']} -c{r['connections']} -d{r['seconds']}s, {int(r['unique_share'] * 100)}% never-seen queries\n")
print("| scenario | req/s | p50 ms | p99 ms | max ms | non-2xx | 5xx | socket errors | server RSS MB (min-max) | server CPU s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
names = {"a": "(a) `--query-cache 0 --no-batching`", "b": "(b) cache + batching (default)", "c": "(c) as (b), one bomb upload per second",
         "b2": "(b2) as (b), after the bombs"}
for k in ("a", "b", "c", "b2"):
    if k not in r: continue
    s = r[k]
    errors = s["connect_errors"] + s["read_errors"] + s["write_errors"] + s["timeouts"]
    print(f"| {names[k]} | {s['rps']:.1f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {s['max_ms']:.0f} | {s['non2xx']} | {s['status_5xx']} | {errors} | "
          f"{s['rss_min_mb']}-{s['rss_max_mb']} | {s['server_cpu_s']} |")
if "c" in r and "bombs" in r["c"]:
    c = r["c"]
    print(f"\n(c): {c['bombs']['sent']} bomb uploads ({', '.join(c['bombs']['files'])}), answered HTTP {c['bombs']['statuses']}, slowest "
          f"{c['bombs']['slowest_s']} s; search p99 {c['p99_ratio_to_b']}x (b)'s and {c.get('p99_ratio_to_b2', '?')}x (b2)'s (bar <= 1.5x (b): {'met' if c['bars']['p99_within_1_5x'] else 'NOT met'}); "
          f"5xx: {'none' if c['bars']['no_5xx'] else 'SOME'}; RSS {c['rss_before_bombs_mb']} MB before the bombs, {c['rss_after_bombs_mb']} MB 5 s after "
          f"(bar within 10%: {'met' if c['bars']['rss_back_within_10pct'] else 'NOT met'})")
for d in r.get("d", []):
    print(f"(d) 1 GiB upload with {d['framing']}: '{d['status_line']}' after {d['seconds']} s; the client got {d['client_bytes_sent_mb']} MB "
          f"into the socket before the answer; server RSS {d['server_rss_before_mb']} MB before, peak {d['server_peak_rss_mb']} MB during")
