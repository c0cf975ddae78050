# Instances on real mdevs: create by alias, list, show, destroy; all-or-none batches; persistence and
# autostart across a vgpud restart and across the parent driver going away and coming back; mdevctl
# on the same host, both ways.
load vm

setup_file() {
        vm_require
        bus_start
}

setup() {
        vm_vgpud_start
}

teardown() {
        vm_log_if_failed
        vm_vgpud_stop
        vm_clean_host
}

teardown_file() {
        modprobe mbochs || true # a test that unloaded it may have failed halfway
        bus_stop
}

@test "create, list, show, destroy an mbochs vGPU" {
        local u group
        u=$(vgpuctl create --type mbochs-small)
        [ -e /sys/bus/mdev/devices/"$u" ]
        run vgpuctl list
        [[ $output =~ $u\ +mbochs\ +mbochs-small ]]
        run vgpuctl show "$u"
        group=$(basename "$(readlink /sys/bus/mdev/devices/"$u"/iommu_group)")
        [[ $output == *"IOMMU group: $group (/dev/vfio/$group)"* ]]
        [ -c /dev/vfio/"$group" ]
        [ "$(cat /sys/class/mdev_bus/mbochs/mdev_supported_types/mbochs-small/available_instances)" = 63 ]
        run vgpuctl destroy "$u"
        [ "$status" -eq 0 ]
        [ ! -e /sys/bus/mdev/devices/"$u" ]
        [ "$(cat /sys/class/mdev_bus/mbochs/mdev_supported_types/mbochs-small/available_instances)" = 64 ]
}

@test "create --count: all or none against the kernel's real limit" {
        run vgpuctl create --type mbochs-large --count 5
        [ "$status" -eq 4 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 0 ]
        [ "$(cat /sys/class/mdev_bus/mbochs/mdev_supported_types/mbochs-large/available_instances)" = 4 ]
        run vgpuctl create --type mbochs-large --count 4
        [ "$status" -eq 0 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 4 ]
        [ "$(cat /sys/class/mdev_bus/mbochs/mdev_supported_types/mbochs-large/available_instances)" = 0 ]
        # shellcheck disable=SC2046 # one UUID per word
        run vgpuctl destroy $(vgpuctl list --quiet)
        [ "$status" -eq 0 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 0 ]
}

@test "persistent and autostart instances survive a vgpud restart" {
        local p a
        p=$(vgpuctl create --type mdpy-vga --persistent)
        a=$(vgpuctl create --type mdpy-vga --autostart)
        vm_vgpud_restart
        run vgpuctl list
        [[ $output =~ $p\ .*created\ +manual ]]
        [[ $output =~ $a\ .*created\ +auto ]]
        # stopped: the device goes, the definition stays; started again: it comes back
        vgpuctl stop "$p"
        [ ! -e /sys/bus/mdev/devices/"$p" ]
        run vgpuctl list --defined
        [[ $output == *"$p"* ]]
        vgpuctl start "$p"
        [ -e /sys/bus/mdev/devices/"$p" ]
        vgpuctl destroy "$p" "$a"
}

@test "autostart across the parent's driver unloaded and loaded again (a real hot-unplug)" {
        local a t
        a=$(vgpuctl create --type mbochs-medium --autostart)
        t=$(vgpuctl create --type mbochs-medium)
        # the kernel removes the mdevs with their parent (remove uevents, then the parent's)
        rmmod mbochs
        # vgpud keeps a GPU that went away, marked absent, for the definitions that wait for it
        wait_for 20 bash -c "vgpuctl --json gpus | jq -e '.[] | select(.address == \"mbochs\") | .present == false'"
        run vgpuctl list --all
        [[ $output == *"$a"* ]]       # the autostart definition stays, waiting for its parent
        [[ $output != *"$t"* ]]       # the transient one is gone with its device
        modprobe mbochs
        wait_for 15 test -e /sys/bus/mdev/devices/"$a"
        wait_for 10 state_is "$a" created
        [ ! -e /sys/bus/mdev/devices/"$t" ]
        vgpuctl destroy "$a"
}

@test "mdevctl sees vgpud's persistent definitions, vgpud sees mdevctl's" {
        local p d s
        p=$(vgpuctl create --type mtty-2 --autostart)
        [ -f /etc/mdevctl.d/mtty/"$p" ]
        run mdevctl list -d
        [[ $output == *"$p mtty mtty-2 auto"* ]]
        run mdevctl list
        [[ $output == *"$p mtty mtty-2"* ]]
        # defined by mdevctl while vgpud is stopped: vgpud starts it (auto) and manages it
        d=$(new_uuid)
        vgpud_stop
        mdevctl define -u "$d" -p mtty -t mtty-1 --auto
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 10 state_is "$d" created
        [ -e /sys/bus/mdev/devices/"$d" ]
        run vgpuctl show "$d"
        [[ $output == *"Origin:      mdevctl"* ]]
        # started by mdevctl while vgpud runs: seen at once, through the kernel's uevents
        s=$(new_uuid)
        mdevctl start -u "$s" -p mtty -t mtty-1
        wait_for 10 bash -c "vgpuctl list --quiet | grep -q $s"
        run vgpuctl show "$s"
        [[ $output == *"Origin:      external"* ]]
        mdevctl stop -u "$s"
        wait_for 10 bash -c "! vgpuctl list --quiet | grep -q $s"
        vgpuctl undefine "$d"
        [ ! -e /etc/mdevctl.d/mtty/"$d" ]
        vgpuctl destroy "$p" "$d"
        [ ! -e /etc/mdevctl.d/mtty/"$p" ]
}
