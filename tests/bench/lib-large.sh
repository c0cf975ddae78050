#!/bin/bash
# Benchmark of libvgpu on the large profile (64 T4, 1,024 mdevs): a full scan
# into the model, then lookups, placement and a whole-model JSON from memory,
# next to `mdevctl list` on the same host. Prints figures; asserts nothing.
# Usage: tests/bench/lib-large.sh [BUILD_DIR]  (default build/dev)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build/dev}
export PATH="$build/tests/sim:$PATH" MODEL="$build/tests/integration/vgpu-model"

# shellcheck disable=SC2016 # expanded by the inner shell, on purpose
exec vgpu-sim run --profile large -- bash -c '
now() { date +%s%N; }
i=0
for p in /sys/class/mdev_bus/*; do
        for _ in {1..16}; do
                printf "%08x-0000-4000-8000-%012x\n" $i $i >"$p/mdev_supported_types/nvidia-222/create"
                i=$((i + 1))
        done
done
"$MODEL" bench
t0=$(now)
mdevctl list >/dev/null
t1=$(now)
echo "mdevctl list ($i mdevs): $(( (t1 - t0) / 1000000 )) ms"
'
