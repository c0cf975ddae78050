# Reliability suites: crash consistency (chaos.bats driving tests/chaos/vgpu-chaos),
# authorization of every mutating method, concurrency, resource bounds, and
# vgpud under valgrind.
reliability_suites = \
	tests/integration/chaos.bats \
	tests/integration/authz.bats
TESTS += $(reliability_suites)
EXTRA_DIST += $(reliability_suites) tests/chaos/vgpu-chaos
