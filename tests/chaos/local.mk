# Reliability suites: crash consistency (chaos.bats driving tests/chaos/vgpu-chaos),
# authorization of every mutating method, concurrency, resource bounds, and
# vgpud under valgrind.
reliability_suites = \
	tests/integration/chaos.bats \
	tests/integration/authz.bats \
	tests/integration/concurrency.bats \
	tests/integration/valgrind.bats \
	tests/integration/limits.bats
TESTS += $(reliability_suites)
EXTRA_DIST += $(reliability_suites) tests/chaos/vgpu-chaos

# vgpud-nosan: vgpud built from the same sources without the sanitizers (which
# cannot run under valgrind), for valgrind.bats. Not installed.
check_PROGRAMS += tests/chaos/vgpud-nosan
tests_chaos_vgpud_nosan_SOURCES = $(daemon_vgpud_SOURCES) $(daemon_libvgpud_a_SOURCES) $(src_libvgpu_a_SOURCES) \
	$(daemon_engine_libengine_a_SOURCES) $(src_vfio_user_libvfiouser_a_SOURCES)
tests_chaos_vgpud_nosan_CPPFLAGS = $(daemon_libvgpud_a_CPPFLAGS)
tests_chaos_vgpud_nosan_CFLAGS = -std=gnu11 $(WARN_CFLAGS) $(SYSTEMD_CFLAGS) $(UDEV_CFLAGS) $(JSONC_CFLAGS) \
	$(INIH_CFLAGS) $(LIBXML_CFLAGS) $(YAML_CFLAGS)
tests_chaos_vgpud_nosan_LDFLAGS =
tests_chaos_vgpud_nosan_LDADD = $(SYSTEMD_LIBS) $(LIBVGPU_LIBS) $(YAML_LIBS) -lpthread

# bus-flood: a hostile D-Bus client for limits.bats.
check_PROGRAMS += tests/chaos/bus-flood
tests_chaos_bus_flood_SOURCES = tests/chaos/bus-flood.c
tests_chaos_bus_flood_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS)
tests_chaos_bus_flood_LDADD = $(SYSTEMD_LIBS)

# bus-regroup: a client whose groups change after it connected, for authz.bats.
check_PROGRAMS += tests/chaos/bus-regroup
tests_chaos_bus_regroup_SOURCES = tests/chaos/bus-regroup.c
tests_chaos_bus_regroup_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS)
tests_chaos_bus_regroup_LDADD = $(SYSTEMD_LIBS)
