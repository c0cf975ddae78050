# Operating vgpud: doctor, metrics, events, nfd, monitor, the systemd units, man pages,
# completions and the installed tree.
ops_suites = \
	tests/ops/doctor.bats \
	tests/ops/observe.bats \
	tests/ops/monitor.bats \
	tests/ops/docs.bats \
	tests/ops/completion.bats \
	tests/ops/install.bats \
	tests/ops/lint.bats
TESTS += $(ops_suites)
EXTRA_DIST += $(ops_suites) tests/cppcheck.supp .shellcheckrc
