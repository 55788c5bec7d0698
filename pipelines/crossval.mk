# pipelines/crossval.mk — out-of-sample predicted probabilities for every
# training example by K-fold cross-validation, and the label issues
# confident learning finds in them (label-issues), as a Make workflow:
# K folds stratified by label (ds-split --folds), K trainings with the
# dataset's recipe (pipelines/recipe.sh), each held-out fold predicted by
# the network that did not see it (cnn-eval --predictions), the K streams
# concatenated (cat), then label-issues. The K trainings run in parallel
# under make -j.
#
#   make -f pipelines/crossval.mk DATASET=mnist N=2000 [VAR=value ...] [-j N]
#   make -f pipelines/crossval.mk TRAIN=noisy.ds FLIPPED=flipped.ds O=DIR ...
#
# Without TRAIN, the training set is made here: N examples of the dataset's
# training set (ds-split, seeded by SEED) with NOISE of their labels flipped
# (NOISE_KIND symmetric or pairs, as in experiment.mk), the flips kept for
# the report. With TRAIN, that dataset as it is (FLIPPED, when given, its
# known flips). The report compares the flagged set with the flips.
#
# Products in $(O) (default out/crossval/$(DATASET)-n$(N)-s$(SEED)):
#   train.ds flipped.ds            the training set and its flips (no TRAIN)
#   f<i>.val.ds f<i>.rest.ds       fold i held out, and the other K - 1
#   f<i>.tr f<i>.pred f<i>.cpu     the network trained on the rest, its
#                                  predictions of fold i, its CPU seconds
#   oos.pred                       the K predictions concatenated: every
#                                  example once, out-of-sample
#   label-issues.scores            label-issues --filter FILTER --rank RANK
#   all.tr all.pred insample.scores  (INSAMPLE=1) the same from one network
#                                  trained on everything, in-sample, to compare
#   report.txt                     AUROC of the scores, the flagged set's
#                                  precision, recall and F1 against the
#                                  flips, the estimated count, CPU seconds
#
# CPU seconds are the trainings' and predictions' user + system time (the
# shell's times), summed over the folds: what cross-validation costs on top
# of scoring.

P       := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
DATASET ?= mnist
NET_cifar10 = conv6
NET     ?= $(or $(NET_$(DATASET)),hara-mnist)
K       ?= 5
SEED    ?= 1
N       ?= 2000
NOISE_KIND ?= symmetric
NOISE   ?= 0.1
PAIRS   ?= $(shell sh $(P)/recipe.sh --pairs $(DATASET) 2>/dev/null)
FILTER  ?= prune_by_noise_rate
RANK    ?= self_confidence
INSAMPLE ?= 1
TRAIN_DS ?= data/$(DATASET)-train.ds
TRAIN   ?=
FLIPPED ?=
THREADS ?=
O       ?= out/crossval/$(DATASET)-n$(N)-s$(SEED)
B       ?= $(patsubst pipelines/../%,%,$(P)/../bin)
PY      ?= /usr/bin/python3
# the recipe (docs/recipes.md); TRAIN_OPTS given here replaces it
TRAIN_OPTS ?= --net $(NET) $(shell sh $(P)/recipe.sh $(DATASET) $(NET))

ifeq ($(filter symmetric pairs,$(NOISE_KIND)),)
$(error NOISE_KIND=$(NOISE_KIND): want symmetric or pairs)
endif
ifneq ($(shell [ "$(K)" -ge 2 ] 2>/dev/null && [ "$(K)" -le 1000 ] && echo ok),ok)
$(error K=$(K): want 2 to 1000 folds)
endif

FOLDS   := $(shell i=0; while [ $$i -lt $(K) ]; do echo $$i; i=$$((i + 1)); done)
DATA    := $(if $(TRAIN),$(TRAIN),$(O)/train.ds)
FLIPS   := $(if $(TRAIN),$(FLIPPED),$(O)/flipped.ds)
NOISE_OPTS = $(if $(filter pairs,$(NOISE_KIND)),--pairs $(PAIRS)) --frac $(NOISE)
THREAD_OPT = $(if $(THREADS),--threads $(THREADS))
# CPU seconds: CPU FILE COMMAND... runs COMMAND and writes them to FILE
CPU = sh $(P)/cpu.sh

# ------------------------------------------------------------------ stamps
# as experiment.mk: $(O)/stamps/NAME holds the parameters a product depends
# on, rewritten only when they change, so a change reruns what it affects
stamp = $(shell mkdir -p $(O)/stamps && v='$(strip $(2))' && \
	{ [ -f $(O)/stamps/$(1) ] && [ "$$(cat $(O)/stamps/$(1))" = "$$v" ] || \
	  printf '%s\n' "$$v" > $(O)/stamps/$(1); })
S = $(O)/stamps
ifeq ($(filter clean-crossval,$(MAKECMDGOALS)),)
_ := $(call stamp,data,$(if $(TRAIN),$(TRAIN),$(TRAIN_DS) n=$(N) seed=$(SEED) $(NOISE_KIND) $(NOISE_OPTS)))
_ := $(call stamp,folds,k=$(K) seed=$(SEED))
_ := $(call stamp,train,$(TRAIN_OPTS) --seed $(SEED))
_ := $(call stamp,issues,--filter $(FILTER) --rank $(RANK))
endif

.PHONY: all clean-crossval
.DELETE_ON_ERROR:
.SECONDARY:
all: $(O)/report.txt
	@cat $<

# the training set: N examples of the dataset, NOISE of their labels flipped
$(O)/train.ds $(O)/flipped.ds &: $(TRAIN_DS) $(S)/data
	@mkdir -p $(@D)
	$(B)/ds-split -q --val $(N) --seed $(SEED) --val-out $(O)/clean.ds -o /dev/null $(TRAIN_DS)
	$(B)/ds-noise -q $(NOISE_OPTS) --seed $(SEED) --flipped $(O)/flipped.ds -o $(O)/train.ds $(O)/clean.ds

# fold i held out, the rest to train on
$(O)/f%.val.ds $(O)/f%.rest.ds: $(DATA) $(S)/data $(S)/folds
	@mkdir -p $(@D)
	$(B)/ds-split -q --folds $(K) --fold $* --seed $(SEED) --val-out $(O)/f$*.val.ds -o $(O)/f$*.rest.ds $(DATA)

# a network per fold, and its predictions of the fold it did not see
$(O)/f%.tr: $(O)/f%.rest.ds $(S)/train
	@echo "crossval: fold $* of $(K): training on $$($(B)/ds-view --stats $< | sed -n 's/^examples //p') examples" >&2
	@$(CPU) $(O)/f$*.train-cpu $(B)/cnn-train -q $(THREAD_OPT) $(TRAIN_OPTS) --seed $(SEED) -o $@ $<
$(O)/f%.pred: $(O)/f%.tr $(O)/f%.val.ds
	@$(CPU) $(O)/f$*.eval-cpu $(B)/cnn-eval -q $(THREAD_OPT) --trace $< --train $(O)/f$*.rest.ds \
		--predictions $@ -o /dev/null $(O)/f$*.val.ds
$(O)/f%.cpu: $(O)/f%.pred
	@awk '{ s += $$1 } END { printf "%.2f\n", s }' $(O)/f$*.train-cpu $(O)/f$*.eval-cpu > $@

# every example predicted once, by a network that did not train on it
$(O)/oos.pred: $(foreach i,$(FOLDS),$(O)/f$(i).pred)
	cat $^ > $@.tmp && mv $@.tmp $@
$(O)/label-issues.scores: $(O)/oos.pred $(DATA) $(S)/issues
	$(B)/label-issues -q --filter $(FILTER) --rank $(RANK) --train $(DATA) -o $@ $<

# the same from one network trained on everything: in-sample probabilities
$(O)/all.tr: $(DATA) $(S)/train
	@echo "crossval: training on all of $(DATA) (in-sample, to compare)" >&2
	@$(CPU) $(O)/all.cpu $(B)/cnn-train -q $(THREAD_OPT) $(TRAIN_OPTS) --seed $(SEED) -o $@ $<
$(O)/all.pred: $(O)/all.tr
	$(B)/cnn-eval -q $(THREAD_OPT) --trace $< --train $(DATA) --predictions $@ -o /dev/null $(DATA)
$(O)/insample.scores: $(O)/all.pred $(S)/issues
	$(B)/label-issues -q --filter $(FILTER) --rank $(RANK) --train $(DATA) -o $@ $<

# one line per set of scores: AUROC of the ranking, recall of the first
# 10 %, precision of the first 5 % (eval_scores.py), then the flagged set
# against the flips (flagged.py), or without flips its size and the
# estimated count; and the CPU seconds
$(O)/report.txt: $(O)/label-issues.scores $(foreach i,$(FOLDS),$(O)/f$(i).cpu) \
		$(if $(filter 1,$(INSAMPLE)),$(O)/insample.scores) $(FLIPS)
	@{ echo "crossval: $(DATA), K=$(K), seed $(SEED), cnn-train $(strip $(TRAIN_OPTS)), label-issues --filter $(FILTER) --rank $(RANK)"; \
	for s in $< $(if $(filter 1,$(INSAMPLE)),$(O)/insample.scores); do \
		if [ $$s = $< ]; then what="out-of-sample ($(K) folds)"; \
			cpu=$$(cat $(foreach i,$(FOLDS),$(O)/f$(i).cpu) | awk '{ s += $$1 } END { printf "%.1f", s }'); \
		else what="in-sample (one network)"; cpu=$$(cat $(O)/all.cpu); fi; \
		if [ -n "$(FLIPS)" ]; then \
			echo "$$what: $$($(PY) $(P)/eval_scores.py detect $$s $(FLIPS)) $$($(PY) $(P)/flagged.py $$s $(FLIPS)) cpu_seconds=$$cpu"; \
		else \
			h=$$($(B)/ds-view --header $$s); \
			echo "$$what: flagged=$$(echo "$$h" | sed 's/.*"flagged":\([0-9]*\).*/\1/') issues=$$(echo "$$h" | sed 's/.*"issues":\([0-9]*\).*/\1/') cpu_seconds=$$cpu"; \
		fi; \
	done; } > $@.tmp && mv $@.tmp $@

clean-crossval:
	rm -rf $(O)
