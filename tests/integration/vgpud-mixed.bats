# vgpu-sim: --profile mixed
# A host with one of each: GVT-g, T4, A16 (per-VF mdev parents), Flex, L40S,
# RTX A5000. Discovery of all of them, types merged over VFs, and names that
# are ambiguous across boards.
load helpers
load vgpud

T4=0000:3b:00.0
A16=0000:41:00.0

setup_file() {
        bus_start_with_policy
        vgpud_start
}

teardown_file() {
        vgpud_stop
        bus_stop
}

teardown() {
        local u
        for u in $(vgpuctl list --all --quiet); do vgpuctl destroy "$u" >/dev/null || true; done
}

@test "every GPU is listed, with mdev where it has parents" {
        run vgpuctl gpus --json
        [ "$status" -eq 0 ]
        [ "$(jq length <<<"$output")" -eq 6 ]
        [ "$(jq -r ".[] | select(.address == \"$T4\") | .backends | join(\",\")" <<<"$output")" = mdev ]
        [ "$(jq -r ".[] | select(.address == \"$A16\") | .types" <<<"$output")" -gt 0 ]
        [ "$(jq -r '.[] | select(.name == "L40S") | .types' <<<"$output")" -eq 0 ]
}

@test "an A16 type is one object merged over the GPU's VF parents" {
        run vgpuctl types --gpu $A16 --json
        [ "$(jq -r '.[] | select(.id == "nvidia-687") | .parents | length' <<<"$output")" -gt 1 ]
        [ "$(jq -r '.[] | select(.id == "nvidia-687") | .gpu' <<<"$output")" = $A16 ]
        local u
        u=$(vgpuctl create --type a16-2q)
        [ "$(instance_prop "$u" GpuAddress)" = "\"$A16\"" ]
        run instance_prop "$u" Parent
        [[ $output != "\"$A16\"" ]] # a VF of it
}

@test "board-less names: grid-2q is the T4's, nvidia-2q the A16's" {
        run vgpuctl create --type grid-2q
        [ "$status" -eq 0 ]
        [ "$(instance_prop "$output" Type)" = '"nvidia-231"' ]
        run vgpuctl create --type nvidia-2q
        [ "$status" -eq 0 ]
        [ "$(instance_prop "$output" GpuAddress)" = "\"$A16\"" ]
}

@test "ResolveType and ExplainPlacement answer without changing anything" {
        run busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager ResolveType ss t4-2q ""
        [ "$status" -eq 0 ]
        [[ $output == "a(sos) 1 \"nvidia-231\" \"/org/vgpud1/gpu/pci_0000_3b_00_0/type/nvidia_2d231\" \"$T4\"" ]]
        run busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager ExplainPlacement 'ssa{sv}' t4-2q "" 0
        [ "$status" -eq 0 ]
        [[ $output == "a(ssbs) 1 \"$T4\" \"$T4\" true \"chosen by the pack policy"* ]]
        run busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager ExplainPlacement 'ssa{sv}' t4-2q "" 1 \
                placement s sideways
        [ "$status" -ne 0 ]
        [ -z "$(vgpuctl list --all --quiet)" ]
}
