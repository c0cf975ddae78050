# vgpu-sim: --profile t4
# The VM tier with QEMU's own vfio-user client: vgpud on this machine serves an RPC vGPU, QEMU 11
# (tests/vm/qemu-root) boots Debian 12's kernel through tests/vm/vgpu-vm with the vGPU as
# -device vfio-user-pci, and the guest's own kernel enumerates it. One boot (about a minute under
# TCG). In the guest, tests/helpers/rpc-vm-guest (static) runs the workload and a hostile run and
# prints its figures; the three guest RAM set-ups are tests/engine/test-engine-qemu's (qtest).
#
# Timer check: under TCG on a loaded machine, Debian 12's kernel with vgpu-vm's
# intel-iommu,intremap=on sometimes panics at boot ("timer doesn't work through
# Interrupt-remapped IO-APIC": its check that the timer interrupt arrives within a few ticks
# fails when the vCPU runs slowly, and with interrupt remapping there is no fallback). The boot
# adds no_timer_check to vgpu-vm's kernel command line (a later -append replaces the earlier).
load ../integration/helpers
load ../integration/vgpud

setup() {
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        SOCKDIR=$VGPUD_DIR/rpc
        vgpud_config >/dev/null <<CONF
[rpc]
enabled = yes
socket_dir = $SOCKDIR
[rpc-type rpc-small]
vram = 16M
max_instances = 2
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        QEMU=$("$VGPU_TEST_SRCDIR/tests/vm/qemu-root" command 2>/dev/null | tr '\n' ' ') ||
                QEMU=$("$VGPU_TEST_SRCDIR/tests/vm/qemu-root" build >&2 && "$VGPU_TEST_SRCDIR/tests/vm/qemu-root" command | tr '\n' ' ') ||
                {
                        echo "no QEMU with vfio-user-pci: tests/vm/qemu-root build failed (see above)" >&2
                        return 1
                }
}

teardown() {
        vgpud_stop || true
        bus_stop
}

# The guest's side: find 1af4:10f0 by its ids and class, print what the kernel made of it, and
# read BAR0's ID and VERSION registers through the sysfs resource mapping.
guest_probe() {
        cat <<'GUEST'
set -e
grep -q no_timer_check /proc/cmdline && echo "cmdline: no_timer_check"
for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor"):$(cat "$d/device"):$(cat "$d/class")" = 0x1af4:0x10f0:0x038000 ] && dev=$d
done
[ -n "$dev" ] || { echo "no 1af4:10f0 class 0x038000 in the guest"; lspci -nn; exit 1; }
lspci -nn -vv -s "${dev##*/}"
echo "iommu_group $(basename "$(readlink "$dev/iommu_group")")"
python3 - "$dev/resource0" <<'PY'
import mmap, struct, sys
with open(sys.argv[1], "r+b") as f:
    m = mmap.mmap(f.fileno(), 8192)
    print("BAR0 ID %08x VERSION %08x" % struct.unpack("<II", m[0:8]))
PY
echo 4 > /proc/sys/vm/nr_hugepages
GUEST
        echo "\"$VGPU_TEST_BUILDDIR/tests/helpers/rpc-vm-guest\" workload"
        echo "\"$VGPU_TEST_BUILDDIR/tests/helpers/rpc-vm-guest\" hostile"
}

# boot_vm SOCKET QEMU-ARGS...: one boot of the guest with the vGPU; the guest probes it, runs the
# workload, then the hostile run. Its output (and QEMU's stderr) in $output.
boot_vm() {
        local sock=$1
        shift
        # shellcheck disable=SC2086 # QEMU is a command line: the root's loader and its arguments
        local append
        append=$(sed -n 's/^ *-append "\(.*\)"$/\1/p' "$VGPU_TEST_SRCDIR/tests/vm/vgpu-vm")
        [ -n "$append" ]
        run timeout 600 "$VGPU_TEST_SRCDIR/tests/vm/vgpu-vm" run --timeout 480 --memory 1024 --qemu "$QEMU" \
                --qemu-arg -append --qemu-arg "$append no_timer_check" "$@" \
                --qemu-arg -device --qemu-arg "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$sock\",\"type\":\"unix\"}}" \
                -- "$(guest_probe)"
        echo "$output"
}

check_guest_output() {
        [[ $output == *"cmdline: no_timer_check"* ]]
        [[ $output == *"Display controller [0380]"*"[1af4:10f0]"* ]]
        [[ $output == *"Subsystem: "*"[1af4:0001]"* ]]
        [[ $output =~ Region\ 0:\ Memory\ at\ [0-9a-f]+\ \(32-bit,\ non-prefetchable\)\ \[size=8K\] ]]
        [[ $output =~ Region\ 2:\ Memory\ at\ [0-9a-f]+\ \(64-bit,\ prefetchable\)\ \[size=16M\] ]]
        [[ $output == *"MSI: Enable- Count=1/1"* ]]
        [[ $output == *"MSI-X: Enable- Count=2"* ]]
        [[ $output =~ iommu_group\ [0-9]+ ]]
        [[ $output == *"BAR0 ID 55504756 VERSION 00010000"* ]]
        # Each VM starts from the power-on state: nothing of the one before.
        [[ $output == *"at start: commands 0 fences 0 violations 0 fence 0 ring size 0 error 0 engine reg 0 VRAM[0] 0"* ]]
        # The guest driver (tests/helpers/rpc-vm-guest): the workload, checked byte for byte, the
        # figures, and a hostile run that each time ends in failsafe and recovers with RESET.
        [[ $output == *"workload: verified"* ]]
        [[ $output == *"hostile: verified"* ]]
        [[ $output != *FAIL:* ]]
        # QEMU's stderr (in the output): no warning, no error.
        if grep -qi 'qemu-system.*\(warning\|error\)' <<<"$output"; then
                echo "QEMU warned (above)"
                false
        fi
}

wait_disconnected() {
        local state
        for _ in $(seq 50); do
                state=$(vgpuctl show --json "$1" | jq -r .engine.state)
                [ "$state" = disconnected ] && return 0
                sleep 0.1
        done
        echo "engine state after the VM: $state"
        return 1
}

@test "two Debian 12 guests in turn under QEMU 11 (memfd, then QEMU's private RAM) drive the RPC vGPU; vgpud counts no protocol error" {
        local u sock
        u=$(vgpuctl create --type rpc-small)
        sock=$SOCKDIR/$u.sock
        [ -S "$sock" ]
        # 1: guest RAM a shared memfd, which the engine maps.
        boot_vm "$sock" --qemu-arg -machine --qemu-arg memory-backend=ram \
                --qemu-arg -object --qemu-arg memory-backend-memfd,id=ram,size=1024M,share=on
        [ "$status" -eq 0 ]
        check_guest_output
        # The figures the guest measured (TCG figures: reported, not asserted).
        grep -E '^(BAR0 read|doorbell|COPY)' <<<"$output" | sed 's/^/# memfd RAM: /' >&3
        wait_disconnected "$u"
        run vgpuctl show --json "$u"
        [ "$(jq .engine.counters.protocol_errors <<<"$output")" = 0 ]
        [ "$(jq .engine.counters.dma_refused <<<"$output")" = 0 ]
        [ "$(jq .engine.counters.violations <<<"$output")" = 3 ] # the hostile run's three
        # 2: QEMU's default (private) RAM: the engine reaches it through DMA_READ/DMA_WRITE.
        boot_vm "$sock"
        [ "$status" -eq 0 ]
        check_guest_output
        grep -E '^(BAR0 read|doorbell|COPY)' <<<"$output" | sed 's/^/# private RAM: /' >&3
        wait_disconnected "$u"
        run vgpuctl show --json "$u"
        echo "$output"
        [ "$(jq .engine.counters.connections <<<"$output")" = 2 ]
        [ "$(jq .engine.counters.protocol_errors <<<"$output")" = 0 ]
        [ "$(jq .engine.counters.dma_refused <<<"$output")" = 0 ]
        [ "$(jq .engine.counters.violations <<<"$output")" = 6 ]
        (($(jq .engine.counters.dma_messages <<<"$output") > 0))
}
