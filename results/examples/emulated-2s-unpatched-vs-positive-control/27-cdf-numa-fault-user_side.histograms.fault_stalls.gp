# 27-cdf-numa-fault-user_side.histograms.fault_stalls.gp - variables for plots/cdf.gp, written by migrace export
datafile = '27-cdf-numa-fault-user_side.histograms.fault_stalls.dat'
outbase = '27-cdf-numa-fault-user_side.histograms.fault_stalls'
what = 'numa-fault: user_side.histograms.fault_stalls, cumulative distribution per kernel (all repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'user_side.histograms.fault_stalls (ns)'
ylab = 'fraction of events <= x'
nblocks = 2
ncols = 2
logx = 1
logy = 0
load plotdir . '/cdf.gp'
