# pipelines/cleanse.mk — the papers' data-cleansing loop on real MNIST, on
# CPU, at reduced scale (make demo):
#
#   train → cache θ_T (Suzuki et al.'s final-only cache) → score every
#   training example by SGD-influence with θ_T (sgd-last) → remove the NREM
#   most negative → retrain; and the controls: no removal, NREM at random.
#   Test accuracy of the three, for each seed in SEEDS.
#
# 10% of the training labels are flipped first (ds-noise), the standard
# benchmark; the report also says how many removed examples were flipped.
# Every intermediate is a stream in $(O) that ds-view shows; the flagged
# examples are drawn by ds-sheet (flagged.png, flagged.html per seed).
SEEDS  ?= 1 2
NTRAIN ?= 10000
NVAL   ?= 5000
NOISE  ?= 0.1
NREM   ?= 500
NET    ?= hara-mnist
TRAIN_OPTS ?= --net $(NET) --batch 64 --lr 0.05 --epochs 4
METHOD ?= sgd-last-ref
O      ?= out/cleanse
B       = bin

.PHONY: cleanse
cleanse: $(foreach s,$(SEEDS),$(O)/report.$(s))
	@echo "cleanse: test accuracy on the 10,000 MNIST test images ($(NET), $(NTRAIN) training images with $(NOISE) label noise, $(METHOD)):" >&2
	@printf '  %-6s %-14s %-22s %-22s\n' seed "no removal" "$(NREM) most negative" "$(NREM) at random" >&2
	@for s in $(SEEDS); do cat $(O)/report.$$s >&2; done
	@awk '{ n++; a += $$2; b += $$3; c += $$6 } END { printf "  %-6s %-14.2f %-22.2f %-22.2f\n", "mean", a / n, b / n, c / n }' $(foreach s,$(SEEDS),$(O)/report.$(s)) >&2
	@echo "cleanse: the flagged examples: $(foreach s,$(SEEDS),$(O)/$(s)/flagged.png $(O)/$(s)/flagged.html)" >&2

$(O)/pool.ds: data/mnist-train.ds
	@mkdir -p $(O)
	$(B)/ds-split -q --val $$(( $(NTRAIN) + $(NVAL) )) --seed 11 --val-out $@ -o /dev/null data/mnist-train.ds

# per seed: split, noise, train, cache, score, remove, retrain, evaluate
$(O)/report.%: $(O)/pool.ds
	@mkdir -p $(O)/$*
	@echo "cleanse: seed $*, step 1/7: split and flip $(NOISE) of the labels" >&2
	$(B)/ds-split -q --val $(NVAL) --seed $* --val-out $(O)/$*/val.ds -o $(O)/$*/clean.ds $<
	$(B)/ds-noise -q --frac $(NOISE) --seed $* --flipped $(O)/$*/flipped.ds -o $(O)/$*/train.ds $(O)/$*/clean.ds
	@echo "cleanse: seed $*, step 2/7: train $(NET) and cache θ_T" >&2
	$(B)/cnn-train -q $(TRAIN_OPTS) --seed $* $(O)/$*/train.ds | $(B)/theta-cache -q -o $(O)/$*/cache
	@echo "cleanse: seed $*, step 3/7: score every training example ($(METHOD))" >&2
	$(B)/inf-score --method $(METHOD) --train $(O)/$*/train.ds --val $(O)/$*/val.ds -o $(O)/$*/scores < $(O)/$*/cache
	@echo "cleanse: seed $*, step 4/7: pick the $(NREM) most negative, and $(NREM) at random" >&2
	$(B)/top-neg -q -n $(NREM) -o $(O)/$*/neg.ids $(O)/$*/scores
	$(B)/top-neg -q --random $(NREM) --seed $* -o $(O)/$*/rand.ids $(O)/$*/scores
	@echo "cleanse: seed $*, step 5/7: retrain three times: no removal, most negative removed, random removed" >&2
	$(B)/cnn-train -q $(TRAIN_OPTS) --seed $* -o $(O)/$*/base.tr $(O)/$*/train.ds
	$(B)/ds-remove -q -i $(O)/$*/neg.ids $(O)/$*/train.ds | $(B)/cnn-train -q $(TRAIN_OPTS) --seed $* -o $(O)/$*/neg.tr
	$(B)/ds-remove -q -i $(O)/$*/rand.ids $(O)/$*/train.ds | $(B)/cnn-train -q $(TRAIN_OPTS) --seed $* -o $(O)/$*/rand.tr
	@echo "cleanse: seed $*, step 6/7: evaluate on the test set" >&2
	@for r in base neg rand; do \
		$(B)/cnn-eval -q --trace $(O)/$*/$$r.tr -o $(O)/$*/$$r.metrics data/mnist-test.ds; \
		$(B)/ds-view $(O)/$*/$$r.metrics | sed -n 2p | sed 's/.*"acc":\([0-9.]*\).*/\1/' > $(O)/$*/$$r.acc; \
	done
	@echo "cleanse: seed $*, step 7/7: the flagged examples, to look at: $(O)/$*/flagged.png, $(O)/$*/flagged.html" >&2
	$(B)/cnn-eval -q --trace $(O)/$*/base.tr --predictions $(O)/$*/pred -o /dev/null $(O)/$*/train.ds
	$(B)/ds-sheet -q --train $(O)/$*/train.ds -k 100 --predictions $(O)/$*/pred \
		--flipped $(O)/$*/flipped.ds -o $(O)/$*/flagged.png $(O)/$*/neg.ids
	$(B)/ds-sheet -q --train $(O)/$*/train.ds -k $(NREM) --predictions $(O)/$*/pred \
		--flipped $(O)/$*/flipped.ds --html -o $(O)/$*/flagged.html $(O)/$*/neg.ids
	@$(B)/ds-view --csv $(O)/$*/flipped.ds | tail -n +2 | cut -d, -f1 | sort > $(O)/$*/flipped.txt
	@$(B)/ds-view --csv $(O)/$*/neg.ids | tail -n +2 | cut -d, -f1 | sort | comm -12 - $(O)/$*/flipped.txt | wc -l > $(O)/$*/neg.hits
	@$(B)/ds-view --csv $(O)/$*/rand.ids | tail -n +2 | cut -d, -f1 | sort | comm -12 - $(O)/$*/flipped.txt | wc -l > $(O)/$*/rand.hits
	@awk -v s=$* -v b=$$(cat $(O)/$*/base.acc) -v n=$$(cat $(O)/$*/neg.acc) -v r=$$(cat $(O)/$*/rand.acc) \
		-v nh=$$(cat $(O)/$*/neg.hits) -v rh=$$(cat $(O)/$*/rand.hits) -v k=$(NREM) \
		'BEGIN { printf "  %-6s %-14.2f %-6.2f (%d/%d flipped)  %-6.2f (%d/%d flipped)\n", s, 100 * b, 100 * n, nh, k, 100 * r, rh, k }' > $@
