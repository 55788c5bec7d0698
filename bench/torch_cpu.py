#!/usr/bin/python3
"""bench/torch_cpu.py -- the PyTorch eager CPU baseline of make bench
(bench/cpu.sh), not part of cleanse and never a dependency of its programs:
the same networks, data and arithmetic as cnn-train and inf-score, timed.

    torch_cpu.py train --net NET --threads T [--epochs E] TRAIN.ds
        plain SGD (lr 0.05, the papers' batch: conv6 32, hara-mnist 64)
        over the dataset stream TRAIN.ds, E epochs. Prints one line:
        "train images_per_s=R seconds=S images=N rss_kib=M". The seconds are
        the epochs only: start-up (importing torch, reading the data,
        building the network) is excluded.
    torch_cpu.py walk --method M --threads T --train TRAIN.ds --val VAL.ds CACHE
        the sgd-last u-walk of inf-score (Suzuki et al.) on the θ_T, batches
        and learning rates of a cleanse cache (theta-cache --keep final),
        M = sgd-last (u <- u - eta (H u + lambda u)), sgd-last-ref
        (u <- u - (eta/|S|)(H u + lambda u)) or tracin-last (u fixed: the
        per-example dots alone, one double backward a step). Prints "walk seconds=S
        steps=K rss_kib=M" (S: u and the walk, start-up and reading the
        cache excluded); --scores FILE writes "id score" lines, the same
        scores inf-score writes (formats/scores.md), to compare with it.

Every stream is read here with msgpack and zstandard, from formats/*.md:
the images exactly as cnn-train sees them (u8 / 255, zero-padded and
centred to the network's input, 28x28 -> 32x32 for conv6), the networks
exactly as lib/nn/net.c defines them (the presets expanded to their layer
lists; batch-norm eps 1e-5, momentum 0.1; max-pool 2x2; He-normal weights,
zero biases; the mean cross-entropy of the batch).

The walk per traced step t, last first, with θ_T fixed: per-example weights
w (ones), L = sum_j w_j l_j / |S_t| (batch-norm on the batch's statistics),
g = dL/dθ with the graph kept, s = <g, u>; one more backward of s gives
H_t u (w.r.t. θ) and <u, grad l_j>/|S_t| (w.r.t. w_j) together. Example j
gains (eta_t/|S_t|) <u, grad l_j>; then u steps. u starts as the gradient
of the mean validation loss, batch-norm in evaluation mode. This is eager
PyTorch as shipped: in torch 1.13 on the CPU the double backward of a
convolution goes through conv_transpose2d's reference loop
(aten::slow_conv_transpose2d, about 70% of a conv6 walk step, measured with
torch.profiler), not oneDNN.
ru_maxrss (KiB) is the whole process's peak, the torch library included."""
import argparse
import resource
import sys
import time

import msgpack
import numpy as np
import torch
import torch.nn.functional as F
import zstandard

PRESETS = {
    "conv6": ("conv:32:3:1,bn,relu,conv:32:3:1,relu,pool,"
              "conv:64:3:1,bn,relu,conv:64:3:1,relu,pool,"
              "conv:128:3:1,bn,relu,conv:128:3:1,relu,pool,affine", 32, 32),
    "hara-mnist": ("conv:20:5:0,relu,pool,conv:20:5:0,relu,pool,affine", 0, 0),
    "linear": ("affine", 0, 0),
}
BATCH = {"conv6": 32, "hara-mnist": 64}
BN_EPS, BN_MOMENTUM = 1e-5, 0.1


def die(msg):
    sys.exit("torch_cpu.py: " + msg)


# ----------------------------------------------------------------- streams

def read_stream(path):
    """(header of the first part, every record) of a cleanse stream."""
    with open(path, "rb") as f:
        raw = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    up = msgpack.Unpacker(raw=False, strict_map_key=False, max_bin_len=1 << 30)
    up.feed(raw)
    header, records, want_header = None, [], True
    for obj in up:
        if want_header:
            if not isinstance(obj, dict) or obj.get("magic") != "cleanse":
                die("%s: not a cleanse stream" % path)
            header = header or obj
            want_header = False
        elif isinstance(obj, dict) and obj.get("end") == "cleanse":
            want_header = True
        else:
            records.append(obj)
    if not want_header:
        die("%s: no trailer (truncated)" % path)
    return header, records


def read_dataset(path, input_shape=None):
    """ids, labels, images (N, C, H, W) float32 as cnn-train sees them."""
    h, recs = read_stream(path)
    if h.get("kind") != "dataset" or h.get("dtype") != "u8":
        die("%s: want a u8 dataset stream" % path)
    c, hh, ww = h["shape"]
    C, H, W = input_shape or (c, hh, ww)
    ids = np.array([r["id"] for r in recs], dtype=np.int64)
    y = np.array([r["y"] for r in recs], dtype=np.int64)
    px = np.frombuffer(b"".join(r["x"] for r in recs), np.uint8).reshape(-1, c, hh, ww)
    x = np.zeros((len(recs), C, H, W), np.float32)
    oy, ox = (H - hh) // 2, (W - ww) // 2
    # u8 / 255 in double, then to f32: lib/nn/data.c's (real)(src / 255.0)
    x[:, :, oy:oy + hh, ox:ox + ww] = (px.astype(np.float64) / 255.0).astype(np.float32)
    return ids, torch.from_numpy(y), torch.from_numpy(x), h["classes"]


# ----------------------------------------------------------------- network

def input_shape(net, c, h, w):
    """lib/nn/net.c's nn_input_shape: conv6 wants at least 32x32"""
    _, ph, pw = PRESETS.get(net, ("", 0, 0))
    return c, max(h, ph), max(w, pw)


def layers(net, c, h, w, classes):
    """lib/nn/net.c's nn_init: the layer list with every parameter's shape, in
    θ's order (per layer its weights, then its biases)."""
    spec = PRESETS[net][0] if net in PRESETS else net
    if net.startswith("mlp:"):
        spec = "affine:%s,relu,affine" % net[4:]
    out = []
    for tok in spec.split(","):
        f = tok.split(":")
        if f[0] == "conv":
            o, k, p = int(f[1]), int(f[2]), int(f[3])
            out.append(("conv", p, [(o, c, k, k), (o,)]))
            c, h, w = o, h + 2 * p - k + 1, w + 2 * p - k + 1
        elif f[0] == "bn":
            out.append(("bn", c, [(c,), (c,)]))
        elif f[0] == "relu":
            out.append(("relu", 0, []))
        elif f[0] == "pool":
            out.append(("pool", 0, []))
            h, w = h // 2, w // 2
        elif f[0] == "gap":
            out.append(("gap", 0, []))
            h = w = 1
        elif f[0] == "affine":
            o = int(f[1]) if len(f) > 1 else classes
            out.append(("affine", 0, [(o, c * h * w), (o,)]))
            c, h, w = o, 1, 1
        else:
            die("unknown layer '%s'" % tok)
    return out


def split_theta(spec, flat):
    """views of a flat θ (lib/params layout) as the layers' tensors"""
    views, at = [], 0
    for _, _, shapes in spec:
        for s in shapes:
            n = int(np.prod(s))
            views.append(flat[at:at + n].view(*s))
            at += n
    if at != flat.numel():
        die("θ has %d values, the network %d" % (flat.numel(), at))
    return views


def split_state(spec, flat):
    """per batch-norm layer its running mean and variance"""
    out, at = [], 0
    for kind, c, _ in spec:
        if kind == "bn":
            out.append((flat[at:at + c], flat[at + c:at + 2 * c]))
            at += 2 * c
    return out


def init_theta(spec, gen):
    """He-normal weights (sd sqrt(2/fan_in)), zero biases, batch-norm γ = 1"""
    ps = []
    for kind, _, shapes in spec:
        for i, s in enumerate(shapes):
            if kind == "bn":
                ps.append(torch.ones(s) if i == 0 else torch.zeros(s))
            elif i == 0:
                fan_in = int(np.prod(s[1:]))
                ps.append(torch.randn(s, generator=gen) * (2.0 / fan_in) ** 0.5)
            else:
                ps.append(torch.zeros(s))
    return ps


def forward(spec, ps, x, mode, state=None):
    """logits; mode "train" (batch statistics; the running ones updated in
    place when state is given) or "eval" (the running statistics)"""
    at, bn = 0, 0
    for kind, p, shapes in spec:
        if kind == "conv":
            x = F.conv2d(x, ps[at], ps[at + 1], padding=p)
        elif kind == "bn":
            rm, rv = state[bn] if state is not None else (None, None)
            x = F.batch_norm(x, rm, rv, ps[at], ps[at + 1], training=mode == "train",
                             momentum=BN_MOMENTUM, eps=BN_EPS)
            bn += 1
        elif kind == "relu":
            x = F.relu(x)
        elif kind == "pool":
            x = F.max_pool2d(x, 2)
        elif kind == "gap":
            x = x.mean((2, 3), keepdim=True)
        elif kind == "affine":
            x = F.linear(x.flatten(1), ps[at], ps[at + 1])
        at += len(shapes)
    return x


def peak_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ----------------------------------------------------------------- phases

def train(a):
    ids, y, x, classes = read_dataset(a.data)
    C, H, W = input_shape(a.net, *x.shape[1:])
    if (C, H, W) != tuple(x.shape[1:]):
        ids, y, x, classes = read_dataset(a.data, (C, H, W))
    spec = layers(a.net, C, H, W, classes)
    gen = torch.Generator().manual_seed(a.seed)
    ps = [p.requires_grad_() for p in init_theta(spec, gen)]
    nbn = sum(1 for k, _, _ in spec if k == "bn")
    state = [(torch.zeros(c), torch.ones(c)) for k, c, _ in spec if k == "bn"]
    assert len(state) == nbn
    opt = torch.optim.SGD(ps, lr=a.lr)
    batch = a.batch or BATCH.get(a.net, 32)
    n = x.shape[0]
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        perm = torch.randperm(n, generator=gen)
        for at in range(0, n, batch):
            idx = perm[at:at + batch]
            loss = F.cross_entropy(forward(spec, ps, x[idx], "train", state), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    sec = time.perf_counter() - t0
    if not torch.isfinite(loss):
        die("training diverged")
    print("train images_per_s=%.1f seconds=%.3f images=%d rss_kib=%d loss=%.4f"
          % (n * a.epochs / sec, sec, n * a.epochs, peak_kib(), loss.item()), flush=True)


def walk(a):
    ch, recs = read_stream(a.cache)
    if ch.get("kind") != "cache":
        die("%s: not a cache stream (theta-cache --keep final)" % a.cache)
    dt = torch.float64 if a.double else torch.float32
    shape = tuple(ch["input"])
    ids, y, x, classes = read_dataset(a.train, shape)
    _, yv, xv, _ = read_dataset(a.val, shape)
    x, xv = x.to(dt), xv.to(dt)
    row = {int(i): r for r, i in enumerate(ids)}
    steps = [r for r in recs if r.get("t") == "step"]
    fin = [r for r in recs if r.get("t") == "theta" and r.get("at") == "final"]
    if not fin or fin[-1].get("enc", "raw") != "raw":
        die("%s: no raw final θ" % a.cache)
    spec = layers(ch["net"], *shape, classes)
    theta = torch.from_numpy(np.frombuffer(fin[-1]["theta"], "<f4").copy()).to(dt)
    st = torch.from_numpy(np.frombuffer(fin[-1]["state"], "<f4").copy()).to(dt)
    ps = [p.requires_grad_() for p in split_theta(spec, theta.clone())]
    state = split_state(spec, st)
    wd = float(ch.get("weight_decay", 0))
    batches = [(torch.tensor([row[int(i)] for i in s["ids"]]), float(s["lr"]), int(s["n"]))
               for s in steps]
    score = torch.zeros(len(ids), dtype=torch.float64)

    t0 = time.perf_counter()
    # u = ∇ of the mean validation loss, batch-norm in evaluation mode
    u = [torch.zeros_like(p) for p in ps]
    nv = xv.shape[0]
    for at in range(0, nv, 256):
        lv = F.cross_entropy(forward(spec, ps, xv[at:at + 256], "eval", state),
                             yv[at:at + 256], reduction="sum") / nv
        for ui, gi in zip(u, torch.autograd.grad(lv, ps)):
            ui += gi
    for idx, lr, n in reversed(batches):
        w = torch.ones(len(idx), dtype=dt, requires_grad=True)
        lj = F.cross_entropy(forward(spec, ps, x[idx], "train"), y[idx], reduction="none")
        g = torch.autograd.grad((w * lj).sum() / n, ps, create_graph=True)
        s = sum((gi * ui).sum() for gi, ui in zip(g, u))
        if a.method == "tracin-last":
            # the dots alone: u does not move
            dw, = torch.autograd.grad(s, [w])
            score[idx] += (lr * dw).double()
            continue
        *hu, dw = torch.autograd.grad(s, ps + [w])
        # dw_j = <u, grad l_j> / n: example j gains (lr / n) <u, grad l_j>
        score[idx] += (lr * dw).double()
        step = lr / n if a.method == "sgd-last-ref" else lr
        with torch.no_grad():
            for ui, hi in zip(u, hu):
                ui.sub_(step * (hi + wd * ui))
    sec = time.perf_counter() - t0
    print("walk seconds=%.3f steps=%d rss_kib=%d" % (sec, len(batches), peak_kib()), flush=True)
    if a.scores:
        with open(a.scores, "w") as f:
            for i, s in zip(ids, score.tolist()):
                f.write("%d %.17g\n" % (i, s))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="phase", required=True)
    t = sub.add_parser("train")
    t.add_argument("data")
    t.add_argument("--net", default="conv6")
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--batch", type=int, default=0, help="default: conv6 32, hara-mnist 64")
    t.add_argument("--lr", type=float, default=0.05)
    t.add_argument("--seed", type=int, default=1)
    w = sub.add_parser("walk")
    w.add_argument("cache")
    w.add_argument("--train", required=True)
    w.add_argument("--val", required=True)
    w.add_argument("--method", default="sgd-last-ref",
                   choices=["sgd-last", "sgd-last-ref", "tracin-last"])
    w.add_argument("--scores", help="write 'id score' lines here")
    w.add_argument("--double", action="store_true", help="compute in float64")
    for q in (t, w):
        q.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    train(a) if a.phase == "train" else walk(a)


if __name__ == "__main__":
    main()
