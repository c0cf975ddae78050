# vgpu-sim: --profile t4
# Concurrency: many vgpuctl clients creating at once on GPUs with limited room
# (GRID T4-2Q: 8 per T4) while sysfs writes are slow: no over-allocation, every
# refusal a clean NoCapacity (exit 4, a sentence), and reads answered while a
# slow write is in flight. The read assertions are orderings (the read returned
# while the create was still running), not timings.
load helpers
load vgpud

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0
CREATE0=/sys/class/mdev_bus/$GPU0/mdev_supported_types/nvidia-231/create

setup_file() {
        bus_start_with_policy
        vgpud_start
}

teardown_file() {
        vgpud_stop
        bus_stop
}

teardown() {
        vgpu-sim ctl fail clear
        local u
        for u in $(vgpuctl list --all --quiet); do vgpuctl destroy "$u" >/dev/null || true; done
}

# flood N [ARGS...]: N concurrent `vgpuctl create --type grid-2q ARGS`, each's exit status in rc.I, output in out.I.
flood() {
        local n=$1 i
        shift
        FLOOD_PIDS=()
        for i in $(seq "$n"); do
                (rc=0; vgpuctl create --type grid-2q "$@" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 || rc=$?
                        echo $rc >"$BATS_TEST_TMPDIR/rc.$i") &
                FLOOD_PIDS+=($!)
        done
}
count_rc() { cat "$BATS_TEST_TMPDIR"/rc.* | grep -c "^$1\$" || true; }
running() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }

check_refusals() {
        local i
        for i in $(seq "$1"); do
                if [[ $(cat "$BATS_TEST_TMPDIR/rc.$i") == 4 ]]; then
                        grep -q -e "No room left" -e "No GPU can host" -e "all 8 GRID T4-2Q instances" "$BATS_TEST_TMPDIR/out.$i" ||
                                { cat "$BATS_TEST_TMPDIR/out.$i"; return 1; }
                elif [[ $(cat "$BATS_TEST_TMPDIR/rc.$i") != 0 ]]; then
                        echo "client $i: exit $(cat "$BATS_TEST_TMPDIR/rc.$i"):"
                        cat "$BATS_TEST_TMPDIR/out.$i"
                        return 1
                fi
        done
}

@test "a read answers while a slow create write is in flight (ordering: the read returns first)" {
        vgpu-sim ctl latency "$CREATE0" 4000
        vgpuctl create --type grid-2q --gpu $GPU0 >"$BATS_TEST_TMPDIR/created" &
        local job=$!
        sleep 0.5 # the create reaches its sysfs write (it takes at least 4 s from there)
        run vgpuctl list --all
        [ "$status" -eq 0 ]
        run vgpuctl gpus
        [ "$status" -eq 0 ]
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Version
        [ "$status" -eq 0 ]
        # All three answered, and the create is still waiting for its write.
        kill -0 $job
        [ ! -s "$BATS_TEST_TMPDIR/created" ]
        wait $job
        [ -d "/sys/bus/mdev/devices/$(cat "$BATS_TEST_TMPDIR/created")" ]
}

@test "a create next to a slow one on another GPU: its GPU object is current at once and announced before the slow one ends" {
        local gpu1=/org/vgpud1/gpu/pci_0000_d8_00_0
        vgpu-sim ctl latency "$CREATE0" 4000
        vgpuctl create --type grid-2q --gpu $GPU0 >"$BATS_TEST_TMPDIR/slow" &
        local job=$!
        sleep 0.5 # the slow create reaches its write: an operation stays in flight for 4 s
        busctl --system monitor --json=short --match "type='signal',path='$gpu1',member='PropertiesChanged'" \
                >"$BATS_TEST_TMPDIR/signals" 2>/dev/null &
        local mon=$!
        sleep 0.5 # the monitor is listening
        local u
        u=$(vgpuctl create --type grid-2q --gpu $GPU1)
        # A reader right after the reply sees the instance on its GPU and the type's numbers after it (the
        # GPU and type objects are synced before a read, even while they wait for the operation in flight
        # on GPU0).
        run busctl --system get-property org.vgpud1 "$gpu1" org.vgpud1.Gpu Instances
        [ "$status" -eq 0 ]
        [[ $output == *"${u//-/}"* ]]
        run busctl --system get-property org.vgpud1 "$gpu1/type/nvidia_2d231" org.vgpud1.Type Available
        [ "$output" = "u 7" ]
        # The signal does not wait for the slow create either (a bounded delay, not the queue's end).
        local i
        for i in $(seq 30); do
                grep -q '"Instances"' "$BATS_TEST_TMPDIR/signals" && break
                sleep 0.1
        done
        kill $mon
        grep -q '"Instances"' "$BATS_TEST_TMPDIR/signals"
        kill -0 $job # still in flight
        wait $job
        [ -d "/sys/bus/mdev/devices/$(cat "$BATS_TEST_TMPDIR/slow")" ]
}

@test "32 clients on one GPU with room for 8, 1 s writes: 8 made, 24 clean refusals, reads answer meanwhile" {
        vgpu-sim ctl latency "$CREATE0" 1000
        flood 32 --gpu $GPU0
        sleep 0.3
        run vgpuctl types --gpu $GPU0
        [ "$status" -eq 0 ]
        run vgpuctl list
        [ "$status" -eq 0 ]
        # The 8 creates take 8 × 1 s one after the other on the GPU: the reads came back first (a
        # wide margin: under ASan on a loaded machine, 8 × 300 ms was not always enough).
        running "${FLOOD_PIDS[@]}"
        wait "${FLOOD_PIDS[@]}" || true
        cat "$BATS_TEST_TMPDIR"/rc.* | sort | uniq -c
        check_refusals 32
        [ "$(count_rc 0)" -eq 8 ]
        [ "$(count_rc 4)" -eq 24 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 8 ]
        [ "$(vgpuctl list --quiet | wc -l)" -eq 8 ]
        run vgpuctl types --gpu $GPU0 --json
        [ "$(jq -r '.[] | select(.id == "nvidia-231") | .available' <<<"$output")" -eq 0 ]
}

@test "40 clients placed by vgpud on two GPUs (8 each): 16 made, none over a GPU's room, 24 clean refusals" {
        vgpu-sim ctl latency all 50
        flood 40
        wait "${FLOOD_PIDS[@]}" || true
        cat "$BATS_TEST_TMPDIR"/rc.* | sort | uniq -c
        check_refusals 40
        [ "$(count_rc 0)" -eq 16 ]
        [ "$(count_rc 4)" -eq 24 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 16 ]
        local g
        for g in $GPU0 $GPU1; do
                [ "$(ls /sys/class/mdev_bus/"$g"/mdev_supported_types/nvidia-231/devices | wc -l)" -eq 8 ]
        done
        # What vgpud lists is what sysfs holds.
        diff <(vgpuctl list --quiet | sort) <(ls /sys/bus/mdev/devices | sort)
}

@test "32 clients destroying and creating at once end with what sysfs and vgpud agree on" {
        local i u pids=()
        for i in $(seq 8); do vgpuctl create --type grid-2q --gpu $GPU0 >>"$BATS_TEST_TMPDIR/made"; done
        vgpu-sim ctl latency all 50
        while read -r u; do
                (vgpuctl destroy "$u" >/dev/null 2>&1; echo $? >"$BATS_TEST_TMPDIR/drc.$u") &
                pids+=($!)
        done <"$BATS_TEST_TMPDIR/made"
        flood 24 --gpu $GPU0
        wait "${pids[@]}" "${FLOOD_PIDS[@]}" || true
        # Every destroy succeeded; the creates got what room the destroys freed, never more.
        [ "$(cat "$BATS_TEST_TMPDIR"/drc.* | grep -vc '^0$' || true)" -eq 0 ]
        check_refusals 24
        local made
        made=$(count_rc 0)
        [ "$made" -le 8 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq "$made" ]
        diff <(vgpuctl list --quiet | sort) <(ls /sys/bus/mdev/devices | sort)
}
