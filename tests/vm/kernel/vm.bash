# Shared by the suites of tests/vm/kernel/, which run inside one VM (tests/vm/kernel.vm) on Debian's
# kernel: vgpud on a private bus over the real /sys, the kernel's sample mdev drivers (mbochs, mdpy,
# mtty) and QEMU's NVMe controller with SR-IOV. Each suite leaves the host as it found it.
load ../../integration/helpers
load ../../integration/vgpud

# The emulated SR-IOV PF (QEMU's NVMe, 1b36:0010); the harness puts it behind a root port.
PF_ID=1b36:0010

vm_require() {
        [[ -d /sys/class/mdev_bus/mbochs && -d /sys/class/mdev_bus/mdpy && -d /sys/class/mdev_bus/mtty ]] || {
                echo "not in the VM tier's guest (no sample mdev parents): run through tests/vm/vgpu-vm" >&2
                return 1
        }
        PF=$(vm_pf) || {
                echo "no SR-IOV PF in this guest (vgpu-vm --devices nvme)" >&2
                return 1
        }
        export PF
}

vm_pf() {
        local d
        for d in /sys/bus/pci/devices/*; do
                [[ -f $d/sriov_totalvfs && $(cat "$d/vendor"):$(cat "$d/device") == 0x1b36:0x0010 ]] && {
                        basename "$d"
                        return 0
                }
        done
        return 1
}

# vgpud over the real /sys, with the PF managed and its mdevctl definitions mirrored.
vm_vgpud_start() {
        VGPUD_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/vgpud.XXXXXX")
        export VGPUD_DIR
        vgpud_config >/dev/null <<CONF
[vgpud]
pci_ids = $PF_ID
[mdevctl]
write_definitions = yes
[autostart]
initial_delay = 200ms
max_delay = 1s
[libvirt]
refresh_interval = 0
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

# Stop the vgpud of this suite's state directory, whichever shell started it (a test restarts what
# setup_file started; bats gives teardown_file setup_file's environment, not the test's).
vm_vgpud_stop() {
        if [[ -n ${VGPUD_PID:-} ]] && jobs -p | grep -qx "$VGPUD_PID"; then
                vgpud_stop # our child: its exit status is checked (a sanitizer report fails it)
                return
        fi
        # "stat[e]": the pattern matches vgpud's command line, not the command line of the shell that
        # runs pgrep with it
        pkill -TERM -f -- "--state-dir $VGPUD_DIR/stat[e]" || true
        wait_for 30 bash -c "! pgrep -f -- '--state-dir $VGPUD_DIR/stat[e]' >/dev/null"
        unset VGPUD_PID
        # not our child: no exit status to read, so the sanitizers' reports are looked for instead
        if grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$VGPUD_LOG"; then
                return 1
        fi
}

vm_vgpud_restart() {
        vm_vgpud_stop
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
}

# In a teardown: when the test failed, the end of vgpud's log goes with bats's report of it. The
# guest's files vanish with the VM, and a failure under a full run's load may not come back alone.
vm_log_if_failed() {
        [[ -z ${BATS_TEST_COMPLETED:-} && -n ${VGPUD_LOG:-} && -f $VGPUD_LOG ]] || return 0
        echo "# the last 80 lines of vgpud's log ($VGPUD_LOG):"
        tail -n 80 "$VGPUD_LOG"
}

state_is() { [ "$(instance_prop "$1" State)" = "\"$2\"" ]; }

new_uuid() { cat /proc/sys/kernel/random/uuid; }

# Every mdev of the sample parents removed, SR-IOV off, mdevctl's definitions gone: the guest as booted.
vm_clean_host() {
        local m
        for m in /sys/bus/mdev/devices/*; do
                [[ -e $m/remove ]] && echo 1 >"$m/remove"
        done
        [[ -n ${PF:-} && $(cat /sys/bus/pci/devices/"$PF"/sriov_numvfs) != 0 ]] &&
                echo 0 >/sys/bus/pci/devices/"$PF"/sriov_numvfs
        # vgpud turns VF autoprobing off to keep VFs from their PF's driver; the kernel's default is on
        [[ -n ${PF:-} ]] && echo 1 >/sys/bus/pci/devices/"$PF"/sriov_drivers_autoprobe
        rm -rf /etc/mdevctl.d/mbochs /etc/mdevctl.d/mdpy /etc/mdevctl.d/mtty /etc/driverctl.d/*
        return 0
}
