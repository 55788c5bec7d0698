# pipelines/experiment.mk — does cleansing work? The papers' experiment
# (Hara et al. 2019; Suzuki et al. 2021, Fig. 2) as a Make workflow: for
# every seed, split the data (a seed changes the split, the initialisation
# and the batch order), flip NOISE of the training labels, train, cache θ,
# score every training example with every method in METHODS, remove the n
# most harmful for every n in NS and, as the control, n at random, retrain,
# and evaluate on the test set. Then results.csv, a Markdown table (mean ±
# std over seeds, the paired difference to random removal with its 95 %
# t-interval), mislabel detection (AUROC, precision of the top k, the curve
# of flips found against examples inspected) and gnuplot plots.
#
#   make -f pipelines/experiment.mk DATASET=mnist [VAR=value ...] [-j N]
#   make exp DATASET=fashion              (the same from the top Makefile)
#
# Products in $(O) (default out/exp/$(DATASET)):
#   s<seed>/train.ds val.ds flipped.ds    the seed's split, noisy training set
#   s<seed>/base.tr base.cache            the run on all of it, θ cached
#   s<seed>/<method>.scores               every example scored (ds-view)
#   s<seed>/<method>-n<N>.ids .tr .row    the removed ids, the retrained
#                                         run, its line of results.csv
#   s<seed>/random-n<N>.*                 the random-removal control
#   s<seed>/<method>.png .html           the examples the method flagged
#                                         (ds-sheet: the 100 most negative,
#                                         and the largest n of NS)
#   results.csv detection.csv table.md acc.png detect.png
#
# Correct under Make: every product depends on a stamp file holding the
# values of the parameters that change it (stamps/), rewritten only when
# they change, so changing a variable reruns exactly what it affects and a
# second make with the same variables does nothing (make -q says so).
#
# A method is a name: inf-score's (sgd-last-ref, tracin-last, ...) and
# grad-outlier's (oga-l2, loss, ...) are known; any other name M scores with
# the command in SCORE_M, in which $$TRAIN, $$VAL and $$CACHE name the seed's
# training set, validation set and cache, and whose scores stream goes to
# stdout, e.g.  SCORE_if='inf-score --method if --train $$TRAIN --val $$VAL $$CACHE'
# (inf-score methods new to this file work by name with no SCORE_ at all).

P       := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
DATASET ?= mnist
PAPER   ?= 0
ifeq ($(PAPER),1)
# the papers' setup: conv6, batch 32, lr 0.05, 20 epochs, 10,000 held out
# for validation, everything else for training, 10 seeds, clean labels
NTRAIN  ?= all
NVAL    ?= 10000
NET     ?= conv6
BATCH   ?= 32
EPOCHS  ?= 20
LR      ?= 0.05
SCHEDULE ?= const
DROP_LAST ?= 0
AUGMENT ?= none
SEEDS   ?= 1 2 3 4 5 6 7 8 9 10
NS      ?= 0 500 1000 2000 5000 10000
NOISE   ?= 0
O       ?= out/exp/$(DATASET)-paper
endif
# The network of each dataset, and the training subset of CIFAR-10 (its
# CPU cost: docs/recipes.md). The recipe of a dataset and network, trained
# to convergence, comes from pipelines/recipe.sh (docs/recipes.md says how
# it was chosen); any of BATCH LR EPOCHS SCHEDULE DROP_LAST AUGMENT given
# here overrides its part.
NET_cifar10    = conv6
NTRAIN_cifar10 = 5000
# the class pairs of NOISE_KIND=pairs, per dataset: pipelines/recipe.sh
TRAIN_DS ?= data/$(DATASET)-train.ds
TEST_DS  ?= data/$(DATASET)-test.ds
NTRAIN   ?= $(or $(NTRAIN_$(DATASET)),10000)
NVAL     ?= 2000
# symmetric (each flipped label uniformly another class), pairs (PAIRS:
# NOISE of each source class flipped to its pair) or matrix (MATRIX, a
# K x K transition matrix file; NOISE unused)
NOISE_KIND ?= symmetric
NOISE    ?= 0.1
PAIRS    ?= $(shell sh $(P)/recipe.sh --pairs $(DATASET) 2>/dev/null)
MATRIX   ?=
NET      ?= $(or $(NET_$(DATASET)),hara-mnist)
$(foreach v,$(shell sh $(P)/recipe.sh --vars $(DATASET) $(NET)),$(eval RECIPE_$(v)))
BATCH    ?= $(RECIPE_BATCH)
LR       ?= $(RECIPE_LR)
EPOCHS   ?= $(RECIPE_EPOCHS)
# const, step (LR_DECAY per epoch), linear or cosine (to LR_MIN)
SCHEDULE ?= $(RECIPE_SCHEDULE)
LR_DECAY ?= 1
LR_MIN   ?= 0
DROP_LAST ?= $(RECIPE_DROP_LAST)
AUGMENT  ?= $(RECIPE_AUGMENT)
TRAIN_EXTRA ?=
# the epochs the base run traces, whose steps the u-walks (sgd-last, ...)
# go back over: the last TRACE_LAST. Under a decaying schedule the last
# epoch alone runs at a learning rate near 0 and weighs each example by
# where its batch fell; three epochs found more of the flips (docs/recipes.md)
TRACE_LAST ?= 3
TRACE_EPOCHS ?= $(shell e=$(EPOCHS); k=$(TRACE_LAST); [ $$k -gt $$e ] && k=$$e; seq -s, $$((e - k)) $$((e - 1)))
SEEDS    ?= 1 2 3 4 5
NS       ?= 0 100 300 1000
METHODS  ?= sgd-last sgd-last-ref tracin-last loss oga-l2
# the clean-label ceiling: the same recipe on the labels before ds-noise
CEILING  ?= $(if $(filter-out 0 0.0,$(NOISE))$(filter matrix,$(NOISE_KIND)),1,0)
# scratch: retrain from a fresh start on what is left (the papers' Fig. 2);
# last: replay the run and leave the examples out of its last epoch only
# (Hara et al.'s retraining of the last epoch from its start); replay: the
# same batches and initialisation with the examples left out of every epoch
RETRAIN  ?= scratch
O        ?= out/exp/$(DATASET)$(if $(filter-out symmetric,$(NOISE_KIND)),-$(NOISE_KIND))
B        ?= $(patsubst pipelines/../%,%,$(P)/../bin)
PY       ?= /usr/bin/python3
GNUPLOT  ?= gnuplot

GO_METHODS = oga-l2 oga-l1 oga-iforest loss self-confidence margin entropy
STEP_METHODS = sgd sgd-flow sgd-gn counterfactual
CACHE_KEEP ?= $(if $(filter $(STEP_METHODS),$(METHODS)),every-step,final)
TRAIN_OPTS = --net $(NET) --batch $(BATCH) --lr $(LR) --epochs $(EPOCHS) --schedule $(SCHEDULE) \
	$(if $(filter step,$(SCHEDULE)),--lr-decay $(LR_DECAY)) $(if $(filter linear cosine,$(SCHEDULE)),--lr-min $(LR_MIN)) \
	$(if $(filter 1,$(DROP_LAST)),--drop-last) $(if $(filter-out none,$(AUGMENT)),--augment $(AUGMENT)) $(TRAIN_EXTRA)
NOISE_OPTS = $(if $(filter symmetric,$(NOISE_KIND)),--frac $(NOISE),$(if $(filter pairs,$(NOISE_KIND)),--pairs $(PAIRS) --frac $(NOISE),--matrix $(MATRIX)))

ifneq ($(filter random none,$(METHODS)),)
$(error METHODS: 'random' and 'none' are the controls, always run; name scoring methods only)
endif
ifeq ($(filter scratch last replay,$(RETRAIN)),)
$(error RETRAIN=$(RETRAIN): want scratch, last or replay)
endif
ifeq ($(filter symmetric pairs matrix,$(NOISE_KIND)),)
$(error NOISE_KIND=$(NOISE_KIND): want symmetric, pairs or matrix)
endif
ifeq ($(NOISE_KIND)$(PAIRS),pairs)
$(error NOISE_KIND=pairs: no class pairs for $(DATASET); give PAIRS=A:B,...)
endif
ifeq ($(NOISE_KIND)$(MATRIX),matrix)
$(error NOISE_KIND=matrix needs MATRIX=FILE, a K x K transition matrix)
endif
ifneq ($(filter-out 0,$(firstword $(NS))),)
$(error NS must start with 0 (the run without removal))
endif

# the command that scores with method $(1) (stdout: a scores stream)
score_cmd = $(if $(SCORE_$(1)),$(SCORE_$(1)),$(if $(filter $(1),$(GO_METHODS)),\
	$(B)/grad-outlier -q --method $(1) --train $$TRAIN $$CACHE,\
	$(B)/inf-score -q --method $(1) --train $$TRAIN --val $$VAL $$CACHE))
# seconds since $$t0 (date +%s.%N)
secs = awk -v a=$$t0 -v b=$$(date +%s.%N) 'BEGIN { printf "%.1f\n", b - a }'

# ------------------------------------------------------------------ stamps
# $(call stamp,NAME,VALUE): $(O)/stamps/NAME holds VALUE, rewritten (and so
# newer than what depends on it) only when VALUE changed; done while Make
# reads this file, so the stamps are plain files with no rule
stamp = $(shell mkdir -p $(O)/stamps && v='$(strip $(2))' && \
	{ [ -f $(O)/stamps/$(1) ] && [ "$$(cat $(O)/stamps/$(1))" = "$$v" ] || \
	  printf '%s\n' "$$v" > $(O)/stamps/$(1); })
S = $(O)/stamps
ifeq ($(filter clean-exp,$(MAKECMDGOALS)),)
_ := $(call stamp,data,$(TRAIN_DS) ntrain=$(NTRAIN) nval=$(NVAL) noise=$(NOISE_KIND) $(NOISE_OPTS) $(if $(MATRIX),$(shell cksum < $(MATRIX))))
_ := $(call stamp,train,$(TRAIN_OPTS))
_ := $(call stamp,cache,$(CACHE_KEEP) traced=$(TRACE_EPOCHS))
_ := $(call stamp,test,$(TEST_DS))
_ := $(call stamp,retrain,$(RETRAIN) $(if $(filter last,$(RETRAIN)),from epoch $(shell echo $$(($(EPOCHS) - 1)))))
_ := $(call stamp,cells,dataset=$(DATASET) seeds=$(SEEDS) ns=$(NS) methods=$(METHODS) ceiling=$(CEILING))
$(foreach m,$(METHODS),$(eval _ := $(call stamp,method-$(m),$(subst $(B)/,,$(call score_cmd,$(m))))))
endif


# ------------------------------------------------------------------ cells
NPOS   = $(filter-out 0,$(NS))
ARMS   = $(METHODS) random
ROWS   = $(foreach s,$(SEEDS),$(O)/s$(s)/none-n0.row $(if $(filter 1,$(CEILING)),$(O)/s$(s)/ceiling-n0.row) \
	   $(foreach m,$(ARMS),$(foreach n,$(NPOS),$(O)/s$(s)/$(m)-n$(n).row)))
NOISY  = $(filter 1,$(CEILING))
DETS   = $(if $(NOISY),$(foreach s,$(SEEDS),$(foreach m,$(METHODS),$(O)/s$(s)/$(m).detect)))
SHEETS = $(foreach s,$(SEEDS),$(foreach m,$(METHODS),$(O)/s$(s)/$(m).png $(O)/s$(s)/$(m).html))
NCELLS = $(words $(ROWS))
START := $(shell date +%s)

.PHONY: all
.SECONDEXPANSION:
.DELETE_ON_ERROR:
.SECONDARY:
all: $(O)/table.md $(O)/acc.png $(if $(DETS),$(O)/detect.png) $(SHEETS)
	@cat $(O)/table.md >&2
	@echo "experiment: $(O)/results.csv, $(O)/table.md, $(O)/acc.png$(if $(DETS), $(O)/detect.png)" >&2
	@echo "experiment: the flagged examples: $(O)/s$(firstword $(SEEDS))/$(firstword $(METHODS)).png and .html (every seed and method: s<seed>/<method>.png, .html)" >&2

# which cell, how many are left, and when the rest should be done: a row of
# this setting counts as done when it is newer than the stamps every row
# depends on (rows of an older setting are not); the pace is that of the
# rows made since this make started
progress = all=$(NCELLS); st=$$(ls -t $(S)/data $(S)/train $(S)/test $(S)/retrain | head -n 1); \
	have=$$(for f in $(ROWS); do [ $$f -nt $$st ] && echo; done | wc -l); \
	now=$$(find $(O) -name '*.row' -newermt @$(START) 2>/dev/null | wc -l); \
	el=$$(( $$(date +%s) - $(START) )); \
	eta=$$([ $$now -gt 0 ] && echo "about $$(( (el * (all - have) / now + 59) / 60 )) min left" || echo "ETA after the first cell"); \
	echo "experiment: $(DATASET) $(1) [$$have/$$all cells done, $$eta]" >&2

# per seed: the split, the label noise, the training set
$(O)/s%/train.ds: $(TRAIN_DS) $(S)/data
	@mkdir -p $(@D)
	@echo "experiment: $(DATASET) seed $*: split $(NTRAIN) / $(NVAL), $(NOISE_KIND) label noise ($(NOISE_OPTS))" >&2
	$(B)/ds-split -q --val $(NVAL) --seed $* --val-out $(@D)/val.ds -o $(@D)/rest.ds $(TRAIN_DS)
	$(if $(filter all,$(NTRAIN)),mv $(@D)/rest.ds $(@D)/clean.ds,\
	$(B)/ds-split -q --val $(NTRAIN) --seed $* --val-out $(@D)/clean.ds -o /dev/null $(@D)/rest.ds && rm $(@D)/rest.ds)
	$(B)/ds-noise -q $(NOISE_OPTS) --seed $* --flipped $(@D)/flipped.ds -o $@ $(@D)/clean.ds
	@$(B)/ds-view --csv $(@D)/flipped.ds | tail -n +2 | cut -d, -f1 | sort > $(@D)/flipped.txt
$(O)/s%/val.ds $(O)/s%/flipped.ds: $(O)/s%/train.ds ;

# the run on the whole training set, traced in its last epoch, θ cached
$(O)/s%/base.tr: $(O)/s%/train.ds $(S)/train $(S)/cache
	@$(call progress,seed $*: training on all $(NTRAIN))
	@t0=$$(date +%s.%N); \
	$(B)/cnn-train -q $(TRAIN_OPTS) --trace-epochs $(TRACE_EPOCHS) --seed $* $(if $(filter every-step,$(CACHE_KEEP)),--snapshots every) -o $@ $< && \
	$(secs) > $(@D)/base.sec
$(O)/s%/base.cache: $(O)/s%/base.tr $(S)/cache
	$(B)/theta-cache -q --keep $(CACHE_KEEP) -o $@ $<

# scores: one command per method; its time next to it
$(O)/s%.scores: $(S)/method-$$(notdir $$*) $(O)/s$$(dir $$*)base.cache
	@$(call progress,$(subst /, ,$*): scoring)
	@TRAIN=$(dir $@)train.ds VAL=$(dir $@)val.ds CACHE=$(dir $@)base.cache; t0=$$(date +%s.%N); \
	$(call score_cmd,$(notdir $*)) > $@.tmp && mv $@.tmp $@ && \
	$(secs) > $(basename $@).score-sec
# the population the random control draws from (any scores stream of every
# training example does: top-neg --random does not depend on the scores)
$(O)/s%/pop.scores: $(O)/s%/base.cache
	$(B)/grad-outlier -q --method loss --train $(@D)/train.ds -o $@ $<

# the examples a method flagged, with the run's predictions: a contact sheet
# of the 100 most negative and an HTML report of the largest n removed
$(O)/s%/predictions: $(O)/s%/base.tr
	$(B)/cnn-eval -q --trace $< --predictions $@ -o /dev/null $(@D)/train.ds
$(O)/s%.png: $(O)/s%.scores $(O)/s$$(dir $$*)predictions
	$(B)/ds-sheet -q --train $(dir $@)train.ds -k 100 --predictions $(dir $@)predictions \
		$(if $(NOISY),--flipped $(dir $@)flipped.ds) -o $@ $<
$(O)/s%.html: $(O)/s%.scores $(O)/s$$(dir $$*)predictions
	$(B)/ds-sheet -q --train $(dir $@)train.ds -k $(or $(lastword $(NPOS)),100) --html \
		--predictions $(dir $@)predictions $(if $(NOISY),--flipped $(dir $@)flipped.ds) -o $@ $<

# mislabel detection: AUROC, recall of the first 10 %, precision of the
# first k (k = the number flipped), the curve
$(O)/s%.detect: $(O)/s%.scores $(O)/s$$(dir $$*)train.ds
	@$(PY) $(P)/detect.py $< $(dir $@)flipped.ds $(basename $@).curve > $@.tmp && mv $@.tmp $@

# the ids removed: the n most negative, or n at random (seeded by the seed)
$(O)/s%.ids: $$(call ids_src,$$*)
	$(if $(findstring /random-n,$@),\
	$(B)/top-neg -q --random $(call nof,$*) --seed $(call seedof,$*) -o $@ $<,\
	$(B)/top-neg -q -n $(call nof,$*) -o $@ $<)
nof    = $(lastword $(subst -n, ,$(notdir $(1))))
seedof = $(firstword $(subst /, ,$(1)))
methodof = $(patsubst %-n$(call nof,$(1)),%,$(notdir $(1)))
ids_src = $(O)/s$(dir $(1))$(if $(filter random,$(call methodof,$(1))),pop,$(call methodof,$(1))).scores

# retrain without them (RETRAIN), then the row of results.csv
LASTEP = $(shell echo $$(($(EPOCHS) - 1)))
retrain_cmd = $(if $(filter scratch,$(RETRAIN)),\
	$(B)/ds-remove -q -i $(1) $(2) | $(B)/cnn-train -q $(TRAIN_OPTS) --trace-epochs none --seed $(3) -o $(4),\
	$(B)/cnn-train -q $(TRAIN_OPTS) --trace-epochs none --seed $(3) --skip $(1) \
	$(if $(filter last,$(RETRAIN)),--skip-from $(LASTEP)) -o $(4) $(2))
$(O)/s%.tr: $(O)/s%.ids $(S)/train $(S)/retrain
	@$(call progress,$(subst /, ,$*): retraining ($(RETRAIN)))
	@t0=$$(date +%s.%N); \
	$(call retrain_cmd,$<,$(dir $@)train.ds,$(call seedof,$*),$@) && \
	$(secs) > $(basename $@).sec
$(O)/s%/none-n0.tr: $(O)/s%/base.tr
	cp $< $@ && cp $(@D)/base.sec $(@D)/none-n0.sec
# the clean-label ceiling: the same recipe and seed on the labels before
# ds-noise flipped them (clean.ds, made with train.ds)
$(O)/s%/ceiling-n0.tr: $(O)/s%/train.ds $(S)/train
	@$(call progress,seed $*: training on the clean labels (the ceiling))
	@t0=$$(date +%s.%N); \
	$(B)/cnn-train -q $(TRAIN_OPTS) --trace-epochs none --seed $* -o $@ $(@D)/clean.ds && \
	$(secs) > $(@D)/ceiling-n0.sec

$(O)/s%.row: $(O)/s%.tr $(TEST_DS) $(S)/test
	@$(B)/cnn-eval -q --trace $< -o $(basename $@).metrics $(TEST_DS)
	@hits=$$([ -f $(basename $@).ids ] && $(B)/ds-view --csv $(basename $@).ids | tail -n +2 | cut -d, -f1 | \
		sort | comm -12 - $(dir $@)flipped.txt | wc -l || echo 0); \
	$(B)/ds-view --csv $(basename $@).metrics | tail -1 | \
	awk -F, -v d=$(DATASET) -v m=$(call methodof,$*) -v n=$(call nof,$*) -v s=$(call seedof,$*) \
		-v r=$(if $(filter none-n0 ceiling-n0,$(notdir $*)),-,$(RETRAIN)) -v h=$$hits -v sec=$$(cat $(basename $@).sec) \
		'{ printf "%s,%s,%s,%s,%s,%.4f,%.4f,%s,%.1f\n", d, m, n, s, r, $$3, $$2, h, sec }' > $@.tmp && mv $@.tmp $@

# ------------------------------------------------------------------ results
$(O)/results.csv: $(ROWS) $(S)/cells
	@{ echo dataset,method,n,seed,retrain,accuracy,loss,flipped_removed,seconds; cat $(ROWS); } > $@.tmp && mv $@.tmp $@
$(O)/detection.csv: $(DETS) $(S)/cells
	@{ echo dataset,method,seed,auroc,recall_10pct,precision_k,k,score_seconds; \
	for f in $(DETS); do s=$$(basename $$(dirname $$f)); m=$$(basename $$f .detect); \
		printf '%s,%s,%s,%s,%s\n' $(DATASET) $$m $${s#s} "$$(cat $$f)" "$$(cat $${f%.detect}.score-sec)"; done; } > $@.tmp && mv $@.tmp $@
$(O)/table.md $(O)/acc.dat $(O)/plot.gp $(if $(DETS),$(O)/detect.dat) &: $(O)/results.csv $(if $(DETS),$(O)/detection.csv) $(P)/report.py
	@$(PY) $(P)/report.py --title "$(DATASET): $(NET), $(NTRAIN) training images, $(NOISE_KIND) noise ($(NOISE_OPTS)), cnn-train $(strip $(TRAIN_OPTS)), retrain $(RETRAIN), seeds $(SEEDS)" \
		--results $< $(if $(DETS),--detection $(O)/detection.csv --curves "$(patsubst %.detect,%.curve,$(DETS))") --out $(O) > $(O)/table.md.tmp && mv $(O)/table.md.tmp $(O)/table.md
$(O)/acc.png $(if $(DETS),$(O)/detect.png) &: $(O)/acc.dat $(O)/plot.gp $(P)/plots.gp
	@$(GNUPLOT) -e "dir='$(O)'; title='$(DATASET), $(NET), retrain $(RETRAIN)'; det=$(if $(DETS),1,0)" $(P)/plots.gp

.PHONY: clean-exp
clean-exp:
	rm -rf $(O)
