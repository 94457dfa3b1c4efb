# plots/term.gp - the terminal for `ext` (png or svg), shared by every plot script; loaded per format.
# Fonts are sized for the PNG shown at about 600 pixels wide in the report:
# its own title large, the machine and kernels that every plot of a report
# shares smaller above it.
# A script may set height first (a plot that grows with its rows).
h = exists("height") ? height : 600
if (ext eq "png") {
	set terminal pngcairo size 960,h noenhanced font "sans,15"
} else {
	set terminal svg size 960,h noenhanced dynamic font "sans,15"
}
set output outbase . "." . ext
# A long title gets a smaller font so that it fits the width (a character
# takes about 0.75 of the font's size in pixels): the report's caption
# holds the same text in full.
tsize = int(1400.0 / strlen(what))
tsize = tsize > 16 ? 16 : (tsize < 10 ? 10 : tsize)
psize = int(1250.0 / strlen(ptitle))
psize = psize > 12 ? 12 : (psize < 8 ? 8 : psize)
set title what font sprintf("sans,%d", tsize)
set label 100 ptitle at screen 0.5, screen 1 - 15.0 / h center font sprintf("sans,%d", psize) \
	textcolor rgb "#555555"
set tmargin 4
set xlabel xlab font "sans,15"
set ylabel ylab font "sans,15"
set key font "sans,14"
set grid
