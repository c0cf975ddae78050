# Scheduling quotas from the outside: the rendered RmPVMRL values and
# modprobe.d line against NVIDIA's examples (the reference's "Scheduling
# knobs"), GVT-g's weights and budgets, and refusals as an administrator sees
# them. The rules themselves are covered case by case in test-quota.c.
load helpers

T4=0000:3b:00.0
U1=11111111-1111-4111-8111-111111111111
U2=22222222-2222-4222-8222-222222222222
U3=33333333-3333-4333-8333-333333333333

setup_file() {
        export VGPU_SCHED="$VGPU_TEST_BUILDDIR/tests/helpers/vgpu-sched"
        [ -x "$VGPU_SCHED" ]
}

nvidia() {
        "$VGPU_SCHED" render --vendor nvidia --address "$T4" --instance "$U1,nvidia-231,2048,8" "$@"
}

@test "RmPVMRL: the reference's four examples, exactly" {
        run nvidia --policy equal-share
        [ "$status" -eq 0 ]
        [[ ${lines[0]} == "setting: 0x01" ]]
        run nvidia --policy fixed-share
        [[ ${lines[0]} == "setting: 0x11" ]]
        run nvidia --policy equal-share --slice 3
        [[ ${lines[0]} == "setting: 0x00030001" ]]
        run nvidia --policy fixed-share --slice 24
        [[ ${lines[0]} == "setting: 0x00180011" ]]
        [[ ${lines[1]} == 'config: options nvidia NVreg_RegistryDwordsPerDevice="pci=0000:3b:00.0;RmPVMRL=0x00180011"' ]]
        run nvidia --policy best-effort
        [[ ${lines[0]} == "setting: 0x00" ]]
}

@test "RmPVMRL: strict round robin as NVIDIA's vGPU 15+ examples write it" {
        run nvidia --policy equal-share --averaging 60 --frequency 960
        [[ ${lines[0]} == "setting: 0x3c3c0001" ]]
        run nvidia --policy fixed-share --averaging 60 --frequency 960
        [[ ${lines[0]} == "setting: 0x3c3c0011" ]]
}

@test "policy show for NVIDIA says where the line goes and when it takes effect" {
        run nvidia --policy fixed-share
        [ "$status" -eq 0 ]
        [[ $output == *"/etc/modprobe.d/"* ]]
        [[ $output == *"takes effect when the nvidia module is reloaded (or the host reboots) with no VM running"* ]]
        [[ $output == *"$U1 (nvidia-231): fixed share 12.5 %"* ]]
        [[ $output == *"default time slice (2 ms for this GPU's vGPU types)"* ]]
}

@test "NVIDIA refusals: mixed framebuffer sizes under fixed-share, weights, slices out of range" {
        run "$VGPU_SCHED" admit --vendor nvidia --address "$T4" --policy fixed-share \
                --instance "$U1,nvidia-231,2048,8" --change "$U2,nvidia-232,4096,4"
        [ "$status" -eq 1 ]
        [[ $output == *"same framebuffer size"*"Use best-effort or equal-share."* ]]
        run "$VGPU_SCHED" admit --vendor nvidia --address "$T4" --policy equal-share \
                --instance "$U1,nvidia-231,2048,8" --change "$U2,nvidia-232,4096,4"
        [ "$status" -eq 0 ]
        run "$VGPU_SCHED" admit --vendor nvidia --address "$T4" --policy weighted
        [ "$status" -eq 1 ]
        [[ $output == *"offers best-effort, equal-share, fixed-share; weighted is not available"* ]]
        run nvidia --policy equal-share --slice 31
        [ "$status" -eq 1 ]
        [[ $output == *"1 to 30 ms"* ]]
        [[ $output != *setting:* ]]
}

@test "GVT-g: weights fixed by type, budgets of 100 ms" {
        run "$VGPU_SCHED" render --vendor gvtg --address 0000:00:02.0 --policy weighted \
                --instance "$U1,i915-GVTg_V5_4,0,0" --instance "$U2,i915-GVTg_V5_8,0,0" --instance "$U3,i915-GVTg_V5_4,0,0"
        [ "$status" -eq 0 ]
        [[ ${lines[0]} == "setting: n/a" ]]
        [[ $output == *"$U1 (i915-GVTg_V5_4): weight 4, budget 40.0 ms of 100 ms (40.0 %)"* ]]
        [[ $output == *"$U2 (i915-GVTg_V5_8): weight 2, budget 20.0 ms of 100 ms (20.0 %)"* ]]
        run "$VGPU_SCHED" admit --vendor gvtg --address 0000:00:02.0 --policy weighted --change "$U1,i915-GVTg_V5_4,0,0,weight=16"
        [ "$status" -eq 1 ]
        [[ $output == *"i915-GVTg_V5_4 has weight 4"* ]]
}

@test "configured vs measured: numbers for vgpud's engine, n/a for a vendor's" {
        run "$VGPU_SCHED" shares --vendor rpc --address rpc0 --policy fixed-share \
                --instance "$U1,rpc-256,256,16,share=60" --instance "$U2,rpc-256,256,16"
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "time slice: 2 ms" ]
        [ "${lines[1]}" = "$U1 configured 60.0 % measured (from the engine)" ]
        [ "${lines[2]}" = "$U2 configured 40.0 % measured (from the engine)" ]
        run "$VGPU_SCHED" shares --vendor nvidia --address "$T4" --policy best-effort --instance "$U1,nvidia-222,1024,16"
        [ "${lines[0]}" = "time slice: 1 ms" ]
        [ "${lines[1]}" = "$U1 configured n/a measured n/a" ]
        run "$VGPU_SCHED" admit --vendor rpc --address rpc0 --policy fixed-share \
                --instance "$U1,rpc-256,256,16,share=60" --change "$U3,rpc-256,256,16,share=50"
        [ "$status" -eq 1 ]
        [[ $output == *"would add up to 110.0 %"* ]]
}
