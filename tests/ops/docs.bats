# The manual pages: they render without warnings (man, groff -ww, mandoc -Tlint), and they document
# everything the code has — every vgpuctl command and option (from vgpuctl's own --help, i.e. its
# command table), every vgpud option, every D-Bus method and property of the introspection XML.
# (Every vgpud.conf key is checked by tests/unit/test-config.c against vgpud.conf(5).)

bats_require_minimum_version 1.5.0 # run ! (a negated command that can fail the test)

PAGES="man/vgpuctl.8 man/vgpud.8 man/vgpud.conf.5 man/org.vgpud1.5 man/vgpud-apply.5"

setup() {
        cd "$VGPU_TEST_SRCDIR" || return
}

@test "every page renders with man -l, without a warning" {
        local p
        for p in $PAGES; do
                run env MANWIDTH=80 man --warnings -l "$p"
                [ "$status" -eq 0 ]
                # man writes groff's warnings into the output stream: none may be there
                [[ $output != *"warning:"* ]] || { echo "$p: $output" | grep warning; return 1; }
                [[ ${#output} -gt 500 ]]
        done
}

@test "groff -ww -z finds nothing to warn about" {
        local p
        for p in $PAGES; do
                run groff -ww -z -man -Tutf8 "$p"
                echo "$p: $output"
                [ "$status" -eq 0 ]
                [ -z "$output" ]
        done
}

@test "mandoc -Tlint finds nothing at warning level" {
        command -v mandoc >/dev/null || skip "mandoc is not installed (scripts/deps installs it)"
        local p
        for p in $PAGES; do
                run mandoc -Tlint -W warning "$p"
                echo "$p: $output"
                [ "$status" -eq 0 ]
        done
}

# A page's source with roff's escaped hyphens and font changes undone, for plain-text searches.
plain() {
        sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1"
}

# The commands of `vgpuctl --help`, one per line.
cli_commands() {
        vgpuctl --help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 && $1 != "Commands:" { print $1 }'
}

@test "every vgpuctl command and each of its options is in vgpuctl(8)" {
        local man cmd opt missing=""
        man=$(plain man/vgpuctl.8)
        [ "$(cli_commands | wc -l)" -ge 16 ]
        for cmd in $(cli_commands); do
                grep -q "^\.B $cmd\b" <<<"$man" || missing+=" command:$cmd"
                # the synopsis line of `vgpuctl CMD --help`, and the options the command takes
                for opt in $(vgpuctl "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
                        grep -qF -- "$opt" <<<"$man" || missing+=" $cmd:$opt"
                done
        done
        for opt in $(vgpuctl --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
                grep -qF -- "$opt" <<<"$man" || missing+=" global:$opt"
        done
        echo "undocumented:$missing"
        [ -z "$missing" ]
}

@test "the check above fails for a command that is not documented" {
        # Guard against a check that cannot fail: a page without "doctor" is caught.
        local man
        man=$(grep -v '^\.B doctor' man/vgpuctl.8)
        run ! grep -q "^\.B doctor\b" <<<"$man"
        [ "$status" -eq 1 ]
        cli_commands | grep -qx doctor
}

@test "every vgpud option is in vgpud(8)" {
        local opt missing=""
        for opt in $(vgpud --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
                plain man/vgpud.8 | grep -qF -- "$opt" || missing+=" $opt"
        done
        echo "undocumented:$missing"
        [ -z "$missing" ]
}

@test "every method and property of the introspection XML is in org.vgpud1(5)" {
        local name missing=""
        # shellcheck disable=SC2013 # the names are single words
        for name in $(sed -n 's/.*<\(method\|property\) name="\([A-Za-z]*\)".*/\2/p' daemon/org.vgpud1.xml | sort -u); do
                grep -qE "^\.BR? $name( |\\\\|$)" man/org.vgpud1.5 || missing+=" $name"
        done
        echo "undocumented:$missing"
        [ -z "$missing" ]
}
