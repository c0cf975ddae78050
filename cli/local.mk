# vgpuctl, the administrator's CLI: a library of its parts (for the unit tests)
# and the program.
noinst_LIBRARIES += cli/libvgpuctl.a
cli_libvgpuctl_a_SOURCES = \
	src/bus-names.h \
	src/bus-dict.h src/bus-dict.c \
	cli/cli.h \
	cli/errors.c \
	cli/commands.c \
	cli/args.h cli/args.c \
	cli/table.h cli/table.c \
	cli/objects.h cli/objects.c \
	cli/output.h cli/output.c \
	cli/cmd-gpus.c \
	cli/cmd-types.c \
	cli/cmd-sriov.c \
	cli/cmd-list.c \
	cli/cmd-lifecycle.c \
	cli/pipeline.h cli/pipeline.c \
	cli/bus-json.h cli/bus-json.c \
	cli/watch.h cli/watch.c \
	cli/terminal.h cli/terminal.c \
	cli/cmd-doctor.c \
	cli/cmd-monitor.c \
	cli/cmd-events.c \
	cli/cmd-metrics.c \
	cli/cmd-nfd.c \
	cli/engine-info.h cli/engine-info.c \
	cli/cmd-probe.c
# Scheduling commands (policy, quota); xml, attach and detach run vgpuctl-libvirt (libvirt-exec.c),
# apply and export vgpuctl-apply (apply-exec.c), through helper-exec.c.
cli_libvgpuctl_a_SOURCES += \
	cli/cmd-sched.c \
	cli/helper-exec.c \
	cli/libvirt-exec.c \
	cli/apply-exec.c
# PKGLIBEXECDIR: where vgpuctl finds its helpers (VGPUCTL_LIBVIRT and VGPUCTL_APPLY override it in the
# tests).
cli_libvgpuctl_a_CPPFLAGS = $(AM_CPPFLAGS) -DPKGLIBEXECDIR='"$(pkglibexecdir)"'
cli_libvgpuctl_a_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(JSONC_CFLAGS) $(LIBVIRT_CFLAGS) $(LIBXML_CFLAGS)

# libvirt is not linked: attach and detach load it (cli/libvirt-dl.h). --as-needed drops the libraries
# of libvgpu parts vgpuctl does not use: every library loaded is start-up time of every command.
VGPUCTL_LIBS = cli/libvgpuctl.a src/vfio-user/libvfiouser.a src/libvgpu.a $(SYSTEMD_LIBS) $(JSONC_LIBS) \
	$(LIBVGPU_LIBS)

bin_PROGRAMS += cli/vgpuctl
cli_vgpuctl_SOURCES = cli/vgpuctl.c
cli_vgpuctl_CFLAGS = $(cli_libvgpuctl_a_CFLAGS)
cli_vgpuctl_LDFLAGS = -Wl,--as-needed
cli_vgpuctl_LDADD = $(VGPUCTL_LIBS)

# xml, attach and detach (/usr/libexec/vgpud/vgpuctl-libvirt, run by vgpuctl): vgpuctl's commands with
# the real cmd-libvirt.c, which needs libxml2 (and loads libvirt when attaching). Its cmd_xml, cmd_attach
# and cmd_detach come before libvgpuctl.a's, which run this program.
pkglibexec_PROGRAMS += cli/vgpuctl-libvirt
cli_vgpuctl_libvirt_SOURCES = cli/vgpuctl.c cli/cmd-libvirt.c cli/libvirt-dl.h cli/libvirt-dl.c
cli_vgpuctl_libvirt_CFLAGS = $(cli_libvgpuctl_a_CFLAGS)
cli_vgpuctl_libvirt_LDFLAGS = -Wl,--as-needed
cli_vgpuctl_libvirt_LDADD = $(VGPUCTL_LIBS) $(LIBXML_LIBS)
if SANITIZERS
# ASan resolves its XDR interceptors once, at start-up: libvirt's libtirpc, which attach and detach load
# later, must be in the process by then, or the interceptors call a NULL "real" function.
cli_vgpuctl_libvirt_LDFLAGS += -Wl,--no-as-needed,-l:libtirpc.so.3,--as-needed
endif

# apply and export (/usr/libexec/vgpud/vgpuctl-apply, run by vgpuctl): with the real cmd-apply.c, which
# reads YAML with libyaml. Its cmd_apply and cmd_export come before libvgpuctl.a's.
pkglibexec_PROGRAMS += cli/vgpuctl-apply
cli_vgpuctl_apply_SOURCES = cli/vgpuctl.c cli/cmd-apply.c
cli_vgpuctl_apply_CFLAGS = $(cli_libvgpuctl_a_CFLAGS)
cli_vgpuctl_apply_LDFLAGS = -Wl,--as-needed
cli_vgpuctl_apply_LDADD = $(VGPUCTL_LIBS) $(YAML_LIBS)

# The libvirt hook, /etc/libvirt/hooks/qemu.d/vgpud (it talks to vgpud only).
libvirthook_PROGRAMS = cli/hook/vgpud
cli_hook_vgpud_SOURCES = cli/hook/vgpud-hook.c
cli_hook_vgpud_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(LIBXML_CFLAGS)
cli_hook_vgpud_LDFLAGS = -Wl,--as-needed
cli_hook_vgpud_LDADD = src/libvgpu.a $(SYSTEMD_LIBS) $(LIBVGPU_LIBS)

# Unit tests of vgpuctl's parts.
cli_unit_tests = \
	tests/unit/test-table \
	tests/unit/test-cli-args \
	tests/unit/test-cli-output \
	tests/unit/test-cli-pipeline
check_PROGRAMS += $(cli_unit_tests)
TESTS += $(cli_unit_tests)
CLI_UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/cli
CLI_UNIT_CFLAGS = $(cli_libvgpuctl_a_CFLAGS) $(CMOCKA_CFLAGS)
CLI_UNIT_LDADD = $(VGPUCTL_LIBS) $(CMOCKA_LIBS)

tests_unit_test_table_SOURCES = tests/unit/test-table.c tests/unit/unit.h
tests_unit_test_table_CPPFLAGS = $(CLI_UNIT_CPPFLAGS)
tests_unit_test_table_CFLAGS = $(CLI_UNIT_CFLAGS)
tests_unit_test_table_LDADD = $(CLI_UNIT_LDADD)

tests_unit_test_cli_args_SOURCES = tests/unit/test-cli-args.c tests/unit/unit.h
tests_unit_test_cli_args_CPPFLAGS = $(CLI_UNIT_CPPFLAGS)
tests_unit_test_cli_args_CFLAGS = $(CLI_UNIT_CFLAGS)
tests_unit_test_cli_args_LDADD = $(CLI_UNIT_LDADD)

tests_unit_test_cli_output_SOURCES = tests/unit/test-cli-output.c tests/unit/unit.h
tests_unit_test_cli_output_CPPFLAGS = $(CLI_UNIT_CPPFLAGS)
tests_unit_test_cli_output_CFLAGS = $(CLI_UNIT_CFLAGS)
tests_unit_test_cli_output_LDADD = $(CLI_UNIT_LDADD)

tests_unit_test_cli_pipeline_SOURCES = tests/unit/test-cli-pipeline.c tests/unit/unit.h
tests_unit_test_cli_pipeline_CPPFLAGS = $(CLI_UNIT_CPPFLAGS)
tests_unit_test_cli_pipeline_CFLAGS = $(CLI_UNIT_CFLAGS)
tests_unit_test_cli_pipeline_LDADD = $(CLI_UNIT_LDADD)

# The bulk forms of create and destroy (cli/pipeline.c) against vgpud.
TESTS += tests/integration/cli-bulk.bats
EXTRA_DIST += tests/integration/cli-bulk.bats
