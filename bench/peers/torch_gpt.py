"""The reference GPT in PyTorch (CPU), the native peer of `npm run bench -- --peers` (bench/peers/torch.ts).

The same model as the TensorFlow.js peer (bench/peers/tfjs-gpt.ts) and src/nn's GPT: token + learned position
embeddings, pre-LayerNorm blocks of causal multi-head attention scaled by 1/sqrt(head_dim) and a GELU (tanh
form) MLP, final LayerNorm, logits through the tied token embedding; mean cross-entropy; the global gradient
norm clipped (clip_grad_norm_), then torch.optim.AdamW. Parameters are plain tensors named as ours, loaded
from our initial weights; batches are ours. Float32, no dropout.

Usage: python3 torch_gpt.py SPEC.json -> one JSON line on stdout (timings, losses, matmul GFLOPS at 512).
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    threads = int(spec["threads"])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    d = spec["dims"]
    V, T, C, H, L, B = d["vocab"], d["context"], d["width"], d["heads"], d["layers"], d["batch"]
    hd = C // H
    blob = open(spec["weights"], "rb").read()
    params = {}
    for w in spec["manifest"]:
        t = torch.frombuffer(bytearray(blob[w["offset"] : w["offset"] + 4 * w["size"]]), dtype=torch.float32)
        params[w["name"]] = t.reshape(w["shape"]).clone().requires_grad_(True)
    opt = spec["optimizer"]
    names = list(params)
    optimizer = torch.optim.AdamW(
        [params[n] for n in names], lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=opt["eps"], weight_decay=opt["weightDecay"]
    )
    eps = opt["layerNormEps"]
    mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
    p = params

    def linear(x, name):
        return F.linear(x, p[name + ".weight"], p.get(name + ".bias"))

    def norm(x, name):
        return F.layer_norm(x, (C,), p[name + ".weight"], p[name + ".bias"], eps)

    def loss_of(inputs, targets):
        x = p["wte.weight"][inputs] + p["wpe.weight"][:T]
        for l in range(L):
            qkv = linear(norm(x, f"blocks.{l}.ln1"), f"blocks.{l}.attn.qkv")
            q, k, v = (t.reshape(B, T, H, hd).transpose(1, 2) for t in qkv.split(C, dim=2))
            att = torch.softmax(q @ k.transpose(-1, -2) * (1 / math.sqrt(hd)) + mask, dim=-1) @ v
            x = x + linear(att.transpose(1, 2).reshape(B, T, C), f"blocks.{l}.attn.proj")
            h = F.gelu(linear(norm(x, f"blocks.{l}.ln2"), f"blocks.{l}.mlp.fc"), approximate="tanh")
            x = x + linear(h, f"blocks.{l}.mlp.proj")
        logits = norm(x, "lnF") @ p["wte.weight"].t()
        return F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T))

    batches = [(torch.tensor(b["inputs"], dtype=torch.long).reshape(B, T), torch.tensor(b["targets"], dtype=torch.long).reshape(B, T)) for b in spec["batches"]]
    losses, times = [], []
    total = spec["warmup"] + spec["steps"]
    for i in range(total):
        inputs, targets = batches[i % len(batches)]
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_of(inputs, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p[n] for n in names], opt["maxGradNorm"])
        optimizer.step()
        value = loss.item()
        elapsed = time.perf_counter() - start
        losses.append(value)
        if i >= spec["warmup"]:
            times.append(elapsed * 1000)

    # The peer's own matmul speed at 512 (float32, these threads): says whether its BLAS is an optimised one.
    a, b = torch.randn(512, 512), torch.randn(512, 512)
    for _ in range(3):
        a @ b
    reps = 20
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    gflops = 2 * 512**3 / ((time.perf_counter() - start) / reps) / 1e9
    print(json.dumps({
        "torch": torch.__version__,
        "threads": threads,
        "params": sum(t.numel() for t in params.values()),
        "medianMs": statistics.median(times),
        "minMs": min(times),
        "steps": len(times),
        "firstLoss": losses[0],
        "lastLoss": losses[-1],
        "losses": losses,
        "matmulGflops512": gflops,
    }))


if __name__ == "__main__":
    main()
