# vgpu-sim, the simulated GPU host (FUSE sysfs). A check program: built by
# `make check`, never installed; the test environment puts it on PATH.
check_PROGRAMS += tests/sim/vgpu-sim
tests_sim_vgpu_sim_SOURCES = \
	tests/sim/sim-util.h tests/sim/sim-util.c \
	tests/sim/node.h tests/sim/node.c \
	tests/sim/profile.h tests/sim/profile.c \
	tests/sim/sim.h tests/sim/sim.c \
	tests/sim/pci.c tests/sim/driver.c tests/sim/iommu.c tests/sim/sriov.c \
	tests/sim/mdev.c tests/sim/vendor-nvidia.c tests/sim/vendor-gvtg.c tests/sim/vendor-sample.c \
	tests/sim/uevent.c tests/sim/udev-db.c tests/sim/control.c \
	tests/sim/fs.h tests/sim/fs.c \
	tests/sim/runner.h tests/sim/runner.c \
	tests/sim/main.c
# No -I$(top_srcdir)/src: the simulator shares no code with the product.
tests_sim_vgpu_sim_CPPFLAGS = -include $(top_builddir)/config.h -I$(top_srcdir)/tests/sim \
	-DVGPU_SIM_PROFILE_DIR='"$(abs_top_srcdir)/tests/sim/profiles"'
tests_sim_vgpu_sim_CFLAGS = $(AM_CFLAGS) $(FUSE_CFLAGS) $(JSONC_CFLAGS) -pthread
tests_sim_vgpu_sim_LDADD = $(FUSE_LIBS) $(JSONC_LIBS) -lpthread

EXTRA_DIST += tests/sim/profiles
# The probe that measures vgpu-sim against the kernel (tests/vm/kernel/sim-diff.bats).
EXTRA_DIST += tests/vm/probe/sysfs-probe

# Unit tests of the simulator's own building blocks (kernel parsing rules, the tree).
sim_unit_tests = tests/sim/test-sim-util tests/sim/test-sim-node
check_PROGRAMS += $(sim_unit_tests)
TESTS += $(sim_unit_tests)
tests_sim_test_sim_util_SOURCES = tests/sim/test-sim-util.c tests/sim/sim-util.c tests/sim/sim-util.h \
	tests/sim/profile.c tests/sim/profile.h
tests_sim_test_sim_util_CPPFLAGS = $(tests_sim_vgpu_sim_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_sim_test_sim_util_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_sim_test_sim_util_LDADD = $(CMOCKA_LIBS) $(JSONC_LIBS)
tests_sim_test_sim_node_SOURCES = tests/sim/test-sim-node.c tests/sim/node.c tests/sim/node.h \
	tests/sim/sim-util.c tests/sim/sim-util.h
tests_sim_test_sim_node_CPPFLAGS = $(tests_sim_test_sim_util_CPPFLAGS)
tests_sim_test_sim_node_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_sim_test_sim_node_LDADD = $(CMOCKA_LIBS)

# A small libudev client the suites run inside the simulator.
check_PROGRAMS += tests/sim/test-libudev
tests_sim_test_libudev_SOURCES = tests/sim/test-libudev.c
tests_sim_test_libudev_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS)
tests_sim_test_libudev_LDADD = $(UDEV_LIBS)

# bats suites: a "# vgpu-sim: --profile P" header runs the suite inside the simulator.
sim_suites = \
	tests/sim/sim-tools.bats \
	tests/sim/sim-errno.bats \
	tests/sim/sim-control.bats \
	tests/sim/sim-large.bats \
	tests/sim/sim-l40s.bats \
	tests/sim/sim-kernel-samples.bats \
	tests/sim/sim-robust.bats \
	tests/sim/sim-runner.bats
TESTS += $(sim_suites)
EXTRA_DIST += $(sim_suites) tests/sim/sim-helpers.bash tests/bench/sim-large.sh
