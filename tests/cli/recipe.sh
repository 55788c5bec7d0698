# pipelines/recipe.sh: the recipes docs/recipes.md chose, in one place; the
# workflows take them from it (experiment.mk's training stamp), and an
# option given to make overrides its part only
. "$(dirname "$0")/lib.sh"
R="sh $ROOT/pipelines/recipe.sh"
t_eq "mnist, hara-mnist: docs/recipes.md's cos15-lr0.1" "--batch 64 --lr 0.1 --epochs 15 --schedule cosine --drop-last" "$($R mnist hara-mnist)"
t_eq "fashion, hara-mnist: docs/recipes.md's cos40-lr0.1" "--batch 64 --lr 0.1 --epochs 40 --schedule cosine --drop-last" "$($R fashion hara-mnist)"
t_eq "cifar10, conv6: augmented, 30 epochs" "--batch 32 --lr 0.05 --epochs 30 --schedule cosine --drop-last --augment crop:4,flip" "$($R cifar10 conv6)"
t_eq "--vars: the same as make variables" "BATCH=64 LR=0.1 EPOCHS=15 SCHEDULE=cosine DROP_LAST=1 AUGMENT=none" "$($R --vars mnist hara-mnist)"
t_eq "another dataset or net: mnist's and hara-mnist's" "$($R mnist hara-mnist)" "$($R blobs linear)"
t_ok "--pairs: every source class once, within the 10 classes, for each dataset" \
	"for d in mnist fashion cifar10; do p=\$($R --pairs \$d) && echo \$p | tr , '\\n' | awk -F: '\$1 < 0 || \$1 > 9 || \$2 < 0 || \$2 > 9 || \$1 == \$2 || seen[\$1]++ { exit 1 }' || exit 1; done"
t_eq "--pairs mnist: Patrini et al.'s" "2:7,3:8,5:6,6:5,7:1" "$($R --pairs mnist)"
t_eq "--pairs cifar10: truck->automobile, bird->airplane, deer->horse, cat<->dog" "9:1,2:0,4:7,3:5,5:3" "$($R --pairs cifar10)"
t_fail "--pairs of an unknown dataset" 2 "recipe.sh: no class pairs for 'svhn'*" "$R --pairs svhn"
t_fail "bad usage" 2 "usage: sh pipelines/recipe.sh*" "$R mnist"
gen-data blobs 80 1 > train.ds
gen-data blobs 20 2 > test.ds
t_ok "experiment.mk trains with the recipe of its DATASET and NET, EPOCHS=2 overriding its part" \
	"make -s --no-print-directory -f $ROOT/pipelines/experiment.mk B=$ROOT/bin DATASET=mnist TRAIN_DS=train.ds TEST_DS=test.ds NTRAIN=50 NVAL=20 NET=linear EPOCHS=2 BATCH=8 SEEDS=1 NS=0 METHODS=loss O=o o/s1/base.tr 2>/dev/null && grep -q -- '--net linear --batch 8 --lr 0.1 --epochs 2 --schedule cosine --lr-min 0 --drop-last' o/stamps/train"
t_done
