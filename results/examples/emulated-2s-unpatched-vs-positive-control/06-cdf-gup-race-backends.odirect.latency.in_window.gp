# 06-cdf-gup-race-backends.odirect.latency.in_window.gp - variables for plots/cdf.gp, written by migrace export
datafile = '06-cdf-gup-race-backends.odirect.latency.in_window.dat'
outbase = '06-cdf-gup-race-backends.odirect.latency.in_window'
what = 'gup-race: backends.odirect.latency.in_window, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'backends.odirect.latency.in_window (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
