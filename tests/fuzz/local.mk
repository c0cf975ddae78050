# libFuzzer harnesses and their seed corpora: the engine's (vfio-user message
# handling, the command parser and execution, VERSION capabilities) and the
# host-model parsers' (vgpud.conf, sysfs attributes, domain XML, mdevctl definitions,
# the JSON state files through their codec tables, and apply's YAML). They are
# built with clang by build-fuzzers; fuzz-short.test runs each briefly in
# `make check`.
TESTS += tests/fuzz/fuzz-short.test
dist_check_SCRIPTS += tests/fuzz/fuzz-short.test
EXTRA_DIST += tests/fuzz/build-fuzzers tests/fuzz/make-seeds.py tests/fuzz/corpus \
	tests/fuzz/fuzz-vfio-user.c tests/fuzz/fuzz-cmd-stream.c tests/fuzz/fuzz-vfu-caps.c \
	tests/fuzz/fuzz-config.c tests/fuzz/fuzz-sysfs-attr.c tests/fuzz/fuzz-mdevctl.c tests/fuzz/fuzz-state-files.c \
	tests/fuzz/fuzz-domain-xml.c tests/fuzz/fuzz-desired-state.c \
	tests/fuzz/make-lib-seeds.py
# What fuzz-short.test leaves in the build tree (distcheck's distcleancheck wants it gone).
CLEANFILES += tests/fuzz/build.log tests/fuzz/fuzz-vfio-user.log tests/fuzz/fuzz-cmd-stream.log \
	tests/fuzz/fuzz-vfu-caps.log tests/fuzz/fuzz-config.log tests/fuzz/fuzz-sysfs-attr.log \
	tests/fuzz/fuzz-mdevctl.log tests/fuzz/fuzz-state-files.log \
	tests/fuzz/fuzz-domain-xml.log tests/fuzz/fuzz-desired-state.log
