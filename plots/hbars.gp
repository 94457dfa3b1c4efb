# plots/hbars.gp - horizontal clustered bars, one per kernel, a row per name: kernel and PMU counters (up to 40 long names).
# Rows rather than columns: long counter names stay level and legible, and
# the plot grows with their number.
height = 230 + 26 * nrows
do for [ext in "png svg"] {
	load plotdir . "/term.gp"
	# the names take the left: the title is centred on the whole width instead of the plot's
	unset title
	set label 101 what at screen 0.5, screen 1 - 45.0 / h center font sprintf("sans,%d", tsize)
	set tmargin 5
	base = logy ? 1 : 0
	# decades in a narrow plot: every third, as 1e3, so that the numbers do not run together
	if (logy) { set logscale x; set xtics 1000 font "sans,12"; set format x "1e%T" } \
	else { unset logscale x; set xrange [0:*]; set xtics font "sans,12" }
	# the first row on top, each kernel's bar in key order below it
	set yrange [nrows - 0.4:-0.6]
	set ytics font "sans,12" nomirror
	set xlabel ylab
	set ylabel ""
	set style fill solid 0.8 border -1
	# the first line names the columns, for the row names too
	set key autotitle columnheader
	# under the names, where there is room: below the plot's narrow width it would not fit
	set key at screen 0.02, screen 0.01 left bottom vertical Left reverse font "sans,12"
	w = 0.8 / ncols
	plot for [i = 2:ncols + 1] datafile using (column(i)):($0 - 0.4 + (i - 1.5) * w): \
		(base):(column(i)):($0 - 0.4 + (i - 2) * w):($0 - 0.4 + (i - 1) * w) \
		with boxxyerror title columnheader(i), \
		datafile using (NaN):($0):ytic(1) with points notitle
	unset output
}
