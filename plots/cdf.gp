# plots/cdf.gp - latency CDFs (hinting faults, pins, moves), one line per kernel; data from migrace export.
do for [ext in "png svg"] {
	load plotdir . "/term.gp"
	if (logx) { set logscale x } else { unset logscale x }
	set yrange [0:1.02]
	set key bottom right
	plot for [i = 0:nblocks - 1] datafile index i using 1:2 with steps lw 2 title columnheader(1)
	unset output
}
