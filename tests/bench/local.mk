# Benchmarks: built on demand (make tests/bench/bench-client), never part of make check.
EXTRA_PROGRAMS += tests/bench/bench-client
tests_bench_bench_client_SOURCES = tests/bench/bench-client.c
tests_bench_bench_client_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS)
tests_bench_bench_client_LDADD = $(SYSTEMD_LIBS)
EXTRA_DIST += tests/bench/vgpud-large.sh
CLEANFILES += tests/bench/bench-client
