# Unit tests of libvgpu (src/), one program per module.
lib_unit_tests = \
	tests/unit/test-strutil \
	tests/unit/test-error \
	tests/unit/test-parse-util \
	tests/unit/test-hashmap \
	tests/unit/test-vendor-nvidia \
	tests/unit/test-vendor-gvtg \
	tests/unit/test-host \
	tests/unit/test-alias \
	tests/unit/test-placement \
	tests/unit/test-planner \
	tests/unit/test-store \
	tests/unit/test-json-codec \
	tests/unit/test-mdevctl \
	tests/unit/test-config \
	tests/unit/test-backend-mdev \
	tests/unit/test-sriov
check_PROGRAMS += $(lib_unit_tests)
TESTS += $(lib_unit_tests)

# A sysfs-shaped directory tree for the readers and the host model.
FIXTURE_SOURCES = tests/unit/sysfs-fixture.c tests/unit/sysfs-fixture.h tests/unit/unit.h

tests_unit_test_strutil_SOURCES = tests/unit/test-strutil.c tests/unit/unit.h
tests_unit_test_strutil_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_strutil_LDADD = $(UNIT_LDADD)

tests_unit_test_parse_util_SOURCES = tests/unit/test-parse-util.c tests/unit/unit.h
tests_unit_test_parse_util_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_parse_util_LDADD = $(UNIT_LDADD)

tests_unit_test_hashmap_SOURCES = tests/unit/test-hashmap.c tests/unit/unit.h
tests_unit_test_hashmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hashmap_LDADD = $(UNIT_LDADD)

tests_unit_test_vendor_nvidia_SOURCES = tests/unit/test-vendor-nvidia.c tests/unit/unit.h
tests_unit_test_vendor_nvidia_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vendor_nvidia_LDADD = $(UNIT_LDADD)

tests_unit_test_vendor_gvtg_SOURCES = tests/unit/test-vendor-gvtg.c tests/unit/unit.h
tests_unit_test_vendor_gvtg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vendor_gvtg_LDADD = $(UNIT_LDADD)

tests_unit_test_host_SOURCES = tests/unit/test-host.c $(FIXTURE_SOURCES)
tests_unit_test_host_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_host_LDADD = $(UNIT_LDADD)

tests_unit_test_alias_SOURCES = tests/unit/test-alias.c $(FIXTURE_SOURCES)
tests_unit_test_alias_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_alias_LDADD = $(UNIT_LDADD)

tests_unit_test_placement_SOURCES = tests/unit/test-placement.c $(FIXTURE_SOURCES)
tests_unit_test_placement_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_placement_LDADD = $(UNIT_LDADD)

tests_unit_test_planner_SOURCES = tests/unit/test-planner.c $(FIXTURE_SOURCES)
tests_unit_test_planner_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_planner_LDADD = $(UNIT_LDADD)

tests_unit_test_store_SOURCES = tests/unit/test-store.c tests/unit/unit.h
tests_unit_test_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_LDADD = $(UNIT_LDADD)

tests_unit_test_json_codec_SOURCES = tests/unit/test-json-codec.c tests/unit/unit.h
tests_unit_test_json_codec_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_json_codec_LDADD = $(UNIT_LDADD)

tests_unit_test_mdevctl_SOURCES = tests/unit/test-mdevctl.c tests/unit/unit.h
tests_unit_test_mdevctl_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_mdevctl_LDADD = $(UNIT_LDADD)

tests_unit_test_config_SOURCES = tests/unit/test-config.c tests/unit/unit.h
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LDADD)

tests_unit_test_backend_mdev_SOURCES = tests/unit/test-backend-mdev.c $(FIXTURE_SOURCES)
tests_unit_test_backend_mdev_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_backend_mdev_LDADD = $(UNIT_LDADD)

tests_unit_test_error_SOURCES = tests/unit/test-error.c tests/unit/unit.h
tests_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_error_LDADD = $(UNIT_LDADD)

tests_unit_test_sriov_SOURCES = tests/unit/test-sriov.c $(FIXTURE_SOURCES)
tests_unit_test_sriov_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sriov_LDADD = $(UNIT_LDADD)
# The daemon's scheduler store and domain assignments (libvgpu).
check_PROGRAMS += tests/unit/test-sched-store
TESTS += tests/unit/test-sched-store
tests_unit_test_sched_store_SOURCES = tests/unit/test-sched-store.c tests/unit/unit.h
tests_unit_test_sched_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sched_store_LDADD = $(UNIT_LDADD)

# The desired-state files of vgpuctl apply (libyaml).
check_PROGRAMS += tests/unit/test-desired-state
TESTS += tests/unit/test-desired-state
tests_unit_test_desired_state_SOURCES = tests/unit/test-desired-state.c tests/unit/unit.h
tests_unit_test_desired_state_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_desired_state_LDADD = $(UNIT_LDADD) $(YAML_LIBS)
