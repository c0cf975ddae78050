# vgpu-sim: --profile t4
# vgpuctl doctor (Manager.Diagnose) against hosts broken in each way it knows: the T4 profile,
# reloaded in place with one thing wrong at a time (vgpu-sim ctl profile FILE).
load ../integration/helpers
load ../integration/vgpud

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup_file() {
        bus_start_with_policy
}

teardown_file() {
        bus_stop
}

# Debian 12's own mdevctl rule runs /usr/sbin/mdevctl, which its package installs as /usr/bin/mdevctl:
# a finding on this very machine (the first test checks it). The others start from a sound rule in
# the simulator's private /run/udev/rules.d, which overrides /usr/lib/udev/rules.d.
sound_mdevctl_rule() {
        mkdir -p /run/udev/rules.d
        sed "s|/usr/sbin/mdevctl|$(command -v mdevctl)|g" /usr/lib/udev/rules.d/60-mdevctl.rules \
                >/run/udev/rules.d/60-mdevctl.rules
}

setup() {
        PROFILE=$VGPU_TEST_SRCDIR/tests/sim/profiles/t4.json
        export VGPU_SIM_PROFILE_DIR=$VGPU_TEST_SRCDIR/tests/sim/profiles
        sound_mdevctl_rule
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        vgpu-sim ctl profile t4 >/dev/null
        unset VGPUD_DIR
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

# Power the simulated host on as t4.json changed by a jq filter, then start vgpud on it.
host_with() {
        local p=$BATS_TEST_TMPDIR/host.json
        jq "$1" "$PROFILE" >"$p"
        vgpu-sim ctl profile "$p" >/dev/null
        vgpud_start
}

@test "this machine's mdevctl rule, when it names a program that is not there, is a warning with the fix" {
        rm /run/udev/rules.d/60-mdevctl.rules
        local prog
        prog=$(grep -o '/[a-z/]*/mdevctl ' /usr/lib/udev/rules.d/60-mdevctl.rules | head -n 1)
        prog=${prog% }
        [[ -x $prog ]] && skip "mdevctl's installed rule is sound here ($prog exists)"
        vgpud_start
        run vgpuctl doctor --json
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$(jq -r '.[0].object' <<<"$output")" = /usr/lib/udev/rules.d/60-mdevctl.rules ]
        [[ $(jq -r '.[0].message' <<<"$output") == *"runs $prog, which does not exist"* ]]
        [[ $(jq -r '.[0].fix' <<<"$output") == "mdevctl is installed as $(command -v mdevctl): copy the rule"* ]]
}

@test "a healthy host: no problems, exit 0, --json is an empty list" {
        vgpud_start
        run vgpuctl doctor
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = "No problems found." ]
        run vgpuctl doctor --json
        [ "$status" -eq 0 ]
        [ "$(jq length <<<"$output")" -eq 0 ]
}

@test "IOMMU off: an error with the kernel command line fix, exit 7" {
        host_with '.iommu = false'
        run vgpuctl doctor
        echo "$output"
        [ "$status" -eq 7 ]
        [[ ${lines[0]} == "error   [iommu]" ]]
        [[ $output == *"The IOMMU is off: /sys/kernel/iommu_groups has no groups"* ]]
        [[ $output == *"fix: Enable VT-d"*"intel_iommu=on"* ]]
        [[ ${lines[-1]} == "1 error, 0 warnings, 0 notes." ]]
        run vgpuctl doctor --json
        [ "$status" -eq 7 ]
        [ "$(jq -r '.[0].check + " " + .[0].severity' <<<"$output")" = "iommu error" ]
}

@test "vfio-pci not loaded: a warning that says modprobe, exit 1" {
        host_with '.drivers -= ["vfio-pci"]'
        run vgpuctl doctor --json
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$(jq -r '.[] | select(.check == "vfio") | .object' <<<"$output")" = vfio-pci ]
        [[ $(jq -r '.[] | select(.check == "vfio") | .fix' <<<"$output") == "modprobe vfio-pci"* ]]
}

@test "vendor driver missing: an error per GPU naming the driver to install" {
        host_with '.drivers -= ["nvidia"] | .devices[] |= del(.driver)'
        run vgpuctl doctor --json
        echo "$output"
        [ "$status" -eq 7 ]
        [ "$(jq -r '[.[] | select(.check == "vendor-driver") | .object] | join(" ")' <<<"$output")" = "$GPU0 $GPU1" ]
        [[ $(jq -r '.[0].message' <<<"$output") == *"the nvidia driver is not loaded"* ]]
        [[ $(jq -r '.[0].fix' <<<"$output") == *"vGPU host driver"* ]]
}

@test "a GPU unbound while its driver is loaded: a warning with the bind command" {
        vgpud_start
        echo $GPU0 >/sys/bus/pci/drivers/nvidia/unbind
        sleep 0.3
        run vgpuctl doctor --json
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$(jq -r '.[0].check + " " + .[0].object' <<<"$output")" = "vendor-driver $GPU0" ]
        [ "$(jq -r '.[0].fix' <<<"$output")" = "echo $GPU0 > /sys/bus/pci/drivers/nvidia/bind" ]
}

@test "a GPU bound to the wrong driver: a warning that explains passthrough and how to go back" {
        host_with '.devices[1].driver = "vfio-pci"'
        run vgpuctl doctor
        echo "$output"
        [ "$status" -eq 1 ]
        [[ ${lines[0]} == "warning [wrong-driver] $GPU1" ]]
        [[ $output == *"bound to vfio-pci instead of nvidia"* ]]
        [[ $output == *"driverctl unset-override $GPU1"* ]]
}

@test "types at 0 because of the one-type rule: a note naming the hosted type and the instance" {
        vgpud_start
        local u
        u=$(vgpuctl create --type grid-2q --gpu $GPU0)
        run vgpuctl doctor --json
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].check + " " + .[0].severity + " " + .[0].object' <<<"$output")" = "one-type info $GPU0" ]
        [[ $(jq -r '.[0].message' <<<"$output") == *"hosts GRID T4-2Q (instance $u): its 15 other types show 0"* ]]
        vgpuctl destroy "$u"
}

@test "mdevctl's udev rule runs a program that is not there: a warning naming both" {
        vgpud_start
        mkdir -p /run/udev/rules.d
        echo 'ACTION=="add", RUN+="/bin/sh -c '"'"'/opt/missing/mdevctl start-parent-mdevs %k'"'"'"' \
                >/run/udev/rules.d/60-mdevctl.rules
        run vgpuctl doctor --json
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$(jq -r '.[0].check' <<<"$output")" = mdevctl-udev-rule ]
        [[ $(jq -r '.[0].message' <<<"$output") == *"/run/udev/rules.d/60-mdevctl.rules runs /opt/missing/mdevctl"* ]]
        [[ $(jq -r '.[0].fix' <<<"$output") == *"sed 's|/opt/missing/mdevctl|$(command -v mdevctl)|g'"* ]]
        sound_mdevctl_rule
        run vgpuctl doctor --json
        [ "$status" -eq 0 ]
}

@test "a definition whose GPU is gone, and a device nobody defined" {
        vgpud_start
        local def orphan
        def=$(vgpuctl define --type grid-1q --gpu $GPU1 --autostart)
        orphan=$(cat /proc/sys/kernel/random/uuid)
        echo "$orphan" >/sys/class/mdev_bus/$GPU0/mdev_supported_types/nvidia-222/create
        vgpu-sim ctl unplug $GPU1
        sleep 0.5
        run vgpuctl doctor --json
        echo "$output"
        [ "$status" -eq 1 ]
        [ "$(jq -r '.[] | select(.check == "orphan") | .object' <<<"$output")" = "$orphan" ]
        [[ $(jq -r '.[] | select(.check == "orphan") | .fix' <<<"$output") == *"vgpuctl define $orphan"* ]]
        [ "$(jq -r '.[] | select(.check == "parent-missing") | .object' <<<"$output")" = "$def" ]
        [ "$(jq -r '.[] | select(.check == "parent-missing") | .severity' <<<"$output")" = warning ]
        vgpuctl destroy "$def"
        echo 1 >"/sys/bus/mdev/devices/$orphan/remove"
}

@test "vgpud not running: an error finding and exit 6" {
        run vgpuctl doctor
        echo "$output"
        [ "$status" -eq 6 ]
        [[ ${lines[0]} == "error   [vgpud] org.vgpud1" ]]
        [[ $output == *"systemctl start vgpud"* ]]
        run vgpuctl doctor --json
        [ "$status" -eq 6 ]
        [ "$(jq -r '.[0].check' <<<"$output")" = vgpud ]
}

@test "doctor rejects arguments and Diagnose rejects options" {
        run vgpuctl doctor extra
        [ "$status" -eq 2 ]
        vgpud_start
        run busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager Diagnose 'a{sv}' 1 verbose b true
        [ "$status" -ne 0 ]
        [[ $output == *"Unknown option 'verbose'"* ]]
}
