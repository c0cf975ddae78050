# libvgpu: the host model shared by the daemon, the CLI and the tests.
noinst_LIBRARIES += src/libvgpu.a
src_libvgpu_a_SOURCES = \
	src/macro.h \
	src/log.h src/log.c \
	src/fileio.h src/fileio.c

# Scheduling policies and quotas (quota.h, vendor-sched-*.c); libvirt XML
# (libvirt-xml.h writes it, domain-xml.h reads it).
src_libvgpu_a_SOURCES += \
	src/quota.h src/quota.c \
	src/vendor-sched.h \
	src/vendor-sched-generic.c \
	src/vendor-sched-nvidia.c \
	src/vendor-sched-gvtg.c \
	src/vendor-sched-amd.c \
	src/vendor-sched-rpc.c \
	src/xml-util.h \
	src/qemu-device-arg.h src/qemu-device-arg.c \
	src/libvirt-xml.h src/libvirt-xml.c \
	src/domain-xml.h src/domain-xml.c
src_libvgpu_a_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBXML_CFLAGS)

# What a program linking libvgpu.a needs besides it.
LIBVGPU_LIBS = $(JSONC_LIBS) $(LIBXML_LIBS)
