# Interop with the real mdevctl (1.2.0 on Debian 12), both ways: definitions
# mdevctl writes, libvgpu reads as persistent records; definitions libvgpu
# writes, mdevctl lists and modifies. Each test runs in a private mount
# namespace with an empty tmpfs over /etc/mdevctl.d, so the machine's own
# definitions are never seen or touched.

U1=0b3c1a4e-1111-4222-8333-444455556666
U2=0b3c1a4e-1111-4222-8333-444455557777
P=0000:3b:00.0

setup_file() {
        export MODEL="$VGPU_TEST_BUILDDIR/tests/integration/vgpu-model"
}

# Run a shell snippet with a fresh, private /etc/mdevctl.d.
in_private_mdevctl_dir() {
        # shellcheck disable=SC2016 # expanded by the inner shell, on purpose
        unshare --mount --propagation private sh -ec '
                mount -t tmpfs tmpfs /etc/mdevctl.d
                mkdir -p /etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers
                eval "$1"' sh "$1"
}

@test "the private directory hides the machine's definitions" {
        run in_private_mdevctl_dir 'ls /etc/mdevctl.d'
        [ "$status" -eq 0 ]
        [ "$output" = "scripts.d" ]
}

@test "a definition made by mdevctl is a persistent record for libvgpu" {
        run in_private_mdevctl_dir "
                mdevctl define -u $U1 -p $P -t nvidia-231
                mdevctl modify -u $U1 --addattr=first --value=1
                mdevctl modify -u $U1 --addattr=nvidia/second --value='two words'
                mdevctl modify -u $U1 --auto
                \"\$MODEL\" mdevctl-list /etc/mdevctl.d"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].uuid' <<<"$output")" = "$U1" ]
        [ "$(jq -r '.[0].parent' <<<"$output")" = "$P" ]
        [ "$(jq -r '.[0].type' <<<"$output")" = "nvidia-231" ]
        [ "$(jq -r '.[0].backend' <<<"$output")" = "mdev" ]
        [ "$(jq -r '.[0].persistent' <<<"$output")" = "true" ]
        [ "$(jq -r '.[0].autostart' <<<"$output")" = "true" ]
        [ "$(jq -r '.[0].origin' <<<"$output")" = "mdevctl" ]
        # attributes keep mdevctl's order
        [ "$(jq -c '.[0].attrs' <<<"$output")" = '[{"first":"1"},{"nvidia/second":"two words"}]' ]
}

@test "a definition written by libvgpu is listed and modified by mdevctl" {
        run in_private_mdevctl_dir "
                \"\$MODEL\" --attr a=1 --attr b=2 mdevctl-write /etc/mdevctl.d $U2 $P nvidia-222
                mdevctl list --defined --dumpjson
                echo ---
                mdevctl modify -u $U2 --auto
                \"\$MODEL\" mdevctl-list /etc/mdevctl.d"
        echo "$output"
        [ "$status" -eq 0 ]
        listed=${output%%---*}
        ours=${output#*---}
        [ "$(jq -r ".[0][\"$P\"][0][\"$U2\"].mdev_type" <<<"$listed")" = "nvidia-222" ]
        [ "$(jq -r ".[0][\"$P\"][0][\"$U2\"].start" <<<"$listed")" = "manual" ]
        [ "$(jq -c ".[0][\"$P\"][0][\"$U2\"].attrs" <<<"$listed")" = '[{"a":"1"},{"b":"2"}]' ]
        # mdevctl rewrote our file; we still read it, with its change
        [ "$(jq -r '.[0].autostart' <<<"$ours")" = "true" ]
        [ "$(jq -c '.[0].attrs' <<<"$ours")" = '[{"a":"1"},{"b":"2"}]' ]
}

@test "mdevctl undefine removes what libvgpu wrote" {
        run in_private_mdevctl_dir "
                \"\$MODEL\" mdevctl-write /etc/mdevctl.d $U2 $P nvidia-222
                mdevctl undefine -u $U2
                \"\$MODEL\" mdevctl-list /etc/mdevctl.d"
        [ "$status" -eq 0 ]
        [ "$(jq length <<<"$output")" = 0 ]
}

@test "a garbage definition is reported with its path; the others still load" {
        run in_private_mdevctl_dir "
                mdevctl define -u $U1 -p $P -t nvidia-231
                echo '{\"mdev_type\": [1,2], \"start\": \"auto\"}' > /etc/mdevctl.d/$P/$U2
                \"\$MODEL\" mdevctl-list /etc/mdevctl.d"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"problem: Invalid mdevctl definition, ignored: \"mdev_type\" must be a string. (/etc/mdevctl.d/$P/$U2: Invalid argument)"* ]]
        json=$(sed -n '/^\[/,/^\]/p' <<<"$output")
        [ "$(jq length <<<"$json")" = 1 ]
        [ "$(jq -r '.[0].uuid' <<<"$json")" = "$U1" ]
}
