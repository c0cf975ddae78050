# vgpu-sim: --profile t4
# vgpuctl xml, attach and detach, and ownership from libvirt's domain list:
# every XML form validated by libvirt's own schema (virt-xml-validate) and
# defined in libvirt's test driver; attach/detach against a real libvirtd
# (the QEMU driver, config-only on a defined, stopped domain) started in this
# suite's private mount namespace with its own directories; the domain list
# read from a test-driver file with a running domain, by vgpud's helper
# vgpud-libvirt-watch (a process of its own, run as [libvirt] watch_user):
# its death, libvirt unreachable, and hostile lines from it (a test double
# that writes garbage) keep the last list and get it restarted.
load helpers
load vgpud
bats_require_minimum_version 1.5.0 # run ! (a negated command that can fail the test)

GPU0=0000:3b:00.0

setup() {
        bus_start_with_policy
        # the domain reader runs as nobody ([libvirt] watch_user's default): the test driver's file is
        # where nobody can read it
        NODE_DIR=$(mktemp -d)
        chmod 755 "$NODE_DIR"
        echo '<node/>' >"$NODE_DIR/node.xml"
        vgpud_config <<EOF >/dev/null
[libvirt]
uri = test://$NODE_DIR/node.xml
refresh_interval = 1s
EOF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        rm -rf "$NODE_DIR"
        bus_stop
        libvirtd_stop
        vgpu-sim ctl reboot
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
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
                if mountpoint -q "$m"; then umount -l "$m" || true; fi
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

@test "attach/detach --config of an rpc instance through the QEMU driver: memory made shared, the -device kept" {
        local u
        if ! libvirtd_start; then
                skip "libvirtd (libvirt-daemon-driver-qemu, qemu-system-x86) cannot run here"
        fi
        vgpud_stop
        cat >>"$VGPUD_DIR/vgpud.conf" <<EOF
[rpc]
enabled = yes
socket_dir = $VGPUD_DIR/rpc
[rpc-type rpc-small]
vram = 16M
EOF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        u=$(vgpuctl create --type rpc-small)
        cat >"$BATS_TEST_TMPDIR/vm2.xml" <<EOF
<domain type='qemu'>
  <name>vm2</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices/>
</domain>
EOF
        virsh -q -c "$LV_URI" define "$BATS_TEST_TMPDIR/vm2.xml" >/dev/null
        run vgpuctl attach "$u" --domain vm2 --config --connect "$LV_URI"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = "$u attached to the definition of domain vm2." ]
        run virsh -q -c "$LV_URI" dumpxml --inactive vm2
        echo "$output"
        [[ $output == *"<source type='memfd'/>"* ]]
        [[ $output == *"<access mode='shared'/>"* ]]
        [[ $output == *"<qemu:arg value='-device'/>"* ]]
        [[ $output == *"vfio-user-pci&quot;,&quot;id&quot;:&quot;vgpud-$u&quot;"* ]]
        [[ $output == *"$VGPUD_DIR/rpc/$u.sock"* ]]
        run vgpuctl attach "$u" --domain vm2 --config --connect "$LV_URI"
        [ "$status" -eq 4 ]
        [[ $output == *"already attached"* ]]
        # an rpc vGPU is on QEMU's command line: nothing to attach to a running VM
        run vgpuctl attach "$u" --domain vm2 --live --connect "$LV_URI"
        [ "$status" -eq 4 ]
        [[ $output == *"can only be attached with --config"* ]]
        run vgpuctl detach "$u" --domain vm2 --config --connect "$LV_URI"
        echo "$output"
        [ "$status" -eq 0 ]
        run virsh -q -c "$LV_URI" dumpxml --inactive vm2
        [[ $output != *vfio-user-pci* ]]
        [[ $output != *"qemu:commandline"* ]]
        [[ $output == *"<access mode='shared'/>"* ]] # the memory settings stay
}

@test "ownership from libvirt's domain list: a running domain that uses an instance owns it" {
        local a
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        # a test-driver node with one running domain that references the instance
        cat >"$NODE_DIR/node.xml" <<EOF
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
        echo '<node/>' >"$NODE_DIR/node.xml"
        wait_for 10 bash -c "vgpuctl show $a | grep -q 'Owner:       -'"
        run vgpuctl destroy "$a"
        [ "$status" -eq 0 ]
}

# ---- the domain reader (vgpud-libvirt-watch) ----

reader_pid() { pgrep -P "$VGPUD_PID" | head -n1; }

node_with_domain() { # node_with_domain NAME UUID: a running domain that uses the instance
        cat >"$NODE_DIR/node.xml.new" <<EOF
<node>
  <domain type='test'>
    <name>$1</name>
    <memory>65536</memory>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <hostdev mode='subsystem' type='mdev' model='vfio-pci'>
        <source><address uuid='$2'/></source>
      </hostdev>
    </devices>
  </domain>
</node>
EOF
        mv "$NODE_DIR/node.xml.new" "$NODE_DIR/node.xml"
}

owner_is() { vgpuctl show "$1" | grep -q "Owner:       $2"; }

@test "the domain reader is a process of its own, as watch_user; libvirt is mapped there, not in vgpud" {
        local p
        wait_for 10 test -n "$(reader_pid)"
        p=$(reader_pid)
        [ "$(readlink "/proc/$p/exe")" = "$VGPUD_LIBVIRT_WATCH" ]
        # every uid and gid is nobody's, no capability is left
        [ "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$p/status")" = "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" ]
        [ "$(awk '/^Gid:/ { print $2 }' "/proc/$p/status")" = "$(id -g nobody)" ]
        [ "$(awk '/^Groups:/ { print $2 }' "/proc/$p/status")" = "$(id -g nobody)" ]
        [ "$(awk '/^CapEff:/ { print $2 }' "/proc/$p/status")" = 0000000000000000 ]
        grep -q 'libvirt\.so' "/proc/$p/maps"
        # of vgpud's descriptors, only the two pipes
        echo "# reader's fds: $(ls -l "/proc/$p/fd" | awk 'NR > 1 { print $9 $10 $11 }' | tr '\n' ' ')" >&3
        [ "$(readlink "/proc/$p/fd/0")" != "$(readlink "/proc/$VGPUD_PID/fd/0")" ]
        [ "$(ls "/proc/$p/fd" | wc -l)" -le 3 ]
        run ! grep -q 'libvirt\.so' "/proc/$VGPUD_PID/maps"
        [ "$status" -eq 1 ] # not mapped (2 would be an unreadable maps file)
        # watch_user empty: it stays root
        vgpud_stop
        vgpud_config <<EOF >/dev/null
[libvirt]
uri = test://$NODE_DIR/node.xml
refresh_interval = 1s
watch_user =
EOF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 10 test -n "$(reader_pid)"
        [ "$(awk '/^Uid:/ { print $2 $3 }' "/proc/$(reader_pid)/status")" = 00 ]
        # a user that does not exist is said, once
        vgpud_stop
        vgpud_config <<EOF >/dev/null
[libvirt]
uri = test://$NODE_DIR/node.xml
refresh_interval = 1s
watch_user = no-such-user-here
EOF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 10 grep -q "cannot run as user 'no-such-user-here'.*keeping the domains last seen" "$VGPUD_LOG"
        sleep 2
        [ "$(grep -c "cannot run as user 'no-such-user-here'.*keeping the domains last seen" "$VGPUD_LOG")" -eq 1 ]
}

@test "the domain reader killed with SIGKILL is restarted; ownership stays; vgpud's fds and memory do not grow" {
        local a p old fd0 fd rss0 rss
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        node_with_domain guest7 "$a"
        wait_for 10 owner_is "$a" guest7
        for round in 1 2 3 4 5; do
                old=$(reader_pid)
                [ -n "$old" ]
                kill -KILL "$old"
                # meanwhile, the last list stays in force
                owner_is "$a" guest7
                run vgpuctl destroy "$a"
                [ "$status" -eq 4 ]
                wait_for 10 bash -c "p=\$(pgrep -P $VGPUD_PID | head -n1); [ -n \"\$p\" ] && [ \"\$p\" != $old ]"
                wait_for 10 grep -q "pid $old) was killed by signal KILL; restarting it" "$VGPUD_LOG"
                owner_is "$a" guest7
                fd=$(ls "/proc/$VGPUD_PID/fd" | wc -l)
                rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$VGPUD_PID/status")
                echo "# round $round: reader $(reader_pid), vgpud fds $fd, VmRSS $rss KiB" >&3
                if ((round == 1)); then
                        fd0=$fd rss0=$rss
                fi
        done
        [ "$fd" -eq "$fd0" ]
        [ "$rss" -le $((rss0 + 1024)) ]
        # the new reader still reads: the domain goes away, so does the owner
        echo '<node/>' >"$NODE_DIR/node.xml"
        wait_for 10 owner_is "$a" -
}

@test "libvirt unreachable: the last list read stays in force, said once" {
        local a
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        node_with_domain guest7 "$a"
        wait_for 10 owner_is "$a" guest7
        # a test-driver file libvirt cannot read: the connection fails
        echo 'not a node' >"$NODE_DIR/node.xml"
        wait_for 10 grep -q "libvirt: cannot connect to test://$NODE_DIR/node.xml.*keeping the domains last seen" "$VGPUD_LOG"
        sleep 2
        owner_is "$a" guest7
        [ "$(grep -c 'keeping the domains last seen' "$VGPUD_LOG")" -eq 1 ]
        run vgpuctl destroy "$a"
        [ "$status" -eq 4 ]
        # reachable again, without the domain
        echo '<node/>' >"$NODE_DIR/node.xml"
        wait_for 10 owner_is "$a" -
        grep -q "libvirt: reading the running domains of test://$NODE_DIR/node.xml" "$VGPUD_LOG"
}

@test "hostile lines from the domain reader are refused and logged, the reader restarted; vgpud keeps answering" {
        local a
        a=$(vgpuctl create --type grid-2q --gpu $GPU0)
        node_with_domain guest7 "$a"
        wait_for 10 owner_is "$a" guest7
        vgpud_stop
        # a test double in the reader's place: a good list, then each run writes one kind of bad output and
        # waits (or exits), then an empty list
        cat >"$BATS_TEST_TMPDIR/reader" <<'EOF'
#!/bin/bash
n=$(cat "$0.count" 2>/dev/null || echo 0)
echo $((n + 1)) >"$0.count"
case $n in
0) echo '{"reachable": true, "refs": [{"domain": "guest7", "kind": "mdev", "device": "'"$OWNED"'"}]}'; exit 0 ;;
1) echo 'not json {' ;;
2) echo '{"reachable": true, "refs": [{"domain": "vm", "kind": "floppy", "device": "x"}]}' ;;
3) printf '{"reachable": false}\n' ;;
4) head -c 1100000 /dev/zero | tr '\0' x ;;
5) exit 3 ;;
*) echo '{"reachable": true, "refs": []}' ;;
esac
exec sleep 600
EOF
        chmod 755 "$BATS_TEST_TMPDIR/reader"
        OWNED=$a VGPUD_LIBVIRT_WATCH=$BATS_TEST_TMPDIR/reader vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        wait_for 10 owner_is "$a" guest7
        wait_for 20 grep -q 'exited with status 3; restarting it' "$VGPUD_LOG"
        # meanwhile, vgpud answered and the owner stayed
        owner_is "$a" guest7
        vgpuctl list >/dev/null
        grep -q 'wrote a line vgpud cannot read: the line is not one JSON value; restarting it' "$VGPUD_LOG"
        grep -q 'wrote a line vgpud cannot read: a reference is not .* with a known kind; restarting it' "$VGPUD_LOG"
        grep -q 'wrote a line vgpud cannot read: an unreachable libvirt comes without an "error" string' "$VGPUD_LOG"
        grep -q 'wrote a line longer than 1048576 bytes; restarting it' "$VGPUD_LOG"
        # the run after them is read as any other
        wait_for 10 owner_is "$a" -
        [ "$(cat "$BATS_TEST_TMPDIR/reader.count")" -ge 7 ]
        run vgpuctl destroy "$a"
        [ "$status" -eq 0 ]
}
