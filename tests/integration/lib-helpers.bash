# Helpers for the libvgpu suites (lib-*.bats). Load with: load lib-helpers

MODEL="$VGPU_TEST_BUILDDIR/tests/integration/vgpu-model"
# The simulator's profiles: the suites check discovery against them.
PROFILES=${VGPU_SIM_PROFILE_DIR:-$VGPU_TEST_SRCDIR/tests/sim/profiles}

# Back to the profile's power-on state with no injected faults.
sim_reset() {
        vgpu-sim ctl fail clear
        vgpu-sim ctl reboot
}

# model_dump: the model as JSON in $DUMP (warnings on stderr are allowed)
model_dump() {
        DUMP=$("$MODEL" dump 2>/dev/null)
}

# The profile's display-class functions as "address vendor device driver iommu_group" lines, sorted.
profile_gpus() {
        jq -r '.devices[] | select(.class | startswith("0x03")) |
               [.address, .vendor, .device, (.driver // "-"), (.iommu_group // -1 | tostring)] | join(" ")' \
                "$PROFILES/$1.json" | sort
}

# The same from the model, physical functions only (VFs are not in the profile's device list).
model_gpus() {
        jq -r '.gpus[] | select(.physfn == null) |
               [.address, .vendor_id, .device_id, (.driver // "-"), (.iommu_group | tostring)] | join(" ")' \
                <<<"$DUMP" | sort
}

# watch_start [ARGS]: vgpu-model watch in the background, output in $WATCH_LOG, once it listens
watch_start() {
        WATCH_LOG=$BATS_TEST_TMPDIR/watch
        "$MODEL" watch --timeout 20 "$@" >"$WATCH_LOG" 2>&1 3>&- &
        WATCH_PID=$!
        for _ in $(seq 200); do
                grep -q '^READY$' "$WATCH_LOG" 2>/dev/null && return 0
                sleep 0.05
        done
        echo "vgpu-model watch did not start:" >&2
        cat "$WATCH_LOG" >&2
        return 1
}

# watch_wait LINE: until the watch printed exactly LINE (5 s at most)
watch_wait() {
        for _ in $(seq 100); do
                grep -qxF "$1" "$WATCH_LOG" && return 0
                sleep 0.05
        done
        echo "no line \"$1\" in:" >&2
        cat "$WATCH_LOG" >&2
        return 1
}

watch_stop() {
        if [[ -n ${WATCH_PID:-} ]]; then
                kill "$WATCH_PID" 2>/dev/null || true
                wait "$WATCH_PID" 2>/dev/null || true
                unset WATCH_PID
        fi
}
