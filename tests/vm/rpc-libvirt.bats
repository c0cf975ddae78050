# vgpu-sim: --profile t4
# The VM tier through libvirt (issue 15, item 5): the domain `vgpuctl xml` prints for an RPC instance,
# defined and started by a real libvirtd (Debian 12's 9.0, this machine's) whose emulator is QEMU 11
# (tests/vm/qemu-root); vgpud's libvirt hook acquires the instance at `prepare begin`; QEMU runs as
# libvirt's unprivileged user (libvirt-qemu) and reaches the socket through the group vgpud gives it
# by default ([rpc] socket_group); the guest (Debian 12's kernel, an initramfs holding busybox and
# tests/helpers/rpc-vm-guest, both static) runs the workload and the hostile run on the vGPU;
# `virsh destroy` ends the VM and the hook releases the instance. One boot.
#
# Everything libvirt would find on a Debian host is laid over this suite's private mount namespace
# (vgpu-sim's): its own /etc/libvirt (qemu.conf keeps libvirt's defaults: user and group
# libvirt-qemu, dynamic ownership, the DAC driver, QEMU's own mount namespace; only cgroups are
# off, as this container cannot give them), /run/libvirt, /var/lib/libvirt (on a real filesystem:
# QEMU's memory files live there), /var/cache/libvirt, /var/log/libvirt; the libvirt-qemu user and group
# as libvirt-daemon-system's postinst makes them (uid and gid 64055, user in groups kvm and
# libvirt-qemu) when this host has none; /run/dbus/system_bus_socket is the suite's private bus,
# where the hook (run by libvirtd with a cleaned environment) finds vgpud; /run/vgpud is vgpud's
# default socket directory.
load ../integration/helpers
load ../integration/vgpud
load qemu

# Debian 12's kernel under TCG: see rpc-qemu.bats for no_timer_check.
CMDLINE="console=ttyS0 no_timer_check panic=-1 quiet loglevel=4 rdinit=/init"

setup() {
        if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
                echo "libvirtd or virsh is missing: install libvirt-daemon-driver-qemu and libvirt-clients (scripts/deps does)" >&2
                return 1
        fi
        qemu11_load >/dev/null || return 1
        VMCACHE=${VGPU_VM_CACHE:-/var/cache/vgpud/vm}
        [ -f "$VMCACHE/ready" ] || "$VGPU_TEST_SRCDIR/tests/vm/vgpu-vm" setup >&2 || {
                echo "the VM tier's cache is not ready and vgpu-vm setup failed (see above)" >&2
                return 1
        }
        LV=$(mktemp -d /tmp/vgpud-libvirt.XXXXXX) # QEMU (libvirt-qemu) must reach its files: not bats' 0700 dirs
        chmod 755 "$LV"
        libvirt_host
        guest_files
        bus_start_with_policy
        # The bus where the hook and every system-bus client of this namespace look for it.
        mount -t tmpfs -o mode=0755 tmpfs /run/dbus
        touch /run/dbus/system_bus_socket
        mount --bind "$BUS_DIR/system_bus_socket" /run/dbus/system_bus_socket
        mount -t tmpfs -o mode=0755 tmpfs /run/vgpud
        # No socket_group: the default is what is under test.
        vgpud_config >/dev/null <<CONF
[rpc]
enabled = yes
[rpc-type rpc-small]
vram = 16M
max_instances = 1
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        libvirtd -f /etc/libvirt/libvirtd.conf >"$LV/libvirtd.out" 2>&1 3>&- &
        LIBVIRTD_PID=$!
        wait_for 30 virsh -q -c qemu:///system version >/dev/null 2>&1 || {
                echo "libvirtd did not answer in 30 s:"
                cat "$LV/libvirtd.out"
                return 1
        }
}

teardown() {
        if [[ -z ${BATS_TEST_COMPLETED:-} && -n ${LV:-} ]]; then
                echo "--- libvirtd's log (end):"
                tail -n 30 "$LV/libvirtd.log" 2>/dev/null
        fi
        virsh -q -c qemu:///system destroy vgpud-rpc >/dev/null 2>&1 || true
        if [[ -n ${LIBVIRTD_PID:-} ]]; then
                kill "$LIBVIRTD_PID" 2>/dev/null || true
                wait "$LIBVIRTD_PID" 2>/dev/null || true
        fi
        local rc=0 m
        vgpud_stop || rc=$?
        bus_stop
        for m in /run/vgpud /run/dbus/system_bus_socket /run/dbus /etc/group /etc/passwd /var/log/libvirt \
                /var/cache/libvirt /var/lib/libvirt /run/libvirt /etc/libvirt; do
                if mountpoint -q "$m"; then umount -l "$m" || true; fi
        done
        [[ -z ${LV:-} ]] || rm -rf "$LV"
        return $rc
}

# libvirt's directories and user, laid over this namespace.
libvirt_host() {
        mkdir -p "$LV"/{etc,lib,cache,log/qemu}
        cp -a /etc/libvirt/. "$LV/etc/" 2>/dev/null || true
        rm -rf "$LV/etc/hooks" "$LV/etc/qemu" # no host hooks, no host domains
        # libvirt's defaults (user and group libvirt-qemu, dynamic_ownership, remember_owner, QEMU in
        # a mount namespace of its own with a private /dev), minus cgroups, which this container
        # does not delegate ("Failed to create v1 controller cpu"). No virtlogd: QEMU's output
        # goes to a file.
        cat >"$LV/etc/qemu.conf" <<'EOF'
cgroup_controllers = [ ]
stdio_handler = "file"
EOF
        cat >"$LV/etc/libvirtd.conf" <<EOF
log_outputs = "3:file:$LV/libvirtd.log"
EOF
        # The hook as the package installs it: /etc/libvirt/hooks/qemu.d/vgpud.
        mkdir -p "$LV/etc/hooks/qemu.d"
        ln -s "$VGPU_TEST_BUILDDIR/cli/hook/vgpud" "$LV/etc/hooks/qemu.d/vgpud"
        mkdir -p /run/libvirt /run/vgpud /run/dbus
        mount --bind "$LV/etc" /etc/libvirt
        mount -t tmpfs -o mode=0755 tmpfs /run/libvirt
        mount --bind "$LV/lib" /var/lib/libvirt
        mount --bind "$LV/cache" /var/cache/libvirt
        mount --bind "$LV/log" /var/log/libvirt
        if ! getent passwd libvirt-qemu >/dev/null || ! getent group libvirt-qemu >/dev/null; then
                local kvm
                kvm=$(getent group kvm | cut -d: -f3)
                cp /etc/passwd "$LV/passwd"
                cp /etc/group "$LV/group"
                if [ -z "$kvm" ]; then
                        kvm=64056
                        echo "kvm:x:$kvm:" >>"$LV/group"
                fi
                getent passwd libvirt-qemu >/dev/null ||
                        echo "libvirt-qemu:x:64055:$kvm:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >>"$LV/passwd"
                getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:libvirt-qemu" >>"$LV/group"
                mount --bind "$LV/passwd" /etc/passwd
                mount --bind "$LV/group" /etc/group
        fi
}

# The emulator, the kernel and the guest's initramfs.
guest_files() {
        # libvirt runs <emulator> as a program: QEMU 11 through its root's own loader.
        {
                echo '#!/bin/sh'
                printf 'exec'
                "$VGPU_TEST_SRCDIR/tests/vm/qemu-root" command | while IFS= read -r w; do printf ' %q' "$w"; done
                echo ' "$@"'
        } >"$LV/qemu-system-x86_64"
        chmod 755 "$LV/qemu-system-x86_64"
        # A copy: libvirt's DAC driver gives the kernel and initrd to libvirt-qemu while the VM runs.
        cp "$VMCACHE/current/vmlinux" "$LV/vmlinux"
        local root=$LV/initramfs
        mkdir -p "$root"/{bin,proc,sys,dev}
        cp "$VMCACHE/current/initramfs/bin/busybox" "$root/bin/busybox"
        cp "$VGPU_TEST_BUILDDIR/tests/helpers/rpc-vm-guest" "$root/bin/rpc-vm-guest"
        cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo 4 > /proc/sys/vm/nr_hugepages
for d in /sys/bus/pci/devices/*; do
        echo "guest: pci $(cat $d/vendor):$(cat $d/device) class $(cat $d/class)"
done
# No IOMMU and no VFIO modules in this guest: the driver maps the BARs through sysfs and polls
# (rpc-qemu.bats runs it through the guest's VFIO and MSI-X).
rpc-vm-guest --access sysfs workload
echo "guest: workload exit $?"
rpc-vm-guest --access sysfs hostile
echo "guest: hostile exit $?"
echo "guest: done"
# The VM runs on until virsh destroy.
while :; do sleep 3600; done
EOF
        chmod 755 "$root/init"
        (cd "$root" && find . | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) >"$LV/initramfs.cpio"
}

# The domain: vgpuctl xml's, made to boot this guest under TCG (type, machine, CPU, kernel,
# serial console to a file). Everything vgpuctl printed stays as printed.
domain_xml() {
        python3 - "$1" "$LV" "$CMDLINE" <<'PY'
import sys, xml.etree.ElementTree as ET
src, lv, cmdline = sys.argv[1:4]
ET.register_namespace("qemu", "http://libvirt.org/schemas/domain/qemu/1.0")
tree = ET.parse(src)
d = tree.getroot()
d.set("type", "qemu")  # TCG: this machine's KVM cannot run a stock kernel
os_ = d.find("os")
os_.find("type").set("machine", "q35")
for tag, text in (("kernel", lv + "/vmlinux"), ("initrd", lv + "/initramfs.cpio"), ("cmdline", cmdline)):
    ET.SubElement(os_, tag).text = text
cpu = ET.Element("cpu", mode="maximum")
d.insert(list(d).index(os_) + 1, cpu)
ET.SubElement(d, "on_poweroff").text = "destroy"
dev = d.find("devices")
if dev is None:
    dev = ET.SubElement(d, "devices")
emu = ET.Element("emulator")
emu.text = lv + "/qemu-system-x86_64"
dev.insert(0, emu)
serial = ET.SubElement(dev, "serial", type="file")
ET.SubElement(serial, "source", path="/var/log/libvirt/qemu/vgpud-rpc-console.log")
ET.SubElement(serial, "target", port="0")
tree.write(sys.stdout, encoding="unicode")
PY
}

# console_has PATTERN: the guest's console (a file libvirt opened for QEMU) has a line matching it.
console_has() {
        grep -q "$1" /var/log/libvirt/qemu/vgpud-rpc-console.log 2>/dev/null
}

@test "libvirt 9.0 starts vgpuctl xml's domain on QEMU 11 as libvirt-qemu; the hook acquires and releases the RPC vGPU; the guest runs the workload" {
        local u sock
        u=$(vgpuctl create --type rpc-small)
        sock=/run/vgpud/rpc/$u.sock
        # The default socket_group: libvirt-qemu, the group libvirt runs QEMU as on Debian.
        [ "$(stat -c '%a %G' "$sock")" = "660 libvirt-qemu" ]
        vgpuctl xml "$u" --domain vgpud-rpc >"$LV/vgpuctl.xml"
        cat "$LV/vgpuctl.xml"
        domain_xml "$LV/vgpuctl.xml" >"$LV/domain.xml"
        run virt-xml-validate "$LV/domain.xml" domain
        echo "$output"
        [ "$status" -eq 0 ]
        virsh -q -c qemu:///system define "$LV/domain.xml"
        run virsh -q -c qemu:///system start vgpud-rpc
        echo "$output"
        [ "$status" -eq 0 ]
        # The hook's prepare begin: vgpud knows the domain owns the instance.
        run vgpuctl show --json "$u"
        echo "$output"
        [ "$(jq -r .owner <<<"$output")" = vgpud-rpc ]
        [ "$(jq -r .owner_source <<<"$output")" = hook ]
        [ "$(jq -r .state <<<"$output")" = assigned ]
        # QEMU runs as libvirt-qemu, group libvirt-qemu: the socket's group is how it gets in.
        local pid
        pid=$(cat /run/libvirt/qemu/vgpud-rpc.pid)
        [ "$(stat -c '%U %G' "/proc/$pid")" = "libvirt-qemu libvirt-qemu" ]
        # The guest: under TCG, about a minute to the end of the hostile run.
        wait_for 480 console_has 'guest: done\|Kernel panic' || true
        cat /var/log/libvirt/qemu/vgpud-rpc-console.log
        cat /var/log/libvirt/qemu/vgpud-rpc.log
        console_has 'guest: done'
        output=$(cat /var/log/libvirt/qemu/vgpud-rpc-console.log)
        [[ $output == *"guest: pci 0x1af4:0x10f0 class 0x038000"* ]]
        [[ $output == *"at start: commands 0 fences 0 violations 0 fence 0 ring size 0 error 0 engine reg 0 VRAM[0] 0"* ]]
        [[ $output == *"workload: verified"* ]]
        [[ $output == *"hostile: verified"* ]]
        [[ $output == *"guest: workload exit 0"* ]]
        [[ $output == *"guest: hostile exit 0"* ]]
        [[ $output != *FAIL:* ]]
        grep -E '^(BAR0 read|doorbell|COPY (VRAM|RAM))' <<<"$output" | sed 's/^/# libvirt: /' >&3
        run vgpuctl show --json "$u"
        echo "$output"
        [ "$(jq -r .engine.state <<<"$output")" = idle ] # connected, nothing queued
        counters "$u" protocol_errors dma_refused violations
        [ "$output" = "0 0 3" ]
        # virsh destroy: QEMU goes, the hook's release end hands the instance back.
        virsh -q -c qemu:///system destroy vgpud-rpc
        run vgpuctl show --json "$u"
        echo "$output"
        [ "$(jq -r '.owner // ""' <<<"$output")" = "" ]
        [ "$(jq -r .state <<<"$output")" = created ]
        wait_for 10 bash -c "vgpuctl show --json $u | jq -e '.engine.state == \"disconnected\"'"
        # vgpuctl detach/attach --config on the defined domain, through the QEMU driver (which, unlike
        # libvirt's test driver, keeps <qemu:commandline>).
        vgpuctl detach "$u" --domain vgpud-rpc --config
        run virsh -q -c qemu:///system dumpxml --inactive vgpud-rpc
        [[ $output != *vfio-user-pci* ]]
        [[ $output == *"<source type='memfd'/>"* ]] # detach leaves the memory settings alone
        run vgpuctl attach "$u" --domain vgpud-rpc --config
        echo "$output"
        [ "$status" -eq 0 ]
        run virsh -q -c qemu:///system dumpxml --inactive vgpud-rpc
        echo "$output"
        # libvirt 9.0 writes it back with single quotes around the value and &quot; inside
        [[ $output == *"<qemu:arg value='-device'/>"* ]]
        [[ $output == *"<qemu:arg value='{&quot;driver&quot;:&quot;vfio-user-pci&quot;,&quot;id&quot;:&quot;vgpud-$u&quot;,&quot;socket&quot;:{&quot;path&quot;:&quot;$sock&quot;,&quot;type&quot;:&quot;unix&quot;}}'/>"* ]]
        # QEMU said nothing about the vGPU: no warning, no error. One warning is libvirt 9.0's, not
        # vgpud's: it passes QEMU's monitor as -mon, which QEMU 11 deprecates.
        if grep -i 'warning\|error' /var/log/libvirt/qemu/vgpud-rpc.log | grep -v "'-mon' is deprecated"; then
                echo "QEMU warned (above)"
                false
        fi
}
