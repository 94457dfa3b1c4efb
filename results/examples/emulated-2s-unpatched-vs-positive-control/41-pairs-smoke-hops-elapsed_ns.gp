# 41-pairs-smoke-hops-elapsed_ns.gp - variables for plots/bars.gp, written by migrace export
datafile = '41-pairs-smoke-hops-elapsed_ns.dat'
outbase = '41-pairs-smoke-hops-elapsed_ns'
what = 'smoke: hops elapsed_ns per node pair (median of repetitions)'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'source -> destination node'
ylab = 'elapsed_ns (ns)'
nblocks = 1
ncols = 2
logx = 0
logy = 0
ncols = 2
nrows = 1
load plotdir . '/bars.gp'
