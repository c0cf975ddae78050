# vgpu-sim: --profile t4
# vgpuctl's bulk forms on two Tesla T4 (16 GRID T4-1B each): create --count N (all or nothing, up to
# 64 calls in flight) and destroy/stop/start of several UUIDs (each independent, all checked first).
load helpers
load vgpud

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

setup_file() {
        bus_start_with_policy
        vgpud_start
}

teardown_file() {
        vgpud_stop
        bus_stop
}

teardown() {
        # Each test starts from an empty host.
        local left
        left=$(vgpuctl list --all --quiet)
        # shellcheck disable=SC2086 # one argument per UUID
        [ -z "$left" ] || vgpuctl destroy $left >/dev/null
}

# The instance records vgpud keeps (transient ones in the runtime directory, definitions in the state one).
records() {
        find "$VGPUD_DIR/state" "$VGPUD_DIR/run" -name '*.json' -path '*instances*' | sort
}

@test "create --count: N instances, one UUID per line, on the host and in list" {
        run vgpuctl create --type grid-1b --count 20
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 20 ]
        local u
        for u in "${lines[@]}"; do
                [[ $u =~ $UUID_RE ]]
                [ -d "/sys/bus/mdev/devices/$u" ]
        done
        [ "$(printf '%s\n' "${lines[@]}" | sort -u | wc -l)" -eq 20 ]
        diff <(printf '%s\n' "${lines[@]}" | sort) <(vgpuctl list --quiet | sort)
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 20 ]
        # more than one T4 holds 16: vgpud placed each call, on both GPUs
        run vgpuctl list
        [[ $output == *"$GPU0"* && $output == *"$GPU1"* ]]
}

@test "create --count beyond capacity: refused with the candidates, nothing of the batch left" {
        local keep
        keep=$(vgpuctl create --type grid-1b --gpu $GPU0)
        run bash -c "vgpuctl create --type grid-1b --count 40 2>'$BATS_TEST_TMPDIR/err'"
        [ "$status" -eq 4 ]
        # no UUID on stdout for a batch that did not happen
        [ -z "$output" ]
        output=$(cat "$BATS_TEST_TMPDIR/err")
        mapfile -t lines <"$BATS_TEST_TMPDIR/err"
        echo "$output"
        # the refusal as a single create reports it, then how far the batch got
        [[ $output == *"vgpuctl: cannot create: No GPU can host another GRID T4-1B"* ]]
        [[ $output == *"'vgpuctl types' shows what each GPU can still host."* ]]
        [[ $output == *"Candidates:"* ]]
        [[ $output =~ $GPU0\ +-\ +no\ +all\ 16\ GRID\ T4-1B ]]
        [[ $output =~ $GPU1\ +-\ +no\ +all\ 16\ GRID\ T4-1B ]]
        [[ ${lines[-1]} == "created 31 of 40; removed them again" ]]
        # only the instance made before is there
        [ "$(ls /sys/bus/mdev/devices)" = "$keep" ]
        [ "$(vgpuctl list --all --quiet)" = "$keep" ]
        [ "$(records | wc -l)" -eq 1 ]
}

@test "a persistent or autostart batch that fails leaves no definition behind" {
        local opt
        for opt in --persistent --autostart; do
                run vgpuctl create --type grid-1b --count 33 $opt
                [ "$status" -eq 4 ]
                [[ ${lines[-1]} == "created 32 of 33; removed them again" ]]
                [ -z "$(vgpuctl list --all --quiet)" ]
                [ -z "$(vgpuctl list --defined --quiet)" ]
                [ -z "$(ls /sys/bus/mdev/devices)" ]
                [ -z "$(records)" ]
        done
        # and a batch that fits is persistent
        run vgpuctl create --type grid-1b --count 3 --persistent
        [ "$status" -eq 0 ]
        [ "$(vgpuctl list --defined --quiet | wc -l)" -eq 3 ]
}

@test "a batch refused at once makes nothing and says so" {
        run vgpuctl create --type grid-99x --count 5
        [ "$status" -eq 3 ]
        [[ $output == *"cannot create"* ]]
        [[ ${lines[-1]} == "created 0 of 5; nothing to remove" ]]
        [ -z "$(vgpuctl list --all --quiet)" ]
}

@test "--uuid with --count, and a count out of range, are usage errors" {
        run vgpuctl create --type grid-1b --count 2 --uuid 11111111-1111-4111-8111-111111111111
        [ "$status" -eq 2 ]
        [[ $output == *"--uuid names one instance"* ]]
        local n
        for n in 0 1025 -1 x 2x; do
                run vgpuctl create --type grid-1b --count "$n"
                [ "$status" -eq 2 ]
                [[ $output == *"invalid --count"* ]]
        done
        run vgpuctl define --type grid-1b --count 2
        [ "$status" -eq 2 ]
        [ -z "$(vgpuctl list --all --quiet)" ]
        # one given UUID with a count of 1 is fine
        run vgpuctl create --type grid-1b --count 1 --uuid 11111111-1111-4111-8111-111111111111
        [ "$status" -eq 0 ]
        [ "$output" = 11111111-1111-4111-8111-111111111111 ]
}

@test "create --count --json: an array of what create --json prints" {
        run vgpuctl create --type grid-1b --count 3 --json
        [ "$status" -eq 0 ]
        python3 -c 'import json, sys; a = json.loads(sys.argv[1]); assert isinstance(a, list) and len(a) == 3' "$output"
        [ "$(jq -r '.[].uuid' <<<"$output" | sort)" = "$(vgpuctl list --quiet | sort)" ]
        local u path
        u=$(jq -r '.[0].uuid' <<<"$output")
        path=$(jq -r '.[0].object' <<<"$output")
        [ "$(busctl --system get-property org.vgpud1 "$path" org.vgpud1.Instance Uuid)" = "s \"$u\"" ]
        # without --count, one object as before
        run vgpuctl create --type grid-1b --json
        [ "$(jq -r type <<<"$output")" = object ]
}

@test "destroy of several: the unknown UUID is named, the others are destroyed, exit non-zero" {
        local a b c unknown=22222222-2222-4222-8222-222222222222
        read -r a b c < <(vgpuctl create --type grid-1b --count 3 | xargs)
        run vgpuctl destroy "$a" "$unknown" "$b" "$c"
        echo "$output"
        [ "$status" -eq 3 ]
        [[ $output == *"vgpuctl: $unknown: No instance $unknown"* ]]
        [ "$(grep -c "$unknown" <<<"$output")" -eq 1 ]
        [[ $output == *"$a destroyed."* && $output == *"$b destroyed."* && $output == *"$c destroyed."* ]]
        [ -z "$(ls /sys/bus/mdev/devices)" ]
        [ -z "$(vgpuctl list --all --quiet)" ]
}

@test "destroy --json of several: one entry per UUID, failures with their error" {
        local a unknown=22222222-2222-4222-8222-222222222222
        a=$(vgpuctl create --type grid-1b)
        run bash -c "vgpuctl destroy --json $a $unknown 2>/dev/null"
        [ "$status" -eq 3 ]
        [ "$(jq length <<<"$output")" -eq 2 ]
        [ "$(jq -r '.[0].uuid + " " + .[0].result' <<<"$output")" = "$a destroyed" ]
        [ "$(jq -r '.[1].uuid + " " + .[1].error' <<<"$output")" = "$unknown org.vgpud1.Error.NoSuchInstance" ]
}

@test "a malformed or repeated UUID among several: usage error, nothing destroyed" {
        local a b
        read -r a b < <(vgpuctl create --type grid-1b --count 2 | xargs)
        run vgpuctl destroy "$a" not-a-uuid "$b"
        [ "$status" -eq 2 ]
        [[ $output == *"Invalid UUID 'not-a-uuid'"*"nothing was done"* ]]
        run vgpuctl destroy "$a" "$b" "${a^^}"
        [ "$status" -eq 2 ]
        [[ $output == *"given twice"* ]]
        [ "$(vgpuctl list --quiet | sort)" = "$(printf '%s\n' "$a" "$b" | sort)" ]
        [ -d "/sys/bus/mdev/devices/$a" ] && [ -d "/sys/bus/mdev/devices/$b" ]
}

@test "stop, start and undefine take several UUIDs too" {
        local uuids
        uuids=$(vgpuctl create --type grid-1b --count 5 --persistent | xargs)
        # shellcheck disable=SC2086 # one argument per UUID
        run vgpuctl stop $uuids
        [ "$status" -eq 0 ]
        [ "$(grep -c stopped <<<"$output")" -eq 5 ]
        [ -z "$(ls /sys/bus/mdev/devices)" ]
        [ "$(vgpuctl list --defined --quiet | wc -l)" -eq 5 ]
        # shellcheck disable=SC2086 # one argument per UUID
        run vgpuctl start $uuids
        [ "$status" -eq 0 ]
        [ "$(ls /sys/bus/mdev/devices | wc -l)" -eq 5 ]
        # shellcheck disable=SC2086 # one argument per UUID
        run vgpuctl undefine $uuids
        [ "$status" -eq 0 ]
        [ -z "$(vgpuctl list --defined --quiet)" ]
        [ "$(vgpuctl list --quiet | wc -l)" -eq 5 ]
}
