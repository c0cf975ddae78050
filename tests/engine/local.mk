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
	tests/engine/test-engine-malicious
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
