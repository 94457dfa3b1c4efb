# 31-timeline-numa-fault-timeline-hint_faults_local.gp - variables for plots/timeline.gp, written by migrace export
datafile = '31-timeline-numa-fault-timeline-hint_faults_local.dat'
outbase = '31-timeline-numa-fault-timeline-hint_faults_local'
what = 'numa-fault: timeline hint_faults_local over time, every repetition'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'time (ms)'
ylab = 'hint_faults_local'
nblocks = 10
ncols = 2
logx = 0
logy = 0
array blockrun[10]
array blockfirst[10]
blockrun[1] = 1
blockfirst[1] = 1
blockrun[2] = 1
blockfirst[2] = 0
blockrun[3] = 1
blockfirst[3] = 0
blockrun[4] = 1
blockfirst[4] = 0
blockrun[5] = 1
blockfirst[5] = 0
blockrun[6] = 2
blockfirst[6] = 1
blockrun[7] = 2
blockfirst[7] = 0
blockrun[8] = 2
blockfirst[8] = 0
blockrun[9] = 2
blockfirst[9] = 0
blockrun[10] = 2
blockfirst[10] = 0
load plotdir . '/timeline.gp'
