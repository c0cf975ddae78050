# vgpu-sim: --profile gvtg
# Scheduling on Intel GVT-g: weighted only, weights fixed by type; `vgpuctl
# policy show` lists the weight and time budget each instance's type implies.
load helpers
load vgpud

IGD=0000:00:02.0

setup() {
        bus_start_with_policy
        vgpud_config <<EOF2 >/dev/null
[libvirt]
refresh_interval = 0
EOF2
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl reboot
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

@test "GVT-g: weighted by default, weights by type, budgets in policy show" {
        local a b
        a=$(vgpuctl create --type i915-GVTg_V5_4 --gpu $IGD)
        b=$(vgpuctl create --type i915-GVTg_V5_8 --gpu $IGD)
        run vgpuctl policy $IGD
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"Policy:      weighted (the vendor's default)"* ]]
        [[ $output == *"no scheduler setting"* ]]
        # V5_4 weighs 4, V5_8 weighs 2: 4/6 and 2/6 of every 100 ms
        [[ $output == *"$a (GVTg_V5_4): weight 4, budget 66.7 ms of 100 ms (66.7 %)"* ]]
        [[ $output == *"$b (GVTg_V5_8): weight 2, budget 33.3 ms of 100 ms (33.3 %)"* ]]
        [ "$(instance_prop "$a" Weight)" = "4" ]
        run vgpuctl show "$a"
        [[ $output == *"configured 66.7 %, measured n/a"* ]]
}

@test "GVT-g: another policy, another slice and a weight other than the type's are refused" {
        local a
        a=$(vgpuctl create --type i915-GVTg_V5_4 --gpu $IGD)
        run vgpuctl policy $IGD set equal-share
        [ "$status" -eq 4 ]
        run vgpuctl policy $IGD set weighted --slice 5
        [ "$status" -eq 4 ]
        run vgpuctl quota "$a" --weight 7
        [ "$status" -eq 4 ]
        [[ $output == *"4"* ]]
        run vgpuctl quota "$a" --share 20
        [ "$status" -eq 4 ]
        run vgpuctl quota "$a" --weight 4
        [ "$status" -eq 0 ]
        [[ $output == *"weight 4"* ]]
        run vgpuctl create --type i915-GVTg_V5_8 --gpu $IGD --weight 9
        [ "$status" -eq 4 ]
        [ "$(vgpuctl list --quiet | wc -l)" -eq 1 ]
}
