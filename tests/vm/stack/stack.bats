# The administrator's stack, for real, in one boot of the VM tier (tests/vm/vgpu-vm): systemd as
# PID 1, Debian 12's kernel with the sample mdev drivers and QEMU's NVMe SR-IOV PF, the package
# built by scripts/package installed with apt, vgpuctl over the system bus, libvirtd 9.0 running
# QEMU 7.2 domains through the package's hook. The tests run in order and build on each other.

setup_file() {
        export PATH=/usr/sbin:/usr/bin:/sbin:/bin # the package's programs, not the build tree's
        [[ -f ${VGPU_DEB:-} ]] || { echo "VGPU_DEB (the .deb scripts/package built) is not set or missing: '${VGPU_DEB:-}'"; return 1; }
        [[ -d /run/systemd/system ]] || { echo "systemd is not PID 1: run this suite with vgpu-vm --init systemd"; return 1; }
        # libvirtd as libvirt-daemon-system would run it, started before the package so that the
        # postinst's restart is what makes it run the hook.
        "$VGPU_TEST_SRCDIR/tests/vm/guest/libvirtd-setup"
        systemctl show -P MainPID libvirtd >"$BATS_FILE_TMPDIR/libvirtd.pid"
}

# Poll until a command succeeds, for at most 3 minutes (TCG on a loaded host is slow); then run it
# once more for the record.
wait_long() {
        local end=$((SECONDS + 180))
        while ((SECONDS < end)); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 1
        done
        "$@"
}

note() { echo "# $*" >&3; }
active() { [ "$(systemctl is-active vgpud)" = active ]; }
mdev_exists() { [ -d "/sys/bus/mdev/devices/$1" ]; }
mdev_gone() { [ ! -e "/sys/bus/mdev/devices/$1" ]; }
as() { runuser -u "$1" -- "${@:2}"; }
# systemd restarted vgpud more than N times (a function: wait_long re-runs it, re-reading the count)
restarted_more_than() { [ "$(systemctl show -P NRestarts vgpud)" -gt "$1" ]; }
# vgpud's instances and the kernel's mdevs are the same set (every mdev here is vgpud's)
same_instances_as_kernel() { diff <(vgpuctl list --quiet | sort) <(ls /sys/bus/mdev/devices | sort); }

@test "apt installs the package: group vgpu, vgpud enabled and running (READY), its STATUS, libvirtd restarted" {
        run apt-get install -y "$VGPU_DEB"
        echo "$output" | tail -20
        [ "$status" -eq 0 ]
        getent group vgpu
        [ "$(systemctl is-enabled vgpud)" = enabled ]
        # Type=notify: "active" only once vgpud sent READY=1
        [ "$(systemctl show -P Type vgpud)" = notify ]
        active
        local st
        st=$(systemctl show -P StatusText vgpud)
        echo "STATUS: $st"
        [ -n "$st" ]
        run systemctl status vgpud --no-pager
        echo "$output"
        [[ $output == *"Active: active (running)"* ]]
        [[ $output == *"Status: \"$st\""* ]]
        [ "$(stat -c %a /var/lib/vgpud)" = 700 ]
        [ "$(stat -c %a /run/vgpud)" = 755 ]
        [ -x /etc/libvirt/hooks/qemu.d/vgpud ]
        # libvirt looks for hooks only when it starts: the postinst restarted it
        [ "$(systemctl show -P MainPID libvirtd)" != "$(cat "$BATS_FILE_TMPDIR/libvirtd.pid")" ]
        [ "$(systemctl is-active libvirtd)" = active ]
}

@test "vgpud's lines are in the journal with their fields: identifier, priority, unit, pid" {
        local pid
        pid=$(systemctl show -P MainPID vgpud)
        run bash -c "journalctl -u vgpud -o json --no-pager | jq -s '.'"
        [ "$status" -eq 0 ]
        local j=$output
        jq -r '.[] | select(.SYSLOG_IDENTIFIER == "vgpud") | "\(.PRIORITY) \(.MESSAGE)"' <<<"$j" | head -20
        # every line vgpud wrote is its own, with a syslog priority from its "<N>" prefix
        [ "$(jq '[.[] | select(.SYSLOG_IDENTIFIER == "vgpud")] | length' <<<"$j")" -gt 0 ]
        [ "$(jq '[.[] | select(.SYSLOG_IDENTIFIER == "vgpud") | select(._SYSTEMD_UNIT != "vgpud.service" or (.PRIORITY | test("^[0-7]$") | not))] | length' <<<"$j")" -eq 0 ]
        [ "$(jq --arg p "$pid" '[.[] | select(.SYSLOG_IDENTIFIER == "vgpud" and ._PID == $p)] | length' <<<"$j")" -gt 0 ]
        # the line vgpud writes when it sends READY=1 (PID 1's own "Started" record goes to the
        # console in this VM: vgpu-vm runs systemd with --log-target=console)
        [ "$(jq '[.[] | select(.SYSLOG_IDENTIFIER == "vgpud" and (.MESSAGE | test("ready on org.vgpud1")))] | length' <<<"$j")" -gt 0 ]
}

@test "root, over the system bus: the sample drivers are GPUs; mdev create and destroy on mbochs and mdpy" {
        run vgpuctl gpus
        echo "$output"
        [[ $output == *mbochs* && $output == *mdpy* ]]
        local t u
        for t in mbochs-small mdpy-vga; do
                u=$(vgpuctl create --type "$t")
                mdev_exists "$u"
                [ "$(basename "$(readlink "/sys/bus/mdev/devices/$u/mdev_type")")" = "$(vgpuctl --json show "$u" | jq -r .type)" ]
                [ -e "/dev/vfio/$(basename "$(readlink "/sys/bus/mdev/devices/$u/iommu_group")")" ]
                vgpuctl destroy "$u"
                mdev_gone "$u"
        done
}

@test "a member of group vgpu changes vGPUs; an ordinary user reads, and every mutating method is refused" {
        getent passwd vgpu-admin >/dev/null || useradd -M -G vgpu vgpu-admin
        getent passwd vgpu-user >/dev/null || useradd -M vgpu-user
        local u
        u=$(as vgpu-admin vgpuctl create --type mbochs-small)
        mdev_exists "$u"
        # reads are open
        local cmd
        for cmd in gpus types list "show $u"; do
                # shellcheck disable=SC2086
                run as vgpu-user vgpuctl $cmd
                [ "$status" -eq 0 ] || { echo "vgpuctl $cmd: $output"; return 1; }
        done
        # vgpuctl's mutators: exit 5, naming the group
        for cmd in "create --type mbochs-small" "stop $u" "destroy $u" "define $u" "autostart $u on"; do
                # shellcheck disable=SC2086
                run as vgpu-user vgpuctl $cmd
                echo "vgpuctl $cmd: $status $output"
                [ "$status" -eq 5 ]
                [[ $output == *"group 'vgpu'"* ]]
        done
        # every mutating method of the interface description, raw, on the real bus
        local xml=$VGPU_TEST_SRCDIR/daemon/org.vgpud1.xml i m n=0 obj types t sig vals
        while read -r i m; do
                case $m in Get* | Resolve* | Explain* | Diagnose) continue ;; esac
                case $i in
                org.vgpud1.Manager) obj=/org/vgpud1 ;;
                org.vgpud1.Instance) obj=$(busctl call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetInstance s "$u" | cut -d'"' -f2) ;;
                org.vgpud1.Gpu) obj=$(busctl call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetGpu s mbochs | cut -d'"' -f2) ;;
                *) echo "no object for $i: extend the table"; return 1 ;;
                esac
                types=$(xmllint --xpath "//interface[@name='$i']/method[@name='$m']/arg[not(@direction) or @direction='in']/@type" \
                        "$xml" 2>/dev/null | sed 's/ type="\([^"]*\)"/\1\n/g')
                sig="" vals=()
                for t in $types; do
                        sig+=$t
                        case $t in s) vals+=("") ;; o) vals+=(/) ;; b) vals+=(false) ;; *) vals+=(0) ;; esac
                done
                run as vgpu-user busctl call org.vgpud1 "$obj" "$i" "$m" "$sig" "${vals[@]}"
                echo "$i.$m as vgpu-user: $status $output"
                [ "$status" -ne 0 ]
                [[ $output == *"Access denied"* ]]
                n=$((n + 1))
        done < <(for i in $(xmllint --xpath '//interface/@name' "$xml" | sed 's/ name="\([^"]*\)"/\1\n/g'); do
                xmllint --xpath "//interface[@name='$i']/method/@name" "$xml" 2>/dev/null |
                        sed 's/ name="\([^"]*\)"/\1\n/g' | sed "/^\$/d; s/^/$i /"
        done)
        [ "$n" -ge 10 ]
        mdev_exists "$u"
        # the refusal is in the journal, as vgpud's info line naming the uid
        journalctl -u vgpud --no-pager | grep -q "from uid $(id -u vgpu-user): not root and not in group 'vgpu'"
        as vgpu-admin vgpuctl destroy "$u"
        mdev_gone "$u"
}

@test "D-Bus activation: an ordinary user's call starts a stopped vgpud" {
        systemctl stop vgpud
        [ "$(systemctl is-active vgpud)" = inactive ]
        run as vgpu-user vgpuctl gpus
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *mbochs* ]]
        active
}

@test "SIGKILL: systemd restarts vgpud; records and host agree; an autostart instance removed meanwhile is back" {
        local a t n0 pid0
        a=$(vgpuctl create --type mbochs-small --autostart)
        t=$(vgpuctl create --type mdpy-vga)
        n0=$(systemctl show -P NRestarts vgpud)
        pid0=$(systemctl show -P MainPID vgpud)
        # frozen first, so that the autostart instance leaves the host while no vgpud runs
        systemctl kill -s SIGSTOP vgpud
        echo 1 >"/sys/bus/mdev/devices/$a/remove"
        mdev_gone "$a"
        systemctl kill -s SIGKILL vgpud
        wait_long restarted_more_than "$n0"
        wait_long active
        [ "$(systemctl show -P MainPID vgpud)" != "$pid0" ]
        note "NRestarts after SIGKILL: $(systemctl show -P NRestarts vgpud)"
        wait_long mdev_exists "$a"
        # vgpud's list and the kernel's mdevs are the same set; the transient one was recognised
        wait_long same_instances_as_kernel
        vgpuctl list --defined --quiet | grep -qx "$a"
        [ "$(vgpuctl --json show "$t" | jq -r .persistent)" = false ]
        vgpuctl destroy "$a" "$t"
        mdev_gone "$a"
        mdev_gone "$t"
}

@test "inside the unit's sandbox on the real kernel: SR-IOV enable, vfio-pci bind and unbind; systemd-analyze security" {
        local pf vf grp pid
        pf=$(lspci -Dn -d 1b36:0010 | head -1 | cut -d' ' -f1)
        [ -n "$pf" ]
        # QEMU's NVMe is no display device: an administrator lists it in pci_ids
        sed -i 's/^#pci_ids =.*/pci_ids = 1b36:0010/' /etc/vgpud/vgpud.conf
        grep -qx 'pci_ids = 1b36:0010' /etc/vgpud/vgpud.conf
        systemctl restart vgpud
        run vgpuctl gpus
        echo "$output"
        [[ $output == *"$pf"* ]]
        vgpuctl sriov enable "$pf" --vfs 2
        [ "$(cat "/sys/bus/pci/devices/$pf/sriov_numvfs")" = 2 ]
        vf=$(basename "$(readlink "/sys/bus/pci/devices/$pf/virtfn0")")
        echo "$vf" >"$BATS_FILE_TMPDIR/vf"
        vgpuctl bind "$vf"
        [ "$(basename "$(readlink "/sys/bus/pci/devices/$vf/driver")")" = vfio-pci ]
        grp=$(basename "$(readlink "/sys/bus/pci/devices/$vf/iommu_group")")
        [ -c "/dev/vfio/$grp" ]
        vgpuctl unbind "$vf"
        [ "$(basename "$(readlink "/sys/bus/pci/devices/$vf/driver" 2>/dev/null)")" != vfio-pci ]
        vgpuctl bind "$vf" # for the domain below
        # the sandbox those writes went through
        pid=$(systemctl show -P MainPID vgpud)
        grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status"
        grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid/status"
        [ "$(systemctl show -P ProtectSystem vgpud)" = strict ]
        run touch /usr/.vgpud-probe # (as root outside: allowed) and inside the unit's namespace: read-only
        [ "$status" -eq 0 ]
        rm -f /usr/.vgpud-probe
        run nsenter -t "$pid" -m touch /usr/.vgpud-probe
        [ "$status" -ne 0 ]
        run systemd-analyze security vgpud --no-pager
        echo "$output"
        note "systemd-analyze security vgpud: $(grep -o 'Overall exposure level for vgpud.service: .*' <<<"$output")"
}

# The domain: a persistent, stopped mbochs instance (the hook starts it) and the VF bound to vfio-pci.
# TCG (type qemu), 128 MiB.
domain_xml() { # NAME MDEV-UUID [VF]
        local vf=${3:-}
        vgpuctl xml "$2" --display off --domain "$1" |
                sed 's/<domain type="kvm">/<domain type="qemu">/; s|<memory unit="MiB">[0-9]*</memory>|<memory unit="MiB">128</memory>|' |
                if [[ -n $vf ]]; then
                        local dom=${vf%%:*} rest=${vf#*:}
                        local bus=${rest%%:*} slot=${rest#*:}
                        local fn=${slot#*.}
                        slot=${slot%.*}
                        sed "s|</devices>|<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\"><source><address domain=\"0x$dom\" bus=\"0x$bus\" slot=\"0x$slot\" function=\"0x$fn\"/></source></hostdev></devices>|"
                else cat; fi
}

@test "virsh start: the hook starts the stopped vGPU, QEMU opens it and the VF; the domain owns it; destroy is InUse" {
        local m vf
        vf=$(cat "$BATS_FILE_TMPDIR/vf")
        m=$(vgpuctl define --type mbochs-small)
        echo "$m" >"$BATS_FILE_TMPDIR/m"
        mdev_gone "$m"
        domain_xml vm1 "$m" "$vf" >"$BATS_FILE_TMPDIR/vm1.xml"
        cat "$BATS_FILE_TMPDIR/vm1.xml"
        virsh -q define "$BATS_FILE_TMPDIR/vm1.xml"
        run virsh start vm1
        echo "$output"
        [ "$status" -eq 0 ]
        mdev_exists "$m"
        run virsh qemu-monitor-command vm1 --hmp 'info pci'
        echo "$output"
        [[ $output == *"1234:1111"* ]] # mbochs
        [[ $output == *"1b36:0010"* ]] # the NVMe VF
        [ "$(vgpuctl --json show "$m" | jq -r .owner)" = vm1 ]
        run vgpuctl list
        echo "$output"
        [[ $output == *vm1* ]]
        run vgpuctl destroy "$m"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *vm1* || $output == *"in use"* || $output == *InUse* ]]
        mdev_exists "$m"
}

@test "vgpuctl attach --live puts a second vGPU into the running domain" {
        local x
        x=$(vgpuctl create --type mdpy-vga)
        echo "$x" >"$BATS_FILE_TMPDIR/x"
        local before after
        before=$(virsh qemu-monitor-command vm1 --hmp 'info pci' | grep -c 'Bus ')
        run vgpuctl attach "$x" --domain vm1 --live
        echo "$output"
        [ "$status" -eq 0 ]
        run virsh qemu-monitor-command vm1 --hmp 'info pci'
        echo "$output"
        after=$(grep -c 'Bus ' <<<"$output")
        [ "$after" -eq $((before + 1)) ]
        [[ $output == *"1b36:000f"* ]] # mdpy
        [[ $(virsh dumpxml vm1) == *"$x"* ]]
        # detach: QEMU removes a PCI device only when the guest acknowledges the unplug, and this
        # guest runs no OS; vgpuctl's answer is recorded, not judged
        run vgpuctl detach "$x" --domain vm1 --live
        note "vgpuctl detach --live without a guest OS: status $status: $output"
}

@test "libvirtd restarted while the domain runs: QEMU keeps running, ownership stays" {
        local m qpid
        m=$(cat "$BATS_FILE_TMPDIR/m")
        qpid=$(pgrep -f 'guest=vm1' | head -1)
        [ -n "$qpid" ]
        systemctl restart libvirtd
        [ "$(systemctl is-active libvirtd)" = active ]
        kill -0 "$qpid"
        [ "$(virsh domstate vm1)" = running ]
        [ "$(vgpuctl --json show "$m" | jq -r .owner)" = vm1 ]
        run vgpuctl destroy "$m"
        [ "$status" -ne 0 ]
}

@test "virsh destroy: the hook releases the vGPU (stopped again, no owner, still defined)" {
        local m
        m=$(cat "$BATS_FILE_TMPDIR/m")
        virsh destroy vm1
        wait_long mdev_gone "$m"
        vgpuctl list --defined --quiet | grep -qx "$m"
        [ "$(vgpuctl --json show "$m" | jq -r '.owner // ""')" = "" ]
}

@test "a domain whose vGPU cannot start does not start, and virsh shows the hook's one line" {
        local ghost=0b7c6e2a-1f3d-4c5b-9a8e-7d6c5b4a3f21
        domain_xml vm2 "$(cat "$BATS_FILE_TMPDIR/m")" | sed "s/<name>vm2<\/name>/<name>vm2<\/name>/; s/uuid=\"[0-9a-f-]*\"/uuid=\"$ghost\"/" >"$BATS_FILE_TMPDIR/vm2.xml"
        grep -q "$ghost" "$BATS_FILE_TMPDIR/vm2.xml"
        virsh -q define "$BATS_FILE_TMPDIR/vm2.xml"
        run virsh start vm2
        echo "$output"
        [ "$status" -ne 0 ]
        [[ $output == *"vgpud hook: "*"$ghost"* ]]
        [ "$(virsh domstate vm2)" = "shut off" ]
        virsh -q undefine vm2
}

@test "stop, reinstall (upgrade) and purge behave as README.Debian says" {
        local m p0
        m=$(cat "$BATS_FILE_TMPDIR/m")
        virsh -q undefine vm1
        vgpuctl start "$m"
        mdev_exists "$m"
        # stop: the instance stays in the kernel
        systemctl stop vgpud
        mdev_exists "$m"
        systemctl start vgpud
        p0=$(systemctl show -P MainPID vgpud)
        # reinstall: restarted with the new files, records and instances kept, the config edit too
        run apt-get install -y --reinstall "$VGPU_DEB"
        echo "$output" | tail -5
        [ "$status" -eq 0 ]
        active
        [ "$(systemctl show -P MainPID vgpud)" != "$p0" ]
        mdev_exists "$m"
        vgpuctl list --defined --quiet | grep -qx "$m"
        grep -qx 'pci_ids = 1b36:0010' /etc/vgpud/vgpud.conf
        # purge: unit, programs, hook, config and records gone; group and the kernel's devices stay
        run apt-get purge -y vgpud
        echo "$output" | tail -5
        [ "$status" -eq 0 ]
        [ "$(systemctl is-active vgpud)" != active ]
        [ ! -e /lib/systemd/system/vgpud.service ]
        [ ! -e /usr/sbin/vgpud ]
        [ ! -L /etc/libvirt/hooks/qemu.d/vgpud ]
        [ ! -e /etc/vgpud ]
        [ ! -e /var/lib/vgpud ]
        [ ! -e /etc/systemd/system/multi-user.target.wants/vgpud.service ]
        getent group vgpu
        mdev_exists "$m"
        [ "$(basename "$(readlink "/sys/bus/pci/devices/$(cat "$BATS_FILE_TMPDIR/vf")/driver")")" = vfio-pci ]
}
