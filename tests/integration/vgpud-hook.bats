# vgpu-sim: --profile t4
# The libvirt hook (cli/hook/vgpud, installed as /etc/libvirt/hooks/qemu.d/vgpud)
# driven as libvirt drives it — `vgpud DOMAIN OPERATION SUB-OP EXTRA` with
# the domain XML on stdin — with the domain files in domains/, then vgpud's
# state checked: owners, states, the assignments file, InUse refusals.
load helpers
load vgpud
bats_require_minimum_version 1.5.0 # run ! (a negated command that can fail the test)

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup() {
        bus_start_with_policy
        vgpud_config <<EOF >/dev/null
[libvirt]
refresh_interval = 0
EOF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        HOOK=$VGPU_TEST_BUILDDIR/cli/hook/vgpud
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        vgpu-sim ctl reboot
        rm -rf /etc/mdevctl.d/0000:*
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

# domain FILE [A] [B]: the domain XML with its placeholders filled in
domain() {
        sed -e "s/@A@/${2:-}/g" -e "s/@B@/${3:-}/g" "$VGPU_TEST_SRCDIR/tests/integration/domains/$1"
}

# hook NAME OP SUB FILE [A] [B]: run the hook as libvirt does; status and stderr in $status/$output
hook() {
        local name=$1 op=$2 sub=$3 file=$4
        shift 4
        run bash -c '"$1" "$2" "$3" "$4" - 2>&1 <"$5"' _ "$HOOK" "$name" "$op" "$sub" \
                <(domain "$file" "$@")
}

state_of() { instance_prop "$1" State | tr -d '"'; }
owner_of() { instance_prop "$1" Owner | tr -d '"'; }

@test "prepare begin starts a defined vGPU and records the owner; release end stops it again" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        [ "$(state_of "$a")" = defined ]
        hook vm1 prepare begin vm-mdev.xml "$a"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        [ "$(state_of "$a")" = assigned ]
        [ "$(owner_of "$a")" = vm1 ]
        [ "$(instance_prop "$a" OwnerSource)" = '"hook"' ]
        [ -e "/sys/bus/mdev/devices/$a" ]
        run vgpuctl show "$a"
        [[ $output == *"Owner:       vm1 (started through the libvirt hook)"* ]]
        run vgpuctl list
        [[ $output =~ $a.*assigned.*vm1 ]]
        grep -q "\"domain\": *\"vm1\"" "$VGPUD_DIR/run/domains.json"
        hook vm1 release end vm-mdev.xml "$a"
        [ "$status" -eq 0 ]
        [ "$(state_of "$a")" = defined ]
        [ -z "$(owner_of "$a")" ]
        [ ! -e "/sys/bus/mdev/devices/$a" ]
}

@test "an instance that was already created stays created after release; only the owner goes" {
        local a
        a=$(vgpuctl create --type grid-2q --gpu $GPU0 --persistent)
        hook vm1 prepare begin vm-mdev.xml "$a"
        [ "$status" -eq 0 ]
        [ "$(state_of "$a")" = assigned ]
        hook vm1 release end vm-mdev.xml "$a"
        [ "$status" -eq 0 ]
        [ "$(state_of "$a")" = created ]
        [ -z "$(owner_of "$a")" ]
}

@test "an assigned instance refuses stop and destroy (InUse) unless forced" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        hook vm1 prepare begin vm-mdev.xml "$a"
        [ "$status" -eq 0 ]
        run vgpuctl destroy "$a"
        [ "$status" -eq 4 ]
        [[ $output == *"assigned to domain vm1"* ]]
        run vgpuctl stop "$a"
        [ "$status" -eq 4 ]
        [ "$(state_of "$a")" = assigned ]
        run vgpuctl destroy --force "$a"
        [ "$status" -eq 0 ]
        run vgpuctl show "$a"
        [ "$status" -eq 3 ]
        run ! grep -q "$a" "$VGPUD_DIR/run/domains.json"
        [ "$status" -eq 1 ]
}

@test "several hostdevs: a NIC's VF and text in metadata are ignored, both vGPUs start" {
        local a b
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        b=$(vgpuctl define --type grid-2q --gpu $GPU1)
        hook vm2 prepare begin vm-two.xml "$a" "$b"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(state_of "$a")" = assigned ]
        [ "$(state_of "$b")" = assigned ]
        [ "$(owner_of "$b")" = vm2 ]
        hook vm2 release end vm-two.xml "$a" "$b"
        [ "$(state_of "$a")" = defined ]
        [ "$(state_of "$b")" = defined ]
}

@test "one vGPU that cannot start: one line naming it, and the other is stopped again (all or none)" {
        local a b
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        # a second type on the same T4: the one-type rule refuses it
        b=$(vgpuctl define --type grid-4q --gpu $GPU0)
        hook vm2 prepare begin vm-two.xml "$a" "$b"
        echo "$output"
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ $output == *vm2* ]]
        [[ $output == *"$a"* || $output == *"$b"* ]]
        [ "$(state_of "$a")" = defined ]
        [ "$(state_of "$b")" = defined ]
        [ -z "$(owner_of "$a")" ]
        [ -z "$(ls /sys/bus/mdev/devices)" ]
}

@test "a vGPU that is not defined: refused with its UUID, nothing changed" {
        local a u=5b2e7f0c-1111-4222-8333-944455556666
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        hook vm2 prepare begin vm-two.xml "$a" "$u"
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ $output == *"$u"*"not defined"* ]]
        [ "$(state_of "$a")" = defined ]
}

@test "malformed XML: a clear error and nothing changed" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        hook vm1 prepare begin vm-malformed.xml "$a"
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ $output == *"vm1"* ]]
        [ "$(state_of "$a")" = defined ]
        # XML that is not a domain at all
        run bash -c 'echo "<network><name>x</name></network>" | "$1" vm1 prepare begin -' _ "$HOOK"
        [ "$status" -ne 0 ]
        [ "$(state_of "$a")" = defined ]
}

@test "a domain without vGPUs, and every other operation, succeed at once without vgpud" {
        vgpud_stop
        hook plain prepare begin vm-none.xml
        [ "$status" -eq 0 ]
        local op
        for op in "start begin" "started begin" "stopped end" "migrate begin" "restore begin" "reconnect begin" \
                "attach begin" "prepare end" "release begin"; do
                # stdin never delivers: the hook must not read it
                # shellcheck disable=SC2016 # expanded by the inner shell, on purpose
                run timeout 5 bash -c '"$1" vm1 $2 - < <(exec sleep 30 2>/dev/null 3>&-)' _ "$HOOK" "$op"
                [ "$status" -eq 0 ]
        done
        hook plain release end vm-none.xml
        [ "$status" -eq 0 ]
}

@test "a second domain cannot acquire a vGPU another holds" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        hook vm1 prepare begin vm-mdev.xml "$a"
        [ "$status" -eq 0 ]
        run bash -c 'sed "s/<name>vm1</<name>vm9</" | "$1" vm9 prepare begin -' _ "$HOOK" \
                < <(domain vm-mdev.xml "$a")
        [ "$status" -ne 0 ]
        [[ $output == *"assigned to domain vm1"* ]]
        [ "$(owner_of "$a")" = vm1 ]
}

@test "owners survive a restart of vgpud; one whose instance left the host is dropped" {
        local a b
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        b=$(vgpuctl define --type grid-2q --gpu $GPU1)
        hook vm2 prepare begin vm-two.xml "$a" "$b"
        [ "$status" -eq 0 ]
        vgpud_stop
        echo 1 >"/sys/bus/mdev/devices/$b/remove"
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(owner_of "$a")" = vm2 ]
        [ "$(state_of "$a")" = assigned ]
        [ -z "$(owner_of "$b")" ]
        hook vm2 release end vm-two.xml "$a" "$b"
        [ "$status" -eq 0 ]
        [ "$(state_of "$a")" = defined ]
}

@test "the hook's calls need the admin group; an unprivileged caller is denied" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        domain vm-mdev.xml "$a" >"$BATS_TEST_TMPDIR/vm1.xml"
        run as_user "" "$HOOK" vm1 prepare begin - <"$BATS_TEST_TMPDIR/vm1.xml"
        [[ $output == *"users"* || $output == *"vgpu"* || $output == *"ermission"* || $output == *"denied"* ]]
        [ "$status" -ne 0 ]
        [ "$(state_of "$a")" = defined ]
}
