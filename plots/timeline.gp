# plots/timeline.gp - a quantity over time, a line per repetition, a colour per kernel (AutoNUMA convergence, gup-race windows and violations).
do for [ext in "png svg"] {
	load plotdir . "/term.gp"
	# below, not beside: kernel names are long and would squeeze the plot
	set key below font "sans,12"
	plot for [i = 1:nblocks] datafile index i - 1 using 1:2 with linespoints lc blockrun[i] \
		pt 7 ps 0.4 lw 1.5 title (blockfirst[i] ? columnheader(1) : "")
	unset output
}
