# vgpu-sim: --profile gvtg
# Intel GVT-g: four types share one pool, so several types live on one GPU
# and every create lowers the others' availability; the pool's end is a
# capacity refusal that says why.
load helpers
load vgpud

GPU=0000:00:02.0

setup_file() {
        bus_start_with_policy
        vgpud_start
}

teardown_file() {
        vgpud_stop
        bus_stop
}

avail() { # avail TYPE-ID
        vgpuctl types --json | jq -r ".[] | select(.id == \"$1\") | .available"
}

@test "the GVT-g types with their parsed fields" {
        run vgpuctl types --json
        [ "$status" -eq 0 ]
        [ "$(jq length <<<"$output")" -eq 4 ]
        [ "$(jq -r '.[] | select(.id == "i915-GVTg_V5_4") | .max_resolution' <<<"$output")" = 1920x1200 ]
        [[ $(jq -r '.[] | select(.id == "i915-GVTg_V5_4") | .aliases | join(",")' <<<"$output") == *gvtg-v5-4* ]]
        run vgpuctl gpus
        [[ ${lines[1]} =~ ^$GPU\ +UHD\ Graphics\ 630\ +i915 ]]
        [[ ${lines[1]} =~ -$ ]] # GVT-g pins no type
}

@test "different types on one GPU, each create lowering the others" {
        local before8 a b
        before8=$(avail i915-GVTg_V5_8)
        a=$(vgpuctl create --type gvtg-v5-4)
        b=$(vgpuctl create --type GVTg_V5_8)
        [ "$(instance_prop "$a" GpuAddress)" = "\"$GPU\"" ]
        [ "$(instance_prop "$b" GpuAddress)" = "\"$GPU\"" ]
        [ "$(avail i915-GVTg_V5_8)" -lt "$before8" ]
        run vgpuctl list
        [ "${#lines[@]}" -eq 3 ]
        vgpuctl destroy "$a"
        vgpuctl destroy "$b"
        [ "$(avail i915-GVTg_V5_8)" -eq "$before8" ]
}

@test "the pool's end: NoCapacity with the reason, and the type shows 0 with why" {
        # At power-on the pool has room for one V5_2 (and none for V5_1: the reason says so).
        [[ -n $(vgpuctl types --json | jq -r '.[] | select(.id == "i915-GVTg_V5_1") | .unavailable_reason') ]]
        [ "$(avail i915-GVTg_V5_2)" -eq 1 ]
        local u
        u=$(vgpuctl create --type gvtg-v5-2)
        [ "$(avail i915-GVTg_V5_2)" -eq 0 ]
        run vgpuctl create --type gvtg-v5-2
        [ "$status" -eq 4 ]
        [[ $output == *"No GPU can host another GVTg_V5_2 now"* ]]
        [[ $output == *"$GPU"* ]]
        [[ $output == *"Candidates:"* ]]
        [[ -n $(vgpuctl types --json | jq -r '.[] | select(.id == "i915-GVTg_V5_2") | .unavailable_reason') ]]
        vgpuctl destroy "$u"
        [ "$(avail i915-GVTg_V5_2)" -eq 1 ]
        [[ -z $(vgpuctl types --json | jq -r '.[] | select(.id == "i915-GVTg_V5_2") | .unavailable_reason') ]]
}
