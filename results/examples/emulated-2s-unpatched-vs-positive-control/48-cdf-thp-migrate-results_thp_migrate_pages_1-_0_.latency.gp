# 48-cdf-thp-migrate-results_thp_migrate_pages_1-_0_.latency.gp - variables for plots/cdf.gp, written by migrace export
datafile = '48-cdf-thp-migrate-results_thp_migrate_pages_1-_0_.latency.dat'
outbase = '48-cdf-thp-migrate-results_thp_migrate_pages_1-_0_.latency'
what = 'thp-migrate: results[thp migrate_pages 1->0].latency, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'results[thp migrate_pages 1->0].latency (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
