# vgpu-model: libvgpu from the command line, for the integration suites (and curious humans).
noinst_PROGRAMS += tests/integration/vgpu-model
tests_integration_vgpu_model_SOURCES = tests/integration/vgpu-model.c
tests_integration_vgpu_model_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS) $(JSONC_CFLAGS)
tests_integration_vgpu_model_LDADD = src/libvgpu.a $(LIBVGPU_LIBS)

# Suites of the library: interop with the real mdevctl; discovery, placement
# and backend-mdev on the simulated host.
lib_suites = \
	tests/integration/lib-mdevctl.bats \
	tests/integration/lib-sim-t4.bats \
	tests/integration/lib-sim-gvtg.bats \
	tests/integration/lib-sim-mixed.bats
TESTS += $(lib_suites)
EXTRA_DIST += $(lib_suites) tests/integration/lib-helpers.bash tests/bench/lib-large.sh
