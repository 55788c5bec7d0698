# pipelines/plots.gp — the plots of pipelines/experiment.mk, drawn from the
# data report.py writes (acc.dat, detect.dat, plot.gp):  gnuplot -e "dir='OUT'; title='T'; det=1" plots.gp
#   dir/acc.png     test accuracy against n removed, mean ± std over seeds,
#                   one line per method and the random control, and the
#                   clean-label ceiling as a dashed line
#   dir/detect.png  fraction of the flipped labels found against the
#                   fraction of the training set inspected (det=1 only)
set terminal pngcairo size 900,600 noenhanced font ",11"
set output dir.'/acc.png'
set title title.': test accuracy against examples removed'
set xlabel 'examples removed (n)'
set ylabel 'test accuracy (%), mean ± std over seeds'
set key outside right top
set grid ytics
load dir.'/plot.gp'
if (ceiling > 0) {
	plot for [i=0:narms-1] dir.'/acc.dat' index i using 1:3:4 \
		with yerrorlines pointsize 0.8 title columnheader(1), \
		ceiling with lines dt 2 lw 2 lc rgb 'black' title 'clean labels (ceiling)'
} else {
	plot for [i=0:narms-1] dir.'/acc.dat' index i using 1:3:4 \
		with yerrorlines pointsize 0.8 title columnheader(1)
}
if (det) {
	set output dir.'/detect.png'
	set title title.': finding the flipped labels'
	set xlabel 'fraction of the training set inspected (most negative first)'
	set ylabel 'fraction of the flipped labels found (mean over seeds)'
	set key inside right bottom
	set xrange [0:1]
	set yrange [0:1]
	set xtics auto
	plot for [i=0:ndet-1] dir.'/detect.dat' index i using 1:2 with lines lw 2 title columnheader(1), \
		x with lines dt 2 lc rgb 'gray' title 'random order'
}
