#!/bin/bash
# Benchmark of vgpud + vgpuctl against mdevctl on the simulated large host
# (64 Tesla T4, room for 1,024 GRID T4-1B), in the same run:
#   - create+destroy throughput: N x `vgpuctl create`/`destroy` vs N x `mdevctl start`/`stop`;
#     also one `vgpuctl create --count N` + one `vgpuctl destroy` of all N (the bulk forms),
#     4 vgpuctl clients at once, and a D-Bus client with 64 calls in flight (bench-client)
#   - listing 1,000 instances: `vgpuctl list` vs `mdevctl list` (median of 5)
#   - vgpud's resident memory with 1,000 instances
# Uses an optimized build without sanitizers (build/bench). The runtime
# directory is a tmpfs, as /run is on a real host. Prints figures; asserts
# nothing. Usage: tests/bench/vgpud-large.sh [N]   (default N=200)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${VGPU_BENCH_BUILD_DIR:-$top/build/bench}
n=${1:-200}

"$top/scripts/build" "$build" CFLAGS="-O2 -g" >/dev/null
make -s -C "$build" tests/sim/vgpu-sim tests/bench/bench-client >/dev/null
export VGPU_TEST_SRCDIR=$top VGPU_BENCH_N=$n
export PATH="$build/daemon:$build/cli:$build/tests/sim:$build/tests/bench:$PATH"
export VGPUD_LIBVIRT_WATCH=$build/daemon/vgpud-libvirt-watch

# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
exec vgpu-sim run --profile large -- bash -c '
set -euo pipefail
export BATS_FILE_TMPDIR=$(mktemp -d)
trap "rm -rf $BATS_FILE_TMPDIR" EXIT
. "$VGPU_TEST_SRCDIR/tests/integration/helpers.bash"
. "$VGPU_TEST_SRCDIR/tests/integration/vgpud.bash"
n=$VGPU_BENCH_N
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
rate() { awk -v n="$1" -v ms="$2" "BEGIN { printf \"%.1f\", n * 1000 / (ms > 0 ? ms : 1) }"; }
median5() { sort -n | sed -n 3p; }

VGPUD_DIR=$BATS_FILE_TMPDIR/vgpud
mkdir -p "$VGPUD_DIR/run"
mount -t tmpfs tmpfs "$VGPUD_DIR/run"   # private mount namespace: /run is a tmpfs on a real host
bus_start_with_policy
vgpud_start --log-level notice
sleep 3 # the libvirt domain reader has started and done its first round
echo "vgpud RSS idle: $(awk "/VmRSS/ {print \$2, \$3}" /proc/$VGPUD_PID/status)"
reader=$(pgrep -P "$VGPUD_PID" | head -n1 || true)
[[ -z $reader ]] || echo "libvirt domain reader (pid $reader) RSS: $(awk "/VmRSS/ {print \$2, \$3}" /proc/$reader/status)"

echo "== create+destroy, $n instances each way (empty host at the start)"
t0=$(now)
for _ in $(seq "$n"); do vgpuctl create --type grid-1b >>"$BATS_FILE_TMPDIR/uuids"; done
t1=$(now)
while read -r u; do vgpuctl destroy "$u" >/dev/null; done <"$BATS_FILE_TMPDIR/uuids"
t2=$(now)
# mdevctl picks no parent by itself: it gets the GPUs in turn (each takes 16 T4-1B).
mapfile -t parents < <(ls /sys/class/mdev_bus | sort)
for i in $(seq 0 $((n - 1))); do
        mdevctl start -p "${parents[$((i % ${#parents[@]}))]}" -t nvidia-222 >>"$BATS_FILE_TMPDIR/mdevctl-uuids"
done
t3=$(now)
t4=$t3
while read -r u; do mdevctl stop -u "$u"; done <"$BATS_FILE_TMPDIR/mdevctl-uuids"
t5=$(now)
made=$(wc -l <"$BATS_FILE_TMPDIR/mdevctl-uuids")
echo "vgpuctl create:  $n in $(ms $t0 $t1) ms ($(rate $n $(ms $t0 $t1))/s)"
echo "vgpuctl destroy: $n in $(ms $t1 $t2) ms ($(rate $n $(ms $t1 $t2))/s)"
echo "mdevctl start:   $made in $(ms $t2 $t3) ms ($(rate $made $(ms $t2 $t3))/s)"
echo "mdevctl stop:    $made in $(ms $t4 $t5) ms ($(rate $made $(ms $t4 $t5))/s)"
vg=$(( $(ms $t0 $t2) ))
md=$(( $(ms $t2 $t3) + $(ms $t4 $t5) ))
# The same with 4 clients at once (vgpud works on different GPUs in parallel; mdevctl has no daemon).
t6=$(now)
seq "$n" | xargs -P 4 -I{} vgpuctl create --type grid-1b --placement spread >"$BATS_FILE_TMPDIR/uuids4"
t7=$(now)
xargs -P 4 -I{} vgpuctl destroy {} <"$BATS_FILE_TMPDIR/uuids4" >/dev/null
t8=$(now)
echo "vgpuctl create, 4 clients:  $n in $(ms $t6 $t7) ms ($(rate $n $(ms $t6 $t7))/s)"
echo "vgpuctl destroy, 4 clients: $n in $(ms $t7 $t8) ms ($(rate $n $(ms $t7 $t8))/s)"
# The bulk forms: one vgpuctl for all N creates (placed as in the loop), one for all N destroys.
t9=$(now)
vgpuctl create --type grid-1b --count "$n" >"$BATS_FILE_TMPDIR/uuidsb"
t10=$(now)
vgpuctl destroy $(cat "$BATS_FILE_TMPDIR/uuidsb") >/dev/null
t11=$(now)
nb=$(wc -l <"$BATS_FILE_TMPDIR/uuidsb")
echo "vgpuctl create --count $n:  $nb in $(ms $t9 $t10) ms ($(rate $nb $(ms $t9 $t10))/s)"
echo "vgpuctl destroy (all $nb):  $nb in $(ms $t10 $t11) ms ($(rate $nb $(ms $t10 $t11))/s)"
# One client with up to 64 calls in flight: what vgpud itself sustains.
bench-client "$n" grid-1b >"$BATS_FILE_TMPDIR/pipelined"
read -r _ pc pcms < <(grep ^create "$BATS_FILE_TMPDIR/pipelined")
read -r _ pd pdms < <(grep ^destroy "$BATS_FILE_TMPDIR/pipelined")
echo "D-Bus, 64 calls in flight: create $pc in $pcms ms ($(rate $pc $pcms)/s), destroy $pd in $pdms ms ($(rate $pd $pdms)/s)"
md_rate=$(rate $((2 * made)) $md)
ratio() { awk -v a="$1" -v b="$md_rate" "BEGIN { printf \"%.1fx\", a / (b > 0 ? b : 1) }"; }
loop_rate=$(rate $((2 * n)) $vg)
bulk_rate=$(rate $((2 * nb)) $(ms $t9 $t11))
echo "create+destroy ops/s: vgpuctl loop $loop_rate, vgpuctl --count + destroy UUID... $bulk_rate, 4 vgpuctl clients $(rate $((2 * n)) $(ms $t6 $t8)), pipelined D-Bus $(rate $((pc + pd)) $((pcms + pdms))); mdevctl loop $md_rate"
echo "create+destroy vs the mdevctl loop: vgpuctl loop $(ratio $loop_rate), vgpuctl bulk $(ratio $bulk_rate)"

echo "== 1,000 instances"
for _ in $(seq 1000); do vgpuctl create --type grid-1b --placement pack >/dev/null; done
for _ in 1 2 3 4 5; do s=$(now); vgpuctl list >/dev/null; e=$(now); ms $s $e; done >"$BATS_FILE_TMPDIR/vl"
for _ in 1 2 3 4 5; do s=$(now); mdevctl list >/dev/null; e=$(now); ms $s $e; done >"$BATS_FILE_TMPDIR/ml"
vl=$(median5 <"$BATS_FILE_TMPDIR/vl"); ml=$(median5 <"$BATS_FILE_TMPDIR/ml")
echo "vgpuctl list: $vl ms, mdevctl list: $ml ms (median of 5), ratio $(awk -v a=$vl -v b=$ml "BEGIN { printf \"%.1fx\", b / (a > 0 ? a : 1) }")"
echo "instances listed: $(vgpuctl list --quiet | wc -l)"
echo "vgpud RSS with 1,000 instances: $(awk "/VmRSS/ {print \$2, \$3}" /proc/$VGPUD_PID/status)"
vgpud_stop
bus_stop
umount "$VGPUD_DIR/run"
'
