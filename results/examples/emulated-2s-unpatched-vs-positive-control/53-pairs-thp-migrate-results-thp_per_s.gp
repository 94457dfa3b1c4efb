# 53-pairs-thp-migrate-results-thp_per_s.gp - variables for plots/bars.gp, written by migrace export
datafile = '53-pairs-thp-migrate-results-thp_per_s.dat'
outbase = '53-pairs-thp-migrate-results-thp_per_s'
what = 'thp-migrate: results thp_per_s per node pair (median of repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'source -> destination node'
ylab = 'thp_per_s (1/s)'
nblocks = 1
ncols = 2
logx = 0
logy = 0
ncols = 2
nrows = 6
load plotdir . '/bars.gp'
