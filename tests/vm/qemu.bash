# shellcheck shell=bash
# qemu11_load: QEMU 11 from tests/vm/qemu-root (built the first time) as one command line in
# $QEMU, for the suites that boot guests with QEMU's vfio-user client.
# shellcheck disable=SC2034 # QEMU is the suites' own
qemu11_load() {
        local root=$VGPU_TEST_SRCDIR/tests/vm/qemu-root
        QEMU=$("$root" command 2>/dev/null | tr '\n' ' ') ||
                QEMU=$("$root" build >&2 && "$root" command | tr '\n' ' ') ||
                {
                        echo "no QEMU with vfio-user-pci: tests/vm/qemu-root build failed (see above)" >&2
                        return 1
                }
}
