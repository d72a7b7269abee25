#!/usr/bin/env python3
"""faiss IndexFlatIP peer: exact single-query top-10 search rate over N random unit vectors of
dimension D.   /usr/bin/python3 bench_faiss.py N D QUERIES THREADS"""
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
print(json.dumps({"peer": "faiss " + faiss.__version__, "n": n, "d": d, "threads": threads, "queries_per_s": nq / (time.perf_counter() - t0)}))
