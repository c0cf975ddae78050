#!/bin/bash
# Benchmark of vgpud + vgpuctl against mdevctl on the simulated large host
# (64 Tesla T4, room for 1,024 GRID T4-1B), in the same run, every figure a
# ratio to a reference measured beside it (docs/performance.md explains each):
#   - one process per call: N x `vgpuctl create`/`destroy` vs N x `mdevctl start`/`stop`, alternated
#     call by call (A/B), so that a change in the machine's load hits both sides alike; vgpuctl as root
#     over vgpud's private socket, then N/2 of each over the system bus
#   - the bulk forms: one `vgpuctl create --count N` + one `vgpuctl destroy` of all N, vs the mdevctl
#     loop, and vs the ceiling: one process (this shell, builtins only) writing the same creates and
#     removes straight into the simulated sysfs, on the same GPUs
#   - 4 vgpuctl clients at once, and a D-Bus client with 64 calls in flight (bench-client)
#   - `gpus`, `types`, `list` at 100 and at 1,000 instances (median of 5; flat is the goal), and
#     `vgpuctl list` vs `mdevctl list` at 1,000 (median of 5, alternated)
#   - vgpud's resident memory idle and with 1,000 instances
# Uses an optimized build without sanitizers (build/bench, or VGPU_BENCH_BUILD_DIR). The runtime
# directory is a tmpfs, as /run is on a real host. Prints figures; asserts nothing.
# Usage: tests/bench/vgpud-large.sh [N]   (default N=200)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${VGPU_BENCH_BUILD_DIR:-$top/build/bench}
n=${1:-200}

"$top/scripts/build" "$build" CFLAGS="-O2 -g" >/dev/null
make -s -C "$build" tests/sim/vgpu-sim tests/bench/bench-client >/dev/null
export VGPU_TEST_SRCDIR=$top VGPU_BENCH_N=$n
export PATH="$build/daemon:$build/cli:$build/tests/sim:$build/tests/bench:$PATH"
export VGPUD_LIBVIRT_WATCH=$build/daemon/vgpud-libvirt-watch VGPUCTL_LIBVIRT=$build/cli/vgpuctl-libvirt VGPUCTL_APPLY=$build/cli/vgpuctl-apply

# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
exec vgpu-sim run --profile large -- bash -c '
set -euo pipefail
export BATS_FILE_TMPDIR=$(mktemp -d)
trap "rm -rf $BATS_FILE_TMPDIR" EXIT
. "$VGPU_TEST_SRCDIR/tests/integration/helpers.bash"
. "$VGPU_TEST_SRCDIR/tests/integration/vgpud.bash"
n=$VGPU_BENCH_N
T=$BATS_FILE_TMPDIR
# Microseconds, without a process (bash 5): the clock must not cost what it measures.
us() { local t=${EPOCHREALTIME/./}; echo $((10#$t)); }
rate() { awk -v n="$1" -v us="$2" "BEGIN { printf \"%.1f\", n * 1000000 / (us > 0 ? us : 1) }"; }
ratio() { awk -v a="$1" -v b="$2" "BEGIN { printf \"%.2fx\", a / (b > 0 ? b : 1) }"; }
median5() { sort -n | sed -n 3p; }
# figure NAME VGPUD REFERENCE RATIO [UNIT]: one line of the summary, as docs/performance.md reports it
figure() { printf "%-52s %12s / %-12s %s\n" "$1" "$2" "$3" "$4" | tee -a "$T/summary"; }

VGPUD_DIR=$T/vgpud
mkdir -p "$VGPUD_DIR/run"
mount -t tmpfs tmpfs "$VGPUD_DIR/run"   # private mount namespace: /run is a tmpfs on a real host
bus_start_with_policy
vgpud_start --log-level notice
# As root on a real host, where vgpud listens on /run/vgpud/private: vgpuctl talks to vgpud directly
# (docs/performance.md). bench-client and mdevctl are unaffected.
export VGPUCTL_PRIVATE_SOCKET=$VGPUD_DIR/run/private
sleep 3 # the libvirt domain reader has started and done its first round
rss() { awk "/VmRSS/ {print \$2}" /proc/$VGPUD_PID/status; }
rss_idle=$(rss)
echo "load average at the start: $(cut -d" " -f1-3 /proc/loadavg)"

# mdevctl picks no parent by itself: it gets the GPUs in turn (each takes 16 T4-1B), as vgpud packs them;
# from the last GPU down while vgpuctl fills them from the first up in the same loop (mdevctl_parent_of).
mapfile -t parents < <(ls /sys/class/mdev_bus | sort)
parent_of() { echo "${parents[$(($1 / 16 % ${#parents[@]}))]}"; }
mdevctl_parent_of() { echo "${parents[$((${#parents[@]} - 1 - $1 / 16 % ${#parents[@]}))]}"; }

echo "== one process per call, $n each way, vgpuctl and mdevctl alternated call by call"
vc=0 mc=0 vd=0 md=0
for i in $(seq 0 $((n - 1))); do
        s=$(us); vgpuctl create --type grid-1b >>"$T/uuids"; e=$(us); vc=$((vc + e - s))
        s=$(us); mdevctl start -p "$(mdevctl_parent_of "$i")" -t nvidia-222 >>"$T/mdevctl-uuids"; e=$(us); mc=$((mc + e - s))
done
mapfile -t vu <"$T/uuids"
mapfile -t mu <"$T/mdevctl-uuids"
for i in $(seq 0 $((n - 1))); do
        s=$(us); vgpuctl destroy "${vu[$i]}" >/dev/null; e=$(us); vd=$((vd + e - s))
        s=$(us); mdevctl stop -u "${mu[$i]}"; e=$(us); md=$((md + e - s))
done
figure "create, one process per call (calls/s)" "$(rate $n $vc)" "$(rate $n $mc)" "$(ratio $mc $vc)"
figure "destroy, one process per call (calls/s)" "$(rate $n $vd)" "$(rate $n $md)" "$(ratio $md $vd)"
md_loop=$((mc + md))
figure "create+destroy, one process per call (ops/s)" "$(rate $((2 * n)) $((vc + vd)))" "$(rate $((2 * n)) $md_loop)" "$(ratio $md_loop $((vc + vd)))"

echo "== the same over the system bus (a caller that is not root, or no private socket), $((n / 2)) each way"
bc1=0 bm1=0 bd1=0 bm2=0
: >"$T/bus-uuids"; : >"$T/bus-mdevctl-uuids"
for i in $(seq 0 $((n / 2 - 1))); do
        s=$(us); VGPUCTL_PRIVATE_SOCKET= vgpuctl create --type grid-1b >>"$T/bus-uuids"; e=$(us); bc1=$((bc1 + e - s))
        s=$(us); mdevctl start -p "$(mdevctl_parent_of "$i")" -t nvidia-222 >>"$T/bus-mdevctl-uuids"; e=$(us); bm1=$((bm1 + e - s))
done
mapfile -t vu <"$T/bus-uuids"
mapfile -t mu <"$T/bus-mdevctl-uuids"
for i in $(seq 0 $((n / 2 - 1))); do
        s=$(us); VGPUCTL_PRIVATE_SOCKET= vgpuctl destroy "${vu[$i]}" >/dev/null; e=$(us); bd1=$((bd1 + e - s))
        s=$(us); mdevctl stop -u "${mu[$i]}"; e=$(us); bm2=$((bm2 + e - s))
done
figure "create over the bus, one process per call (calls/s)" "$(rate $((n / 2)) $bc1)" "$(rate $((n / 2)) $bm1)" "$(ratio $bm1 $bc1)"
figure "destroy over the bus, one process per call (calls/s)" "$(rate $((n / 2)) $bd1)" "$(rate $((n / 2)) $bm2)" "$(ratio $bm2 $bd1)"

echo "== the bulk forms vs the mdevctl loop above and vs the ceiling (one process writing sysfs)"
s=$(us); vgpuctl create --type grid-1b --count "$n" >"$T/uuidsb"; m=$(us)
vgpuctl destroy $(cat "$T/uuidsb") >/dev/null; e=$(us)
nb=$(wc -l <"$T/uuidsb")
bc=$((m - s)) bd=$((e - m))
# The ceiling: the same creates on the same GPUs and their removes, from this shell with builtins only.
for _ in $(seq "$n"); do cat /proc/sys/kernel/random/uuid; done >"$T/ceiling-uuids"
mapfile -t cu <"$T/ceiling-uuids"
s=$(us)
for i in $(seq 0 $((n - 1))); do echo "${cu[$i]}" >"/sys/class/mdev_bus/$(parent_of "$i")/mdev_supported_types/nvidia-222/create"; done
m=$(us)
for u in "${cu[@]}"; do echo 1 >"/sys/bus/mdev/devices/$u/remove"; done
e=$(us)
cc=$((m - s)) cd=$((e - m))
sleep 1 # vgpud has taken in the uevents of the ceiling
figure "create --count $n (creates/s)" "$(rate $nb $bc)" "$(rate $n $mc)" "$(ratio $mc $((bc * n / (nb > 0 ? nb : 1))))"
figure "destroy UUID... of $n (destroys/s)" "$(rate $nb $bd)" "$(rate $n $md)" "$(ratio $md $((bd * n / (nb > 0 ? nb : 1))))"
figure "create+destroy, bulk vs the mdevctl loop (ops/s)" "$(rate $((2 * nb)) $((bc + bd)))" "$(rate $((2 * n)) $md_loop)" "$(ratio $md_loop $(((bc + bd) * n / (nb > 0 ? nb : 1))))"
figure "create+destroy, bulk vs the ceiling (ops/s)" "$(rate $((2 * nb)) $((bc + bd)))" "$(rate $((2 * n)) $((cc + cd)))" "$(ratio $((cc + cd)) $(((bc + bd) * n / (nb > 0 ? nb : 1))))"
echo "   (ceiling: create $(rate $n $cc)/s, remove $(rate $n $cd)/s)"

echo "== 4 vgpuctl clients at once, and one D-Bus client with 64 calls in flight"
s=$(us)
seq "$n" | xargs -P 4 -I{} vgpuctl create --type grid-1b --placement spread >"$T/uuids4"
m=$(us)
xargs -P 4 -I{} vgpuctl destroy {} <"$T/uuids4" >/dev/null
e=$(us)
echo "vgpuctl, 4 clients: create $(rate $n $((m - s)))/s, destroy $(rate $n $((e - m)))/s"
bench-client "$n" grid-1b >"$T/pipelined"
read -r _ pc pcms < <(grep ^create "$T/pipelined")
read -r _ pd pdms < <(grep ^destroy "$T/pipelined")
echo "D-Bus, 64 calls in flight: create $(rate $pc $((pcms * 1000)))/s, destroy $(rate $pd $((pdms * 1000)))/s (destroy/create time $(ratio $pdms $pcms))"

# median5_of CMD...: the median of 5 runs, in microseconds
median5_of() { for _ in 1 2 3 4 5; do s=$(us); "$@" >/dev/null; e=$(us); echo $((e - s)); done | median5; }
read_commands() {
        g[$1]=$(median5_of vgpuctl gpus)
        t[$1]=$(median5_of vgpuctl types)
        l[$1]=$(median5_of vgpuctl list)
}
echo "== gpus, types and list at 100 and 1,000 instances (median of 5)"
vgpuctl create --type grid-1b --placement pack --count 100 >/dev/null
declare -A g t l
read_commands 100
vgpuctl create --type grid-1b --placement pack --count 900 >/dev/null
read_commands 1000
for c in g t l; do
        declare -n v=$c
        name=$([ $c = g ] && echo gpus || { [ $c = t ] && echo types || echo list; })
        figure "vgpuctl $name, 1,000 vs 100 instances (ms)" "$((v[1000] / 1000)).$((v[1000] % 1000 / 100))" "$((v[100] / 1000)).$((v[100] % 1000 / 100))" "$(ratio ${v[1000]} ${v[100]})"
done
# vgpuctl list and mdevctl list alternated, 5 each
for _ in 1 2 3 4 5; do
        s=$(us); vgpuctl list >/dev/null; e=$(us); echo $((e - s)) >>"$T/vl"
        s=$(us); mdevctl list >/dev/null; e=$(us); echo $((e - s)) >>"$T/ml"
done
vl=$(median5 <"$T/vl"); ml=$(median5 <"$T/ml")
figure "list at 1,000 instances, vs mdevctl list (ms)" "$((vl / 1000))" "$((ml / 1000))" "$(ratio $ml $vl)"
echo "instances listed: $(vgpuctl list --quiet | wc -l)"
figure "vgpud RSS, 1,000 instances vs idle (MiB)" "$(awk -v k=$(rss) "BEGIN { printf \"%.1f\", k / 1024 }")" "$(awk -v k=$rss_idle "BEGIN { printf \"%.1f\", k / 1024 }")" "(bound 16 MiB)"
reader=$(pgrep -P "$VGPUD_PID" | head -n1 || true)
[[ -z $reader ]] || echo "libvirt domain reader (pid $reader) RSS: $(awk "/VmRSS/ {print \$2, \$3}" /proc/$reader/status)"
echo "load average at the end: $(cut -d" " -f1-3 /proc/loadavg)"
echo "== summary: vgpud / reference, ratio = reference time / vgpud time (above 1: vgpud is faster);"
echo "   the 1,000-vs-100 rows: time at 1,000 / time at 100 (1.00x: flat); RSS: 1,000 instances / idle"
cat "$T/summary"
vgpud_stop
bus_stop
umount "$VGPUD_DIR/run"
'
