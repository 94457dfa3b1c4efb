# 49-pairs-thp-migrate-memcpy-gbps.gp - variables for plots/bars.gp, written by migrace export
datafile = '49-pairs-thp-migrate-memcpy-gbps.dat'
outbase = '49-pairs-thp-migrate-memcpy-gbps'
what = 'thp-migrate: memcpy gbps per node pair (median of repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'source -> destination node'
ylab = 'gbps (GB/s)'
nblocks = 1
ncols = 2
logx = 0
logy = 0
ncols = 2
nrows = 2
load plotdir . '/bars.gp'
