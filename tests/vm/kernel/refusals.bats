# The kernel's refusals as vgpud's callers see them: no room (ENOSPC from mbochs, which keeps
# its own count; EUSERS from the mdev core for mdpy, whose count it keeps), a duplicate UUID, and
# the parent going away while a create is on its way.
load vm

setup_file() {
        vm_require
        bus_start
        vm_vgpud_start
}

teardown() {
        kill -CONT "$VGPUD_PID" 2>/dev/null || true
        vm_log_if_failed
        local u
        for u in $(vgpuctl list --all --quiet); do vgpuctl destroy "$u" >/dev/null || true; done
        vm_clean_host
        modprobe mdpy || true
}

teardown_file() {
        vgpud_stop
        bus_stop
}

# Fill a type from sysfs while vgpud cannot see it (stopped), check the kernel's own errno for one
# more, then ask vgpud for one more at once: whether its model has caught up (a planning refusal) or
# the kernel answers (the write's errno), the caller gets NoCapacity (exit 4) with a sentence, never
# an I/O error.
no_room() {
        local parent=$1 type=$2 kernel_says=$3 t=/sys/class/mdev_bus/$1/mdev_supported_types/$2
        local n
        n=$(cat "$t/available_instances")
        kill -STOP "$VGPUD_PID"
        for _ in $(seq "$n"); do new_uuid >"$t/create"; done
        run bash -c "cat /proc/sys/kernel/random/uuid >$t/create"
        kill -CONT "$VGPUD_PID"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"$kernel_says"* ]]
        run vgpuctl create --type "$type" --gpu "$parent"
        echo "$output"
        [ "$status" -eq 4 ]
        [[ $output != *"Input/output error"* ]]
}

@test "no room on mdpy: the mdev core says EUSERS (it keeps the count), vgpud NoCapacity" {
        no_room mdpy mdpy-xga "Too many users"
}

@test "no room on mbochs: the driver says ENOSPC (it keeps its own count), vgpud NoCapacity" {
        no_room mbochs mbochs-large "No space left on device"
}

@test "a duplicate UUID is InstanceExists, the kernel's EEXIST" {
        local u
        u=$(vgpuctl create --type mbochs-small)
        run vgpuctl create --type mbochs-small --uuid "$u"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"$u"* ]]
        # one made behind vgpud's back under the same UUID on another parent: the kernel says EEXIST
        run vgpuctl destroy "$u"
        new_uuid >/dev/null
        echo "$u" >/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1/create
        wait_for 10 bash -c "vgpuctl list --quiet | grep -q $u"
        run vgpuctl create --type mdpy-vga --uuid "$u"
        [ "$status" -ne 0 ]
        [[ $output == *"$u"* ]]
        [ ! -e /sys/class/mdev_bus/mdpy/mdev_supported_types/mdpy-vga/devices/"$u" ]
}

@test "the parent going away while a create is on its way: a clean refusal, records consistent" {
        kill -STOP "$VGPUD_PID"
        rmmod mdpy
        kill -CONT "$VGPUD_PID"
        run vgpuctl create --type mdpy-vga --gpu mdpy --persistent
        echo "$output"
        [ "$status" -ne 0 ]
        [ "$status" -ne 1 ] || [[ $output == *"going away"* || $output == *"not a registered mdev parent"* ]]
        run vgpuctl list --all --quiet
        [ -z "$output" ]
        modprobe mdpy
        wait_for 10 bash -c "vgpuctl gpus | grep -q '^mdpy '"
        run vgpuctl create --type mdpy-vga --gpu mdpy
        [ "$status" -eq 0 ]
}
