# plots/term.gp - the terminal for `ext` (png or svg), shared by every plot script; loaded per format.
if (ext eq "png") {
	set terminal pngcairo size 1000,600 noenhanced font "sans,10"
} else {
	set terminal svg size 1000,600 noenhanced dynamic font "sans,10"
}
set output outbase . "." . ext
set title what . "\n" . ptitle font "sans,10"
set xlabel xlab
set ylabel ylab
set grid
