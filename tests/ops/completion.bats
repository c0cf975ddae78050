# vgpu-sim: --profile t4
# Shell completion: bash's function driven through COMP_WORDS as bash-completion drives it, with
# commands, options and live UUIDs, types and GPUs from vgpud; zsh's file parses and offers every
# command of vgpuctl's command table.
load ../integration/helpers
load ../integration/vgpud

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup_file() {
        bus_start_with_policy
        vgpud_start
}

teardown_file() {
        vgpud_stop
        bus_stop
}

# complete WORD... : the candidates bash offers for the last word of "vgpuctl WORD...".
complete() {
        bash -c '
                source /usr/share/bash-completion/bash_completion
                source "$1"
                shift
                COMP_WORDS=(vgpuctl "$@")
                COMP_CWORD=$#
                COMP_LINE="${COMP_WORDS[*]}"
                COMP_POINT=${#COMP_LINE}
                _vgpuctl vgpuctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}" | sort
        ' _ "$VGPU_TEST_SRCDIR/completions/vgpuctl.bash" "$@"
}

cli_commands() {
        vgpuctl --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" { print $1 }'
}

@test "bash: every command of the command table, and only those, complete" {
        run complete ""
        [ "$status" -eq 0 ]
        diff <(grep -v '^-' <<<"$output") <(cli_commands | sort)
        run complete mo
        [ "$output" = monitor ]
        run complete d
        [ "$output" = "$(cli_commands | grep '^d' | sort)" ]
        [[ $output == *doctor* ]]
}

@test "bash: options per command, and option values" {
        run complete monitor --
        [ "$output" = $'--help\n--interval\n--json\n--once' ]
        run complete metrics --format ""
        [ "$output" = $'openmetrics\nprometheus' ]
        run complete nfd --
        [ "$output" = $'--expiry\n--help\n--output' ]
        run complete create --placement s
        [ "$output" = spread ]
        run complete create --co
        [ "$output" = --count ]
        run complete export --format ""
        [ "$output" = $'vgpu-device-manager\nvgpud' ]
        run complete apply --
        [ "$output" = $'--config\n--dry-run\n--file\n--force\n--help\n--json' ]
        printf 'version: v1\nvgpu-configs:\n  A16-2Q:\n    - devices: all\n  "mixed":\n    - devices: [0]\n' \
                >"$BATS_TEST_TMPDIR/c.yaml"
        run complete apply -f "$BATS_TEST_TMPDIR/c.yaml" --config ""
        [ "$output" = $'A16-2Q\nmixed' ]
}

@test "bash: destroy and stop take several UUIDs, each offered once" {
        local a b
        read -r a b < <(vgpuctl create --type grid-1b --count 2 | xargs)
        run complete destroy ""
        [ "$output" = "$(printf '%s\n' "$a" "$b" | sort)" ]
        run complete destroy "$a" ""
        [ "$output" = "$b" ]
        run complete stop --force "$b" ""
        [ "$output" = "$a" ]
        vgpuctl destroy "$a" "$b"
}

@test "bash: live UUIDs, types and GPUs come from vgpud" {
        local u
        u=$(vgpuctl create --type grid-2q --gpu $GPU0 --persistent)
        run complete show ""
        [ "$output" = "$u" ]
        run complete autostart "$u" ""
        [ "$output" = $'off\non' ]
        run complete create --gpu ""
        [ "$output" = "$GPU0"$'\n'"$GPU1" ]
        run complete create --type grid-t4-1
        [[ $output == *grid-t4-1q* ]]
        [[ $output == *grid-t4-16q* ]]
        vgpuctl destroy "$u"
        run complete show ""
        [ -z "$output" ]
}

@test "zsh: the completion file parses and names every command" {
        command -v zsh >/dev/null || skip "zsh is not installed (scripts/deps installs it)"
        zsh -n "$VGPU_TEST_SRCDIR/completions/_vgpuctl"
        local cmd missing=""
        for cmd in $(cli_commands); do
                grep -q "^ *'$cmd:" "$VGPU_TEST_SRCDIR/completions/_vgpuctl" || missing+=" $cmd"
                grep -qE "^ +([a-z |]+ )?\b$cmd\b.*\)$" "$VGPU_TEST_SRCDIR/completions/_vgpuctl" || missing+=" $cmd(args)"
        done
        echo "missing:$missing"
        [ -z "$missing" ]
}
