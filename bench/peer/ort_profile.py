#!/usr/bin/env python3
"""Sums an ONNX Runtime profile (ORT_PROFILE=PREFIX with bench/DotnetPeers) layer by layer.

    python3 bench/peer/ort_profile.py PROFILE.json [--batch 32]

Takes the fastest model run whose first node has the given batch and prints, for each node of that run, its
operator, input and weight shapes, milliseconds and (for convolutions) GFLOP/s, then the totals per operator.
"""
import argparse
import collections
import json


def conv_flops(node):
    shapes = node["args"]["input_type_shape"]
    out = list(node["args"]["output_type_shape"][0].values())[0]
    weight = list(shapes[1].values())[0]
    # NCHWc convolutions keep the NCHW weight shape in the profile: (O, I/groups, KH, KW).
    b, o = out[0], weight[0]
    spatial = 1
    for d in out[2:4]:
        spatial *= d
    per_output = 1
    for d in weight[1:]:
        per_output *= d
    return 2.0 * b * o * spatial * per_output


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    events = json.load(open(args.profile))
    runs = [e for e in events if e.get("cat") == "Session" and e["name"] == "model_run"]
    nodes = [e for e in events if e.get("cat") == "Node" and e["name"].endswith("_kernel_time")]

    def inside(run):
        return [n for n in nodes if run["ts"] <= n["ts"] <= run["ts"] + run["dur"]]

    def batch_of(run):
        first = inside(run)
        if not first:
            return None
        return list(first[0]["args"]["input_type_shape"][0].values())[0][0]

    chosen = [r for r in runs if batch_of(r) == args.batch]
    if not chosen:
        raise SystemExit(f"{args.profile}: no model run at batch {args.batch}")
    run = min(chosen, key=lambda r: r["dur"])
    per_op = collections.defaultdict(float)
    print(f"fastest of {len(chosen)} runs at batch {args.batch}: {run['dur'] / 1000:.1f} ms")
    print(f"{'node':44} {'op':16} {'input':22} {'weight':18} {'ms':>7} {'GFLOP/s':>8}")
    for n in inside(run):
        a = n["args"]
        shapes = [list(s.values())[0] for s in a.get("input_type_shape", [])]
        ms = n["dur"] / 1000
        per_op[a["op_name"]] += ms
        rate = ""
        if a["op_name"] in ("Conv", "FusedConv") and len(shapes) > 1:
            rate = f"{conv_flops(n) / (n['dur'] * 1e-6) / 1e9:8.1f}"
        weight = "x".join(map(str, shapes[1])) if len(shapes) > 1 else ""
        print(f"{n['name'][:44]:44} {a['op_name']:16} {'x'.join(map(str, shapes[0])) if shapes else '':22} {weight:18} {ms:7.2f} {rate:>8}")
    print("per operator (ms):", ", ".join(f"{k} {v:.1f}" for k, v in sorted(per_op.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
