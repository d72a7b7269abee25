#!/usr/bin/env bash
# Exact and HNSW search, ClipSharp.Search vs faiss, in one run.
#   bench/search/run.sh [N=1000000] [D=512] [QUERIES=1000]
# Environment (defaults): M=32 EFC=100 EFS=64,128,256,512,1024,2048,4096 FAISS_QUERIES=100 FAISS_HNSW=0
#   INDEX_DIR=/tmp/clipsharp-bench. The HNSW graph is built once (on all cores) and saved under INDEX_DIR;
#   reruns load it and report the original build time. FAISS_HNSW=1 also builds faiss IndexHNSWFlat at the
#   same M/efConstruction and sweeps the same efSearch values (slow at 1M: a full build on these cores).
#   DATA=random (default) or lowrank:R (intrinsic dimension about R, like real image embeddings; see
#   bench/ClipSharp.Search.Bench/AnnBench.cs). faiss always runs on random data (its rate does not depend on it).
# ClipSharp: exact (all cores per query) and HNSW (one thread per query) over QUERIES random unit queries,
# recall@10 against that exact run. faiss IndexFlatIP: single-query rate over FAISS_QUERIES queries.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
n="${1:-1000000}"; d="${2:-512}"; q="${3:-1000}"; t="$(nproc)"
m="${M:-32}"; efc="${EFC:-100}"; efs="${EFS:-64,128,256,512,1024,2048,4096}"
dir="${INDEX_DIR:-/tmp/clipsharp-bench}"; mkdir -p "$dir"
"$here/scripts/setup.sh" python3-faiss python3-numpy
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $t cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build -c Release "$here/bench/ClipSharp.Search.Bench" >/dev/null
ours=$(dotnet "$here/bench/ClipSharp.Search.Bench/bin/Release/net10.0/ClipSharp.Search.Bench.dll" \
  ann "$n" "$d" "$q" "$t" "$m" "$efc" "$efs" "$dir/${DATA:-random}-n$n-d$d-M$m-efC$efc.hnsw" "${DATA:-random}")
echo "load after clipsharp: $(cut -d' ' -f1-3 /proc/loadavg)"
peer_args=("$n" "$d" "${FAISS_QUERIES:-100}" "$t")
[[ "${FAISS_HNSW:-0}" == 1 ]] && peer_args+=("$m" "$efc" "$efs")
peer=$(/usr/bin/python3 "$here/bench/search/bench_faiss.py" "${peer_args[@]}")
echo "load after faiss: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "clipsharp: $ours"
echo "faiss:     $peer"
/usr/bin/python3 - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ex, fx = o["exact_queries_per_s"], p["queries_per_s"]
print(f"exact: {ex:.2f} q/s vs faiss IndexFlatIP {fx:.2f} q/s -> {ex / fx:.2f}x (bar >= 0.8x)")
print(f"HNSW on {o['data']} data, M={o['M']} efC={o['efConstruction']}: build {o['build_s']:.0f} s on {o['threads']} threads"
      + (" (loaded from disk)" if o["index_loaded"] else ""))
print(f"{'efSearch':>8} {'recall@10':>9} {'q/s':>8} {'vs exact':>8} {'sims/query':>10}")
for c in o["hnsw"]:
    ok = "  <- meets bar" if c["recall"] >= 0.95 and c["speedup_vs_exact"] >= 20 else ""
    print(f"{c['ef']:>8} {c['recall']:>9.4f} {c['queries_per_s']:>8.1f} {c['speedup_vs_exact']:>7.1f}x {c['similarities_per_query']:>10.0f}{ok}")
if "hnsw" in p:
    h = p["hnsw"]
    print(f"faiss IndexHNSWFlat M={h['M']} efC={h['efConstruction']}: build {p['hnsw_build_s']:.0f} s")
    for c in h["curve"]:
        print(f"{c['ef']:>8} {c['recall']:>9.4f} {c['queries_per_s']:>8.1f} {c['queries_per_s'] / ex:>7.1f}x {c['similarities_per_query']:>10.0f}")
PY
