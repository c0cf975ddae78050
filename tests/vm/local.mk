# The VM tier (docs/vm.md): suites that run inside a VM on Debian 12's own kernel. Each .vm file is
# one boot that runs the bats suites of the directory of the same name.
VM_LOG_DRIVER = $(LOG_DRIVER)
VM_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/vm/run-vm-suites
TESTS += tests/vm/kernel.vm
EXTRA_DIST += tests/vm/vgpu-vm tests/vm/run-vm-suites tests/vm/guest tests/vm/kernel.vm tests/vm/kernel
# QEMU 11's vfio-user client against vgpud, with a Debian 12 guest (one boot; tests/vm/qemu-root).
TESTS += tests/vm/rpc-qemu.bats
EXTRA_DIST += tests/vm/rpc-qemu.bats
