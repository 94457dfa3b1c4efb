# 02-cdf-gup-race-backends.uring-fixed.latency.racing.gp - variables for plots/cdf.gp, written by migrace export
datafile = '02-cdf-gup-race-backends.uring-fixed.latency.racing.dat'
outbase = '02-cdf-gup-race-backends.uring-fixed.latency.racing'
what = 'gup-race: backends.uring-fixed.latency.racing, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'backends.uring-fixed.latency.racing (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
