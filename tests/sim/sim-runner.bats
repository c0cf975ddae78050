# The runner, from outside: exit status, namespaces, cleanup on normal exit
# and on signals, every profile, and clear errors for bad profiles.
bats_require_minimum_version 1.5.0
load sim-helpers

setup_file() {
        export PROFILE_DIR=$VGPU_TEST_SRCDIR/tests/sim/profiles
}

no_sim_mounts() {
        ! grep -q 'fuse.sysfs' /proc/mounts
}

# wait_gone PATTERN: no process command line matches PATTERN within 5 s
wait_gone() {
        for _ in $(seq 100); do
                pgrep -f "$1" >/dev/null || return 0
                sleep 0.05
        done
        return 1
}

@test "run passes the command's exit status through" {
        run vgpu-sim run --profile t4 -- true
        [ "$status" -eq 0 ]
        run vgpu-sim run --profile t4 -- sh -c 'exit 7'
        [ "$status" -eq 7 ]
        run vgpu-sim run --profile t4 -- sh -c 'kill -TERM $$'
        [ "$status" -eq 143 ]
        run -127 vgpu-sim run --profile t4 -- /nonexistent/command
        [[ $output == *"cannot run /nonexistent/command"* ]]
        no_sim_mounts
}

@test "the command sees the simulated /sys, private /run/udev and network, and its own PID namespace" {
        # shellcheck disable=SC2016 # expanded by the inner shell, on purpose
        run vgpu-sim run --profile t4 -- sh -c 'grep " /sys " /proc/mounts; test -e /run/udev/control && echo control; echo links=$(ip -o link | wc -l); echo pid=$$; echo $VGPU_SIM_PROFILE'
        [ "$status" -eq 0 ]
        [[ $output == *"vgpu-sim /sys fuse.sysfs"* ]]
        [[ $output == *control* ]]
        [[ $output == *"pid=2"* ]] # PID 1 is the simulator's init
        [[ $output == *t4* ]]
        [[ $output == *"links=1"* ]] # only lo
        no_sim_mounts
}

@test "nothing the command started outlives it" {
        run vgpu-sim run --profile t4 -- sh -c 'sleep 31.25 & exit 3'
        [ "$status" -eq 3 ]
        wait_gone '^sleep 31.25'
        no_sim_mounts
}

# start_sleeper SECONDS: vgpu-sim running `sleep SECONDS` in the background, up; its PID in $sim
start_sleeper() {
        vgpu-sim run --profile t4 -- sleep "$1" 3>&- &
        sim=$!
        for _ in $(seq 100); do pgrep -f "^sleep $1" >/dev/null && break; sleep 0.05; done
        pgrep -f "^sleep $1"
}

@test "SIGTERM to vgpu-sim ends the command and cleans up" {
        start_sleeper 32.25
        kill -TERM $sim
        status=0
        wait $sim || status=$?
        [ "$status" -eq 143 ]
        wait_gone '^sleep 32.25'
        no_sim_mounts
}

@test "SIGKILL of vgpu-sim still takes the namespace's processes down" {
        start_sleeper 33.25
        kill -KILL $sim
        wait $sim || true
        wait_gone '^sleep 33.25'
        no_sim_mounts
}

@test "every profile loads and lspci sees its functions and VFs" {
        for p in t4 a16 l40s gvtg sriov-plain mixed large chaos kernel-samples; do
                run vgpu-sim check-profile $p
                [ "$status" -eq 0 ]
                want=$(sed -E 's/^[^:]*: ([0-9]+) functions, ([0-9]+) VFs.*/\1+\2/' <<<"$output")
                run vgpu-sim run --profile $p -- sh -c 'lspci -n | wc -l'
                [ "$status" -eq 0 ]
                [ "$output" -eq $((want)) ]
        done
}

@test "vgpu-sim profiles lists every profile with its description" {
        run vgpu-sim profiles
        [ "$status" -eq 0 ]
        for p in t4 a16 l40s gvtg sriov-plain mixed large chaos kernel-samples; do
                grep -q "^$p " <<<"$output"
        done
}

@test "bad profiles are refused with a message naming the file and the entry" {
        dir=$BATS_TEST_TMPDIR
        echo '{ not json' >"$dir"/broken.json
        run vgpu-sim run --profile "$dir"/broken.json -- true
        [ "$status" -eq 125 ]
        [[ $output == *"broken.json: not valid JSON"* ]]
        echo '{"name":"x","drivers":["nouveau"],"devices":[]}' >"$dir"/driver.json
        run vgpu-sim check-profile "$dir"/driver.json
        [ "$status" -ne 0 ]
        [[ $output == *'unknown driver "nouveau"'* ]]
        echo '{"name":"x","drivers":["nvidia"],"devices":[{"address":"3b:00.0","vendor":"0x10de","device":1,"class":"0x030000"}]}' >"$dir"/addr.json
        run vgpu-sim check-profile "$dir"/addr.json
        [[ $output == *'devices[0]: "address" must be a PCI address'* ]]
        echo '{"name":"x","drivers":["nvidia"],"devices":[{"address":"0000:3b:00.0","vendor":"0x10de","device":1,"class":"0x030000","vgpu":{"kind":"nvidia-mdev","types":"no-such","framebuffer_mb":1}}]}' >"$dir"/types.json
        run vgpu-sim check-profile "$dir"/types.json
        [[ $output == *"types/no-such.json: cannot read"* ]]
        echo '{"name":"x","drivers":["nvidia"],"devices":[{"address":"0000:3b:00.0","vendor":"0x1ffff","device":1,"class":"0x030000"}]}' >"$dir"/range.json
        run vgpu-sim check-profile "$dir"/range.json
        [[ $output == *'"vendor" is out of range'* ]]
        run vgpu-sim run --profile no-such-profile -- true
        [ "$status" -eq 125 ]
        [[ $output == *"no-such-profile.json: No such file or directory"* ]]
}

@test "without root, vgpu-sim runs through a user namespace" {
        command -v setpriv >/dev/null || skip "setpriv (util-linux) is missing"
        [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] || skip "user namespaces are disabled"
        cd /
        run setpriv --reuid=65534 --regid=65534 --clear-groups -- vgpu-sim run --profile t4 -- sh -c 'lspci -n | wc -l; id -u'
        [ "$status" -eq 0 ]
        [ "$(sed -n 1p <<<"$output")" -eq 2 ]
        [ "$(sed -n 2p <<<"$output")" -eq 0 ]
}
