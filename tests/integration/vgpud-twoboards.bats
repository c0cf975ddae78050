# vgpu-sim: --profile t4
# Two GRID boards on one host (a T4 and a V100, from a profile made here): the
# board-less name grid-2q is ambiguous, the refusal names both types, and
# --gpu settles it.
load helpers
load vgpud

T4=0000:3b:00.0
V100=0000:5e:00.0

setup_file() {
        local dir=$BATS_FILE_TMPDIR/profile
        mkdir -p "$dir/types"
        cp "$VGPU_TEST_SRCDIR/tests/sim/profiles/types/nvidia-t4.json" "$dir/types/"
        cat >"$dir/types/nvidia-v100.json" <<'JSON'
{"vendor": "nvidia", "types": [
 {"id": "nvidia-180", "name": "GRID V100-1Q", "framebuffer_mb": 1024, "num_heads": 4, "frl_config": 60,
  "max_resolution": "5120x2880", "max_instance": 16},
 {"id": "nvidia-181", "name": "GRID V100-2Q", "framebuffer_mb": 2048, "num_heads": 4, "frl_config": 60,
  "max_resolution": "7680x4320", "max_instance": 8}]}
JSON
        cat >"$dir/two-boards.json" <<'JSON'
{"name": "two-boards", "description": "A Tesla T4 and a Tesla V100 on mdev",
 "drivers": ["nvidia", "vfio-pci", "pci-stub"],
 "devices": [
  {"address": "0000:3b:00.0", "label": "NVIDIA Tesla T4", "vendor": "0x10de", "device": "0x1eb8",
   "subsystem_vendor": "0x10de", "subsystem_device": "0x12a2", "class": "0x030200", "revision": "0xa1",
   "driver": "nvidia", "iommu_group": 30, "vgpu": {"kind": "nvidia-mdev", "types": "nvidia-t4", "framebuffer_mb": 16384}},
  {"address": "0000:5e:00.0", "label": "NVIDIA Tesla V100", "vendor": "0x10de", "device": "0x1db4",
   "subsystem_vendor": "0x10de", "subsystem_device": "0x1214", "class": "0x030200", "revision": "0xa1",
   "driver": "nvidia", "iommu_group": 40, "vgpu": {"kind": "nvidia-mdev", "types": "nvidia-v100", "framebuffer_mb": 16384}}]}
JSON
        vgpu-sim ctl profile "$dir/two-boards.json"
        bus_start_with_policy
        vgpud_start
}

teardown_file() {
        vgpud_stop
        bus_stop
}

@test "grid-2q is ambiguous on two GRID boards: AmbiguousType lists both" {
        run vgpuctl create --type grid-2q
        [ "$status" -eq 4 ]
        [[ $output == *"ambiguous"* ]]
        [[ $output == *"GRID T4-2Q"* && $output == *"GRID V100-2Q"* ]]
        [[ $output == *"--gpu"* ]]
        [ -z "$(vgpuctl list --all --quiet)" ]
        run busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager ResolveType ss grid-2q ""
        [ "$status" -ne 0 ]
}

@test "the board-qualified names resolve; --gpu settles the board-less one" {
        run vgpuctl types --quiet
        [[ $output == *t4-2q* && $output == *v100-2q* ]]
        [[ $output != *grid-2q* ]]
        run vgpuctl create --type grid-2q --gpu $V100
        [ "$status" -eq 0 ]
        [ "$(instance_prop "$output" Type)" = '"nvidia-181"' ]
        run vgpuctl create --type grid-2q --gpu $T4
        [ "$status" -eq 0 ]
        [ "$(instance_prop "$output" Type)" = '"nvidia-231"' ]
}
