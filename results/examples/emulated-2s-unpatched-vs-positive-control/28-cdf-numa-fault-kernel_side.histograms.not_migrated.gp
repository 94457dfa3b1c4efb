# 28-cdf-numa-fault-kernel_side.histograms.not_migrated.gp - variables for plots/cdf.gp, written by migrace export
datafile = '28-cdf-numa-fault-kernel_side.histograms.not_migrated.dat'
outbase = '28-cdf-numa-fault-kernel_side.histograms.not_migrated'
what = 'numa-fault: kernel_side.histograms.not_migrated, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'kernel_side.histograms.not_migrated (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 0
logy = 0
load plotdir . '/cdf.gp'
