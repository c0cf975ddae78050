# vgpu-sim: --profile t4
# vgpuctl monitor: one frame (--once, --json) and the live view in a real terminal (tmux): a create
# shows up without a keypress, a daemon restart is survived, and q, Ctrl-C and Ctrl-Z give the
# terminal back as it was (primary screen, cursor shown, canonical mode with echo).
load ../integration/helpers
load ../integration/vgpud

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup_file() {
        bus_start_with_policy
}

teardown_file() {
        bus_stop
}

setup() {
        vgpud_start
        TMUX_SOCKET=$BATS_TEST_TMPDIR/tmux.sock
}

teardown() {
        tmux -S "$TMUX_SOCKET" kill-server 2>/dev/null || true
        local u
        for u in $(vgpuctl list --all --quiet 2>/dev/null); do vgpuctl destroy "$u" >/dev/null || true; done
        vgpud_stop
        unset VGPUD_DIR
}

# A terminal of 160x40 running bash; the environment (bus address, PATH) is this shell's.
term_start() {
        tmux -S "$TMUX_SOCKET" -f /dev/null new-session -d -s t -x 160 -y 40 \
                "env PS1='$ ' bash --norc --noprofile -i"
}

term_type() {
        tmux -S "$TMUX_SOCKET" send-keys -t t "$@"
}

screen() {
        tmux -S "$TMUX_SOCKET" capture-pane -p -t t
}

term_flag() {
        tmux -S "$TMUX_SOCKET" display-message -p -t t "#{$1}"
}

# Wait up to 5 s for the screen to contain a string.
wait_screen() {
        for _ in $(seq 50); do
                screen | grep -qF -- "$1" && return 0
                sleep 0.1
        done
        echo "screen without '$1':"
        screen
        return 1
}

@test "monitor --once without a terminal: one plain frame, no escape codes" {
        local u
        u=$(vgpuctl create --type grid-2q --gpu $GPU0)
        run vgpuctl monitor --once
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output != *$'\033'* ]]
        [[ ${lines[0]} == "vgpud 0.1.0  Ready  2 GPUs, 1 instance (1 on the host)  "* ]]
        [[ $output == *"GPU           NAME      DRIVER  HOSTED      INSTANCES  AVAILABLE  POLICY"* ]]
        [[ $output =~ $GPU0\ +Tesla\ T4\ +nvidia\ +GRID\ T4-2Q\ +1\ +7 ]]
        # No owner, no quota, no counters on mdev: "-"; MeasuredShare is -1 for a backend that cannot
        # measure: "n/a" (a vgpud without the property would show "-" there too).
        [[ $output =~ $u\ +$GPU0\ +GRID\ T4-2Q\ +mdev\ +created\ +-\ +-\ +n/a\ +-\ +-\ +- ]]
}

@test "monitor --json: one document with GPUs and instances; absent properties are null" {
        local u
        u=$(vgpuctl create --type grid-2q --gpu $GPU1)
        run vgpuctl monitor --json
        [ "$status" -eq 0 ]
        [ "$(jq -r '.running' <<<"$output")" = true ]
        [ "$(jq -r '.gpus | length' <<<"$output")" -eq 2 ]
        [ "$(jq -r --arg u "$u" '.instances[] | select(.uuid == $u) | .state' <<<"$output")" = created ]
        # owner: null while vgpud has no Owner property, "" once it has and nobody owns it
        [[ $(jq -r '.instances[0].owner // ""' <<<"$output") == "" ]]
        [ "$(jq -r '.instances[0].measured_share' <<<"$output")" = null ]
        [ "$(jq -r '.instances[0].counters | length' <<<"$output")" -eq 0 ]
        [ "$(jq -r '.gpus[1].available' <<<"$output")" -eq 7 ]
}

@test "monitor without vgpud: exit 6; bad options: exit 2" {
        vgpud_stop
        run vgpuctl monitor --once
        [ "$status" -eq 6 ]
        [[ $output == *"vgpud is not running"* ]]
        run vgpuctl monitor --interval 0
        [ "$status" -eq 2 ]
        run vgpuctl monitor --interval abc
        [ "$status" -eq 2 ]
        vgpud_start
}

@test "live: a create appears without a keypress, a restart is survived, q restores the terminal" {
        term_start
        term_type "vgpuctl monitor --interval 0.5; echo EXIT=\$?" Enter
        wait_screen "No vGPU instances."
        [ "$(term_flag alternate_on)" = 1 ]
        [ "$(term_flag cursor_flag)" = 0 ]
        local u
        u=$(vgpuctl create --type grid-4q --gpu $GPU1 --persistent)
        wait_screen "$u"
        screen | grep -E "^$u +$GPU1 +GRID T4-4Q +mdev +created"
        screen | grep -E "^$GPU1 +Tesla T4 +nvidia +GRID T4-4Q +1 +3"

        # Daemon restart: a line says it is gone, then the view comes back by itself.
        vgpud_stop
        wait_screen "vgpud is not running"
        vgpud_start
        wait_screen "$u"
        screen | grep -q "Ready"

        term_type q
        wait_screen "EXIT=0"
        [ "$(term_flag alternate_on)" = 0 ]
        [ "$(term_flag cursor_flag)" = 1 ]
        term_type "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo" Enter
        wait_screen "icanon echo"
}

@test "live: Ctrl-C ends it cleanly; Ctrl-Z gives the shell a sane terminal and fg resumes" {
        term_start
        term_type "vgpuctl monitor" Enter
        wait_screen "No vGPU instances."
        term_type C-z
        wait_screen "Stopped"
        [ "$(term_flag alternate_on)" = 0 ]
        [ "$(term_flag cursor_flag)" = 1 ]
        term_type "fg" Enter
        for _ in $(seq 50); do [ "$(term_flag alternate_on)" = 1 ] && break; sleep 0.1; done
        [ "$(term_flag alternate_on)" = 1 ]
        wait_screen "No vGPU instances."
        term_type C-c
        for _ in $(seq 50); do [ "$(term_flag alternate_on)" = 0 ] && break; sleep 0.1; done
        [ "$(term_flag alternate_on)" = 0 ]
        [ "$(term_flag cursor_flag)" = 1 ]
        term_type "echo AFTER=\$?" Enter
        wait_screen "AFTER=0"
}
