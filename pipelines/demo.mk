# pipelines/demo.mk — the demo on real MNIST (make demo), as a Make workflow:
# import → hold out 10,000 for validation → flip 10% of the training labels
# → remove 100 ids → check the counts, that ids survived, and that an
# independent Python reader agrees with the C reader record by record.
# Every intermediate is a dataset stream in out/demo/ that ds-view can show.
#
# Run from the top: make demo (after make data). Variables: SEED, NVAL, NDROP.
SEED  ?= 1
NVAL  ?= 10000
NDROP ?= 100
O      = out/demo
BIN    = bin
PY     = /usr/bin/python3

.PHONY: demo
demo: $(O)/cleaned.ds $(O)/flipped.ds
	@echo "demo: counts (all / train / val / train after removing $(NDROP) ids):" >&2
	@for f in data/mnist-train.ds $(O)/train.ds $(O)/val.ds $(O)/cleaned.ds; do \
		printf '  %-22s %s\n' $$f "$$($(BIN)/ds-view --stats $$f | sed -n 's/^examples //p')" >&2; done
	@$(BIN)/ds-view --csv $(O)/cleaned.ds | tail -n +2 | cut -d, -f1 > $(O)/kept.ids
	@sort -n $(O)/drop.ids $(O)/kept.ids $(O)/val.ids | uniq -d | wc -l | grep -qx 0 || \
		{ echo "demo: an id appears twice across the parts" >&2; exit 1; }
	@cat $(O)/drop.ids $(O)/kept.ids $(O)/val.ids | sort -n | uniq | wc -l | grep -qx 60000 || \
		{ echo "demo: ids lost" >&2; exit 1; }
	@echo "demo: ids intact: dropped + kept + validation = the 60000 original ids" >&2
	@for f in $(O)/train.ds $(O)/val.ds $(O)/cleaned.ds $(O)/noisy.ds $(O)/flipped.ds; do \
		$(PY) tests/py/read_stream.py $$f > $(O)/py.jsonl && $(BIN)/ds-view $$f > $(O)/c.jsonl && \
		cmp -s $(O)/py.jsonl $(O)/c.jsonl || { echo "demo: python disagrees on $$f" >&2; exit 1; }; \
	done
	@echo "demo: python (msgpack + zstandard) agrees record by record on every stream" >&2
	@echo "demo: $$($(BIN)/ds-view --csv $(O)/flipped.ds | tail -n +2 | wc -l) training labels flipped (ids in $(O)/flipped.ds)" >&2

$(O)/train.ds $(O)/val.ds: data/mnist-train.ds
	@mkdir -p $(O)
	$(BIN)/ds-split --val $(NVAL) --seed $(SEED) --val-out $(O)/val.ds -o $(O)/train.ds data/mnist-train.ds
	$(BIN)/ds-view --csv $(O)/val.ds | tail -n +2 | cut -d, -f1 > $(O)/val.ids

$(O)/noisy.ds $(O)/flipped.ds: $(O)/train.ds
	$(BIN)/ds-noise --frac 0.1 --seed $(SEED) --flipped $(O)/flipped.ds -o $(O)/noisy.ds $(O)/train.ds

# NDROP ids drawn from the training part, seeded
$(O)/drop.ids: $(O)/train.ds
	$(BIN)/ds-view --csv $(O)/train.ds | tail -n +2 | cut -d, -f1 | \
		awk -v s=$(SEED) 'BEGIN { srand(s) } { print rand() "\t" $$1 }' | sort -k1,1 | head -n $(NDROP) | cut -f2 > $@

$(O)/cleaned.ds: $(O)/train.ds $(O)/drop.ids
	$(BIN)/ds-remove --strict -i $(O)/drop.ids -o $@ $(O)/train.ds
