# vgpu-sim: --profile gvtg
# vgpuctl apply / export on Intel GVT-g (one GPU, several types sharing its
# pool): dry run, apply, the second apply that changes nothing, a rollback
# naming the failed step, two applies racing, --force, and the export round
# trip.
load helpers
load vgpud
load apply

GPU=0000:00:02.0

setup() {
        export APPLY_CONF="[libvirt]
refresh_interval = 0"
        apply_setup
        BASE=$(apply_file base.yaml <<EOF
version: v1
vgpu-configs:
  desk:
    - model: UHD Graphics
      devices: all
      vgpu-devices:
        GVTg_V5_4: 1
        GVTg_V5_8: 2
EOF
        )
}

teardown() {
        apply_teardown
}

@test "dry run, apply, second apply: two types on one GPU" {
        check_dry_run "$BASE"
        check_apply_twice "$BASE" 3
        [ "$(vgpuctl --json list | jq '[.[] | select(.type == "i915-GVTg_V5_8")] | length')" -eq 2 ]
}

@test "a failing create rolls back what the apply did before it, naming the step" {
        vgpuctl apply -f "$BASE"
        local before f
        before=$(host_state)
        f=$(apply_file next.yaml <<EOF
version: v1
vgpu-configs:
  desk:
    - devices: ["$GPU"]
      vgpu-devices:
        GVTg_V5_8: 4
        GVTg_V5_2: 1
EOF
        )
        vgpu-sim ctl fail /sys/class/mdev_bus/$GPU/mdev_supported_types/i915-GVTg_V5_2/create EIO 1
        check_rollback "$f" "create GVTg_V5_2 on $GPU" "$before"
        [[ $output == *"Step 4 of 4 failed"* ]]
        [[ $output == *"Rolled back: 3 step(s) undone"* ]]
}

@test "two applies at once: the second is refused" {
        local other
        other=$(apply_file other.yaml <<EOF
version: v1
vgpu-configs:
  x:
    - devices: [0]
      vgpu-devices: {GVTg_V5_2: 1}
EOF
        )
        check_race "$BASE" "$other"
        [ "$(n_instances)" -eq 3 ]
}

@test "an assigned instance needs --force; export and apply on a fresh host reproduce it" {
        vgpuctl apply -f "$BASE"
        local u f
        u=$(vgpuctl --json list | jq -r '.[] | select(.type == "i915-GVTg_V5_4") | .uuid')
        f=$(apply_file eights.yaml <<EOF
version: v1
vgpu-configs:
  desk:
    - devices: all
      vgpu-devices: {GVTg_V5_8: 2}
EOF
        )
        check_force "$f" "$u"
        [ "$(n_instances)" -eq 2 ]
        vgpuctl apply -f "$BASE"
        check_round_trip vgpud
        check_round_trip vgpu-device-manager
}
