# bench/if.gp — docs/if.png from out/if/f1.dat (bench/if.sh report):
# F1 of forgetting class 0 against the Hessian subset's size K, per sampler,
# mean ± std over seeds, with the retrained model's F1 as a line.
#   gnuplot -e "dat='out/if/f1.dat'; out='docs/if.png'; tm=0.979; tf=0.901" bench/if.gp
set terminal pngcairo size 1100,460 font ",11"
set output out
set multiplot layout 1,2
set logscale x 2
set xrange [45:1450]
set xtics (64, 256, 1024)
set yrange [0:1.05]
set xlabel "K (examples in the Hessian subset)"
set ylabel "F1 of forgetting class 0 (test set)"
set key bottom right
set grid ytics
do for [ds in "mnist fashion"] {
	set title ds." (hara-mnist, 10,000 training images)"
	t = ds eq "mnist" ? tm : tf
	if (ds eq "mnist") { set key top right at graph 0.98, graph 0.88 } else { set key default; set key bottom right }
	plot "< grep '^".ds." .* random ' ".dat using ($2*0.95):4:5 with yerrorlines lw 2 title "random", \
	     "< grep '^".ds." .* features ' ".dat using 2:4:5 with yerrorlines lw 2 title "features", \
	     "< grep '^".ds." .* logits ' ".dat using ($2*1.05):4:5 with yerrorlines lw 2 title "logits", \
	     t with lines dt 2 lc rgb "black" title "retrained without the class"
}
unset multiplot
