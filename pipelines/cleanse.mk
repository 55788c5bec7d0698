# pipelines/cleanse.mk — make demo's cleansing run: pipelines/experiment.mk
# on real MNIST at a scale that takes a few minutes on two cores. For each
# seed (a seed changes the split, the initialisation and the batch order):
# flip 10 % of NTRAIN training labels, train hara-mnist, cache θ_T, score
# every example with METHOD (inf-score's default, sgd-last-ref), remove the
# NREM most negative, retrain; the controls: no removal, NREM at random.
# Prints the table: test accuracy over the seeds (mean ± std, and each
# seed's without removal), the paired difference to random removal and to
# no removal with its 95 % t-interval ("within noise" when it contains 0),
# and how well METHOD found the flipped labels; plots in $(O)/, and the
# examples METHOD flagged, to look at (ds-sheet): $(O)/s<seed>/METHOD.png
# (the 100 most negative) and METHOD.html (the NREM removed).
#
# Every product depends on the parameters that change it, so
# make demo NREM=200 METHOD=tracin-last reruns what they change, no more.
NREM   ?= 300
METHOD ?= sgd-last-ref
SEEDS  ?= 1 2 3
NTRAIN ?= 5000
NVAL   ?= 1000
NOISE  ?= 0.1
EPOCHS ?= 3
NET    ?= hara-mnist
O      ?= out/cleanse

.PHONY: cleanse
cleanse:
	@$(MAKE) --no-print-directory -f pipelines/experiment.mk DATASET=mnist O=$(O) \
		NTRAIN=$(NTRAIN) NVAL=$(NVAL) NOISE=$(NOISE) EPOCHS=$(EPOCHS) NET=$(NET) \
		SEEDS="$(SEEDS)" NS="0 $(NREM)" METHODS="$(METHOD)"
