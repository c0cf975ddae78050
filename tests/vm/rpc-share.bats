# vgpu-sim: --profile t4
# Sharing one RPC GPU between two VMs (issue 15 item 4): vgpud serves two instances on one software
# GPU under the fixed-share policy, 70 % and 30 %; two Debian 12 guests under QEMU 11
# (tests/vm/qemu-root, one vCPU each so that both fit on two cores) run at once, each with one of
# them, and each measures from inside how much work the device did for it: the guest driver
# (tests/helpers/rpc-vm-guest share) keeps its queue full of 4 MiB COPYs from VRAM to VRAM, which
# the engine executes on the host while the guest sleeps, so the device is the bottleneck and not
# the guests' emulated CPUs. The two measurement windows start together (a file the host writes
# into a directory both guests see over 9p) and both VMs keep loading the device until both
# windows are over. Each guest's part of the total work must be within 2 points of its share.
# Then guest b turns hostile (tests/helpers/rpc-vm-guest hostile: addresses outside its mappings,
# sensitive commands, ring garbage; each ends in failsafe and a reset recovers it) while guest a
# runs the verified workload over and over until b is done: a's results stay right, vgpud carries on.
bats_require_minimum_version 1.5.0
load ../integration/helpers
load ../integration/vgpud
load qemu

SECONDS_MEASURED=10

setup() {
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        SOCKDIR=$VGPUD_DIR/rpc
        vgpud_config >/dev/null <<CONF
[rpc]
enabled = yes
socket_dir = $SOCKDIR
policy = fixed-share
[rpc-type rpc-70]
vram = 16M
share = 70
max_instances = 1
[rpc-type rpc-30]
vram = 16M
share = 30
max_instances = 1
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        qemu11_load
}

teardown() {
        # A test that failed half-way: the guests' own protocol ends their runs (go, then stop).
        if [ -n "${VM_A:-}${VM_B:-}" ]; then
                touch "$BATS_TEST_TMPDIR/sync/go" "$BATS_TEST_TMPDIR/sync/stop"
                [ -z "${VM_A:-}" ] || wait "$VM_A" || true
                [ -z "${VM_B:-}" ] || wait "$VM_B" || true
        fi
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        return $rc
}

# boot_vm NAME UUID SYNC-DIR AFTER: boot a guest with the instance's socket that runs the share
# measurement as NAME, then the guest commands AFTER; its output (with QEMU's stderr) goes to
# $BATS_TEST_TMPDIR/NAME.out.
boot_vm() {
        local name=$1 sock=$SOCKDIR/$2.sock sync=$3 after=$4 guest=$VGPU_TEST_BUILDDIR/tests/helpers/rpc-vm-guest
        # shellcheck disable=SC2086 # QEMU is a command line: the root's loader and its arguments
        timeout 600 "$VGPU_TEST_SRCDIR/tests/vm/vgpu-vm" run --timeout 480 --smp 1 --memory 512 --qemu "$QEMU" \
                --share "$sync" \
                --qemu-arg -object --qemu-arg memory-backend-memfd,id=ram,size=512M,share=on \
                --qemu-arg -machine --qemu-arg memory-backend=ram \
                --qemu-arg -device --qemu-arg "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$sock\",\"type\":\"unix\"}}" \
                -- "echo 4 > /proc/sys/vm/nr_hugepages; exec 2>&1; \"$guest\" share $SECONDS_MEASURED $sync $name || exit 1; $after" \
                >"$BATS_TEST_TMPDIR/$name.out" 2>&1
}

# The bytes a guest's share run reported ("share NAME: N COPYs of K KiB, B bytes in S s ...").
guest_bytes() {
        sed -n "s/^share $1: [0-9]* COPYs of [0-9]* KiB, \([0-9]*\) bytes in .*/\1/p" "$BATS_TEST_TMPDIR/$1.out"
}

# Both files are there, or a VM has ended (wait_for stops looking; the caller checks which).
both_exist_or_vm_gone() {
        { [ -e "$1/$2" ] && [ -e "$1/$3" ]; } || ! kill -0 "$VM_A" 2>/dev/null || ! kill -0 "$VM_B" 2>/dev/null
}

# wait_both SECONDS FILE-A FILE-B WHAT: wait for both files of the sync directory while both VMs run.
wait_both() {
        wait_for "$1" both_exist_or_vm_gone "$BATS_TEST_TMPDIR/sync" "$2" "$3" || true
        [ -e "$BATS_TEST_TMPDIR/sync/$2" ] && [ -e "$BATS_TEST_TMPDIR/sync/$3" ] && return 0
        cat "$BATS_TEST_TMPDIR"/*.out
        echo "the guests did not both $4 in $1 s (their output is above)"
        return 1
}

@test "two Debian 12 guests at once on one RPC GPU at fixed shares 70/30: each measures its share of the work within 2 points; then one turns hostile and the other carries on" {
        local a b sync=$BATS_TEST_TMPDIR/sync ba bb fa sa sb
        a=$(vgpuctl create --type rpc-70 --gpu rpc0)
        b=$(vgpuctl create --type rpc-30 --gpu rpc0)
        mkdir "$sync"
        local guest=$VGPU_TEST_BUILDDIR/tests/helpers/rpc-vm-guest
        boot_vm a "$a" "$sync" "until [ -e $sync/b.hostile ]; do \"$guest\" workload || exit 1; done; \"$guest\" workload" &
        VM_A=$!
        boot_vm b "$b" "$sync" "\"$guest\" hostile; s=\$?; : >$sync/b.hostile; exit \$s" &
        VM_B=$!
        # Both guests run their load (each boot takes about a minute under TCG) ...
        wait_both 420 a.ready b.ready "boot and start their load"
        # ... then measure together; both keep loading the device until both windows are over.
        : >"$sync/go"
        sleep $((SECONDS_MEASURED / 2))
        sa=$(instance_prop "$a" MeasuredShare)
        sb=$(instance_prop "$b" MeasuredShare)
        wait_both $((SECONDS_MEASURED + 60)) a.done b.done "finish measuring"
        : >"$sync/stop"
        wait "$VM_A" || { cat "$BATS_TEST_TMPDIR/a.out"; false; }
        wait "$VM_B" || { cat "$BATS_TEST_TMPDIR/b.out"; false; }
        unset VM_A VM_B
        cat "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out"
        ba=$(guest_bytes a)
        bb=$(guest_bytes b)
        [[ $ba =~ ^[0-9]+$ && $bb =~ ^[0-9]+$ ]]
        ((ba > 0 && bb > 0))
        fa=$(awk -v a="$ba" -v b="$bb" 'BEGIN { printf "%.2f", 100 * a / (a + b) }')
        # The figures (reported, not asserted beyond the share): what each guest measured, and the
        # engine's own measured share in the middle of the window.
        grep -h '^share ' "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out" | sed 's/^/# /' >&3
        echo "# guest a's part of the work: $fa % (share 70); engine's measured shares mid-window: $sa / $sb" >&3
        awk -v f="$fa" 'BEGIN { exit !(f >= 68 && f <= 72) }'
        # b's hostile run ended in failsafe each time and recovered; a's workload, run while b was
        # hostile and once after, was verified byte for byte every time.
        grep -q '^hostile: verified' "$BATS_TEST_TMPDIR/b.out"
        local runs
        runs=$(grep -c '^workload: verified' "$BATS_TEST_TMPDIR/a.out")
        echo "# guest a: $((runs - 1)) verified workloads while b was hostile, and one after" >&3
        ((runs >= 2))
        run ! grep -h 'FAIL:' "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out"
        # The engine refused only b's three attacks, and QEMU spoke the protocol cleanly.
        counters "$a" violations protocol_errors
        [ "$output" = "0 0" ]
        counters "$b" violations protocol_errors
        [ "$output" = "3 0" ]
}
