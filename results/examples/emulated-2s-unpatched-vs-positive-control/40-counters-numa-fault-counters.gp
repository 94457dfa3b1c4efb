# 40-counters-numa-fault-counters.gp - variables for plots/hbars.gp, written by migrace export
datafile = '40-counters-numa-fault-counters.dat'
outbase = '40-counters-numa-fault-counters'
what = 'numa-fault: kernel and PMU counters, median of repetitions, relative to run A (the first 40)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'counter'
ylab = 'median / median of run A'
nblocks = 1
ncols = 2
logx = 0
logy = 0
ncols = 2
nrows = 40
load plotdir . '/hbars.gp'
