# The VM tier (docs/vm.md): suites that run inside a VM on Debian 12's own kernel. Each .vm file is
# one boot that runs the bats suites of the directory of the same name.
VM_LOG_DRIVER = $(LOG_DRIVER)
VM_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/vm/run-vm-suites
TESTS += tests/vm/kernel.vm
EXTRA_DIST += tests/vm/vgpu-vm tests/vm/run-vm-suites tests/vm/guest tests/vm/kernel.vm tests/vm/kernel
# The Debian package under systemd and libvirtd (issue 16).
TESTS += tests/vm/stack.vm
EXTRA_DIST += tests/vm/stack.vm tests/vm/stack
# QEMU 11's vfio-user client against vgpud, with a Debian 12 guest (one boot; tests/vm/qemu-root).
TESTS += tests/vm/rpc-qemu.bats
EXTRA_DIST += tests/vm/rpc-qemu.bats tests/vm/qemu.bash
# The same through libvirt: this machine's libvirtd (9.0) with QEMU 11 as the domain's emulator.
TESTS += tests/vm/rpc-libvirt.bats
EXTRA_DIST += tests/vm/rpc-libvirt.bats
# Two such VMs at once on one RPC GPU at fixed shares 70/30 (issue 15 item 4).
TESTS += tests/vm/rpc-share.bats
EXTRA_DIST += tests/vm/rpc-share.bats tests/vm/demo-qemu
# The VM boots start once every other suite is done: two TCG guests take both cores, and suites that
# measure shares or throttling (test-engine-quota, vgpud-rpc.bats) would be starved under them.
vm_logs = tests/vm/kernel.log tests/vm/stack.log tests/vm/rpc-qemu.log tests/vm/rpc-libvirt.log tests/vm/rpc-share.log
$(filter $(vm_logs),$(TEST_LOGS)): $(filter-out $(vm_logs),$(TEST_LOGS))
