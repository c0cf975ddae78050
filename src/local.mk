# libvgpu: the host model shared by the daemon, the CLI and the tests.
noinst_LIBRARIES += src/libvgpu.a
src_libvgpu_a_SOURCES = \
	src/macro.h \
	src/log.h src/log.c \
	src/fileio.h src/fileio.c \
	src/attr-cache.h src/attr-cache.c \
	src/strutil.h src/strutil.c src/string-table.h \
	src/parse-util.h src/parse-util.c \
	src/hashmap.h src/hashmap.c \
	src/error.h src/error.c \
	src/uuid.h src/uuid.c \
	src/sysfs.h src/sysfs.c \
	src/attr.h src/attr.c \
	src/vendor-nvidia.h src/vendor-nvidia.c \
	src/vendor-gvtg.h src/vendor-gvtg.c \
	src/vendor.h src/vendor.c \
	src/model.h \
	src/backend-kind.h src/backend-kind.c \
	src/type.h src/type.c \
	src/alias.h src/alias.c \
	src/pci.h src/pci.c src/pci-names.c \
	src/mdev.h src/mdev.c \
	src/host.h src/host-internal.h src/host.c src/host-availability.c src/host-function.c src/host-software.c src/host-uevent.c \
	src/placement.h src/placement.c \
	src/planner.h src/planner.c \
	src/vfio.h src/vfio.c \
	src/json-codec.h src/json-codec.c \
	src/devfile.h src/devfile.c \
	src/driverctl.h src/driverctl.c \
	src/binding.h src/binding.c \
	src/sriov.h src/sriov.c \
	src/sriov-config.h src/sriov-config.c \
	src/backend.h src/backend.c \
	src/backend-mdev.c \
	src/backend-vf.c \
	src/backend-nvidia-vfio.c \
	src/backend-rpc.c \
	src/record.h src/record.c \
	src/store.h src/store.c \
	src/mdevctl.h src/mdevctl.c \
	src/config-file.h src/config-file.c

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

# What vgpud keeps of its scheduling and of libvirt's domains (sched-store.h, assignment.h).
src_libvgpu_a_SOURCES += \
	src/sched-store.h src/sched-store.c \
	src/assignment.h src/assignment.c

# The desired state `vgpuctl apply` reads (libyaml; linked by vgpuctl, its tests and fuzzer only).
src_libvgpu_a_SOURCES += \
	src/desired-state.h src/desired-state.c

src_libvgpu_a_CFLAGS = $(AM_CFLAGS) $(UDEV_CFLAGS) $(JSONC_CFLAGS) $(INIH_CFLAGS) $(LIBXML_CFLAGS) $(YAML_CFLAGS)

# What a program linking libvgpu.a needs besides it.
LIBVGPU_LIBS = $(UDEV_LIBS) $(JSONC_LIBS) $(INIH_LIBS) $(LIBXML_LIBS)

# vgpud.conf(5): the key table of config-file.c, documented (tests/unit/test-config.c checks it).
EXTRA_DIST += man/vgpud.conf.5
