# plots/heatmap.gp - a value per node pair as a matrix (4 or more sockets); one per kernel.
do for [ext in "png svg"] {
	load plotdir . "/term.gp"
	set size ratio -1
	set xtics 1
	set ytics 1
	set autoscale xfix
	set autoscale yfix
	unset grid
	set palette defined (0 "#f7fbff", 1 "#6baed6", 2 "#08306b")
	set cblabel ylab
	set cbrange [cbmin:cbmax]
	set ylabel "source node"
	plot datafile using 1:2:3 with image notitle, \
	     datafile using 1:2:(strcol(3) eq "NaN" ? "" : sprintf("%.3g", $3)) with labels notitle
	unset output
}
