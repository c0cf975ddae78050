# vgpu-sim: --profile t4
# vgpud under valgrind's memcheck (tests/chaos/vgpud-nosan: the same sources
# without the sanitizers): a lifecycle scenario with its error paths (refusals,
# an injected I/O error, a denied caller, hot-unplug and replug, a restart that
# reloads the records), then SIGTERM. Any memcheck error, or a definite or
# indirect leak, makes vgpud exit 99, and vgpud_stop fails on that.
# Other suites run the same way by hand:
#   VGPUD=$PWD/tests/chaos/vgpud-nosan VGPUD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full" \
#           make check TESTS=tests/integration/vgpud-t4.bats
load helpers
load vgpud
bats_require_minimum_version 1.5.0 # run ! (a negated command that can fail the test)

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup_file() {
        command -v valgrind >/dev/null || skip "valgrind is not installed (scripts/deps installs it)"
        export VGPUD=$VGPU_TEST_BUILDDIR/tests/chaos/vgpud-nosan
        export VGPUD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --track-fds=no --trace-children=no"
        bus_start_with_policy
        VGPUD_DIR=$(mktemp -d "$BATS_FILE_TMPDIR/vgpud.XXXXXX")
        export VGPUD_DIR
        vgpud_config >/dev/null <<CONF
[vgpud]
admin_group = users
[mdevctl]
write_definitions = yes
CONF
}

teardown_file() {
        local rc=0
        vgpud_stop || rc=$?
        bus_stop
        return $rc # vgpud's own exit status counts (a crash or leak at shutdown)
}

@test "vgpud under memcheck: a lifecycle with its error paths, then SIGTERM: no error, no leak" {
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        # really under memcheck
        # shellcheck disable=SC2153 # VGPUD_PID is set by vgpud_start (vgpud.bash)
        [[ $(readlink "/proc/$VGPUD_PID/exe") == *memcheck* ]]
        local t p u
        t=$(vgpuctl create --type grid-2q --gpu $GPU0)
        p=$(vgpuctl define --type grid-2q --gpu $GPU1)
        vgpuctl start "$p"
        vgpuctl stop "$p"
        vgpuctl autostart "$p" on
        vgpuctl start "$p"
        vgpuctl define "$t"
        vgpuctl undefine "$t"
        run vgpuctl create --type t4-1b --gpu $GPU0 # the one-type rule
        [ "$status" -eq 4 ]
        run vgpuctl create --type nope
        [ "$status" -eq 3 ]
        run vgpuctl destroy 00000000-0000-4000-8000-000000000000
        [ "$status" -eq 3 ]
        run as_user "" vgpuctl destroy "$t"
        [ "$status" -eq 5 ]
        vgpu-sim ctl fail /sys/class/mdev_bus/$GPU0/mdev_supported_types/nvidia-231/create EIO 1
        run vgpuctl create --type grid-2q --gpu $GPU0
        [ "$status" -eq 1 ]
        vgpuctl list --all --json >/dev/null
        vgpuctl gpus >/dev/null
        vgpuctl types >/dev/null
        vgpuctl show "$p" >/dev/null
        # hot-unplug the GPU of the autostart instance and bring it back
        vgpu-sim ctl unplug $GPU1
        sleep 0.5
        vgpu-sim ctl replug $GPU1
        for _ in $(seq 100); do [ -e "/sys/bus/mdev/devices/$p" ] && break; sleep 0.1; done
        [ -e "/sys/bus/mdev/devices/$p" ]
        # a restart reloads records and this boot's transient instances
        vgpud_stop
        vgpud_start --config "$VGPUD_DIR/vgpud.conf"
        [ "$(vgpuctl list --all --quiet | sort)" = "$(printf '%s\n' "$t" "$p" | sort)" ]
        u=$(vgpuctl create --type grid-2q --gpu $GPU0)
        vgpuctl destroy "$u"
        vgpuctl destroy "$t"
        vgpuctl destroy "$p"
        vgpud_stop # fails unless vgpud exits 0: memcheck's 99 on any error or leak
        run ! grep "==[0-9]*==" "$VGPUD_LOG"
        [ "$status" -eq 1 ] || { echo "$output"; false; }
}
