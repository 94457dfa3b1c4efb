# 05-cdf-gup-race-backends.odirect.latency.racing.gp - variables for plots/cdf.gp, written by migrace export
datafile = '05-cdf-gup-race-backends.odirect.latency.racing.dat'
outbase = '05-cdf-gup-race-backends.odirect.latency.racing'
what = 'gup-race: backends.odirect.latency.racing, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'backends.odirect.latency.racing (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
