# libFuzzer harnesses of the engine (vfio-user message handling, the command
# parser and execution, VERSION capabilities) and their seed corpora. They are
# built with clang by build-fuzzers; fuzz-short.test runs each briefly in
# `make check`.
TESTS += tests/fuzz/fuzz-short.test
dist_check_SCRIPTS += tests/fuzz/fuzz-short.test
EXTRA_DIST += tests/fuzz/build-fuzzers tests/fuzz/make-seeds.py tests/fuzz/corpus \
	tests/fuzz/fuzz-vfio-user.c tests/fuzz/fuzz-cmd-stream.c tests/fuzz/fuzz-vfu-caps.c
# What fuzz-short.test leaves in the build tree (distcheck's distcleancheck wants it gone).
CLEANFILES += tests/fuzz/build.log tests/fuzz/fuzz-vfio-user.log tests/fuzz/fuzz-cmd-stream.log \
	tests/fuzz/fuzz-vfu-caps.log
