# pipelines/cleanse.mk — make demo's cleansing run: pipelines/experiment.mk
# on real MNIST at a scale that takes a few minutes on two cores. For each
# seed (a seed changes the split, the initialisation and the batch order):
# flip 20 % of the labels of the classes MNIST confuses (the pairs 2->7,
# 3->8, 5<->6, 7->1 of pipelines/recipe.sh; about 1,000 of NTRAIN = 10,000
# training images), train hara-mnist to convergence with its recipe
# (docs/recipes.md), cache θ_T, score every example with METHOD
# (inf-score's default, sgd-last) and with BASELINE (the training loss),
# remove the NREM most negative, retrain; the controls: no removal, NREM
# at random, and the clean-label ceiling (the same training on the labels
# before they were flipped). It is seeds 1-3 of docs/results.md's MNIST
# pair-noise table, with two of its methods.
# Prints the table: test accuracy over the seeds (mean ± std, and each
# seed's without removal), the paired difference to random removal and to
# no removal with its 95 % t-interval ("within noise" when it contains 0),
# the share of the noise's cost won back (gap recovered), and how well
# METHOD found the flipped labels; plots in $(O)/, and the examples METHOD
# flagged, to look at (ds-sheet): $(O)/s<seed>/METHOD.png (the 100 most
# negative) and METHOD.html (the NREM removed).
#
# Every product depends on the parameters that change it, so
# make demo NREM=500 METHOD=tracin-last reruns what they change, no more.
# JOBS runs at once (default: the cores), each program on one thread.
NREM   ?= 1000
METHOD ?= sgd-last
BASELINE ?= loss
SEEDS  ?= 1 2 3
NTRAIN ?= 10000
NVAL   ?= 2000
NOISE_KIND ?= pairs
NOISE  ?= 0.2
NET    ?= hara-mnist
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
O      ?= out/cleanse

.PHONY: cleanse
cleanse:
	@OMP_NUM_THREADS=1 $(MAKE) --no-print-directory -j$(JOBS) -f pipelines/experiment.mk DATASET=mnist O=$(O) \
		NTRAIN=$(NTRAIN) NVAL=$(NVAL) NOISE_KIND=$(NOISE_KIND) NOISE=$(NOISE) NET=$(NET) \
		SEEDS="$(SEEDS)" NS="0 $(NREM)" METHODS="$(METHOD) $(BASELINE)"
