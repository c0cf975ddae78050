#!/bin/bash
# Benchmark of `vgpuctl sriov enable/disable` on vgpu-sim's sriov-plain profile (Intel Flex 170, VFs
# off at boot), against a raw write of sriov_numvfs that waits, polling every millisecond, for the
# kernel's VFs to appear (and go): vgpud's reply waits for the same thing, and for its model to have
# them. Alternated pair by pair; medians of N of each. Uses an optimized build without sanitizers
# (build/bench, or VGPU_BENCH_BUILD_DIR). Prints figures; asserts nothing.
# Usage: tests/bench/vgpud-sriov.sh [N] [VFS]   (defaults 10, 4)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${VGPU_BENCH_BUILD_DIR:-$top/build/bench}

"$top/scripts/build" "$build" CFLAGS="-O2 -g" >/dev/null
make -s -C "$build" tests/sim/vgpu-sim >/dev/null
export VGPU_TEST_SRCDIR=$top VGPU_BENCH_N=${1:-10} VGPU_BENCH_VFS=${2:-4}
export PATH="$build/daemon:$build/cli:$build/tests/sim:$PATH"
export VGPUD_LIBVIRT_WATCH=$build/daemon/vgpud-libvirt-watch VGPUCTL_LIBVIRT=$build/cli/vgpuctl-libvirt VGPUCTL_APPLY=$build/cli/vgpuctl-apply

# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
exec vgpu-sim run --profile sriov-plain -- bash -c '
set -euo pipefail
export BATS_FILE_TMPDIR=$(mktemp -d)
trap "umount $BATS_FILE_TMPDIR/vgpud/run 2>/dev/null; rm -rf $BATS_FILE_TMPDIR" EXIT
. "$VGPU_TEST_SRCDIR/tests/integration/helpers.bash"
. "$VGPU_TEST_SRCDIR/tests/integration/vgpud.bash"
n=$VGPU_BENCH_N vfs=$VGPU_BENCH_VFS
us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
median() { sort -n | sed -n "$(((n + 1) / 2))p"; }
PF=0000:4d:00.0
dev=/sys/bus/pci/devices/$PF
VGPUD_DIR=$BATS_FILE_TMPDIR/vgpud
mkdir -p "$VGPUD_DIR/run"
mount -t tmpfs tmpfs "$VGPUD_DIR/run"
bus_start_with_policy
vgpud_start --log-level notice
export VGPUCTL_PRIVATE_SOCKET=$VGPUD_DIR/run/private
sleep 2
echo "load average at the start: $(cut -d" " -f1-3 /proc/loadavg)"
virtfns() { local c=0 f; for f in "$dev"/virtfn*; do [[ -e $f ]] && c=$((c + 1)); done; echo $c; }
: >"$BATS_FILE_TMPDIR/e"; : >"$BATS_FILE_TMPDIR/d"; : >"$BATS_FILE_TMPDIR/re"; : >"$BATS_FILE_TMPDIR/rd"
for _ in $(seq "$n"); do
        s=$(us); vgpuctl sriov enable $PF --vfs "$vfs" >/dev/null; e=$(us); echo $((e - s)) >>"$BATS_FILE_TMPDIR/e"
        s=$(us); vgpuctl sriov disable $PF >/dev/null; e=$(us); echo $((e - s)) >>"$BATS_FILE_TMPDIR/d"
        # The reference, behind vgpud: vgpud follows these too (uevents), which costs the machine, not the
        # writer.
        s=$(us); echo "$vfs" >"$dev/sriov_numvfs"
        until (($(virtfns) == vfs)); do sleep 0.001; done
        e=$(us); echo $((e - s)) >>"$BATS_FILE_TMPDIR/re"
        s=$(us); echo 0 >"$dev/sriov_numvfs"
        until (($(virtfns) == 0)); do sleep 0.001; done
        e=$(us); echo $((e - s)) >>"$BATS_FILE_TMPDIR/rd"
done
for k in e:enable d:disable; do
        f=${k%%:*}
        v=$(median <"$BATS_FILE_TMPDIR/$f") r=$(median <"$BATS_FILE_TMPDIR/r$f")
        awk -v name="${k#*:}" -v v="$v" -v r="$r" -v vfs="$vfs" \
                "BEGIN { printf \"sriov %-8s %d VFs, median (ms)          %8.1f / %-8.1f %.2fx\\n\", name, vfs, v / 1000, r / 1000, r / v }"
done
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
vgpud_stop
bus_stop
'
