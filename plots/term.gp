# plots/term.gp - the terminal for `ext` (png or svg), shared by every plot script; loaded per format.
# Fonts are sized for the PNG shown at about 600 pixels wide in the report:
# its own title large, the machine and kernels that every plot of a report
# shares smaller above it.
if (ext eq "png") {
	set terminal pngcairo size 960,600 noenhanced font "sans,15"
} else {
	set terminal svg size 960,600 noenhanced dynamic font "sans,15"
}
set output outbase . "." . ext
set title what font "sans,16"
set label 100 ptitle at screen 0.5, screen 0.975 center font "sans,12" textcolor rgb "#555555"
set tmargin 4
set xlabel xlab font "sans,15"
set ylabel ylab font "sans,15"
set key font "sans,14"
set grid
