#!/usr/bin/env python3
"""bench/torch_conv6.py -- a comparison baseline for make bench-gpu, not part
of cleanse: the papers' conv6 (3 x [conv3 -> bn -> relu -> conv3 -> relu ->
maxpool2], 32/64/128 channels, affine 2048 -> 10) trained by plain SGD
(lr 0.05, batch 32, no momentum, no weight decay) in PyTorch eager mode,
with the whole training set on the GPU, as cnn-train does it.

Prints one line per epoch ("epoch E: S s, loss L") and a summary line
("torch: ... median epoch S s ... peak memory M MiB"). --fp32 turns off
TF32 and asks cuDNN for deterministic algorithms: the arithmetic cnn-train
uses. Without --idx the images are random (the timing does not depend on
the values; the note says so)."""
import argparse
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv6():
    layers, cin = [], 1
    for c in (32, 64, 128):
        layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(),
                   nn.Conv2d(c, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        cin = c
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(128 * 4 * 4, 10))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--n", type=int, default=50000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--idx", help="folder with MNIST's train-images-idx3-ubyte and train-labels-idx1-ubyte")
    p.add_argument("--fp32", action="store_true", help="no TF32, deterministic cuDNN")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    if a.fp32:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    dev = torch.device("cuda")
    if a.idx:
        img = np.fromfile(os.path.join(a.idx, "train-images-idx3-ubyte"), np.uint8, offset=16)
        lab = np.fromfile(os.path.join(a.idx, "train-labels-idx1-ubyte"), np.uint8, offset=8)
        img = torch.from_numpy(img.reshape(-1, 28, 28)[: a.n].astype(np.float32) / 255)
        lab = torch.from_numpy(lab[: a.n].astype(np.int64))
        what = "MNIST"
    else:
        img = torch.rand(a.n, 28, 28)
        lab = torch.randint(0, 10, (a.n,))
        what = "random images (no --idx)"
    x = torch.zeros(img.shape[0], 1, 32, 32)
    x[:, 0, 2:30, 2:30] = img       # zero-padded, centred, as cnn-train does
    x, y = x.to(dev), lab.to(dev)
    n = x.shape[0]
    model = conv6().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    times = []
    t_all = time.perf_counter()
    for e in range(a.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=dev)
        total = torch.zeros((), device=dev)
        for at in range(0, n, a.batch):
            idx = perm[at:at + a.batch]
            loss = F.cross_entropy(model(x[idx]), y[idx], reduction="sum") / idx.numel()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * idx.numel()
        L = total.item() / n              # waits for the GPU
        times.append(time.perf_counter() - t0)
        print(f"epoch {e + 1}: {times[-1]:.2f} s, loss {L:.4f}", flush=True)
    wall = time.perf_counter() - t_all
    peak = torch.cuda.max_memory_allocated() / 2**20
    print(f"torch {torch.__version__} cuDNN {torch.backends.cudnn.version()} "
          f"({'fp32 deterministic' if a.fp32 else 'defaults: TF32 allowed'}) on "
          f"{torch.cuda.get_device_name()}, {what}: {a.epochs} epochs in {wall:.1f} s, "
          f"median epoch {statistics.median(times):.2f} s, "
          f"peak memory allocated {peak:.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
