# The engine's integration tests: engine-test-server hosts real instances
# through the engine API on temporary sockets; cmocka programs drive them with
# the vfio-user client library as a guest (and a hostile guest) would.
check_PROGRAMS += tests/engine/engine-test-server
tests_engine_engine_test_server_SOURCES = tests/engine/engine-test-server.c
tests_engine_engine_test_server_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon/engine
tests_engine_engine_test_server_LDADD = $(ENGINE_LIBS)

noinst_LIBRARIES += tests/engine/libharness.a
tests_engine_libharness_a_SOURCES = tests/engine/harness.h tests/engine/harness.c tests/engine/common.h

engine_tests = \
	tests/engine/test-engine-protocol \
	tests/engine/test-engine-workload \
	tests/engine/test-engine-malicious \
	tests/engine/test-engine-quota \
	tests/engine/test-engine-qemu
check_PROGRAMS += $(engine_tests)
TESTS += $(engine_tests)

ENGINE_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit -I$(top_srcdir)/tests/engine
ENGINE_TEST_LDADD = tests/engine/libharness.a src/vfio-user/libvfiouser.a src/libvgpu.a $(CMOCKA_LIBS) -lpthread

tests_engine_test_engine_protocol_SOURCES = tests/engine/test-engine-protocol.c
tests_engine_test_engine_protocol_CPPFLAGS = $(ENGINE_TEST_CPPFLAGS)
tests_engine_test_engine_protocol_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_engine_test_engine_protocol_LDADD = $(ENGINE_TEST_LDADD)

tests_engine_test_engine_workload_SOURCES = tests/engine/test-engine-workload.c
tests_engine_test_engine_workload_CPPFLAGS = $(ENGINE_TEST_CPPFLAGS)
tests_engine_test_engine_workload_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_engine_test_engine_workload_LDADD = $(ENGINE_TEST_LDADD)

tests_engine_test_engine_malicious_SOURCES = tests/engine/test-engine-malicious.c
tests_engine_test_engine_malicious_CPPFLAGS = $(ENGINE_TEST_CPPFLAGS)
tests_engine_test_engine_malicious_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_engine_test_engine_malicious_LDADD = $(ENGINE_TEST_LDADD)

tests_engine_test_engine_quota_SOURCES = tests/engine/test-engine-quota.c
tests_engine_test_engine_quota_CPPFLAGS = $(ENGINE_TEST_CPPFLAGS)
tests_engine_test_engine_quota_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_engine_test_engine_quota_LDADD = $(ENGINE_TEST_LDADD)

# QEMU's own vfio-user client (tests/vm/qemu-root) against the engine, driven through qtest.
tests_engine_test_engine_qemu_SOURCES = tests/engine/test-engine-qemu.c
tests_engine_test_engine_qemu_CPPFLAGS = $(ENGINE_TEST_CPPFLAGS)
tests_engine_test_engine_qemu_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_engine_test_engine_qemu_LDADD = $(ENGINE_TEST_LDADD)
EXTRA_DIST += tests/vm/qemu-root

# Unit tests of the vfio-user layer and the engine's modules (sources in tests/unit/).
engine_unit_tests = \
	tests/unit/test-vfu-codec \
	tests/unit/test-vfu-caps \
	tests/unit/test-vfu-transport \
	tests/unit/test-dma-map \
	tests/unit/test-cmd-parser \
	tests/unit/test-scheduler \
	tests/unit/test-pci-config
check_PROGRAMS += $(engine_unit_tests)
TESTS += $(engine_unit_tests)

ENGINE_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon/engine
ENGINE_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
ENGINE_UNIT_LDADD = $(ENGINE_LIBS) $(CMOCKA_LIBS)

tests_unit_test_vfu_codec_SOURCES = tests/unit/test-vfu-codec.c
tests_unit_test_vfu_codec_CFLAGS = $(ENGINE_UNIT_CFLAGS)
tests_unit_test_vfu_codec_LDADD = $(ENGINE_UNIT_LDADD)
tests_unit_test_vfu_caps_SOURCES = tests/unit/test-vfu-caps.c
tests_unit_test_vfu_caps_CFLAGS = $(ENGINE_UNIT_CFLAGS)
tests_unit_test_vfu_caps_LDADD = $(ENGINE_UNIT_LDADD)
tests_unit_test_vfu_transport_SOURCES = tests/unit/test-vfu-transport.c
tests_unit_test_vfu_transport_CFLAGS = $(ENGINE_UNIT_CFLAGS)
tests_unit_test_vfu_transport_LDADD = $(ENGINE_UNIT_LDADD)
tests_unit_test_dma_map_SOURCES = tests/unit/test-dma-map.c
tests_unit_test_dma_map_CPPFLAGS = $(ENGINE_UNIT_CPPFLAGS)
tests_unit_test_dma_map_CFLAGS = $(ENGINE_UNIT_CFLAGS)
tests_unit_test_dma_map_LDADD = $(ENGINE_UNIT_LDADD)
tests_unit_test_cmd_parser_SOURCES = tests/unit/test-cmd-parser.c
tests_unit_test_cmd_parser_CPPFLAGS = $(ENGINE_UNIT_CPPFLAGS)
tests_unit_test_cmd_parser_CFLAGS = $(ENGINE_UNIT_CFLAGS)
tests_unit_test_cmd_parser_LDADD = $(ENGINE_UNIT_LDADD)
tests_unit_test_scheduler_SOURCES = tests/unit/test-scheduler.c
tests_unit_test_scheduler_CPPFLAGS = $(ENGINE_UNIT_CPPFLAGS)
tests_unit_test_scheduler_CFLAGS = $(ENGINE_UNIT_CFLAGS)
tests_unit_test_scheduler_LDADD = $(ENGINE_UNIT_LDADD)
tests_unit_test_pci_config_SOURCES = tests/unit/test-pci-config.c
tests_unit_test_pci_config_CPPFLAGS = $(ENGINE_UNIT_CPPFLAGS)
tests_unit_test_pci_config_CFLAGS = $(ENGINE_UNIT_CFLAGS)
tests_unit_test_pci_config_LDADD = $(ENGINE_UNIT_LDADD)

# The guest driver of the VM tier (tests/vm/rpc-qemu.bats): static, so that it runs in any guest;
# without sanitizers (they cannot link static), built from the command builders and fileio alone.
check_PROGRAMS += tests/helpers/rpc-vm-guest
tests_helpers_rpc_vm_guest_SOURCES = tests/helpers/rpc-vm-guest.c src/vfio-user/rpc-cmd.c src/fileio.c
tests_helpers_rpc_vm_guest_CFLAGS = -std=gnu11 $(WARN_CFLAGS)
tests_helpers_rpc_vm_guest_LDFLAGS = -static
