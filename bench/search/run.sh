#!/usr/bin/env bash
# Exact search: ClipSharp.Search vs faiss IndexFlatIP (python3-faiss) in one run.
#   bench/search/run.sh [N=1000000] [D=512] [QUERIES=200]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
n="${1:-1000000}"; d="${2:-512}"; q="${3:-200}"; t="$(nproc)"
"$here/scripts/setup.sh" python3-faiss python3-numpy
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $t cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
peer=$(/usr/bin/python3 "$here/bench/search/bench_faiss.py" "$n" "$d" "$q" "$t")
ours=$(dotnet run -c Release --project "$here/bench/ClipSharp.Search.Bench" -- flat "$n" "$d" "$q" "$t")
echo "faiss:     $peer"
echo "clipsharp: $ours"
/usr/bin/python3 -c "import json,sys; p=json.loads(sys.argv[1]); o=json.loads(sys.argv[2]); print(f\"exact search: {o['queries_per_s']:.1f} vs faiss {p['queries_per_s']:.1f} queries/s -> {o['queries_per_s']/p['queries_per_s']:.2f}x\")" "$peer" "$ours"
