# vgpud, the daemon: a small library of its parts (so unit tests link them)
# and the program.
noinst_LIBRARIES += daemon/libvgpud.a
daemon_libvgpud_a_SOURCES = \
	src/bus-names.h \
	src/bus-dict.h src/bus-dict.c \
	daemon/bus-error.h daemon/bus-error.c \
	daemon/bus-options.h daemon/bus-options.c \
	daemon/auth.h daemon/auth.c \
	daemon/hostop.h daemon/hostop.c \
	daemon/manager.h daemon/manager.c \
	daemon/bus-sync.h daemon/bus-sync.c \
	daemon/gpu.h daemon/gpu.c \
	daemon/instance.h daemon/instance.c \
	daemon/udev-monitor.c \
	daemon/settle.c \
	daemon/operation.h daemon/operation.c \
	daemon/availability.h daemon/availability.c \
	daemon/own-events.h daemon/own-events.c \
	daemon/lifecycle.h daemon/lifecycle.c \
	daemon/apply.h daemon/apply.c \
	daemon/reconcile.c \
	daemon/autostart.c \
	daemon/diagnose.c \
	daemon/sriov-state.h daemon/sriov-state.c \
	daemon/device-binding.h daemon/device-binding.c \
	daemon/bus-manager.c \
	daemon/bus-objects.h daemon/bus-objects.c \
	daemon/bus-gpu.c \
	daemon/bus-instance.c \
	daemon/private-bus.c \
	daemon/rpc.h daemon/rpc.c
# Scheduling quotas and libvirt domains (docs/scheduling.md, docs/libvirt-xml.md).
daemon_libvgpud_a_SOURCES += \
	daemon/sched.h daemon/sched-internal.h daemon/sched.c daemon/bus-sched.c \
	daemon/domains.h daemon/domains.c \
	daemon/libvirt-watch.h daemon/libvirt-watch.c
# -iquote, not -I: daemon/sched.h must not stand in for <sched.h> (which pthread.h includes).
# PKGLIBEXECDIR: where vgpud finds vgpud-libvirt-watch (VGPUD_LIBVIRT_WATCH overrides it in the tests).
daemon_libvgpud_a_CPPFLAGS = $(AM_CPPFLAGS) -iquote $(top_srcdir)/daemon -DPKGLIBEXECDIR='"$(pkglibexecdir)"'
daemon_libvgpud_a_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(UDEV_CFLAGS) $(JSONC_CFLAGS) $(INIH_CFLAGS) \
	$(LIBXML_CFLAGS)

# No libvirt: its domain list comes from vgpud-libvirt-watch, a process of its own (libvirt-watch.h).
# --as-needed drops the libraries of libvgpu parts vgpud does not use.
VGPUD_LIBS = daemon/libvgpud.a daemon/engine/libengine.a src/vfio-user/libvfiouser.a src/libvgpu.a \
	$(SYSTEMD_LIBS) $(UDEV_LIBS) $(JSONC_LIBS) $(INIH_LIBS) $(LIBXML_LIBS) -lpthread

sbin_PROGRAMS += daemon/vgpud
daemon_vgpud_SOURCES = daemon/main.c
daemon_vgpud_CPPFLAGS = $(daemon_libvgpud_a_CPPFLAGS)
daemon_vgpud_CFLAGS = $(daemon_libvgpud_a_CFLAGS)
daemon_vgpud_LDFLAGS = -Wl,--as-needed
daemon_vgpud_LDADD = $(VGPUD_LIBS)

# The reader of libvirt's running domains, spawned by vgpud (/usr/libexec/vgpud/vgpud-libvirt-watch).
pkglibexec_PROGRAMS = daemon/vgpud-libvirt-watch
daemon_vgpud_libvirt_watch_SOURCES = daemon/vgpud-libvirt-watch.c daemon/libvirt-watch.h
daemon_vgpud_libvirt_watch_CPPFLAGS = $(daemon_libvgpud_a_CPPFLAGS)
daemon_vgpud_libvirt_watch_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JSONC_CFLAGS) $(LIBVIRT_CFLAGS) $(LIBXML_CFLAGS)
daemon_vgpud_libvirt_watch_LDFLAGS = -Wl,--as-needed
daemon_vgpud_libvirt_watch_LDADD = src/libvgpu.a $(LIBVIRT_LIBS) $(JSONC_LIBS) $(LIBXML_LIBS)



# Unit tests of the daemon's parts.
daemon_unit_tests = \
	tests/unit/test-bus-error \
	tests/unit/test-bus-dict \
	tests/unit/test-auth \
	tests/unit/test-hostop \
	tests/unit/test-own-events \
	tests/unit/test-bus-sync \
	tests/unit/test-availability \
	tests/unit/test-libvirt-watch
check_PROGRAMS += $(daemon_unit_tests)
TESTS += $(daemon_unit_tests)
DAEMON_UNIT_CPPFLAGS = $(daemon_libvgpud_a_CPPFLAGS)
DAEMON_UNIT_CFLAGS = $(daemon_libvgpud_a_CFLAGS) $(CMOCKA_CFLAGS)
DAEMON_UNIT_LDADD = $(VGPUD_LIBS) $(CMOCKA_LIBS)

tests_unit_test_bus_error_SOURCES = tests/unit/test-bus-error.c tests/unit/unit.h
tests_unit_test_bus_error_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_bus_error_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_bus_error_LDADD = $(DAEMON_UNIT_LDADD)

tests_unit_test_bus_dict_SOURCES = tests/unit/test-bus-dict.c tests/unit/unit.h
tests_unit_test_bus_dict_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_bus_dict_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_bus_dict_LDADD = $(DAEMON_UNIT_LDADD)

tests_unit_test_auth_SOURCES = tests/unit/test-auth.c tests/unit/unit.h
tests_unit_test_auth_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_auth_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_auth_LDADD = $(DAEMON_UNIT_LDADD)

tests_unit_test_hostop_SOURCES = tests/unit/test-hostop.c tests/unit/unit.h
tests_unit_test_hostop_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_hostop_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_hostop_LDADD = $(DAEMON_UNIT_LDADD)

tests_unit_test_own_events_SOURCES = tests/unit/test-own-events.c tests/unit/unit.h
tests_unit_test_own_events_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_own_events_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_own_events_LDADD = $(DAEMON_UNIT_LDADD)

tests_unit_test_bus_sync_SOURCES = tests/unit/test-bus-sync.c tests/unit/unit.h
tests_unit_test_bus_sync_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_bus_sync_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_bus_sync_LDADD = $(DAEMON_UNIT_LDADD)

tests_unit_test_availability_SOURCES = tests/unit/test-availability.c $(FIXTURE_SOURCES)
tests_unit_test_availability_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_availability_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_availability_LDADD = $(DAEMON_UNIT_LDADD)

tests_unit_test_libvirt_watch_SOURCES = tests/unit/test-libvirt-watch.c tests/unit/unit.h
tests_unit_test_libvirt_watch_CPPFLAGS = $(DAEMON_UNIT_CPPFLAGS)
tests_unit_test_libvirt_watch_CFLAGS = $(DAEMON_UNIT_CFLAGS)
tests_unit_test_libvirt_watch_LDADD = $(DAEMON_UNIT_LDADD)

# Integration suites of vgpud and vgpuctl.
TESTS += tests/integration/daemon.bats
EXTRA_DIST += tests/integration/daemon.bats tests/integration/vgpud.bash
check_PROGRAMS += tests/helpers/notify-recv
tests_helpers_notify_recv_SOURCES = tests/helpers/notify-recv.c
check_PROGRAMS += tests/helpers/rpc-guest
tests_helpers_rpc_guest_SOURCES = tests/helpers/rpc-guest.c
tests_helpers_rpc_guest_LDADD = src/vfio-user/libvfiouser.a src/libvgpu.a
TESTS += tests/integration/vgpud-t4.bats
# vgpuctl apply / export on every backend (apply.bash: the checks they share)
TESTS += tests/integration/apply-t4.bats tests/integration/apply-a16.bats tests/integration/apply-gvtg.bats \
	tests/integration/apply-sriov.bats tests/integration/apply-l40s.bats
EXTRA_DIST += tests/integration/apply.bash tests/integration/apply-t4.bats tests/integration/apply-a16.bats \
	tests/integration/apply-gvtg.bats tests/integration/apply-sriov.bats tests/integration/apply-l40s.bats
EXTRA_DIST += tests/integration/vgpud-t4.bats daemon/org.vgpud1.xml
TESTS += tests/integration/vgpud-lifecycle.bats
EXTRA_DIST += tests/integration/vgpud-lifecycle.bats
TESTS += tests/integration/vgpud-gvtg.bats tests/integration/vgpud-mixed.bats
EXTRA_DIST += tests/integration/vgpud-gvtg.bats tests/integration/vgpud-mixed.bats
TESTS += tests/integration/vgpud-large.bats
EXTRA_DIST += tests/integration/vgpud-large.bats
TESTS += tests/integration/vgpud-twoboards.bats
TESTS += tests/integration/vgpud-rpc.bats
EXTRA_DIST += tests/integration/vgpud-rpc.bats
# Scheduling quotas and libvirt integration.
TESTS += tests/integration/vgpud-sched.bats tests/integration/vgpud-sched-gvtg.bats tests/integration/vgpud-hook.bats tests/integration/vgpud-libvirt.bats
EXTRA_DIST += tests/integration/vgpud-sched.bats tests/integration/vgpud-sched-gvtg.bats tests/integration/vgpud-hook.bats tests/integration/vgpud-libvirt.bats
EXTRA_DIST += tests/integration/vgpud-twoboards.bats
TESTS += tests/integration/vgpud-sriov.bats tests/integration/vgpud-nvidia-vfio.bats \
	tests/integration/vgpud-sriov-mixed.bats
EXTRA_DIST += tests/integration/vgpud-sriov.bats tests/integration/vgpud-nvidia-vfio.bats \
	tests/integration/vgpud-sriov-mixed.bats
