# Tests: cmocka unit tests and bats integration suites, both speaking TAP to
# automake's TAP driver so that every test case is counted (see scripts/check).
TEST_EXTENSIONS = .bats .vm
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
BATS_LOG_DRIVER = $(LOG_DRIVER)
BATS_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/integration/run-bats
AM_TESTS_ENVIRONMENT = . $(top_builddir)/tests/vgpu-test-env;

EXTRA_DIST += tests/vgpu-test-env.in tests/integration/run-bats tests/integration/helpers.bash

unit_tests = \
	tests/unit/test-fileio \
	tests/unit/test-log
check_PROGRAMS += $(unit_tests)
TESTS += $(unit_tests)

UNIT_LDADD = src/libvgpu.a $(LIBVGPU_LIBS) $(CMOCKA_LIBS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(UDEV_CFLAGS) $(JSONC_CFLAGS) $(LIBXML_CFLAGS)

tests_unit_test_fileio_SOURCES = tests/unit/test-fileio.c tests/unit/unit.h
tests_unit_test_fileio_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fileio_LDADD = $(UNIT_LDADD)

tests_unit_test_log_SOURCES = tests/unit/test-log.c
tests_unit_test_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_log_LDADD = $(UNIT_LDADD)
include tests/unit/lib.mk
include tests/integration/lib.mk

TESTS += tests/integration/bus.bats
EXTRA_DIST += tests/integration/bus.bats

# Scheduling quotas and libvirt XML.
unit_tests_quota_xml = \
	tests/unit/test-quota \
	tests/unit/test-qemu-device-arg \
	tests/unit/test-libvirt-xml \
	tests/unit/test-domain-xml
check_PROGRAMS += $(unit_tests_quota_xml)
TESTS += $(unit_tests_quota_xml)

tests_unit_test_quota_SOURCES = tests/unit/test-quota.c tests/unit/unit.h
tests_unit_test_quota_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_quota_LDADD = $(UNIT_LDADD)

tests_unit_test_qemu_device_arg_SOURCES = tests/unit/test-qemu-device-arg.c tests/unit/unit.h
tests_unit_test_qemu_device_arg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qemu_device_arg_LDADD = $(UNIT_LDADD)

tests_unit_test_libvirt_xml_SOURCES = tests/unit/test-libvirt-xml.c tests/unit/unit.h
tests_unit_test_libvirt_xml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_libvirt_xml_LDADD = $(UNIT_LDADD)

tests_unit_test_domain_xml_SOURCES = tests/unit/test-domain-xml.c tests/unit/unit.h
tests_unit_test_domain_xml_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_domain_xml_LDADD = $(UNIT_LDADD)

# vgpu-xml: libvirt-xml.c and domain-xml.c for the bats suites (not installed).
check_PROGRAMS += tests/helpers/vgpu-xml
tests_helpers_vgpu_xml_SOURCES = tests/helpers/vgpu-xml.c
tests_helpers_vgpu_xml_CFLAGS = $(UNIT_CFLAGS)
tests_helpers_vgpu_xml_LDADD = src/libvgpu.a $(LIBVGPU_LIBS)
TESTS += tests/integration/libvirt-xml.bats
EXTRA_DIST += tests/integration/libvirt-xml.bats

# vgpu-sched: quota.c from the command line, for quota.bats (not installed).
check_PROGRAMS += tests/helpers/vgpu-sched
tests_helpers_vgpu_sched_SOURCES = tests/helpers/vgpu-sched.c
tests_helpers_vgpu_sched_CFLAGS = $(UNIT_CFLAGS)
tests_helpers_vgpu_sched_LDADD = src/libvgpu.a $(LIBVGPU_LIBS)
TESTS += tests/integration/quota.bats
EXTRA_DIST += tests/integration/quota.bats
