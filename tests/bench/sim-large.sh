#!/bin/bash
# Benchmark of vgpu-sim on the large profile (64 GPUs, 1,024 vGPUs): create,
# read, list and remove every instance, and reboot. Prints figures; asserts
# nothing. Usage: tests/bench/sim-large.sh [BUILD_DIR]  (default build/dev)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build/dev}
export PATH="$build/tests/sim:$PATH"

# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
exec vgpu-sim run --profile large -- bash -c '
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
t0=$(now); i=0
for p in /sys/class/mdev_bus/*; do
        for _ in {1..16}; do
                printf "%08x-0000-4000-8000-%012x\n" $i $i >"$p/mdev_supported_types/nvidia-222/create"
                i=$((i + 1))
        done
done
t1=$(now)
for d in /sys/bus/mdev/devices/*; do read -r _ <"$d/uevent"; done
t2=$(now)
for p in /sys/class/mdev_bus/*; do read -r _ <"$p/mdev_supported_types/nvidia-222/available_instances"; done
t3=$(now)
mdevctl list >/dev/null
t4=$(now)
for d in /sys/bus/mdev/devices/*; do echo 1 >"$d/remove"; done
t5=$(now)
echo 1 >/sys/kernel/debug/vgpu-sim/reboot
t6=$(now)
echo "create $i mdevs:            $(ms $t0 $t1) ms"
echo "read 1,024 uevent files:     $(ms $t1 $t2) ms"
echo "read 64 available_instances: $(ms $t2 $t3) ms"
echo "mdevctl list (1,024):        $(ms $t3 $t4) ms"
echo "remove 1,024 mdevs:          $(ms $t4 $t5) ms"
echo "reboot (64 GPUs):            $(ms $t5 $t6) ms"
'
