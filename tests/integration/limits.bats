# vgpu-sim: --profile t4
# Resource bounds against hostile D-Bus clients (tests/chaos/bus-flood): floods
# of calls (reads, refusals, malformed and oversized ones), clients that never
# read their replies, and hundreds of connections cannot grow vgpud's memory
# (VmRSS) or descriptor count without bound; vgpud keeps answering. vgpud runs
# without sanitizers here (tests/chaos/vgpud-nosan): ASan's quarantine would
# make RSS meaningless. Bounds are tolerant (docs/limits.md): a second round of
# the same flood may add at most 2 MiB over the first (a plateau, not growth),
# all of it at most 48 MiB over the idle daemon, descriptors back to idle + 2.
load helpers
load vgpud
bats_require_minimum_version 1.5.0 # run ! (a negated command that can fail the test)

setup_file() {
        export VGPUD=$VGPU_TEST_BUILDDIR/tests/chaos/vgpud-nosan
        FLOOD=$VGPU_TEST_BUILDDIR/tests/chaos/bus-flood
        export FLOOD
        bus_start_with_policy
        vgpud_start
        # warm up: every code path the floods take, once
        "$FLOOD" calls 800 16 >/dev/null
        vgpuctl create --type grid-2q >/dev/null
        vgpuctl list >/dev/null
}

teardown_file() {
        vgpud_stop
        bus_stop
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$VGPUD_PID/status"; }
fds() { ls "/proc/$VGPUD_PID/fd" | wc -l; }
answers() { timeout 10 vgpuctl gpus >/dev/null; }

# bounded NAME COMMAND...: run the flood twice; fail if RSS or fds do not plateau.
bounded() {
        local name=$1 rss0 fd0 rss1 rss2 fd2
        shift
        rss0=$(rss_kib) fd0=$(fds)
        "$@"
        answers
        rss1=$(rss_kib)
        "$@"
        answers
        sleep 0.5 # dropped connections reach vgpud
        rss2=$(rss_kib) fd2=$(fds)
        echo "# $name: VmRSS ${rss0} -> ${rss1} -> ${rss2} KiB, fds ${fd0} -> ${fd2}" >&3
        [ "$rss2" -le $((rss1 + 2048)) ]
        [ "$rss2" -le $((rss0 + 49152)) ]
        [ "$fd2" -le $((fd0 + 2)) ]
}

@test "a flood of 16,000 calls from 4 clients, 64 in flight each: answered, memory and fds bounded" {
        flood4() {
                local pids=() i
                for i in 1 2 3 4; do "$FLOOD" calls 4000 64 >"$BATS_TEST_TMPDIR/flood.$i" & pids+=($!); done
                wait "${pids[@]}"
                sed "s/^/# /" "$BATS_TEST_TMPDIR"/flood.* >&3
                # every call got an answer (a reply or an error): none was lost
                run ! grep -v "sent=4000 answered=[0-9]* errors=[0-9]*" "$BATS_TEST_TMPDIR"/flood.*
                [ "$status" -eq 1 ]
                for i in 1 2 3 4; do
                        read -r a e < <(sed 's/.*answered=\([0-9]*\) errors=\([0-9]*\)/\1 \2/' "$BATS_TEST_TMPDIR/flood.$i")
                        [ $((a + e)) -eq 4000 ]
                done
        }
        bounded "16,000 calls" flood4
}

@test "clients that send thousands of calls and never read the replies do not hold vgpud up or grow it" {
        stallers() {
                local pids=() i
                for i in $(seq 8); do "$FLOOD" stall 1500 3 >/dev/null & pids+=($!); done
                sleep 1
                # vgpud answers others while the stalled clients' replies pile up
                answers
                kill -0 "${pids[0]}"
                wait "${pids[@]}"
        }
        bounded "8 stalled readers × 1,500 calls" stallers
}

@test "hundreds of connections with calls in flight, then all dropped: fds and memory back to bounds" {
        conns() {
                local pids=() i
                for i in 1 2 3 4; do "$FLOOD" conns 60 2 >/dev/null & pids+=($!); done
                sleep 1
                answers
                wait "${pids[@]}"
        }
        bounded "240 connections" conns
}

@test "an error answers a 100 KB name with at most 1 KiB of it (BUS_ERROR_MESSAGE_MAX)" {
        local name
        name=$(head -c 100000 /dev/zero | tr '\0' x)
        run busctl --system call org.vgpud1 /org/vgpud1 org.vgpud1.Manager ResolveType ss "$name" ""
        [ "$status" -ne 0 ]
        echo "${#output} bytes: ${output:0:120}"
        [[ $output == *xxxx*"…"* ]]
        ((${#output} <= 1100))
}

@test "vgpud still creates and destroys after the floods" {
        local u
        u=$(vgpuctl create --type grid-2q)
        vgpuctl destroy "$u"
}
