# 04-cdf-gup-race-backends.odirect.latency.baseline.gp - variables for plots/cdf.gp, written by migrace export
datafile = '04-cdf-gup-race-backends.odirect.latency.baseline.dat'
outbase = '04-cdf-gup-race-backends.odirect.latency.baseline'
what = 'gup-race: backends.odirect.latency.baseline, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'backends.odirect.latency.baseline (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
