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
# Every intermediate is a stream in $(O) that ds-view shows.
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

$(O)/pool.ds: data/mnist-train.ds
	@mkdir -p $(O)
	$(B)/ds-split -q --val $$(( $(NTRAIN) + $(NVAL) )) --seed 11 --val-out $@ -o /dev/null data/mnist-train.ds

# per seed: split, noise, train, cache, score, remove, retrain, evaluate
$(O)/report.%: $(O)/pool.ds
	@mkdir -p $(O)/$*
	$(B)/ds-split -q --val $(NVAL) --seed $* --val-out $(O)/$*/val.ds -o $(O)/$*/clean.ds $<
	$(B)/ds-noise -q --frac $(NOISE) --seed $* --flipped $(O)/$*/flipped.ds -o $(O)/$*/train.ds $(O)/$*/clean.ds
	$(B)/cnn-train -q $(TRAIN_OPTS) --seed $* $(O)/$*/train.ds | $(B)/theta-cache -q -o $(O)/$*/cache
	$(B)/inf-score --method $(METHOD) --train $(O)/$*/train.ds --val $(O)/$*/val.ds -o $(O)/$*/scores < $(O)/$*/cache
	$(B)/top-neg -q -n $(NREM) -o $(O)/$*/neg.ids $(O)/$*/scores
	$(B)/top-neg -q --random $(NREM) --seed $* -o $(O)/$*/rand.ids $(O)/$*/scores
	$(B)/cnn-train -q $(TRAIN_OPTS) --seed $* -o $(O)/$*/base.tr $(O)/$*/train.ds
	$(B)/ds-remove -q -i $(O)/$*/neg.ids $(O)/$*/train.ds | $(B)/cnn-train -q $(TRAIN_OPTS) --seed $* -o $(O)/$*/neg.tr
	$(B)/ds-remove -q -i $(O)/$*/rand.ids $(O)/$*/train.ds | $(B)/cnn-train -q $(TRAIN_OPTS) --seed $* -o $(O)/$*/rand.tr
	@for r in base neg rand; do \
		$(B)/cnn-eval -q --trace $(O)/$*/$$r.tr -o $(O)/$*/$$r.metrics data/mnist-test.ds; \
		$(B)/ds-view $(O)/$*/$$r.metrics | sed -n 2p | sed 's/.*"acc":\([0-9.]*\).*/\1/' > $(O)/$*/$$r.acc; \
	done
	@$(B)/ds-view --csv $(O)/$*/flipped.ds | tail -n +2 | cut -d, -f1 | sort > $(O)/$*/flipped.txt
	@$(B)/ds-view --csv $(O)/$*/neg.ids | tail -n +2 | cut -d, -f1 | sort | comm -12 - $(O)/$*/flipped.txt | wc -l > $(O)/$*/neg.hits
	@$(B)/ds-view --csv $(O)/$*/rand.ids | tail -n +2 | cut -d, -f1 | sort | comm -12 - $(O)/$*/flipped.txt | wc -l > $(O)/$*/rand.hits
	@awk -v s=$* -v b=$$(cat $(O)/$*/base.acc) -v n=$$(cat $(O)/$*/neg.acc) -v r=$$(cat $(O)/$*/rand.acc) \
		-v nh=$$(cat $(O)/$*/neg.hits) -v rh=$$(cat $(O)/$*/rand.hits) -v k=$(NREM) \
		'BEGIN { printf "  %-6s %-14.2f %-6.2f (%d/%d flipped)  %-6.2f (%d/%d flipped)\n", s, 100 * b, 100 * n, nh, k, 100 * r, rh, k }' > $@
