# 20-timeline-gup-race-repetitions-race_windows.gp - variables for plots/timeline.gp, written by migrace export
datafile = '20-timeline-gup-race-repetitions-race_windows.dat'
outbase = '20-timeline-gup-race-repetitions-race_windows'
what = 'gup-race: repetitions race_windows over time, every repetition'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'time (s)'
ylab = 'race_windows'
nblocks = 2
ncols = 2
logx = 0
logy = 0
array blockrun[2]
array blockfirst[2]
blockrun[1] = 1
blockfirst[1] = 1
blockrun[2] = 2
blockfirst[2] = 1
load plotdir . '/timeline.gp'
