# Benchmarks: built on demand (make tests/bench/bench-client), never part of make check.
EXTRA_PROGRAMS += tests/bench/bench-client
tests_bench_bench_client_SOURCES = tests/bench/bench-client.c
tests_bench_bench_client_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS)
tests_bench_bench_client_LDADD = $(SYSTEMD_LIBS)
EXTRA_DIST += tests/bench/vgpud-large.sh tests/bench/vgpud-sriov.sh tests/bench/vm-mdev-bench tests/bench/rpc-qemu-bench
CLEANFILES += tests/bench/bench-client

# Benchmarks: built with the rest (so they never rot), run by hand or with
# tests/bench/run-engine-bench, never by `make check`.
noinst_PROGRAMS += tests/bench/bench-engine
tests_bench_bench_engine_SOURCES = tests/bench/bench-engine.c
tests_bench_bench_engine_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon/engine
tests_bench_bench_engine_LDADD = $(ENGINE_LIBS) -lm
EXTRA_DIST += tests/bench/run-engine-bench
