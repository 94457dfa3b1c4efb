# runners/installed-names.sed: the names of migrace's programs once installed, for the runners' usage text and the man page.
s#runners/\(vm\|kernel\|run\|repeat\|compare\|publish\|setup\|monitor\|bench-migspeed\|bench-repro\|certify\|kcidb\)\b#migrace-\1#g
s#bench/migrace\b#migrace#g
