# plots/bars.gp - clustered bars, one per kernel: migration throughput per node pair, counter comparisons.
do for [ext in "png svg"] {
	load plotdir . "/term.gp"
	if (logy) { set logscale y } else { unset logscale y; set yrange [0:*] }
	set style data histograms
	set style histogram clustered gap 1
	set style fill solid 0.8 border -1
	set boxwidth 0.9
	# up to 40 rotated names below the bars: smaller than the rest, with room
	set xtics rotate by -30 left font "sans,11"
	# below, not over the bars: kernel names are long
	set key below font "sans,12"
	set rmargin 10
	plot for [i = 2:ncols + 1] datafile using i:xtic(1) title columnheader(i)
	unset output
}
