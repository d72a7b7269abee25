#!/usr/bin/env bash
# Data-parallel training throughput: the Fashion-MNIST demo's model and batch (configs/fashion-mnist.json,
# global batch 256) for STEPS steps as (a) one process with 2 threads, (b) one process with 1 thread (one
# rank's compute alone), (c) `mpirun -np 2` on this machine, one thread per rank (shared-memory transport).
# Prints the median samples/s over steps 6..STEPS and rank 0's time inside MPI collectives.
#   bench/mpi/run.sh [STEPS=40] [OUT=out/bench-mpi]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
steps="${1:-40}"
out="${2:-$here/out/bench-mpi}"
"$here/scripts/setup.sh" dataset-fashion-mnist openmpi-bin libopenmpi-dev
"$here/clipsharp" --help >/dev/null
cli="$here/artifacts/cli/ClipSharp.Cli.dll"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
args=(train --data fashion-mnist --arch "$here/configs/fashion-mnist.json" --batch 256 --lr 1e-3 --warmup 20 --templates openai
      --steps "$steps" --save-every 0)
rm -rf "$out"; mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$cli" "${args[@]}" --threads 2 --out "$out/one-2t" > "$out/one-2t.log"
dotnet "$cli" "${args[@]}" --threads 1 --out "$out/one-1t" > "$out/one-1t.log"
mpirun --oversubscribe -np 2 --mca btl self,vader dotnet "$cli" "${args[@]}" --out "$out/two" > "$out/two.log"
median() {
  /usr/bin/python3 - "$1" <<'PY'
import json, statistics, sys
rates = [json.loads(l)["samples_per_s"] for l in open(sys.argv[1] + "/metrics.jsonl") if '"loss"' in l][5:]
print(f"{statistics.median(rates):.1f} samples/s (median of {len(rates)} steps)")
PY
}
echo "1 process, 2 threads:         $(median "$out/one-2t")"
echo "1 process, 1 thread:          $(median "$out/one-1t")"
echo "2 ranks x 1 thread (mpirun):  $(median "$out/two")"
grep "MPI collectives" "$out/two.log"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
