# 45-cdf-thp-migrate-results_thp_mbind_0-_1_.latency.gp - variables for plots/cdf.gp, written by migrace export
datafile = '45-cdf-thp-migrate-results_thp_mbind_0-_1_.latency.dat'
outbase = '45-cdf-thp-migrate-results_thp_mbind_0-_1_.latency'
what = 'thp-migrate: results[thp mbind 0->1].latency, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'results[thp mbind 0->1].latency (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 0
logy = 0
load plotdir . '/cdf.gp'
