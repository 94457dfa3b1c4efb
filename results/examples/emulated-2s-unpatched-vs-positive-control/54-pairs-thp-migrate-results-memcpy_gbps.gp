# 54-pairs-thp-migrate-results-memcpy_gbps.gp - variables for plots/bars.gp, written by migrace export
datafile = '54-pairs-thp-migrate-results-memcpy_gbps.dat'
outbase = '54-pairs-thp-migrate-results-memcpy_gbps'
what = 'thp-migrate: results memcpy_gbps per node pair (median of repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'source -> destination node'
ylab = 'memcpy_gbps (GB/s)'
nblocks = 1
ncols = 2
logx = 0
logy = 0
ncols = 2
nrows = 6
load plotdir . '/bars.gp'
