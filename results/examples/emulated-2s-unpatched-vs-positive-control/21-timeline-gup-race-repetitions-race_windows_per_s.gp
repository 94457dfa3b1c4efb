# 21-timeline-gup-race-repetitions-race_windows_per_s.gp - variables for plots/timeline.gp, written by migrace export
datafile = '21-timeline-gup-race-repetitions-race_windows_per_s.dat'
outbase = '21-timeline-gup-race-repetitions-race_windows_per_s'
what = 'gup-race: repetitions race_windows_per_s over time, every repetition'
ptitle = 'emulated 2-node QEMU TCG machine (QEMU TCG CPU version 2.5+), emulated timings: 6.1.192-unpatched vs 6.1.192-migrace-positive-control-positive-control'
xlab = 'time (s)'
ylab = 'race_windows_per_s (1/s)'
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
