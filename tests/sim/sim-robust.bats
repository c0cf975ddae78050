# vgpu-sim: --profile mixed
#
# Hostile input and concurrency: junk into every writable attribute never
# crashes the simulator or breaks its invariants, and parallel writers and
# readers leave a consistent host.
load sim-helpers

T4=0000:3b:00.0
IGD=0000:00:02.0

setup() {
        sim_reset
}

@test "junk written into every writable attribute is refused or harmless; the host survives" {
        long=$(printf 'A%.0s' $(seq 5000))
        payloads=("" "-1" "18446744073709551616" "../../../etc/passwd" "%s%n%x%p" "0x" " 1" "$long"
                "00000000-0000-0000-0000-00000000000g" $'\x01\x02\xff\xfe' "add nonsense")
        mapfile -t files < <(find /sys/devices /sys/bus -path /sys/kernel -prune -o -type f -perm -u+w -print |
                grep -v -e '/remove$' -e '/unbind$' -e '/bind$')
        [ "${#files[@]}" -gt 100 ]
        for f in "${files[@]}"; do
                for p in "${payloads[@]}"; do
                        printf '%s' "$p" >"$f" 2>/dev/null || true
                done
        done
        # still answering, still consistent
        run vgpu-sim ctl status
        expect_ok
        run lspci -n
        [ "$(wc -l <<<"$output")" -eq 23 ]
        [ "$(available $T4 nvidia-222)" -eq 16 ]
        run mdevctl types
        expect_ok
}

@test "junk into remove, bind and unbind files is an error, never a removal" {
        for p in "" "-1" "x" "0x" "1x" "18446744073709551616"; do
                [ -z "$p" ] && continue # an empty write() never reaches store()
                for f in /sys/bus/pci/devices/*/remove /sys/bus/pci/drivers/*/bind /sys/bus/pci/drivers/*/unbind; do
                        if printf '%s' "$p" >"$f" 2>/dev/null; then
                                echo "accepted '$p' into $f" >&2
                                false
                        fi
                done
        done
        [ "$(lspci -n | wc -l)" -eq 23 ]
}

@test "parallel creators, removers and readers leave a consistent host" {
        worker() { # PARENT TYPE BASE
                for i in $(seq 15); do
                        u=$(printf '%08x-0000-4000-8000-%012x' $(($3 + i)) "$i")
                        echo "$u" >"$(type_dir "$1" "$2")/create" || return 1
                        echo 1 >"/sys/bus/mdev/devices/$u/remove" || return 1
                done
        }
        reader() {
                for _ in $(seq 2); do
                        mdevctl types -p 0000:3b:00.0 >/dev/null || return 1
                        cat /sys/bus/mdev/devices/*/uevent >/dev/null 2>&1 || true
                        lspci -n >/dev/null || return 1
                done
        }
        worker $T4 nvidia-222 0 &
        a=$!
        worker $T4 nvidia-222 1000 &
        b=$!
        worker $IGD i915-GVTg_V5_8 2000 &
        c=$!
        reader &
        d=$!
        wait $a
        wait $b
        wait $c
        wait $d
        [ -z "$(ls /sys/bus/mdev/devices)" ]
        [ "$(available $T4 nvidia-231)" -eq 8 ]
        [ "$(available $IGD i915-GVTg_V5_8)" -eq 7 ]
        [[ $(vgpu-sim ctl status) == *"mdevs 0"* ]]
}
