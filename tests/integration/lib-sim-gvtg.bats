# vgpu-sim: --profile gvtg
#
# libvgpu on a simulated Intel GVT-g host: the description parser against the
# profile's types, and the shared pool: mixed types on one GPU, every create
# lowering the others' counts, and a refusal that says the pool is used up.
load lib-helpers

IGD=0000:00:02.0
U1=5e1f0c3a-7a0d-4e8e-9d3b-2f6a1c0b0001
U2=5e1f0c3a-7a0d-4e8e-9d3b-2f6a1c0b0002
U3=5e1f0c3a-7a0d-4e8e-9d3b-2f6a1c0b0003
U4=5e1f0c3a-7a0d-4e8e-9d3b-2f6a1c0b0004

setup() {
        sim_reset
}

teardown() {
        watch_stop
}

available() {
        model_dump
        jq -r ".parents[0].types[] | select(.id == \"$1\") | .available" <<<"$DUMP"
}

@test "discovery finds the integrated GPU, not its audio function" {
        model_dump
        [ "$(model_gpus)" = "$(profile_gpus gvtg)" ]
        [ "$(jq -r '.parents[0].name' <<<"$DUMP")" = "$IGD" ]
}

@test "every GVT-g type is parsed as the profile defines it" {
        model_dump
        while read -r id name low high weight res; do
                t=$(jq -c ".parents[0].types[] | select(.id == \"$id\")" <<<"$DUMP")
                [ "$(jq -r .name <<<"$t")" = "$name" ]
                [ "$(jq -r .vendor <<<"$t")" = gvtg ]
                [ "$(jq -r .framebuffer_mb <<<"$t")" = $((low + high)) ]
                [ "$(jq -r .weight <<<"$t")" = "$weight" ]
                [ "$(jq -r .max_resolution <<<"$t")" = "$res" ]
                [ "$(jq -r .parse_error <<<"$t")" = null ]
        done < <(jq -r '.types[] | [.id, .name, .low_gm_mb, .high_gm_mb, .weight, .resolution] | join(" ")' \
                "$PROFILES/types/intel-gvtg.json")
        run "$MODEL" resolve gvtg_v5_4
        [ "$(jq -r .id <<<"$output")" = i915-GVTg_V5_4 ]
}

@test "the shared pool: mixed types fit until it is used up, and the refusal says so" {
        [ "$(available i915-GVTg_V5_4)" = 3 ]
        for u in "$U1" "$U2" "$U3"; do
                run "$MODEL" --uuid "$u" create GVTg_V5_4
                [ "$status" -eq 0 ]
        done
        # the pool's low graphics memory has room for the smallest type only
        [ "$(available i915-GVTg_V5_4)" = 0 ]
        [ "$(available i915-GVTg_V5_8)" = 1 ]
        run "$MODEL" place GVTg_V5_2
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"GPU $IGD the shared GVT-g graphics memory pool is used up by 3 vGPUs (instances $U1, $U2 and 1 more); GVTg_V5_2 needs 1280 MB"* ]]
        run "$MODEL" --uuid "$U4" create GVTg_V5_8
        [ "$status" -eq 0 ]
        [ "$(available i915-GVTg_V5_8)" = 0 ]
        # one goes, room comes back for every type that fits again
        run "$MODEL" destroy "$U2"
        [ "$status" -eq 0 ]
        [ "$(available i915-GVTg_V5_4)" = 1 ]
}

@test "a create changes the other types' counts, and the model hears it" {
        watch_start
        echo "$U1" >"/sys/class/mdev_bus/$IGD/mdev_supported_types/i915-GVTg_V5_2/create"
        watch_wait "added instance $U1"
        watch_wait "changed type i915-GVTg_V5_2 $IGD available=0"
        watch_wait "changed type i915-GVTg_V5_4 $IGD available=1"
        watch_wait "changed type i915-GVTg_V5_8 $IGD available=3"
}
