# 51-pairs-thp-migrate-results-gbps.gp - variables for plots/bars.gp, written by migrace export
datafile = '51-pairs-thp-migrate-results-gbps.dat'
outbase = '51-pairs-thp-migrate-results-gbps'
what = 'thp-migrate: results gbps per node pair (median of repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'source -> destination node'
ylab = 'gbps (GB/s)'
nblocks = 1
ncols = 2
logx = 0
logy = 0
ncols = 2
nrows = 6
load plotdir . '/bars.gp'
