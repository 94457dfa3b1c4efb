# 23-cdf-numa-fault-kernel_side.histograms.all.gp - variables for plots/cdf.gp, written by migrace export
datafile = '23-cdf-numa-fault-kernel_side.histograms.all.dat'
outbase = '23-cdf-numa-fault-kernel_side.histograms.all'
what = 'numa-fault: kernel_side.histograms.all, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'kernel_side.histograms.all (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
