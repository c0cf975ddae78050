# vgpu-sim: --profile chaos
# Crash consistency (tests/chaos/vgpu-chaos): 200 random operations (the
# lifecycle of mdev and whole-VF instances, SR-IOV counts, persistent VF
# bindings) with vgpud killed by SIGKILL at random moments and simulator
# faults; after every restart the records and the host agree. CHAOS_OPS
# (default 200) and CHAOS_SEED (default: random, printed first as
# "reproduce: CHAOS_SEED=… CHAOS_OPS=…" in the TAP log; CHAOS_SEED=random says
# so too) make a longer or a repeated run, CHAOS_VERBOSE=1 prints every
# operation:
#   CHAOS_OPS=2000 CHAOS_SEED=42 make check TESTS=tests/integration/chaos.bats
load helpers

@test "chaos: ${CHAOS_OPS:-200} operations, SIGKILLs and faults, no discrepancy" {
        local seed=${CHAOS_SEED:-}
        [[ $seed == random ]] && seed=
        run "$VGPU_TEST_SRCDIR/tests/chaos/vgpu-chaos" --ops "${CHAOS_OPS:-200}" \
                ${seed:+--seed "$seed"} ${CHAOS_VERBOSE:+--verbose}
        # The summary (and any discrepancy with the seed to reproduce it) in the TAP log.
        printf '# %s\n' "${lines[@]}" >&3
        [ "$status" -eq 0 ]
        printf '%s\n' "${lines[@]}" | grep -q "^vgpu-chaos: seed=.* discrepancies=0 "
}

@test "vgpud killed during a slow create: the device, if made, is vgpud's transient instance, not an orphan" {
        load vgpud
        # a clean host: the chaos run before leaves instances (maybe a full GPU), VFs and definitions
        vgpu-sim ctl reboot
        rm -f /etc/mdevctl.d/0000:*/* /etc/driverctl.d/pci-*
        bus_start_with_policy
        vgpud_start
        local create=/sys/class/mdev_bus/0000:3b:00.0/mdev_supported_types/nvidia-231/create
        local u=4b8b7c1e-5a2f-4c3d-9e8f-0a1b2c3d4e5f
        vgpu-sim ctl latency "$create" 1500
        vgpuctl create --type grid-2q --gpu 0000:3b:00.0 --uuid $u >/dev/null 2>&1 &
        local job=$!
        sleep 0.7 # the create is in its sysfs write, its journal entry written
        [ -f "$VGPUD_DIR/run/instances/$u.json" ]
        kill -KILL "$VGPUD_PID"
        wait "$VGPUD_PID" || true
        wait $job || true
        # The simulator finishes (or drops) the interrupted write: 1.5 s from when the worker began it,
        # which a loaded machine may delay past the kill; a device that appeared only after the restart
        # would rightly be an orphan, so wait well past it.
        sleep 4
        vgpu-sim ctl fail clear
        vgpud_start
        if [ -e /sys/bus/mdev/devices/$u ]; then
                [ "$(vgpuctl list --json | jq -r ".[] | select(.uuid == \"$u\") | .origin")" = vgpud ]
                run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
                # only this instance: the chaos run before leaves devices of its own (orphans to this vgpud)
                [[ $output != *"\"orphan\" \"$u\""* ]]
                vgpuctl destroy $u
        else
                [ ! -e "$VGPUD_DIR/run/instances/$u.json" ]
                [ -z "$(vgpuctl list --all --quiet)" ]
        fi
        vgpud_stop
        bus_stop
}
