# vgpu-sim: --profile t4
# vgpuctl apply / export (vgpud-apply(5)) on two Tesla T4 (mdev) and vgpud's
# software GPU (rpc): the dry run, apply and the second apply that changes
# nothing, what survives a restart and a reboot, the rollback that names the
# failed step (an mdev create, an rpc create past the type's room), two
# applies racing, an instance a domain holds (--force), the export round trip
# in both formats, and bad files answered with file:line:column.
load helpers
load vgpud
load apply

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup() {
        export APPLY_CONF="[autostart]
initial_delay = 200ms
[libvirt]
refresh_interval = 0
[rpc]
enabled = yes
gpus = 1
socket_dir = $BATS_TEST_TMPDIR/rpc
policy = fixed-share
[rpc-type rpc-small]
vram = 16M
share = 0
max_instances = 4
[rpc-type rpc-70]
vram = 16M
share = 70
max_instances = 1"
        apply_setup
        BASE=$(apply_file base.yaml <<EOF
# vgpud's own format: GPUs by address, rpc by id, quotas and persistence
version: v1
vgpu-configs:
  lab:
    - devices: ["$GPU0"]
      vgpu-devices:
        T4-2Q: 4
    - devices: ["$GPU1"]
      vgpu-devices:
        T4-4Q: 2
    - devices: [rpc0]
      vgpu-devices:
        rpc-small: 2
EOF
        )
}

teardown() {
        apply_teardown
}

@test "dry run, apply, second apply: the plan, the instances (persistent, autostart), nothing the second time" {
        check_dry_run "$BASE"
        [ "$(n_instances)" -eq 0 ]
        run vgpuctl apply -f "$BASE" --dry-run
        [ "$(grep -c 'create T4-2Q on 0000:3b:00.0 (persistent, autostart)' <<<"$output")" -eq 4 ]
        [ "$(grep -c 'create T4-4Q on 0000:d8:00.0' <<<"$output")" -eq 2 ]
        [ "$(grep -c 'create rpc-small on ffff:00:00.0' <<<"$output")" -eq 2 ]
        check_apply_twice "$BASE" 8
        [ "$(vgpuctl --json list | jq '[.[] | select(.gpu == "0000:3b:00.0" and .type == "nvidia-231")] | length')" -eq 4 ]
        [ "$(vgpuctl --json list | jq '[.[] | select(.backend == "rpc")] | length')" -eq 2 ]
}

@test "a changed file: what fits is kept, the rest destroyed or created; a restart and a reboot keep the result" {
        vgpuctl apply -f "$BASE"
        local kept
        kept=$(vgpuctl --json list | jq -r '.[] | select(.gpu == "0000:3b:00.0") | .uuid' | sort)
        local f
        f=$(apply_file changed.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: ["$GPU0"]
      vgpu-devices:
        T4-2Q: 4
    - devices: ["$GPU1"]
      vgpu-devices:
        T4-1Q: 3
      persistent: false
    - devices: [rpc0]
      vgpu-devices: {}
EOF
        )
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(grep -c '^  destroy ' <<<"$output")" -eq 4 ]
        [ "$(grep -c '^  create T4-1Q on 0000:d8:00.0 (transient)' <<<"$output")" -eq 3 ]
        [[ $output == *"4 instance(s) kept as they are."* ]]
        [ "$(vgpuctl --json list | jq -r '.[] | select(.gpu == "0000:3b:00.0") | .uuid' | sort)" = "$kept" ]
        # persistent ones come back after a reboot (autostart), transient ones do not
        vgpud_stop
        vgpu-sim ctl reboot
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 20 test "$(vgpuctl --json list | jq length)" -eq 4
        [ "$(vgpuctl --json list | jq -r '.[] | .uuid' | sort)" = "$kept" ]
}

@test "a failing mdev create rolls the whole apply back and names the step" {
        vgpuctl apply -f "$BASE"
        local before f
        before=$(host_state)
        f=$(apply_file next.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: ["$GPU0"]
      vgpu-devices:
        T4-2Q: 2
    - devices: ["$GPU1"]
      vgpu-devices:
        T4-8Q: 2
    - devices: [rpc0]
      vgpu-devices:
        rpc-small: 3
EOF
        )
        # four destroys, then the first T4-8Q create on GPU1 fails
        vgpu-sim ctl fail /sys/class/mdev_bus/$GPU1/mdev_supported_types/nvidia-233/create EIO 1
        check_rollback "$f" "create T4-8Q on 0000:d8:00.0" "$before"
        [[ $output == *"Step 5 of 7 failed"* ]]
        [[ $output == *"Rolled back: 4 step(s) undone"* ]]
        [[ $output == *"/mdev_supported_types/nvidia-233/create"* ]]
        grep -q "Apply: undoing: destroy" "$VGPUD_LOG"
}

@test "an rpc create past the type's room rolls back mdev and rpc steps alike" {
        local f before
        before=$(host_state)
        f=$(apply_file toomany.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: ["$GPU0"]
      vgpu-devices:
        T4-2Q: 1
    - devices: [rpc0]
      vgpu-devices:
        rpc-70: 2
EOF
        )
        check_rollback "$f" "create rpc-70 on ffff:00:00.0" "$before"
        [[ $output == *"Step 3 of 3 failed"* ]]
        [[ $output == *"Rolled back: 2 step(s) undone"* ]]
        [ "$(n_instances)" -eq 0 ]
}

@test "two applies at once: the second is refused as a whole, the first completes" {
        local other
        other=$(apply_file other.yaml <<EOF
version: v1
vgpu-configs:
  x:
    - devices: all
      vgpu-devices:
        T4-1Q: 1
EOF
        )
        check_race "$BASE" "$other"
        [ "$(n_instances)" -eq 8 ]
        [ "$(vgpuctl --json list | jq '[.[] | select(.type == "nvidia-230")] | length')" -eq 0 ]
}

@test "an instance a domain holds is never destroyed without --force" {
        vgpuctl apply -f "$BASE"
        local u f
        u=$(vgpuctl --json list | jq -r '.[] | select(.gpu == "0000:d8:00.0") | .uuid' | head -n 1)
        f=$(apply_file smaller.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: ["$GPU1"]
      vgpu-devices:
        T4-4Q: 0
EOF
        )
        check_force "$f" "$u"
        [ "$(vgpuctl --json list | jq '[.[] | select(.gpu == "0000:d8:00.0")] | length')" -eq 0 ]
        # the GPUs the file does not name are left alone
        [ "$(vgpuctl --json list | jq '[.[] | select(.gpu == "0000:3b:00.0")] | length')" -eq 4 ]
}

@test "export, then apply on a fresh host: the same vGPUs, in vgpud's format and NVIDIA's" {
        vgpuctl apply -f "$BASE"
        vgpuctl create --type t4-2q --gpu $GPU0 --autostart >/dev/null # one made by hand is exported too
        check_round_trip vgpud
        grep -q '"T4-2Q": 5' "$BATS_TEST_TMPDIR/exported-vgpud.yaml"
        grep -q '"rpc-small": 2' "$BATS_TEST_TMPDIR/exported-vgpud.yaml"
        check_round_trip vgpu-device-manager
        grep -q '^    - devices: \[0\]$' "$BATS_TEST_TMPDIR/exported-vgpu-device-manager.yaml"
        grep -q '"T4-2Q": 5' "$BATS_TEST_TMPDIR/exported-vgpu-device-manager.yaml"
}

@test "bad files: file:line:column and what is wrong, nothing changes" {
        local f
        f=$(apply_file bad1.yaml <<'EOF'
version: v1
vgpu-configs:
  lab:
    - devices: all
      vgpu-devices:
        T4-2Q: four
EOF
        )
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 2 ]
        [[ $output == *"$f:6:16: the number of vGPUs must be a whole number, not 'four'"* ]]
        [[ $output == *"Nothing was changed."* ]]
        f=$(apply_file bad2.yaml <<'EOF'
version: v1
vgpu-configs:
  lab:
    - devices: all
      vgpu-devices: {T4-2Q: 1
EOF
        )
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 2 ]
        [[ $output =~ $f:[0-9]+:[0-9]+:\  ]]
        f=$(apply_file bad3.yaml <<'EOF'
version: v2
vgpu-configs: {}
EOF
        )
        run vgpuctl apply -f "$f"
        [[ $output == *"$f:1:10: unknown version 'v2': this reader knows v1"* ]]
        # well-formed, but wrong for this host: the daemon says where, nothing changes
        f=$(apply_file bad4.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: ["$GPU0"]
      vgpu-devices:
        T4-2Q: 1
    - devices: [1]
      vgpu-devices:
        A16-2Q: 1
EOF
        )
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"$f:9:9: GPU 0000:d8:00.0 does not offer A16-2Q"* ]]
        f=$(apply_file bad5.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: all
      vgpu-devices: {T4-1Q: 1}
    - devices: [0]
      vgpu-devices: {T4-2Q: 1}
EOF
        )
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"$f:6:7: GPU 0000:3b:00.0 is also selected by the entry at $f:4:7"* ]]
        run vgpuctl apply -f "$f" --config nope
        [ "$status" -eq 3 ]
        [[ $output == *"has no configuration 'nope'; it has: lab"* ]]
        run vgpuctl apply
        [ "$status" -eq 2 ]
        [ "$(n_instances)" -eq 0 ]
}

@test "vgpu-device-manager's own example file is read as it is" {
        local f
        f=$(apply_file nvidia.yaml <<'EOF'
version: v1
vgpu-configs:
  T4-8Q:
    - devices: all
      vgpu-devices:
        T4-8Q: 2
  custom:
    - devices: [0]
      vgpu-devices:
        T4-1Q: 4
    - device-filter: ["0x1EB810DE"]
      devices: [1]
      vgpu-devices:
        T4-2B: 2
EOF
        )
        run vgpuctl apply -f "$f" --config T4-8Q
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(vgpuctl --json list | jq '[.[] | select(.type == "nvidia-233")] | length')" -eq 4 ]
        run vgpuctl apply -f "$f" --config custom
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(vgpuctl --json list | jq '[.[] | select(.type == "nvidia-233")] | length')" -eq 0 ]
        [ "$(vgpuctl --json list | jq '[.[] | select(.type == "nvidia-230" and .gpu == "0000:3b:00.0")] | length')" -eq 4 ]
        [ "$(vgpuctl --json list | jq '[.[] | select(.type == "nvidia-223" and .gpu == "0000:d8:00.0")] | length')" -eq 2 ]
}

@test "authorized once: anyone may dry-run, only the admin group applies" {
        chmod o+r "$BASE"
        chmod o+x "$(dirname "$BASE")"
        local d
        d=$(dirname "$BASE")
        while [[ $d != / && $d != /tmp ]]; do chmod o+x "$d"; d=$(dirname "$d"); done
        run as_user "" vgpuctl apply -f "$BASE" --dry-run
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"8 change(s) planned"* ]]
        run as_user "" vgpuctl apply -f "$BASE"
        echo "$output"
        [ "$status" -eq 5 ]
        [ "$(n_instances)" -eq 0 ]
        # the D-Bus call itself: refused before its entries are even read
        run as_user "" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.vgpud1 /org/vgpud1 org.vgpud1.Manager \
                Apply 'a(sasasa(ssu)a{sv})a{sv}' 1 "x:1:1" 1 nonsense 0 0 0 0
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output != *nonsense* ]]
        [[ $output == *"Access denied"* ]]
}

@test "quotas: an instance with another quota does not fit and is replaced; the export carries the quota" {
        vgpuctl apply -f "$BASE"
        local f old
        old=$(vgpuctl --json list | jq -r '.[] | select(.backend == "rpc") | .uuid' | sort)
        f=$(apply_file quota.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: [rpc0]
      vgpu-devices:
        rpc-small: 2
      quota: {share: 30}
EOF
        )
        run vgpuctl apply -f "$f"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(grep -c '^  destroy ' <<<"$output")" -eq 2 ]
        [ "$(vgpuctl --json list | jq '[.[] | select(.backend == "rpc" and .share == 30)] | length')" -eq 2 ]
        [ "$(vgpuctl --json list | jq -r '.[] | select(.backend == "rpc") | .uuid' | sort)" != "$old" ]
        run vgpuctl apply -f "$f"
        [[ $output == "Nothing to change"* ]]
        vgpuctl export | grep -q 'quota: {share: 30}'
}

@test "an rpc instance a domain holds needs --force too" {
        vgpuctl apply -f "$BASE"
        local u f
        u=$(vgpuctl --json list | jq -r '.[] | select(.backend == "rpc") | .uuid' | head -n 1)
        f=$(apply_file norpc.yaml <<EOF
version: v1
vgpu-configs:
  lab:
    - devices: [rpc0]
      vgpu-devices: {}
EOF
        )
        check_force "$f" "$u"
        [ "$(vgpuctl --json list | jq '[.[] | select(.backend == "rpc")] | length')" -eq 0 ]
        [ "$(n_instances)" -eq 6 ]
}
