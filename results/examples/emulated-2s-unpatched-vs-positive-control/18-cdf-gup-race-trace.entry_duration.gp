# 18-cdf-gup-race-trace.entry_duration.gp - variables for plots/cdf.gp, written by migrace export
datafile = '18-cdf-gup-race-trace.entry_duration.dat'
outbase = '18-cdf-gup-race-trace.entry_duration'
what = 'gup-race: trace.entry_duration, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'trace.entry_duration (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
