# The Debian package: scripts/package builds vgpud_<version>_<arch>.deb from this tree (or reuses the
# one it built from identical sources) out of the source tree; its contents are make install's, its
# control data and maintainer scripts carry the group, the unit and the tmpfiles entry, lintian finds
# no error. Installing it for real (apt, systemd, libvirtd) is tests/vm/'s part.

setup_file() {
        export OUT="$VGPU_TEST_SRCDIR/build/deb"
        # A make inside `make check` must not talk to the outer make's jobserver.
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$VGPU_TEST_SRCDIR/scripts/package" "$OUT" \
                >"$BATS_FILE_TMPDIR/package.log" 2>&1 || {
                cat "$BATS_FILE_TMPDIR/package.log"
                return 1
        }
        VERSION=$(sed -n 's/^AC_INIT(\[vgpud\], \[\([^]]*\)\].*/\1/p' "$VGPU_TEST_SRCDIR/configure.ac")
        ARCH=$(dpkg-architecture -q DEB_HOST_ARCH)
        DEB="$OUT/vgpud_${VERSION}_${ARCH}.deb"
        export VERSION ARCH DEB
        # make install's tree, the reference for the package's files
        ROOT="$BATS_FILE_TMPDIR/root"
        PKG="$BATS_FILE_TMPDIR/pkg"
        export ROOT PKG
        env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$VGPU_TEST_BUILDDIR" install DESTDIR="$ROOT" \
                prefix=/usr sysconfdir=/etc localstatedir=/var \
                systemdsystemunitdir=/lib/systemd/system tmpfilesdir=/usr/lib/tmpfiles.d \
                >"$BATS_FILE_TMPDIR/install.log" 2>&1 || { cat "$BATS_FILE_TMPDIR/install.log"; return 1; }
        dpkg-deb -x "$DEB" "$PKG"
}

@test "the package is vgpud_<configure.ac's version>_<arch>.deb, and debian/changelog agrees" {
        echo "configure.ac: $VERSION; deb: $DEB"
        [ -n "$VERSION" ]
        [ -f "$DEB" ]
        [ "$(dpkg-parsechangelog -l "$VGPU_TEST_SRCDIR/debian/changelog" -S Version)" = "$VERSION" ]
        [ "$(dpkg-deb -f "$DEB" Package)" = vgpud ]
        [ "$(dpkg-deb -f "$DEB" Version)" = "$VERSION" ]
        [ "$(dpkg-deb -f "$DEB" Architecture)" = "$ARCH" ]
}

@test "Depends: the libraries the programs link, adduser for the group, a system bus" {
        run dpkg-deb -f "$DEB" Depends
        echo "$output"
        local dep
        for dep in libc6 libsystemd0 libudev1 libinih1 libjson-c5 libxml2 libvirt0 adduser \
                'default-dbus-system-bus | dbus-system-bus'; do
                [[ ", $output," == *", $dep"[\ ,]* ]] || { echo "missing: $dep"; return 1; }
        done
}

@test "the package holds every file make install does, at the same place and with the same text" {
        # make install's files, the hook aside: the package moves it to /usr/sbin (lintian's
        # binary-in-etc) and leaves a symlink where libvirt looks.
        local hook=etc/libvirt/hooks/qemu.d/vgpud
        run bash -c "cd '$ROOT' && find . -type f | cut -c3- | grep -vx '$hook' | sort"
        local want=$output
        [ -n "$want" ]
        run bash -c "cd '$PKG' && find . -type f | cut -c3- | sed 's/\.gz$//' | grep -v '^usr/share/doc/' |
                grep -vx usr/sbin/vgpud-libvirt-hook | sort"
        local got=$output
        echo "only in make install: $(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')"
        echo "only in the package: $(comm -13 <(echo "$want") <(echo "$got") | tr '\n' ' ')"
        [ "$want" = "$got" ]
        # the text files are make install's, byte for byte (man pages compressed by dh_compress)
        local f
        for f in lib/systemd/system/vgpud.service usr/lib/tmpfiles.d/vgpud.conf \
                usr/share/dbus-1/system.d/org.vgpud1.conf usr/share/dbus-1/system-services/org.vgpud1.service \
                etc/vgpud/vgpud.conf usr/share/bash-completion/completions/vgpuctl \
                usr/share/zsh/vendor-completions/_vgpuctl; do
                cmp "$ROOT/$f" "$PKG/$f"
        done
        for f in man8/vgpuctl.8 man8/vgpud.8 man5/vgpud.conf.5 man5/org.vgpud1.5; do
                zcat "$PKG/usr/share/man/$f.gz" | cmp - "$ROOT/usr/share/man/$f"
        done
        grep -qx 'ExecStart=/usr/sbin/vgpud' "$PKG/lib/systemd/system/vgpud.service"
}

@test "the hook: a symlink where libvirt looks, to an executable in /usr/sbin" {
        local link="$PKG/etc/libvirt/hooks/qemu.d/vgpud"
        [ -L "$link" ]
        [ "$(readlink "$link")" = /usr/sbin/vgpud-libvirt-hook ]
        [ -x "$PKG/usr/sbin/vgpud-libvirt-hook" ]
        # it is the hook: its usage line says how libvirt calls it
        run "$PKG/usr/sbin/vgpud-libvirt-hook"
        echo "$output"
        [ "$status" -eq 2 ]
        [[ $output == *"DOMAIN OPERATION SUB-OPERATION"* ]]
}

# apparmor_may_exec PROFILE PATH: whether a rule of the AppArmor profile lets the confined program
# execute PATH (an x permission, not denied). Globs: ** any path, * and ? within a component,
# {a,b} alternatives.
apparmor_may_exec() {
        python3 - "$1" "$2" <<'PY'
import re, sys
def glob(g):
    out, i = "", 0
    while i < len(g):
        if g.startswith("**", i): out += ".*"; i += 2; continue
        c = g[i]
        out += {"*": "[^/]*", "?": "[^/]", "{": "(?:", "}": ")", ",": "|"}.get(c, re.escape(c))
        i += 1
    return out
rule = re.compile(r"^\s*(audit\s+)?(deny\s+)?(/\S+)\s+([a-zA-Z]+)\s*(->\s*\S+)?\s*,\s*$")
for line in open(sys.argv[1]):
    m = rule.match(line)
    if m and not m.group(2) and "x" in m.group(4) and re.fullmatch(glob(m.group(3)), sys.argv[2]):
        print("allowed by:", line.strip())
        sys.exit(0)
sys.exit(1)
PY
}

@test "the hook runs under libvirtd's AppArmor profile (Debian 12's libvirt-daemon-system) as shipped" {
        # AppArmor checks the program the symlink leads to, not the link in /etc/libvirt/hooks: a
        # target the profile does not cover stops libvirtd from starting any domain.
        local cache=/var/cache/vgpud/apparmor deb profile="$BATS_FILE_TMPDIR/usr.sbin.libvirtd"
        mkdir -p "$cache"
        deb=$(ls "$cache"/libvirt-daemon-system_*.deb 2>/dev/null | tail -1)
        if [ -z "$deb" ]; then
                (cd "$cache" && apt-get download libvirt-daemon-system) || {
                        echo "cannot download libvirt-daemon-system (its AppArmor profile is the reference)"
                        return 1
                }
                deb=$(ls "$cache"/libvirt-daemon-system_*.deb | tail -1)
        fi
        dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/apparmor.d/usr.sbin.libvirtd >"$profile"
        grep -q 'profile libvirtd' "$profile"
        run apparmor_may_exec "$profile" "$(readlink "$PKG/etc/libvirt/hooks/qemu.d/vgpud")"
        echo "$output"
        [ "$status" -eq 0 ]
        # the check tells them apart: where the package used to put it, the profile refuses it
        run ! apparmor_may_exec "$profile" /usr/libexec/vgpud/libvirt-hook
}

@test "the programs in the package run and report configure.ac's version" {
        run "$PKG/usr/bin/vgpuctl" --version
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"$VERSION"* ]]
        run "$PKG/usr/sbin/vgpud" --version
        echo "$output"
        [ "$status" -eq 0 ]
        [[ $output == *"$VERSION"* ]]
        # stripped (the debug symbols are in the -dbgsym package), no RUNPATH into the build tree
        local f
        for f in usr/bin/vgpuctl usr/sbin/vgpud usr/libexec/vgpud/vgpud-libvirt-watch usr/sbin/vgpud-libvirt-hook; do
                run file "$PKG/$f"
                [[ $output == *ELF*", stripped"* ]] || { echo "$output"; return 1; }
                run readelf -d "$PKG/$f"
                [[ $output != *RUNPATH* && $output != *RPATH* ]] || { echo "$f: $output"; return 1; }
        done
        [ -f "$OUT/vgpud-dbgsym_${VERSION}_${ARCH}.deb" ]
}

@test "conffiles: /etc/vgpud/vgpud.conf alone (the hook's symlink is not a conffile)" {
        run dpkg-deb -I "$DEB" conffiles
        echo "$output"
        [ "$output" = /etc/vgpud/vgpud.conf ]
}

@test "postinst: the group first, then the tmpfiles entry, then the unit enabled and started" {
        run dpkg-deb -I "$DEB" postinst
        echo "$output"
        local script=$output
        grep -q 'addgroup --system --quiet vgpu' <<<"$script"
        grep -q 'getent group vgpu' <<<"$script"
        grep -q 'systemd-tmpfiles .*--create vgpud.conf' <<<"$script"
        grep -q "deb-systemd-helper unmask 'vgpud.service'" <<<"$script"
        grep -q "deb-systemd-helper enable 'vgpud.service'" <<<"$script"
        # restarted after an upgrade (dh_installsystemd --restart-after-upgrade), started on installation
        grep -q "deb-systemd-invoke \$_dh_action 'vgpud.service'" <<<"$script"
        # the group exists before anything starts vgpud
        local group tmpfiles start
        group=$(grep -n 'addgroup --system' <<<"$script" | cut -d: -f1 | head -1)
        tmpfiles=$(grep -n 'systemd-tmpfiles .*--create' <<<"$script" | cut -d: -f1 | head -1)
        start=$(grep -n 'deb-systemd-invoke' <<<"$script" | cut -d: -f1 | head -1)
        [ "$group" -lt "$tmpfiles" ]
        [ "$group" -lt "$start" ]
        # libvirtd picks up a new hook only when it starts
        # shellcheck disable=SC2016 # the script's text, not an expansion
        grep -q 'deb-systemd-invoke try-restart "$unit"' <<<"$script"
        sh -n <<<"$script"
}

@test "prerm stops vgpud on removal only; postrm disables it, purges its records, keeps the group" {
        run dpkg-deb -I "$DEB" prerm
        echo "$output"
        grep -q "deb-systemd-invoke stop 'vgpud.service'" <<<"$output"
        # shellcheck disable=SC2016 # the script's text, not an expansion
        grep -q '"$1" = remove' <<<"$output"
        sh -n <<<"$output"
        run dpkg-deb -I "$DEB" postrm
        echo "$output"
        grep -q 'rm -rf /var/lib/vgpud /run/vgpud' <<<"$output"
        grep -q "deb-systemd-helper purge 'vgpud.service'" <<<"$output"
        run grep -E 'delgroup|groupdel' <<<"$output"
        [ "$status" -eq 1 ]
        sh -n <<<"$(dpkg-deb -I "$DEB" postrm)"
}

@test "lintian: it ran, and reports no error" {
        echo "lintian's exit status: $(cat "$OUT/lintian.status")"
        cat "$OUT/lintian.err" "$OUT/lintian.txt"
        [ "$(cat "$OUT/lintian.status")" = 0 ]
        run grep -E '^E: ' "$OUT/lintian.txt"
        [ "$status" -eq 1 ]
}

@test "the build left nothing in the source tree" {
        local f
        for f in debian/build debian/vgpud debian/.debhelper debian/files debian/debhelper-build-stamp \
                debian/vgpud.substvars; do
                [ ! -e "$VGPU_TEST_SRCDIR/$f" ] || { echo "left behind: $f"; return 1; }
        done
        run ls "$VGPU_TEST_SRCDIR/.." -1
        [[ $output != *"vgpud_${VERSION}_"* ]]
}
