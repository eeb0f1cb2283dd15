"""The bench's matmul cases on PyTorch (CPU), for the kernel table's native column.

Usage: python3 torch_kernels.py SPEC.json -> one JSON line on stdout: a row per case (median ms, minor page faults
per call). SPEC holds {"threads": n, "timeMs": t, "iterations": i, "warmupIterations": w, "warmupTimeMs": u, "cases":
[{label, batch, m, k, n, transA, transB}]}. Each case is timed the way bench/measure.ts times ours: at least w warm-up
calls and u ms of them, then at least `iterations` calls and at least `timeMs` ms, the median call reported. The operands are stored as ours are (A [batch, k, m] when transA,
B [batch, n, k] when transB) and transposed as views, so PyTorch picks its own kernel for the stored layout.
"""
import json
import resource
import statistics
import sys
import time

import torch


def faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(1234)
    rows = []
    for c in spec["cases"]:
        lead = [c["batch"]] if c["batch"] > 1 else []
        a = torch.randn(*lead, *([c["k"], c["m"]] if c["transA"] else [c["m"], c["k"]]))
        b = torch.randn(*lead, *([c["n"], c["k"]] if c["transB"] else [c["k"], c["n"]]))
        op_a = a.transpose(-1, -2) if c["transA"] else a
        op_b = b.transpose(-1, -2) if c["transB"] else b
        # Faults are counted over every call, warm-up included, as bench/kernels.ts counts ours.
        before = faults()
        warmup = 0
        began = time.perf_counter()
        while warmup < spec["warmupIterations"] or (time.perf_counter() - began) * 1000 < spec["warmupTimeMs"]:
            torch.matmul(op_a, op_b)
            warmup += 1
        times = []
        began = time.perf_counter()
        while len(times) < spec["iterations"] or (time.perf_counter() - began) * 1000 < spec["timeMs"]:
            start = time.perf_counter()
            torch.matmul(op_a, op_b)
            times.append((time.perf_counter() - start) * 1000)
        calls = warmup + len(times)
        median = statistics.median(times)
        rows.append({
            "case": c["label"],
            "medianMs": median,
            "faultsPerCall": (faults() - before) / calls,
            "samples": len(times),
        })
    print(json.dumps({"torch": torch.__version__, "threads": spec["threads"], "rows": rows}))


if __name__ == "__main__":
    main()
