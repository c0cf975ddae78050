# libvgpu: the host model shared by the daemon, the CLI and the tests.
noinst_LIBRARIES += src/libvgpu.a
src_libvgpu_a_SOURCES = \
	src/macro.h \
	src/log.h src/log.c \
	src/fileio.h src/fileio.c
