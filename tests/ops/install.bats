# make install DESTDIR=... with Debian's directories puts every file where Debian expects it; the
# unit passes systemd-analyze verify (with the installed binary and man pages), the tmpfiles entry
# creates its directories, the D-Bus files are well-formed, and make uninstall removes everything.

setup_file() {
        ROOT=$(mktemp -d "$BATS_FILE_TMPDIR/root.XXXXXX")
        export ROOT
        # A make inside `make check` must not talk to the outer make's jobserver.
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$VGPU_TEST_BUILDDIR" install DESTDIR="$ROOT" \
                prefix=/usr sysconfdir=/etc localstatedir=/var \
                systemdsystemunitdir=/lib/systemd/system tmpfilesdir=/usr/lib/tmpfiles.d >"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
                { cat "$BATS_FILE_TMPDIR/install.log"; return 1; }
}

@test "every file is where Debian expects it" {
        local f missing=""
        for f in \
                usr/bin/vgpuctl \
                usr/sbin/vgpud \
                usr/libexec/vgpud/vgpud-libvirt-watch \
                usr/libexec/vgpud/vgpuctl-libvirt \
                usr/libexec/vgpud/vgpuctl-apply \
                lib/systemd/system/vgpud.service \
                usr/lib/tmpfiles.d/vgpud.conf \
                usr/share/dbus-1/system.d/org.vgpud1.conf \
                usr/share/dbus-1/system-services/org.vgpud1.service \
                usr/share/bash-completion/completions/vgpuctl \
                usr/share/zsh/vendor-completions/_vgpuctl \
                usr/share/man/man8/vgpuctl.8 \
                usr/share/man/man8/vgpud.8 \
                usr/share/man/man5/vgpud.conf.5 \
                usr/share/man/man5/org.vgpud1.5 \
                etc/vgpud/vgpud.conf; do
                [[ -f $ROOT/$f ]] || missing+=" $f"
        done
        echo "missing:$missing"
        [ -z "$missing" ]
        [ -x "$ROOT/usr/bin/vgpuctl" ]
        [ -x "$ROOT/usr/sbin/vgpud" ]
        [ -x "$ROOT/usr/libexec/vgpud/vgpud-libvirt-watch" ]
        [ -x "$ROOT/usr/libexec/vgpud/vgpuctl-libvirt" ]
        [ -x "$ROOT/usr/libexec/vgpud/vgpuctl-apply" ]
        # the libvirt hook, once there is one, goes to libvirt's hook directory
        if [[ -d $ROOT/etc/libvirt ]]; then
                [ -n "$(find "$ROOT/etc/libvirt/hooks" -type f -perm -u+x)" ]
        fi
        # nothing outside the directories above
        run bash -c "cd '$ROOT' && find . -type f | cut -d/ -f2-3 | sort -u"
        echo "$output"
        local top
        for top in $output; do
                [[ $top =~ ^(usr/bin|usr/sbin|usr/lib|usr/libexec|usr/share|lib/systemd|etc/vgpud|etc/libvirt)$ ]]
        done
}

# The libraries a program asks the dynamic loader for (DT_NEEDED), one per line.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

@test "vgpuctl loads neither libxml2 nor libyaml: xml/attach/detach and apply/export run its helpers" {
        run needed "$ROOT/usr/bin/vgpuctl"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *libsystemd* ]]
        [[ $output != *libxml2* && $output != *libyaml* && $output != *libudev* && $output != *libvirt* ]]
        run needed "$ROOT/usr/libexec/vgpud/vgpuctl-libvirt"
        [[ $output == *libxml2* ]]
        run needed "$ROOT/usr/libexec/vgpud/vgpuctl-apply"
        [[ $output == *libyaml* ]]
}

@test "the unit names the installed binary and passes systemd-analyze verify" {
        grep -qx 'ExecStart=/usr/sbin/vgpud' "$ROOT/lib/systemd/system/vgpud.service"
        grep -qx 'Type=notify' "$ROOT/lib/systemd/system/vgpud.service"
        grep -qx 'BusName=org.vgpud1' "$ROOT/lib/systemd/system/vgpud.service"
        # verify checks that ExecStart exists and that Documentation= man pages resolve: a private
        # mount namespace shows the installed vgpud at /usr/sbin, MANPATH the installed pages.
        # shellcheck disable=SC2016 # expanded by the inner shell, on purpose
        run unshare -m bash -c 'mount -t tmpfs tmpfs /usr/sbin && cp "$1/usr/sbin/vgpud" /usr/sbin/ &&
                MANPATH=$1/usr/share/man systemd-analyze verify "$1/lib/systemd/system/vgpud.service"' _ "$ROOT"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -z "$output" ]
}

@test "D-Bus activation names the unit; the policy is well-formed XML" {
        grep -qx 'Name=org.vgpud1' "$ROOT/usr/share/dbus-1/system-services/org.vgpud1.service"
        grep -qx 'SystemdService=vgpud.service' "$ROOT/usr/share/dbus-1/system-services/org.vgpud1.service"
        xmllint --noout "$ROOT/usr/share/dbus-1/system.d/org.vgpud1.conf"
        # the unit's BusName and the activation file's Name agree
        [ "$(sed -n 's/^BusName=//p' "$ROOT/lib/systemd/system/vgpud.service")" = \
                "$(sed -n 's/^Name=//p' "$ROOT/usr/share/dbus-1/system-services/org.vgpud1.service")" ]
}

@test "tmpfiles creates the runtime and state directories with their modes" {
        systemd-tmpfiles --root="$ROOT" --create "$ROOT/usr/lib/tmpfiles.d/vgpud.conf"
        [ "$(stat -c %a "$ROOT/run/vgpud")" = 755 ]
        [ "$(stat -c %a "$ROOT/run/vgpud/rpc")" = 755 ]
        [ "$(stat -c %a "$ROOT/var/lib/vgpud")" = 700 ]
}

@test "make uninstall removes every file it installed" {
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$VGPU_TEST_BUILDDIR" uninstall DESTDIR="$ROOT" \
                prefix=/usr sysconfdir=/etc localstatedir=/var \
                systemdsystemunitdir=/lib/systemd/system tmpfilesdir=/usr/lib/tmpfiles.d >/dev/null
        run find "$ROOT" -type f
        echo "$output"
        [ -z "$output" ]
}
