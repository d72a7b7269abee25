#!/usr/bin/env bash
# Data-parallel training on two "hosts" of one machine: network namespaces cs-host1 and cs-host2, each with a
# veth pair into a bridge (cs-br, 10.77.0.0/24) in the root namespace. `mpirun --host 10.77.0.11:1,10.77.0.12:1`
# starts one rank in each; its launch agent (in place of ssh, which the namespaces do not run) is a two-line
# script that enters the namespace named by the host's address. The ranks exchange features and gradients over
# TCP across the veths only (btl self,tcp; no shared memory). Trains the Fashion-MNIST demo for SECONDS (120).
#   examples/mpi-netns/run.sh [OUT_DIR=out/mpi-netns] [SECONDS=120]
# Needs root (ip netns), openmpi-bin and dataset-fashion-mnist (installed through scripts/setup.sh).
# Not part of the test suite.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "${1:-$here/out/mpi-netns}" && cd "${1:-$here/out/mpi-netns}" && pwd)"
seconds="${2:-120}"
[ "$(id -u)" -eq 0 ] || { echo "run.sh: creating network namespaces needs root" >&2; exit 1; }
"$here/scripts/setup.sh" dataset-fashion-mnist openmpi-bin libopenmpi-dev
"$here/clipsharp" --help >/dev/null   # build once, before two ranks start
cli="$here/artifacts/cli/ClipSharp.Cli.dll"

cleanup() {
  for i in 1 2; do ip netns del "cs-host$i" 2>/dev/null || true; ip link del "cs-veth$i" 2>/dev/null || true; done
  ip link del cs-br 2>/dev/null || true
}
cleanup
trap cleanup EXIT
ip link add cs-br type bridge
ip addr add 10.77.0.1/24 dev cs-br
ip link set cs-br up
for i in 1 2; do
  ip netns add "cs-host$i"
  ip link add "cs-veth$i" type veth peer name eth0 netns "cs-host$i"
  ip link set "cs-veth$i" master cs-br up
  ip -n "cs-host$i" addr add "10.77.0.1$i/24" dev eth0
  ip -n "cs-host$i" link set eth0 up
  ip -n "cs-host$i" link set lo up
done
veth_bytes() { awk '{ print $1 }' "/sys/class/net/cs-veth$1/statistics/$2_bytes"; }

agent="$out/netns-agent.sh"
cat > "$agent" <<'AGENT'
#!/bin/sh
# mpirun's launch agent: "AGENT HOST COMMAND..." runs COMMAND inside the namespace that plays HOST.
host="$1"; shift
case "$host" in 10.77.0.11) ns=cs-host1 ;; 10.77.0.12) ns=cs-host2 ;; *) echo "netns-agent: unknown host $host" >&2; exit 1 ;; esac
exec ip netns exec "$ns" sh -c "$*"
AGENT
chmod +x "$agent"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$out/run"
echo "-- train ${seconds}s on 2 ranks (one per namespace), global batch 256 (128 per rank)"
mpirun -np 2 --host 10.77.0.11:1,10.77.0.12:1 \
  --mca plm_rsh_agent "$agent" --mca btl self,tcp \
  --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  dotnet "$cli" train --data fashion-mnist --arch "$here/configs/fashion-mnist.json" --batch 256 --lr 1e-3 --warmup 20 \
    --templates openai --seconds "$seconds" --val fashion-mnist --val-limit 1000 --val-every 50 --out "$out/run" \
  | grep -v '^step [0-9]*/' || { echo "run.sh: the 2-rank job failed" >&2; exit 1; }
tail -n 3 "$out/run/metrics.jsonl"
echo "-- through the veths: cs-host1 sent $(veth_bytes 1 rx) bytes, cs-host2 sent $(veth_bytes 2 rx) bytes (bridge side rx)"
echo "checkpoint: $out/run/checkpoint (written by rank 0), plots: $out/run/loss.svg, $out/run/accuracy.svg"
