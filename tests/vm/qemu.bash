# shellcheck shell=bash
# Helpers of the suites that boot guests with QEMU 11's vfio-user client (rpc-*.bats).
# shellcheck disable=SC2154 # status is set by bats's run

# qemu11_load: QEMU 11 from tests/vm/qemu-root (built the first time) as one command line in
# $QEMU. No pipe inside the substitutions: bats runs without pipefail, and a failing command must
# reach the || that builds the root.
# shellcheck disable=SC2034 # QEMU is the suites' own
qemu11_load() {
        local root=$VGPU_TEST_SRCDIR/tests/vm/qemu-root
        QEMU=$("$root" command 2>/dev/null) ||
                QEMU=$("$root" build >&2 && "$root" command) ||
                {
                        echo "no QEMU with vfio-user-pci: tests/vm/qemu-root build failed (see above)" >&2
                        return 1
                }
        QEMU=${QEMU//$'\n'/ }
}

# counters UUID NAME...: the instance's engine counters NAME..., space-separated, in $output.
counters() {
        local u=$1
        shift
        run vgpuctl show --json "$u"
        [ "$status" -eq 0 ] || return 1
        output=$(jq -r '.engine.counters as $c | [$ARGS.positional[] | $c[.] | tostring] | join(" ")' \
                --args "$@" <<<"$output")
        echo "$u: $* = $output"
}

engine_state_is() { [ "$(vgpuctl show --json "$1" | jq -r .engine.state)" = "$2" ]; }

# wait_disconnected UUID: the VM is gone and the engine has seen it go.
wait_disconnected() {
        wait_for 5 engine_state_is "$1" disconnected || {
                echo "engine state after the VM: $(vgpuctl show --json "$1" | jq -r .engine.state)"
                return 1
        }
}
