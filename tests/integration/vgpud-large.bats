# vgpu-sim: --profile large
# 64 Tesla T4 and 1,000 instances: discovery at that scale, one-call listing,
# per-GPU counts, and placement among many GPUs. (Timings are in
# tests/bench/, never asserted here.)
load helpers
load vgpud

setup_file() {
        # 1,000 mdevs made behind vgpud's back (as a previous boot's tools would have), 16 per GPU.
        local n=0 gpu
        for gpu in $(ls /sys/class/mdev_bus | sort); do
                for _ in $(seq 16); do
                        ((n < 1000)) || break 2
                        printf '%08x-0000-4000-8000-%012x\n' "$n" "$n" \
                                >/sys/class/mdev_bus/"$gpu"/mdev_supported_types/nvidia-222/create
                        n=$((n + 1))
                done
        done
        bus_start_with_policy
        vgpud_start --log-level info
}

teardown_file() {
        vgpud_stop
        bus_stop
}

@test "vgpud finds 64 GPUs and 1,000 instances at start-up" {
        run vgpuctl gpus --json
        [ "$(jq length <<<"$output")" -eq 64 ]
        [ "$(jq '[.[].instances] | add' <<<"$output")" -eq 1000 ]
        [ "$(jq '[.[] | select(.instances == 16)] | length' <<<"$output")" -eq 62 ]
        run vgpuctl list --quiet
        [ "${#lines[@]}" -eq 1000 ]
}

@test "list and list --json carry every instance, from one call" {
        run vgpuctl list
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 1001 ]
        [[ ${lines[1]} =~ ^00000000-0000-4000-8000-000000000000\ .*GRID\ T4-1B\ +mdev\ +[0-9a-f-]+\ +created\ +transient\ +external\ +-\ +n/a\ +n/a$ ]]
        run vgpuctl list --json
        [ "$(jq length <<<"$output")" -eq 1000 ]
        [ "$(jq '[.[] | select(.state == "created")] | length' <<<"$output")" -eq 1000 ]
}

@test "every found instance is reported as an orphan, none is touched" {
        run busctl --system --json=short get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
        [ "$(jq '[.data[] | select(.[1] == "orphan")] | length' <<<"$output")" -eq 1000 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 1000 ]
}

@test "pack places next to the existing T4-1B instances; a full GPU shows why" {
        local u gpu
        u=$(vgpuctl create --type grid-1b)
        gpu=$(instance_prop "$u" GpuAddress)
        # the partly filled GPU (8 of 16) is the one pack chooses
        run vgpuctl gpus --json
        [ "$(jq -r ".[] | select(.address == $gpu) | .instances" <<<"$output")" -eq 9 ]
        run vgpuctl types --gpu 0000:10:00.0 --json
        [[ $(jq -r '.[] | select(.id == "nvidia-222") | .unavailable_reason' <<<"$output") == *"all 16 GRID T4-1B"* ]]
        vgpuctl destroy "$u"
}

@test "spread places on an empty GPU" {
        local u
        u=$(vgpuctl create --type grid-1b --placement spread)
        run vgpuctl gpus --json
        [ "$(jq -r ".[] | select(.address == $(instance_prop "$u" GpuAddress)) | .instances" <<<"$output")" -eq 1 ]
        vgpuctl destroy "$u"
}
