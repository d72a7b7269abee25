#!/usr/bin/env python3
"""faiss peers over N random unit vectors of dimension D (i.i.d. normal components, L2-normalised).
    /usr/bin/python3 bench_faiss.py N D QUERIES THREADS                 IndexFlatIP: exact single-query top-10 rate
    /usr/bin/python3 bench_faiss.py N D QUERIES THREADS M EFC EFS,...   also IndexHNSWFlat (inner product) built on
                                                                        THREADS threads, searched one query at a time
                                                                        on one thread: rate and recall@10 per efSearch
Prints one JSON object."""
import json, sys, time
import numpy as np
import faiss

n, d, nq, threads = (int(a) for a in sys.argv[1:5])
faiss.omp_set_num_threads(threads)
rng = np.random.default_rng(5)
x = rng.standard_normal((n, d), dtype=np.float32)
x /= np.linalg.norm(x, axis=1, keepdims=True)
q = rng.standard_normal((nq, d), dtype=np.float32)
q /= np.linalg.norm(q, axis=1, keepdims=True)
index = faiss.IndexFlatIP(d)
index.add(x)
index.search(q[:1], 10)
t0 = time.perf_counter()
for i in range(nq):
    index.search(q[i:i + 1], 10)
out = {"peer": "faiss " + faiss.__version__, "n": n, "d": d, "threads": threads, "queries_per_s": nq / (time.perf_counter() - t0)}

if len(sys.argv) > 5:
    m, efc = int(sys.argv[5]), int(sys.argv[6])
    _, truth = index.search(q, 10)  # batched: ground truth only
    hnsw = faiss.IndexHNSWFlat(d, m, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = efc
    t0 = time.perf_counter()
    hnsw.add(x)
    out["hnsw_build_s"] = time.perf_counter() - t0
    faiss.omp_set_num_threads(1)
    curve = []
    for ef in (int(e) for e in sys.argv[7].split(",")):
        hnsw.hnsw.efSearch = ef
        hnsw.search(q[:1], 10)
        stats = faiss.cvar.hnsw_stats
        stats.reset()
        found = np.empty((nq, 10), dtype=np.int64)
        t0 = time.perf_counter()
        for i in range(nq):
            found[i] = hnsw.search(q[i:i + 1], 10)[1][0]
        qps = nq / (time.perf_counter() - t0)
        recall = float(np.mean([len(set(found[i]) & set(truth[i])) / 10 for i in range(nq)]))
        curve.append({"ef": ef, "recall": recall, "queries_per_s": qps, "similarities_per_query": stats.ndis / nq})
    out["hnsw"] = {"M": m, "efConstruction": efc, "curve": curve}
print(json.dumps(out))
