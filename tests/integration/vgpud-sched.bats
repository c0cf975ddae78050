# vgpu-sim: --profile t4
# Scheduling policies and quotas on two Tesla T4 (NVIDIA): `vgpuctl policy`
# and `vgpuctl quota`, the RmPVMRL values against the reference's examples,
# every refusal, configured vs measured shares, vgpud.conf's [gpu ADDRESS],
# persistence across restarts, and the change signals.
load helpers
load vgpud

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0
GPU0_PATH=/org/vgpud1/gpu/pci_0000_3b_00_0

setup() {
        bus_start_with_policy
        vgpud_config <<EOF >/dev/null
[gpu d8:00.0]
scheduler = equal-share
time_slice = 5ms

[libvirt]
refresh_interval = 0
EOF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl reboot # the next test starts from the power-on state
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

gpu_prop() { busctl --system get-property org.vgpud1 $GPU0_PATH org.vgpud1.Gpu "$1" | cut -d' ' -f2-; }

@test "policy show: NVIDIA's default is best-effort, RmPVMRL=0x00 and the modprobe line with when it applies" {
        run vgpuctl policy $GPU0
        [ "$status" -eq 0 ]
        [[ $output == *"Policy:      best-effort (the vendor's default)"* ]]
        [[ $output == *"RmPVMRL=0x00"* ]]
        [[ $output == *'options nvidia NVreg_RegistryDwordsPerDevice="pci=0000:3b:00.0;RmPVMRL=0x00"'* ]]
        [[ $output == *"reloaded"*"no VM running"* ]]
        # "policy show GPU" is the same command
        run vgpuctl policy show $GPU0
        [ "$status" -eq 0 ]
        [[ $output == *"Scheduler:   nvidia"* ]]
        [ "$(gpu_prop SchedulerPolicy)" = '"best-effort"' ]
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x00"' ]
}

@test "the reference's RmPVMRL examples: equal 0x01, fixed 0x11, equal 3 ms 0x00030001, fixed 24 ms 0x00180011" {
        vgpuctl policy $GPU0 set equal-share >/dev/null
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x01"' ]
        vgpuctl policy $GPU0 set fixed-share >/dev/null
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x11"' ]
        run vgpuctl policy $GPU0 set equal-share --slice 3
        [ "$status" -eq 0 ]
        [[ $output == *"Time slice:  3 ms"* ]]
        [[ $output == *'options nvidia NVreg_RegistryDwordsPerDevice="pci=0000:3b:00.0;RmPVMRL=0x00030001"'* ]]
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x00030001"' ]
        [ "$(gpu_prop TimeSliceMs)" = "3" ]
        vgpuctl policy $GPU0 set fixed-share --slice 24ms >/dev/null
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x00180011"' ]
        [ "$(gpu_prop SchedulerPolicy)" = '"fixed-share"' ]
        # strict round robin (vGPU 15+): the guide's 0x3c3c0001
        vgpuctl policy $GPU0 set equal-share --averaging-factor 60 --frequency 960 >/dev/null
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x3c3c0001"' ]
}

@test "refusals: a policy NVIDIA lacks, a slice out of range, usage errors; nothing changes" {
        vgpuctl policy $GPU0 set equal-share --slice 3 >/dev/null
        run vgpuctl policy $GPU0 set weighted
        [ "$status" -eq 4 ]
        [[ $output == *weighted* ]]
        run vgpuctl policy $GPU0 set equal-share --slice 31
        [ "$status" -eq 2 ] || [ "$status" -eq 1 ]
        [[ $output == *"31"* ]]
        run vgpuctl policy $GPU0 set best-effort --slice 3
        [ "$status" -ne 0 ]
        run vgpuctl policy $GPU0 set round-robin
        [ "$status" -eq 2 ]
        run vgpuctl policy $GPU0 frobnicate
        [ "$status" -eq 2 ]
        run vgpuctl policy 0000:99:00.0
        [ "$status" -eq 3 ]
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x00030001"' ]
}

@test "configured share: equal-share splits among existing instances; measured is n/a for a vendor backend" {
        local a b
        vgpuctl policy $GPU0 set equal-share >/dev/null
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        [ "$(instance_prop "$a" ConfiguredShare)" = "100" ]
        b=$(vgpuctl create --type grid-2q --gpu $GPU0)
        [ "$(instance_prop "$a" ConfiguredShare)" = "50" ]
        [ "$(instance_prop "$b" MeasuredShare)" = "-1" ]
        run vgpuctl list
        [[ ${lines[0]} == *OWNER*SHARE*MEASURED* ]]
        [[ $output =~ $a.*50\.0\ %\ +n/a ]]
        run vgpuctl show "$b"
        [[ $output == *"Share:       configured 50.0 %, measured n/a"* ]]
        run vgpuctl --json show "$b"
        [[ $output =~ \"measured_share\":\ *null ]]
        # fixed-share on NVIDIA: 1/max_instance (T4-2Q: 8 per GPU)
        vgpuctl policy $GPU0 set fixed-share >/dev/null
        [ "$(instance_prop "$a" ConfiguredShare)" = "12.5" ]
        # best-effort guarantees nothing
        vgpuctl policy $GPU0 set best-effort >/dev/null
        [ "$(instance_prop "$a" ConfiguredShare)" = "-1" ]
}

@test "quota: NVIDIA's fixed share is 1/max_instance (AdmissionDenied otherwise), no weights; usage errors" {
        local a
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        run vgpuctl quota "$a" --share 30
        [ "$status" -eq 4 ]
        [[ $output == *"12"* ]]
        run vgpuctl quota "$a" --weight 2
        [ "$status" -eq 4 ]
        run vgpuctl quota "$a" --share 0
        [ "$status" -eq 2 ]
        run vgpuctl quota "$a" --share 101
        [ "$status" -eq 2 ]
        run vgpuctl quota "$a" --share 10 --weight 2
        [ "$status" -eq 2 ]
        run vgpuctl quota "$a"
        [ "$status" -eq 0 ]
        [[ $output == *"Quota:       -"* ]]
        run vgpuctl create --type grid-2q --gpu $GPU0 --share 50
        [ "$status" -ne 0 ]
        run busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager CreateInstance 'sssa{sv}' grid-2q $GPU0 "" \
                1 share u 50
        [ "$status" -ne 0 ]
        [[ $output == *AdmissionDenied* ]] || [[ $output == *"12"* ]]
        [ "$(vgpuctl list --quiet | wc -l)" -eq 1 ]
}

@test "vgpud.conf [gpu ADDRESS] sets a GPU's policy; run-time settings win and survive a restart; reset returns" {
        run vgpuctl policy $GPU1
        [[ $output == *"Policy:      equal-share (from vgpud.conf)"* ]]
        [[ $output == *"RmPVMRL=0x00050001"* ]]
        vgpuctl policy $GPU1 set fixed-share --slice 24 >/dev/null
        vgpuctl policy $GPU0 set equal-share --slice 3 >/dev/null
        [ -f "$VGPUD_DIR/state/gpus/$GPU0.json" ]
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        run vgpuctl policy $GPU1
        [[ $output == *"Policy:      fixed-share (set with vgpuctl policy)"* ]]
        [[ $output == *"0x00180011"* ]]
        [ "$(gpu_prop VendorSchedulerSetting)" = '"0x00030001"' ]
        vgpuctl policy $GPU1 reset >/dev/null
        run vgpuctl policy $GPU1
        [[ $output == *"Policy:      equal-share (from vgpud.conf)"* ]]
        [ ! -e "$VGPUD_DIR/state/gpus/$GPU1.json" ]
}

@test "a corrupt saved policy is a finding, and the configured settings apply" {
        echo '{"version": 1, "gpu": "0000:3b:00.0", "scheduler": {"policy": "bogus"}}' \
                >"$VGPUD_DIR/state/gpus/$GPU0.json"
        vgpud_restart --config "$VGPUD_DIR/vgpud.conf"
        run busctl --system get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Findings
        [[ $output == *"$GPU0.json"* ]]
        [ "$(gpu_prop SchedulerPolicy)" = '"best-effort"' ]
        rm -f "$VGPUD_DIR/state/gpus/$GPU0.json"
}

@test "PropertiesChanged for the GPU's policy and the instances' shares" {
        local a mon
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        mon=$BATS_TEST_TMPDIR/monitor
        busctl --system monitor --match "type='signal',interface='org.freedesktop.DBus.Properties'" \
                >"$mon" 2>&1 &
        local pid=$!
        sleep 0.5
        vgpuctl policy $GPU0 set equal-share --slice 4 >/dev/null
        sleep 0.5
        kill $pid
        wait $pid || true
        grep -q '"SchedulerPolicy"' "$mon"
        grep -q '"VendorSchedulerSetting"' "$mon"
        grep -q '"ConfiguredShare"' "$mon"
}
