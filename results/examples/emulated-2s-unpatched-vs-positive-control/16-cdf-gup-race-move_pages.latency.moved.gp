# 16-cdf-gup-race-move_pages.latency.moved.gp - variables for plots/cdf.gp, written by migrace export
datafile = '16-cdf-gup-race-move_pages.latency.moved.dat'
outbase = '16-cdf-gup-race-move_pages.latency.moved'
what = 'gup-race: move_pages.latency.moved, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'move_pages.latency.moved (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
