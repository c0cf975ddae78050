# vgpu-sim: --profile a16
# vgpuctl apply / export on an A16 board (four GPUs, mdev on their VFs) with
# vgpu-device-manager's file as NVIDIA writes it (devices by index, NVIDIA's
# type names): dry run, apply, the second apply that changes nothing, a
# rollback naming the failed step, two applies racing, --force, and the export
# round trip in both formats.
load helpers
load vgpud
load apply

setup() {
        export APPLY_CONF="[libvirt]
refresh_interval = 0"
        apply_setup
        BASE=$(apply_file config.yaml <<'EOF'
version: v1
vgpu-configs:
  A16-4Q:
    - devices: all
      vgpu-devices:
        A16-4Q: 2
  A16-mixed:
    - devices: [0, 1]
      vgpu-devices:
        A16-4Q: 2
    - devices: [2]
      vgpu-devices:
        A16-8Q: 2
    - devices: [3]
      vgpu-devices:
        A16-1Q: 2
EOF
        )
}

teardown() {
        apply_teardown
}

@test "dry run, apply, second apply on every GPU of the board" {
        check_dry_run "$BASE" --config A16-4Q
        run vgpuctl apply -f "$BASE" --config A16-4Q --dry-run
        [ "$(grep -c '^  create A16-4Q on ' <<<"$output")" -eq 8 ]
        check_apply_twice "$BASE" 8 --config A16-4Q
        for g in 0000:41:00.0 0000:42:00.0 0000:43:00.0 0000:44:00.0; do
                [ "$(vgpuctl --json list | jq "[.[] | select(.gpu == \"$g\" and .type_name == \"NVIDIA A16-4Q\")] | length")" -eq 2 ]
        done
}

@test "another configuration of the file: what fits is kept; a failing create rolls back and names the step" {
        vgpuctl apply -f "$BASE" --config A16-4Q
        local before
        before=$(host_state)
        # the A16-1Q creates on GPU 3 fail, after the destroys and the A16-8Q creates on GPU 2
        for f in /sys/class/mdev_bus/0000:44:00.*/mdev_supported_types/nvidia-686/create; do
                vgpu-sim ctl fail "$f" EIO 1
        done
        run vgpuctl apply -f "$BASE" --config A16-mixed
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"Step 7 of 8 failed (create A16-1Q on 0000:44:00.0"*"nvidia-686/create: Input/output error (EIO)"* ]]
        [[ $output == *"Rolled back: 6 step(s) undone, the host is as it was."* ]]
        vgpu-sim ctl fail clear
        [ "$(host_state)" = "$before" ]
        run vgpuctl apply -f "$BASE" --config A16-mixed
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"4 instance(s) kept as they are."* ]]
        [ "$(vgpuctl --json list | jq '[.[] | select(.type_name == "NVIDIA A16-1Q")] | length')" -eq 2 ]
}

@test "two applies at once on the board: the second is refused" {
        local other
        other=$(apply_file other.yaml <<'EOF'
version: v1
vgpu-configs:
  x:
    - devices: [0]
      vgpu-devices: {A16-16Q: 1}
EOF
        )
        vgpu-sim ctl latency all 300
        vgpuctl apply -f "$BASE" --config A16-4Q >"$BATS_TEST_TMPDIR/first.out" 2>&1 &
        local first=$!
        wait_for 20 grep -q "Apply: " "$VGPUD_LOG"
        run vgpuctl apply -f "$other"
        echo "$output"
        [ "$status" -eq 4 ]
        [[ $output == *"Another apply is in progress"* ]]
        vgpu-sim ctl latency all 0
        wait "$first"
        [ "$(n_instances)" -eq 8 ]
}

@test "an assigned instance needs --force; export and apply on a fresh board reproduce it" {
        vgpuctl apply -f "$BASE" --config A16-mixed
        local u
        u=$(vgpuctl --json list | jq -r '.[] | select(.gpu == "0000:43:00.0") | .uuid' | head -n 1)
        local f
        f=$(apply_file empty3.yaml <<'EOF'
version: v1
vgpu-configs:
  x:
    - devices: [2]
      vgpu-devices: {}
EOF
        )
        check_force "$f" "$u"
        check_round_trip vgpu-device-manager
        check_round_trip vgpud
}
