# vgpu-sim: --profile mixed
#
# libvgpu on the mixed simulated host: every GPU of the profile, SR-IOV PFs
# and their VFs, per-VF mdev parents that belong to their physical GPU,
# aliases across NVIDIA GRID/NVIDIA-prefixed boards and GVT-g, and placement
# over VF parents.
load lib-helpers

T4=0000:3b:00.0
A16=0000:41:00.0
A16_VF0=0000:41:00.4
A16_VF1=0000:41:00.5
L40S=0000:ca:00.0
U1=0c1f4e8a-9b2d-4f6e-8a1c-3d5e7f900001
U2=0c1f4e8a-9b2d-4f6e-8a1c-3d5e7f900002

setup() {
        sim_reset
}

@test "discovery finds every GPU of the profile and the A16's VFs" {
        model_dump
        [ "$(model_gpus)" = "$(profile_gpus mixed)" ]
        pf=$(jq -c ".gpus[] | select(.address == \"$A16\")" <<<"$DUMP")
        [ "$(jq -r .sriov.total_vfs <<<"$pf")" = 16 ]
        [ "$(jq -r .sriov.num_vfs <<<"$pf")" = 16 ]
        [ "$(jq -r '.sriov.vfs | length' <<<"$pf")" = 16 ]
        [ "$(jq -r '.sriov.vfs[0]' <<<"$pf")" = "$A16_VF0" ]
        [ "$(jq -r .mdev_parent <<<"$pf")" = false ]
        vf=$(jq -c ".gpus[] | select(.address == \"$A16_VF0\")" <<<"$DUMP")
        [ "$(jq -r .physfn <<<"$vf")" = "$A16" ]
        [ "$(jq -r .mdev_parent <<<"$vf")" = true ]
        # the L40S: SR-IOV capable, no VFs yet, no mdev
        l40s=$(jq -c ".gpus[] | select(.address == \"$L40S\")" <<<"$DUMP")
        [ "$(jq -r .sriov.num_vfs <<<"$l40s")" = 0 ]
        [ "$(jq -r .mdev_parent <<<"$l40s")" = false ]
}

@test "VF parents belong to their physical GPU" {
        model_dump
        [ "$(jq '[.parents[] | select(.gpu == "'"$A16"'")] | length' <<<"$DUMP")" = 16 ]
        [ "$(jq -r ".parents[] | select(.name == \"$T4\") | .gpu" <<<"$DUMP")" = "$T4" ]
        [ "$(jq -r '.types[] | select(.key == "mdev:NVIDIA A16-2Q") | .parents | length' <<<"$DUMP")" = 16 ]
}

@test "aliases: each board keeps its own board-less name" {
        run "$MODEL" resolve grid-2q
        [ "$status" -eq 0 ]
        [ "$(jq -r .key <<<"$output")" = "mdev:GRID T4-2Q" ]
        run "$MODEL" resolve nvidia-2q
        [ "$(jq -r .key <<<"$output")" = "mdev:NVIDIA A16-2Q" ]
        run "$MODEL" resolve a16-2q
        [ "$(jq -r .key <<<"$output")" = "mdev:NVIDIA A16-2Q" ]
        run "$MODEL" resolve gvtg-v5-4
        [ "$(jq -r .key <<<"$output")" = "mdev:GVTg_V5_4" ]
}

@test "placement over VF parents: pack keeps to one GPU's VFs, a used VF explains itself" {
        run "$MODEL" --uuid "$U1" create nvidia-2q
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(jq -r .parent <<<"$output")" = "$A16_VF0" ]
        run "$MODEL" --uuid "$U2" create nvidia-2q
        [ "$(jq -r .parent <<<"$output")" = "$A16_VF1" ]
        model_dump
        [ "$(jq -r ".gpus[] | select(.address == \"$A16\") | .instances" <<<"$DUMP")" = 2 ]
        [ "$(jq -r ".instances[] | select(.uuid == \"$U1\") | .gpu" <<<"$DUMP")" = "$A16" ]
        # naming a VF that hosts one already
        run "$MODEL" --gpu "$A16_VF0" place nvidia-2q
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"GPU $A16 VF $A16_VF0 already hosts NVIDIA A16-2Q (instance $U1); a VF holds one vGPU"* ]]
        # another type on the same physical GPU: the driver's one-type rule
        run "$MODEL" --gpu 0000:41:00.6 place nvidia-4q
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"GPU $A16 hosts NVIDIA A16-2Q (instances $U1 and $U2); this driver allows one type per GPU"* ]]
}
