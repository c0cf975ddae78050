# vgpu-model: libvgpu from the command line, for the integration suites (and curious humans).
noinst_PROGRAMS += tests/integration/vgpu-model
tests_integration_vgpu_model_SOURCES = tests/integration/vgpu-model.c
tests_integration_vgpu_model_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS) $(JSONC_CFLAGS)
tests_integration_vgpu_model_LDADD = src/libvgpu.a $(LIBVGPU_LIBS)

# Suites of the library: interop with the real mdevctl.
TESTS += tests/integration/lib-mdevctl.bats
EXTRA_DIST += tests/integration/lib-mdevctl.bats
