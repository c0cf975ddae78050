# vgpu-sim: --profile t4
# vgpuctl xml, attach and detach, and ownership from libvirt's domain list:
# every XML form validated by libvirt's own schema (virt-xml-validate) and
# defined in libvirt's test driver; attach/detach against a real libvirtd
# (the QEMU driver, config-only on a defined, stopped domain) started in this
# suite's private mount namespace with its own directories; the domain list
# read from a test-driver file with a running domain.
load helpers
load vgpud

GPU0=0000:3b:00.0

setup() {
        bus_start_with_policy
        echo '<node/>' >"$BATS_TEST_TMPDIR/node.xml"
        vgpud_config <<EOF >/dev/null
[libvirt]
uri = test://$BATS_TEST_TMPDIR/node.xml
refresh_interval = 1s
EOF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

teardown() {
        vgpud_stop || true
        bus_stop
        libvirtd_stop
        vgpu-sim ctl reboot
}

wait_for() { # wait_for SECONDS COMMAND...
        local n=$(($1 * 10))
        shift
        for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
        "$@"
}

# ---- a private libvirtd (QEMU driver) ----

libvirtd_start() {
        command -v libvirtd >/dev/null && command -v qemu-system-x86_64 >/dev/null || return 1
        LV=$BATS_TEST_TMPDIR/libvirt
        mkdir -p "$LV"/{etc,run,lib,cache,log}
        cp -a /etc/libvirt/. "$LV/etc/" 2>/dev/null || true
        rm -rf "$LV/etc/hooks" "$LV/etc/qemu" # no host hooks, no host domains
        cat >"$LV/etc/qemu.conf" <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
cgroup_controllers = [ ]
security_driver = "none"
EOF
        cat >"$LV/etc/libvirtd.conf" <<EOF
unix_sock_dir = "$LV/run"
log_outputs = "3:file:$LV/libvirtd.log"
EOF
        mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
        mount --bind "$LV/etc" /etc/libvirt
        mount -t tmpfs tmpfs /run/libvirt
        mount --bind "$LV/lib" /var/lib/libvirt
        mount --bind "$LV/cache" /var/cache/libvirt
        mount --bind "$LV/log" /var/log/libvirt
        # Debian's QEMU driver looks its default user up even when qemu.conf names root
        if ! getent passwd libvirt-qemu >/dev/null; then
                cp /etc/passwd "$LV/passwd"
                cp /etc/group "$LV/group"
                echo "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin" >>"$LV/passwd"
                echo "libvirt-qemu:x:64055:" >>"$LV/group"
                echo "kvm:x:64056:" >>"$LV/group"
                mount --bind "$LV/passwd" /etc/passwd
                mount --bind "$LV/group" /etc/group
        fi
        libvirtd -f /etc/libvirt/libvirtd.conf >"$LV/out.log" 2>&1 &
        LIBVIRTD_PID=$!
        LV_URI="qemu:///system?socket=$LV/run/libvirt-sock"
        wait_for 20 virsh -q -c "$LV_URI" version >/dev/null 2>&1
}

libvirtd_stop() {
        [[ -n ${LIBVIRTD_PID:-} ]] || return 0
        kill "$LIBVIRTD_PID" 2>/dev/null || true
        wait "$LIBVIRTD_PID" 2>/dev/null || true
        unset LIBVIRTD_PID
        local m
        for m in /etc/group /etc/passwd /var/log/libvirt /var/cache/libvirt /var/lib/libvirt /run/libvirt /etc/libvirt; do
                mountpoint -q "$m" && umount -l "$m" || true
        done
}

# ---- XML ----

validate() { # validate FILE: libvirt's schema and its test driver both accept the domain
        run virt-xml-validate "$1" domain
        echo "$output"
        [ "$status" -eq 0 ]
        run virsh -q -c test:///default define --validate "$1"
        echo "$output"
        [ "$status" -eq 0 ]
}

@test "xml: an mdev hostdev with the type's device_api; display and ramfb; --domain validates" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        run vgpuctl xml "$a"
        [ "$status" -eq 0 ]
        [[ $output == *"<hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\""* || $output == *"type='mdev'"* ]]
        [[ $output == *"$a"* ]]
        vgpuctl xml "$a" --domain vgpu-test >"$BATS_TEST_TMPDIR/plain.xml"
        validate "$BATS_TEST_TMPDIR/plain.xml"
        vgpuctl xml "$a" --display on --ramfb --domain vgpu-test >"$BATS_TEST_TMPDIR/display.xml"
        grep -q 'display="on"\|display='"'"'on' "$BATS_TEST_TMPDIR/display.xml"
        grep -q 'ramfb="on"\|ramfb='"'"'on' "$BATS_TEST_TMPDIR/display.xml"
        validate "$BATS_TEST_TMPDIR/display.xml"
        vgpuctl xml "$a" --display off --domain vgpu-test >"$BATS_TEST_TMPDIR/off.xml"
        validate "$BATS_TEST_TMPDIR/off.xml"
        # the device alone is what attach-device takes
        vgpuctl xml "$a" >"$BATS_TEST_TMPDIR/dev.xml"
        xmllint --noout "$BATS_TEST_TMPDIR/dev.xml"
}

@test "xml: usage errors and an unknown instance" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        run vgpuctl xml "$a" --ramfb
        [ "$status" -eq 2 ]
        run vgpuctl xml "$a" --display maybe
        [ "$status" -eq 2 ]
        run vgpuctl xml "$a" --domain 'bad/name'
        [ "$status" -ne 0 ]
        run vgpuctl xml 5b2e7f0c-1111-4222-8333-944455556666
        [ "$status" -eq 3 ]
        run vgpuctl xml "$a" --config
        [ "$status" -eq 2 ]
}

@test "attach/detach: libvirt unreachable and no such domain are clear errors" {
        local a
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        run vgpuctl attach "$a" --domain vm1 --connect "qemu:///system?socket=$BATS_TEST_TMPDIR/none"
        [ "$status" -eq 6 ]
        [[ $output == *"Cannot reach libvirt"* ]]
        run vgpuctl attach "$a" --domain nosuchvm --connect test:///default
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"No libvirt domain named 'nosuchvm'"* ]]
        run vgpuctl attach "$a" --connect test:///default
        [ "$status" -eq 2 ]
        run vgpuctl attach "$a" --domain test --config --live --connect test:///default
        [ "$status" -eq 2 ]
}

@test "attach/detach --config on a defined, stopped domain of a real libvirtd; already attached is refused" {
        local a
        if ! libvirtd_start; then
                skip "libvirtd (libvirt-daemon-driver-qemu, qemu-system-x86) cannot run here"
        fi
        a=$(vgpuctl define --type grid-2q --gpu $GPU0)
        cat >"$BATS_TEST_TMPDIR/vm1.xml" <<EOF
<domain type='qemu'>
  <name>vm1</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices/>
</domain>
EOF
        virsh -q -c "$LV_URI" define "$BATS_TEST_TMPDIR/vm1.xml" >/dev/null
        run vgpuctl attach "$a" --domain vm1 --config --connect "$LV_URI"
        echo "$output"
        [ "$status" -eq 0 ]
        run virsh -q -c "$LV_URI" dumpxml --inactive vm1
        [[ $output == *"$a"* ]]
        run vgpuctl attach "$a" --domain vm1 --config --connect "$LV_URI"
        [ "$status" -eq 4 ]
        [[ $output == *"already attached"* ]]
        run vgpuctl detach "$a" --domain vm1 --config --connect "$LV_URI"
        echo "$output"
        [ "$status" -eq 0 ]
        run virsh -q -c "$LV_URI" dumpxml --inactive vm1
        [[ $output != *"$a"* ]]
        run vgpuctl detach "$a" --domain vm1 --config --connect "$LV_URI"
        [ "$status" -eq 4 ]
        [[ $output == *"not attached"* ]]
        # a live attach to a domain that is not running is libvirt's refusal, said as such
        run vgpuctl attach "$a" --domain vm1 --live --connect "$LV_URI"
        [ "$status" -ne 0 ]
        [[ $output == *vm1* ]]
}

@test "ownership from libvirt's domain list: a running domain that uses an instance owns it" {
        local a
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        # a test-driver node with one running domain that references the instance
        cat >"$BATS_TEST_TMPDIR/node.xml" <<EOF
<node>
  <domain type='test'>
    <name>guest7</name>
    <memory>65536</memory>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
        <source><address uuid='$a'/></source>
      </hostdev>
    </devices>
  </domain>
</node>
EOF
        wait_for 10 bash -c "vgpuctl show $a | grep -q 'Owner:       guest7'"
        run vgpuctl show "$a"
        [[ $output == *"Owner:       guest7 (seen in libvirt's running domains)"* ]]
        [ "$(instance_prop "$a" OwnerSource)" = '"libvirt"' ]
        [ "$(instance_prop "$a" State)" = '"assigned"' ]
        run vgpuctl destroy "$a"
        [ "$status" -eq 4 ]
        # the domain goes away: so does the owner
        echo '<node/>' >"$BATS_TEST_TMPDIR/node.xml"
        wait_for 10 bash -c "vgpuctl show $a | grep -q 'Owner:       -'"
        run vgpuctl destroy "$a"
        [ "$status" -eq 0 ]
}
