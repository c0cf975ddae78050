# vgpu-sim: --profile t4
#
# libvgpu on two simulated T4s: discovery checked against the profile, the
# board-less alias, placement and its refusals, mdev create/destroy through
# backend-mdev with the kernel's semantics (errno, path, attribute rollback),
# instances made by hand and by mdevctl, and the model kept current from
# uevents.
load lib-helpers

T4A=0000:3b:00.0
T4B=0000:d8:00.0
U1=7a4cd2e0-52a1-4c55-9b8a-0c2f7b1e0001
U2=7a4cd2e0-52a1-4c55-9b8a-0c2f7b1e0002
U3=7a4cd2e0-52a1-4c55-9b8a-0c2f7b1e0003

setup() {
        sim_reset
}

teardown() {
        watch_stop
}

@test "discovery finds every GPU of the profile with its ids, driver and IOMMU group" {
        model_dump
        [ "$(model_gpus)" = "$(profile_gpus t4)" ]
        [ "$(jq -r '.gpus[0].board' <<<"$DUMP")" = "Tesla T4" ]
        [ "$(jq -r '.gpus[0].numa_node' <<<"$DUMP")" = 0 ]
        [ "$(jq -r '.gpus[1].numa_node' <<<"$DUMP")" = 1 ]
        [ "$(jq '[.gpus[] | select(.mdev_parent)] | length' <<<"$DUMP")" = 2 ]
        [ "$(jq '.instances | length' <<<"$DUMP")" = 0 ]
}

@test "discovery parses every T4 type the simulated driver offers" {
        model_dump
        want=$(jq -r '.. | .name? // empty' "$PROFILES/types/nvidia-t4.json" | sort)
        got=$(jq -r ".parents[] | select(.name == \"$T4A\") | .types[].name" <<<"$DUMP" | sort)
        [ "$got" = "$want" ]
        # nothing the vendor parser could not read
        [ "$(jq '[.parents[].types[] | select(.parse_error != null)] | length' <<<"$DUMP")" = 0 ]
        t=$(jq -c ".parents[0].types[] | select(.name == \"GRID T4-2Q\")" <<<"$DUMP")
        [ "$(jq -r .id <<<"$t")" = nvidia-231 ]
        [ "$(jq -r .framebuffer_mb <<<"$t")" = 2048 ]
        [ "$(jq -r .max_instances <<<"$t")" = 8 ]
        [ "$(jq -r .available <<<"$t")" = 8 ]
        [ "$(jq -r .series <<<"$t")" = Q ]
        [ "$(jq -r .device_api <<<"$t")" = vfio-pci ]
        [ "$(jq -r '.parents[0].types[] | select(.name == "GRID T4-2B4") | .series' <<<"$DUMP")" = B4 ]
        # one group per type, each offered by both GPUs
        [ "$(jq -r '.types[] | select(.key == "mdev:GRID T4-2Q") | .parents | join(" ")' <<<"$DUMP")" = "$T4A $T4B" ]
}

@test "grid-2q and the other spellings resolve on the t4 profile" {
        for name in grid-2q GRID-2Q t4-2q "GRID T4-2Q" grid_t4_2q nvidia-231; do
                run "$MODEL" resolve "$name"
                [ "$status" -eq 0 ]
                [ "$(jq -r .key <<<"$output")" = "mdev:GRID T4-2Q" ]
        done
        run "$MODEL" resolve grid-3q
        [ "$status" -eq 2 ]
        [[ $output == *'No type "grid-3q" on this host. Types offered: '* ]]
}

@test "create and destroy an mdev through backend-mdev" {
        run "$MODEL" --gpu "$T4A" --uuid "$U1" create grid-2q
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(jq -r .parent <<<"$output")" = "$T4A" ]
        [ "$(jq -r .in_model <<<"$output")" = true ]
        [ "$(jq -r .available_after <<<"$output")" = 7 ]
        [ -d "/sys/bus/mdev/devices/$U1" ]
        [ "$(basename "$(readlink "/sys/bus/mdev/devices/$U1/mdev_type")")" = nvidia-231 ]

        model_dump
        inst=$(jq -c ".instances[] | select(.uuid == \"$U1\")" <<<"$DUMP")
        [ "$(jq -r .type_name <<<"$inst")" = "GRID T4-2Q" ]
        [ "$(jq -r .gpu <<<"$inst")" = "$T4A" ]
        [ "$(jq -r .iommu_group <<<"$inst")" -ge 0 ]
        # the one-type rule as the driver applies it: every other type on that GPU shows 0
        [ "$(jq "[.parents[] | select(.name == \"$T4A\") | .types[] | select(.id != \"nvidia-231\" and .available > 0)] | length" <<<"$DUMP")" = 0 ]

        run "$MODEL" destroy "$U1"
        [ "$status" -eq 0 ]
        [ ! -e "/sys/bus/mdev/devices/$U1" ]
        run "$MODEL" destroy "$U1"
        [ "$status" -eq 2 ]
        [[ $output == *"No mdev $U1 on this host."* ]]
}

@test "placement: pack fills the GPU that hosts the type, spread takes the emptier one" {
        run "$MODEL" --gpu "$T4A" --uuid "$U1" create grid-2q
        [ "$status" -eq 0 ]
        run "$MODEL" --policy pack place grid-2q
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].parent' <<<"$output")" = "$T4A" ]
        run "$MODEL" --policy spread place grid-2q
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].parent' <<<"$output")" = "$T4B" ]
        # and a create without a GPU follows the policy
        run "$MODEL" --policy spread --uuid "$U2" create grid-2q
        [ "$(jq -r .parent <<<"$output")" = "$T4B" ]
}

@test "one type per GPU: the refusal names the GPU, the hosted type and its instance" {
        run "$MODEL" --gpu "$T4A" --uuid "$U1" create grid-2q
        [ "$status" -eq 0 ]
        run "$MODEL" --gpu "$T4A" place grid-1b
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"No GPU can host another GRID T4-1B now:"* ]]
        [[ $output == *"GPU $T4A hosts GRID T4-2Q (instance $U1); this driver allows one type per GPU"* ]]
        # without a GPU it goes to the other one
        run "$MODEL" --uuid "$U2" create grid-1b
        [ "$status" -eq 0 ]
        [ "$(jq -r .parent <<<"$output")" = "$T4B" ]
}

@test "a full host: every candidate explains itself" {
        run "$MODEL" --gpu "$T4A" --uuid "$U1" create grid-16q
        [ "$status" -eq 0 ]
        run "$MODEL" --gpu "$T4B" --uuid "$U2" create grid-8q
        [ "$status" -eq 0 ]
        run "$MODEL" place grid-16q
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"GPU $T4A all 1 GRID T4-16Q instances it allows are in use (instance $U1)"* ]]
        [[ $output == *"GPU $T4B hosts GRID T4-8Q (instance $U2); this driver allows one type per GPU"* ]]
}

@test "kernel errors come back with the errno, the sysfs path and a hint" {
        run "$MODEL" --gpu "$T4A" --uuid "$U1" create grid-2q
        [ "$status" -eq 0 ]
        # the same UUID on the other GPU: EEXIST from the mdev core
        run "$MODEL" --gpu "$T4B" --uuid "$U1" create grid-2q
        echo "$output"
        [ "$status" -eq 2 ]
        [[ $output == *"Cannot create mdev $U1 of type nvidia-231 on $T4B: this UUID is already used by another mdev."* ]]
        [[ $output == *"(/sys/class/mdev_bus/$T4B/mdev_supported_types/nvidia-231/create: File exists)"* ]]
        # a vendor refusal injected into create
        vgpu-sim ctl fail "/sys/class/mdev_bus/$T4B/mdev_supported_types/nvidia-231/create" ENOSPC
        run "$MODEL" --gpu "$T4B" --uuid "$U2" create grid-2q
        echo "$output"
        [ "$status" -eq 3 ] # no capacity
        [[ $output == *"the parent has no room left for this type"*"No space left on device"* ]]
        [ ! -e "/sys/bus/mdev/devices/$U2" ]
}

@test "vendor attributes are written in order after create; a failing one removes the device again" {
        # uevent is a writable attribute of every mdev: writing "change" is harmless
        run "$MODEL" --gpu "$T4A" --uuid "$U1" --attr uevent=change create grid-2q
        echo "$output"
        [ "$status" -eq 0 ]
        [ -d "/sys/bus/mdev/devices/$U1" ]

        run "$MODEL" --gpu "$T4A" --uuid "$U2" --attr uevent=change --attr no_such_attribute=1 create grid-2q
        echo "$output"
        [ "$status" -eq 2 ]
        [[ $output == *"Cannot set attribute no_such_attribute of mdev $U2 to \"1\"; the device was removed again."* ]]
        [[ $output == *"/sys/bus/mdev/devices/$U2/no_such_attribute: No such file or directory"* ]]
        [ ! -e "/sys/bus/mdev/devices/$U2" ]
        # and the kernel's count is back where it was
        model_dump
        [ "$(jq -r ".parents[] | select(.name == \"$T4A\") | .types[] | select(.id == \"nvidia-231\") | .available" <<<"$DUMP")" = 7 ]
}

@test "instances made by hand and by mdevctl are part of the model" {
        echo "$U1" >"/sys/class/mdev_bus/$T4A/mdev_supported_types/nvidia-222/create"
        mdevctl start -u "$U2" -p "$T4B" -t nvidia-223
        model_dump
        [ "$(jq -r ".instances[] | select(.uuid == \"$U1\") | .type_name" <<<"$DUMP")" = "GRID T4-1B" ]
        [ "$(jq -r ".instances[] | select(.uuid == \"$U2\") | .parent" <<<"$DUMP")" = "$T4B" ]
        mdevctl stop -u "$U2"
        echo 1 >"/sys/bus/mdev/devices/$U1/remove"
        model_dump
        [ "$(jq '.instances | length' <<<"$DUMP")" = 0 ]
}

@test "mdevctl definitions in the simulator's /etc/mdevctl.d are read as records" {
        mdevctl define -u "$U3" -p "$T4A" -t nvidia-231 --auto
        run "$MODEL" mdevctl-list /etc/mdevctl.d
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].uuid' <<<"$output")" = "$U3" ]
        [ "$(jq -r '.[0].autostart' <<<"$output")" = true ]
        mdevctl undefine -u "$U3"
}

@test "the model follows uevents: instances, availability, parents" {
        watch_start
        echo "$U1" >"/sys/class/mdev_bus/$T4A/mdev_supported_types/nvidia-231/create"
        watch_wait "added instance $U1"
        watch_wait "changed type nvidia-231 $T4A available=7"
        watch_wait "changed type nvidia-222 $T4A available=0"
        echo 1 >"/sys/bus/mdev/devices/$U1/remove"
        watch_wait "removed instance $U1"
        watch_wait "changed type nvidia-222 $T4A available=16"
}

@test "the model follows hot-unplug and replug of a GPU" {
        watch_start
        vgpu-sim ctl unplug "$T4B"
        watch_wait "removed parent $T4B"
        watch_wait "removed gpu $T4B"
        vgpu-sim ctl replug "$T4B"
        watch_wait "added gpu $T4B"
        watch_wait "added parent $T4B"
        watch_stop
        model_dump
        [ "$(model_gpus)" = "$(profile_gpus t4)" ]
}
