# vgpu-sim: --profile t4
# The VM tier with QEMU's own vfio-user client: vgpud on this machine serves an RPC vGPU, QEMU 11
# (tests/vm/qemu-root) boots Debian 12's kernel through tests/vm/vgpu-vm with the vGPU as
# -device vfio-user-pci behind vgpu-vm's emulated Intel IOMMU, and the guest's own kernel
# enumerates it. Three boots, one per guest RAM set-up (each about half a minute under TCG). In
# the guest, tests/helpers/rpc-vm-guest (static) takes the device with the guest's VFIO (vfio-pci,
# a type1 container, its buffer at an IOVA of its own, MSI-X on eventfds), runs the workload and
# a hostile run and prints its figures; the private-RAM boot also runs it once through sysfs
# without VFIO (--access sysfs, polling).
#
# Timer check: under TCG on a loaded machine, Debian 12's kernel with vgpu-vm's
# intel-iommu,intremap=on sometimes panics at boot ("timer doesn't work through
# Interrupt-remapped IO-APIC": its check that the timer interrupt arrives within a few ticks
# fails when the vCPU runs slowly, and with interrupt remapping there is no fallback). vgpu-vm's
# kernel command line has no_timer_check; the guest checks it is there.
load ../integration/helpers
load ../integration/vgpud
load qemu

setup() {
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/vgpud.XXXXXX")
        SOCKDIR=$VGPUD_DIR/rpc
        vgpud_config >/dev/null <<CONF
[rpc]
enabled = yes
socket_dir = $SOCKDIR
[rpc-type rpc-small]
vram = 16M
max_instances = 2
# VRAM by messages only: QEMU then posts BAR writes (docs/engine.md, "Posted writes"); its own
# device id, which the guest driver looks for.
[rpc-type rpc-posted]
vram = 16M
vram_mmap = no
device_id = 0x10f1
CONF
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        qemu11_load
}

teardown() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        return $rc
}

# The guest's side: find 1af4:10f0 by its ids and class, print what the kernel made of it, and
# read BAR0's ID and VERSION registers through the sysfs resource mapping; then each argument is
# one run of the guest driver (its arguments).
guest_probe() {
        cat <<'GUEST'
set -e
grep -q no_timer_check /proc/cmdline && echo "cmdline: no_timer_check"
for d in /sys/bus/pci/devices/*; do
        [ "$(cat "$d/vendor"):$(cat "$d/device"):$(cat "$d/class")" = 0x1af4:0x10f0:0x038000 ] && dev=$d
done
[ -n "$dev" ] || { echo "no 1af4:10f0 class 0x038000 in the guest"; lspci -nn; exit 1; }
lspci -nn -vv -s "${dev##*/}"
echo "iommu_group $(basename "$(readlink "$dev/iommu_group")")"
python3 - "$dev/resource0" <<'PY'
import mmap, struct, sys
with open(sys.argv[1], "r+b") as f:
    m = mmap.mmap(f.fileno(), 8192)
    print("BAR0 ID %08x VERSION %08x" % struct.unpack("<II", m[0:8]))
PY
echo 4 > /proc/sys/vm/nr_hugepages
GUEST
        local run
        for run in "$@"; do
                echo "\"$VGPU_TEST_BUILDDIR/tests/helpers/rpc-vm-guest\" $run"
        done
}

# The guest's figures, each line prefixed with LABEL and the device the run drove.
figures() {
        awk -v label="$1" '/^device / { id = $3 } /^(BAR0 read|doorbell|COPY [RV])/ { print "# " label " " id ": " $0 }' <<<"$output" >&3
}

# boot_vm SOCKET 'GUEST RUNS' QEMU-ARGS...: one boot of the guest with the vGPU; the guest probes
# it, then runs rpc-vm-guest once per line of GUEST RUNS. Its output (and QEMU's stderr) in $output.
boot_vm() {
        local sock=$1 runs=$2
        shift 2
        run timeout 600 "$VGPU_TEST_SRCDIR/tests/vm/vgpu-vm" run --timeout 480 --memory 1024 --qemu "$QEMU" "$@" \
                --qemu-arg -device --qemu-arg "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$sock\",\"type\":\"unix\"}}" \
                -- "$(mapfile -t r <<<"$runs" && guest_probe "${r[@]}")"
        echo "$output"
}

check_guest_output() {
        [[ $output == *"cmdline: no_timer_check"* ]]
        [[ $output == *"Display controller [0380]"*"[1af4:10f0]"* ]]
        [[ $output == *"Subsystem: "*"[1af4:0001]"* ]]
        [[ $output =~ Region\ 0:\ Memory\ at\ [0-9a-f]+\ \(32-bit,\ non-prefetchable\)\ \[size=8K\] ]]
        [[ $output =~ Region\ 2:\ Memory\ at\ [0-9a-f]+\ \(64-bit,\ prefetchable\)\ \[size=16M\] ]]
        [[ $output == *"MSI: Enable- Count=1/1"* ]]
        [[ $output == *"MSI-X: Enable- Count=2"* ]]
        [[ $output == *"Capabilities: [60] PCI Advanced Features"* ]]
        [[ $output == *"AFCap: TP+ FLR+"* ]]
        [[ $output =~ iommu_group\ [0-9]+ ]]
        [[ $output == *"BAR0 ID 55504756 VERSION 00010000"* ]]
        # Each VM starts from the power-on state: nothing of the one before.
        [[ $output == *"at start: commands 0 fences 0 violations 0 fence 0 ring size 0 error 0 engine reg 0 VRAM[0] 0"* ]]
        # The guest driver (tests/helpers/rpc-vm-guest) through the guest's VFIO: the buffer at an
        # IOVA the vIOMMU translates, MSI-X on eventfds, VFIO_DEVICE_RESET offered (the vGPU's FLR).
        [[ $output == *"access: VFIO type1 (group "*"), MSI-X 2 vectors on eventfds, VFIO_DEVICE_RESET offered; buffer at IOVA 0x4000000000"* ]]
        # The workload, checked byte for byte, the figures (fences waited for as interrupts), and a
        # hostile run whose every attack ends in failsafe with the error interrupt and recovers with a
        # reset: the RESET register, or VFIO_DEVICE_RESET (an FLR through QEMU).
        [[ $output == *"workload: verified"* ]]
        [[ $output == *"(100 fences, MSI-X interrupt)"* ]]
        [[ $output == *"COPY from outside the device's mappings: failsafe (error interrupt), ERROR_STATUS 5"* ]]
        [[ $output == *"PRIV_MMIO_WRITE: VFIO_DEVICE_RESET ended failsafe"* ]]
        [[ $output == *"ring garbage: failsafe (error interrupt), ERROR_STATUS 1"* ]]
        [[ $output == *"hostile: verified"* ]]
        [[ $output != *FAIL:* ]]
        # QEMU's stderr (in the output): nothing at all (a refused DMA_UNMAP, for one, is a line
        # "qemu-system-x86_64: vfio_container_dma_unmap(...) = -2" without the word error).
        if grep -E '^(qemu-system|vfio_user)' <<<"$output"; then
                echo "QEMU wrote the lines above to its stderr"
                false
        fi
}

# The file behind the third boot's guest RAM: on the build tree's filesystem, an ordinary disk
# filesystem as libvirt's <memoryBacking><source type='file'/> uses (not tmpfs, which the engine
# would simply map).
ram_file() {
        local fs
        fs=$(stat -f -c %T "$VGPU_TEST_BUILDDIR")
        if [[ $fs == tmpfs || $fs == hugetlbfs ]]; then
                echo "the build tree is on $fs: file-backed guest RAM needs a disk filesystem; build elsewhere" >&2
                return 1
        fi
        echo "$VGPU_TEST_BUILDDIR/tests/vm/rpc-qemu-guest-ram.$$"
}

@test "three Debian 12 guests in turn under QEMU 11 (memfd, private, file-backed shared RAM) drive the RPC vGPU through their VFIO; vgpud counts no protocol error" {
        local u sock file
        u=$(vgpuctl create --type rpc-small)
        sock=$SOCKDIR/$u.sock
        [ -S "$sock" ]
        # 1: guest RAM a shared memfd, which the engine maps.
        boot_vm "$sock" $'workload\nhostile' --qemu-arg -machine --qemu-arg memory-backend=ram \
                --qemu-arg -object --qemu-arg memory-backend-memfd,id=ram,size=1024M,share=on
        [ "$status" -eq 0 ]
        check_guest_output
        # The figures the guest measured (TCG figures: reported, not asserted).
        figures "memfd RAM"
        wait_disconnected "$u"
        # no protocol error, no refused and no message-served DMA, the hostile run's three violations
        counters "$u" protocol_errors dma_refused dma_messages violations
        [ "$output" = "0 0 0 3" ]

        # 2: QEMU's default (private) RAM: the engine reaches it through DMA_READ/DMA_WRITE (at IOVAs,
        # which QEMU translates through the vIOMMU). First without VFIO: sysfs, pagemap, polling.
        boot_vm "$sock" $'--access sysfs workload\nworkload\nhostile'
        [ "$status" -eq 0 ]
        check_guest_output
        [[ $output == *"access: sysfs resource files, polling; buffer at guest-physical 0x"* ]]
        [[ $output == *"(100 fences, polled)"* ]]
        [ "$(grep -c 'workload: verified' <<<"$output")" = 2 ]
        figures "private RAM"
        wait_disconnected "$u"
        counters "$u" connections protocol_errors dma_refused violations dma_messages
        [ "${output% *}" = "2 0 0 6" ]
        local messages=${output##* }
        ((messages > 0))

        # 3: file-backed shared RAM on a disk filesystem (libvirt's memoryBacking source type=file,
        # access=shared): the file comes with DMA_MAP, the engine does not map it and uses messages.
        # A second vGPU in the same guest, 1af4:10f1 with its VRAM by messages only: QEMU posts its
        # BAR writes (doorbells, VRAM stores), and the guest runs the workload on it too.
        local u2 sock2
        u2=$(vgpuctl create --type rpc-posted)
        sock2=$SOCKDIR/$u2.sock
        file=$(ram_file)
        boot_vm "$sock" $'workload\nhostile\n--device 0x10f1 workload' --qemu-arg -machine --qemu-arg memory-backend=ram \
                --qemu-arg -object --qemu-arg "memory-backend-file,id=ram,size=1024M,mem-path=$file,share=on" \
                --qemu-arg -device --qemu-arg "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"$sock2\",\"type\":\"unix\"}}"
        rm -f "$file"
        [ "$status" -eq 0 ]
        check_guest_output
        [[ $output == *"device "*" 1af4:10f1"* ]]
        [ "$(grep -c 'workload: verified' <<<"$output")" = 2 ]
        figures "file-backed RAM"
        wait_disconnected "$u"
        # no posted writes: its VRAM is mmap-able
        counters "$u" connections protocol_errors dma_refused violations posted_writes dma_messages
        [ "${output% *}" = "3 0 0 9 0" ]
        ((${output##* } > messages))
        wait_disconnected "$u2"
        counters "$u2" protocol_errors dma_refused violations posted_writes write_multi
        [ "$(cut -d' ' -f1-3 <<<"$output")" = "0 0 0" ]
        local posted multi
        read -r _ _ _ posted multi <<<"$output"
        ((posted > 0))
        echo "# file-backed RAM 1af4:10f1: $posted posted REGION_WRITEs, $multi REGION_WRITE_MULTI" >&3
}
