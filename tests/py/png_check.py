#!/usr/bin/python3
"""png_check.py -- checks of the pictures ds-sheet makes, from the pixels.

    png_check.py sheet SHEET.png DATASET SCALE COLS LINES ID[:FLIP]...
        SHEET is ds-sheet's PNG of DATASET's examples ID... in that order
        (SCALE, COLS and the caption's LINES as it drew them). Each cell's
        image must equal the example's pixels enlarged SCALE times, its
        caption must hold text (dark pixels) where nothing else is, its frame
        orange for an ID marked :1 and grey otherwise, and no cell may be
        left beyond the last.
    png_check.py image PNG DATASET ID
        PNG is example ID of DATASET at its own size, grey as RGB.
    png_check.py find SHOT.png DATASET SCALE ID...
        each example ID, enlarged SCALE times, appears somewhere in the
        screenshot SHOT (within 3 levels per channel): an HTML report that
        did not render, or rendered blank, fails.

The PNG decoder below is written from the PNG specification (8-bit RGB or
RGBA, not interlaced), so no imaging package is needed. Exit 0 if every
check passes, 1 with a message otherwise.
"""
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import read_stream  # noqa: E402
import zstandard  # noqa: E402


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("%s: not a PNG" % path)
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit("%s: want 8-bit RGB(A), not interlaced" % path)
            ch = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev = [], [0] * stride
    for y in range(h):
        f = raw[y * (stride + 1)]
        cur = list(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for x in range(ch, stride):
                cur[x] = (cur[x] + cur[x - ch]) & 255
        elif f == 2:
            cur = [(v + b) & 255 for v, b in zip(cur, prev)]
        elif f == 3:
            for x in range(stride):
                a = cur[x - ch] if x >= ch else 0
                cur[x] = (cur[x] + ((a + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = cur[x - ch] if x >= ch else 0
                b = prev[x]
                c = prev[x - ch] if x >= ch else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                cur[x] = (cur[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(cur)
        prev = cur
    out = np.array(rows, dtype=np.int32)
    return out.reshape(h, w, ch)[:, :, :3]


def examples(path):
    raw = zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), read_across_frames=True).read()
    ex, shape = {}, None
    for header, records, _ in read_stream.parts(raw):
        shape = header["shape"]
        for r in records:
            ex[r["id"]] = np.frombuffer(r["x"], dtype=np.uint8).reshape(shape).astype(np.int32)
    return ex, shape


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def sheet(png, ds, scale, cols, lines, ids):
    im = decode(png)
    ex, (c, h, w) = examples(ds)
    if c != 1:
        fail("sheet check wants 1-channel examples")
    gw, gh, cap = 6, 9, 15                      # lib/show/image.h, tools/ds-sheet.c
    iw, ih = w * scale, h * scale
    cw = max(iw, cap * gw) + 12
    chh = 6 + ih + 6 + lines * gh + 6
    top = 2 * gh + 8
    if len(np.unique(im.reshape(-1, 3), axis=0)) < 3:
        fail("%s: blank (fewer than 3 colours)" % png)
    for q, spec in enumerate(ids):
        i, _, flip = spec.partition(":")
        x0, y0 = 4 + (q % cols) * cw, top + (q // cols) * chh
        ix, iy = x0 + (cw - iw) // 2, y0 + 6
        want = np.kron(ex[int(i)][0], np.ones((scale, scale), dtype=np.int32))
        got = im[iy:iy + ih, ix:ix + iw]
        for k in range(3):
            if not np.array_equal(got[:, :, k], want):
                fail("cell %d (id %s): image differs from the example's pixels" % (q, i))
        frame = tuple(im[iy - 3, ix - 3])
        wantf = (0xE0, 0x80, 0x00) if flip == "1" else (0xB0, 0xB0, 0xB0)
        if frame != wantf:
            fail("cell %d (id %s): frame %s, want %s" % (q, i, frame, wantf))
        capt = im[iy + ih + 6:iy + ih + 6 + lines * gh, x0 + 6:x0 + 6 + cap * gw]
        dark = int((capt.sum(axis=2) < 3 * 128).sum())
        if dark < 40:
            fail("cell %d (id %s): caption has %d dark pixels (no text?)" % (q, i, dark))
    q = len(ids)
    if q % cols:
        x0, y0 = 4 + (q % cols) * cw, top + (q // cols) * chh
        rest = im[y0:y0 + chh, x0:x0 + cw]
        if not (rest == 255).all():
            fail("something drawn after the last cell")
    print("ok: %d cells of %dx%d match their examples" % (len(ids), iw, ih))


def find(png, ds, scale, ids):
    im = decode(png)
    ex, (c, h, w) = examples(ds)
    if len(np.unique(im.reshape(-1, 3), axis=0)) < 3:
        fail("%s: blank (fewer than 3 colours)" % png)
    for i in ids:
        t = np.kron(ex[int(i)][0], np.ones((scale, scale), dtype=np.int32))
        th, tw = t.shape
        g = im[:, :, 1]
        # candidates: where the template's first row's first pixels match
        ys, xs = np.nonzero(np.abs(g[:g.shape[0] - th + 1, :g.shape[1] - tw + 1] - t[0, 0]) <= 3)
        hit = False
        for y, x in zip(ys, xs):
            if (np.abs(im[y:y + th, x:x + tw, :] - t[:, :, None]) <= 3).all():
                hit = True
                break
        if not hit:
            fail("%s: example %s (%dx%d) not found in the screenshot" % (png, i, tw, th))
    print("ok: %d examples found in the screenshot" % len(ids))


def image(png, ds, i):
    im = decode(png)
    ex, _ = examples(ds)
    for k in range(3):
        if not np.array_equal(im[:, :, k], ex[int(i)][0]):
            fail("%s: not the pixels of example %s" % (png, i))


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "image":
        image(a[1], a[2], a[3])
    elif len(a) >= 6 and a[0] == "sheet":
        sheet(a[1], a[2], int(a[3]), int(a[4]), int(a[5]), a[6:])
    elif len(a) >= 4 and a[0] == "find":
        find(a[1], a[2], int(a[3]), a[4:])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
