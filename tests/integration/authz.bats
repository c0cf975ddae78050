# vgpu-sim: --profile t4
# Authorization, from the checked-in introspection XML (daemon/org.vgpud1.xml):
# every method that is not a read (Get*, Resolve*, Explain*, Diagnose) and every writable
# property is refused with AccessDenied to a user outside the admin group,
# through raw busctl calls on the bus address and through vgpuctl, and changes
# nothing; reads still answer; root and a member of the admin group get past
# authorization; the D-Bus policy lets nobody but root own org.vgpud1. A method
# added to the XML is covered without touching this file.
load helpers
load vgpud

XML=$VGPU_TEST_SRCDIR/daemon/org.vgpud1.xml
ADMIN_GID=100 # "users", the admin group of this suite

setup_file() {
        bus_start_with_policy
        vgpud_start --admin-group users
}

teardown_file() {
        vgpud_stop
        bus_stop
}

teardown() {
        local u
        for u in $(vgpuctl list --all --quiet); do vgpuctl destroy "$u" >/dev/null || true; done
}

bus() { busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" "$@"; }

# "Interface Method": every method of the XML.
methods() {
        local i
        for i in $(xmllint --xpath '//interface/@name' "$XML" | sed 's/ name="\([^"]*\)"/\1\n/g'); do
                xmllint --xpath "//interface[@name='$i']/method/@name" "$XML" 2>/dev/null |
                        sed 's/ name="\([^"]*\)"/\1\n/g' | sed "/^\$/d; s/^/$i /"
        done
}
is_read() { [[ $1 == Get* || $1 == Resolve* || $1 == Explain* || $1 == Diagnose ]]; }
mutating_methods() { methods | while read -r i m; do is_read "$m" || echo "$i $m"; done; }

# busctl arguments for a method's in-arguments: its signature, then a neutral value per argument.
call_args() {
        local types t sig="" vals=()
        types=$(xmllint --xpath "//interface[@name='$1']/method[@name='$2']/arg[not(@direction) or @direction='in']/@type" \
                "$XML" 2>/dev/null | sed 's/ type="\([^"]*\)"/\1\n/g')
        for t in $types; do
                sig+=$t
                case $t in
                s) vals+=("") ;;
                o) vals+=(/) ;;
                b) vals+=(false) ;;
                y | n | q | i | u | x | t) vals+=(0) ;;
                a*) vals+=(0) ;; # an empty array or dictionary
                *) echo "call_args: no neutral value for type '$t' of $1.$2: extend the table" >&2; return 1 ;;
                esac
        done
        printf '%s\n' "$sig" "${vals[@]}"
}

# The object a method is called on: the manager, or a fresh instance (GPU, type likewise when they get methods).
object_for() {
        case $1 in
        org.vgpud1.Manager) echo /org/vgpud1 ;;
        org.vgpud1.Instance)
                local u
                u=$(vgpuctl create --type grid-2q) || return 1
                bus call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetInstance s "$u" | cut -d'"' -f2
                ;;
        org.vgpud1.Gpu) bus call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetGpu s 0000:3b:00.0 | cut -d'"' -f2 ;;
        org.vgpud1.Type)
                bus call org.vgpud1 /org/vgpud1 org.vgpud1.Manager ResolveType ss grid-2q 0000:3b:00.0 | cut -d'"' -f4
                ;;
        *) echo "object_for: no object for interface $1: extend the table" >&2; return 1 ;;
        esac
}

# call_as GROUPS|root INTERFACE METHOD: the method on its object with neutral arguments; sets status/output.
call_as() {
        local who=$1 iface=$2 method=$3 obj args
        obj=$(object_for "$iface")
        mapfile -t args < <(call_args "$iface" "$method")
        [[ -n $obj && ${#args[@]} -ge 1 ]] || return 1
        if [[ $who == root ]]; then
                run bus call org.vgpud1 "$obj" "$iface" "$method" "${args[@]}"
        else
                run as_user "$who" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.vgpud1 "$obj" "$iface" \
                        "$method" "${args[@]}"
        fi
}

host_snapshot() {
        ls /sys/bus/mdev/devices
        ls "$VGPUD_DIR/state/instances" "$VGPUD_DIR/run/instances" 2>/dev/null
}

@test "the XML has the mutating methods this suite expects at least" {
        run mutating_methods
        echo "$output"
        for m in "Manager CreateInstance" "Manager DefineInstance" "Instance Start" "Instance Stop" \
                "Instance Destroy" "Instance Define" "Instance Undefine" "Instance SetAutostart"; do
                [[ $output == *"org.vgpud1.$m"* ]]
        done
}

@test "a user outside the admin group gets AccessDenied on every mutating method (raw busctl); nothing changes" {
        local n=0 i m before
        u=$(vgpuctl create --type grid-2q) # something for the destructive ones to destroy
        before=$(host_snapshot)
        while read -r i m; do
                call_as "" "$i" "$m"
                echo "$i.$m as nobody: $status $output"
                [ "$status" -ne 0 ]
                [[ $output == *"Access denied"* ]]
                n=$((n + 1))
        done < <(mutating_methods)
        [ "$n" -ge 8 ]
        # Each Instance call made a fresh instance as root: compare what existed before them.
        for x in $before; do grep -qx "$x" <(host_snapshot); done
        [ -d "/sys/bus/mdev/devices/$u" ]
}

@test "authorization comes before the arguments are read: an outsider's malformed call is AccessDenied too" {
        local u gpu
        # As root these are argument errors, so the outsider's AccessDenied below is the authorization's.
        run bus call org.vgpud1 /org/vgpud1 org.vgpud1.Manager CreateInstance 'sssa{sv}' grid-2q "" not-a-uuid 1 \
                placement s nowhere
        [ "$status" -ne 0 ]
        [[ $output == *"Invalid"* ]]
        run as_user "" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.vgpud1 /org/vgpud1 org.vgpud1.Manager \
                CreateInstance 'sssa{sv}' grid-2q "" not-a-uuid 1 placement s nowhere
        [ "$status" -ne 0 ]
        [[ $output == *"Access denied"* ]]
        # SetSriov with an option it does not know (as root: InvalidArgs)
        u=$(vgpuctl create --type grid-2q)
        gpu=$(bus call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetGpu s 0000:3b:00.0 | cut -d'"' -f2)
        run as_user "" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.vgpud1 "$gpu" org.vgpud1.Gpu \
                SetSriov 'ua{sv}' 4 1 no-such-option b true
        [ "$status" -ne 0 ]
        [[ $output == *"Access denied"* ]]
        run bus call org.vgpud1 "$gpu" org.vgpud1.Gpu SetSriov 'ua{sv}' 4 1 no-such-option b true
        [ "$status" -ne 0 ]
        [[ $output != *"Access denied"* ]]
        [ -d "/sys/bus/mdev/devices/$u" ]
}

@test "the refusal names the group (dbus-send shows the message) and its error is AccessDenied" {
        local path
        path=$(object_for org.vgpud1.Instance)
        run as_user "" dbus-send --system --print-reply --dest=org.vgpud1 "$path" org.vgpud1.Instance.Destroy boolean:false
        [ "$status" -ne 0 ]
        [[ $output == *"org.freedesktop.DBus.Error.AccessDenied: Changing vGPUs requires root or membership in group 'users'"* ]]
}

@test "root and a member of the admin group get past authorization on every mutating method" {
        local i m
        while read -r i m; do
                call_as root "$i" "$m"
                echo "$i.$m as root: $status $output"
                [[ $output != *"Access denied"* ]]
                call_as "$ADMIN_GID" "$i" "$m"
                echo "$i.$m as a member of users: $status $output"
                [[ $output != *"Access denied"* ]]
        done < <(mutating_methods)
}

@test "groups are the connection's, as the bus recorded them, not what /proc shows later" {
        # bus-regroup connects, then changes its groups (CAP_SETGID) and calls: /proc/<pid> then shows
        # groups that are not the connection's, as it would for a reused pid.
        local regroup=$VGPU_TEST_BUILDDIR/tests/chaos/bus-regroup
        local caps_args=(--inh-caps=+setgid --ambient-caps=+setgid)
        local u=5d1e0c3a-8f2b-4e6d-9a7c-1b2c3d4e5f60 v=6e2f1d4b-9a3c-4f7e-8b8d-2c3d4e5f6071
        # connected without the admin group, then joined it: refused, nothing made
        run setpriv --reuid=65534 --regid=65534 --clear-groups "${caps_args[@]}" -- "$regroup" "$ADMIN_GID" grid-2q "$u"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ $output == *AccessDenied* ]]
        [ ! -e "/sys/bus/mdev/devices/$u" ]
        # connected in the admin group, then left it: the call is the connection's, allowed
        run setpriv --reuid=65534 --regid=65534 --groups="$ADMIN_GID" "${caps_args[@]}" -- "$regroup" none grid-2q "$v"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -d "/sys/bus/mdev/devices/$v" ]
}

@test "writable properties (if the XML has any) are refused too" {
        local i p t obj
        for i in $(xmllint --xpath '//interface/@name' "$XML" | sed 's/ name="\([^"]*\)"/\1\n/g'); do
                for p in $(xmllint --xpath "//interface[@name='$i']/property[@access!='read']/@name" "$XML" 2>/dev/null |
                        sed 's/ name="\([^"]*\)"/\1\n/g'); do
                        t=$(xmllint --xpath "string(//interface[@name='$i']/property[@name='$p']/@type)" "$XML")
                        obj=$(object_for "$i")
                        local v=0
                        [[ $t == s ]] && v=x
                        [[ $t == b ]] && v=true
                        run as_user "" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" set-property org.vgpud1 "$obj" "$i" "$p" "$t" "$v"
                        echo "$i.$p: $status $output"
                        [ "$status" -ne 0 ]
                        [[ $output == *"Access denied"* ]]
                done
        done
}

@test "every mutating vgpuctl command exits 5 (denied) for a user outside the group" {
        local u
        u=$(vgpuctl create --type grid-2q)
        vgpuctl define "$u"
        for cmd in "create --type grid-2q" "define --type grid-2q" "start $u" "stop $u" "destroy $u" "undefine $u" \
                "autostart $u on"; do
                # shellcheck disable=SC2086
                run as_user "" vgpuctl $cmd
                echo "vgpuctl $cmd: $status $output"
                [ "$status" -eq 5 ]
                [[ $output == *"group 'users'"* ]]
        done
        [ "$(vgpuctl list --all --quiet)" = "$u" ]
        [ -d "/sys/bus/mdev/devices/$u" ]
}

@test "reads answer a user outside the group: vgpuctl and every read method" {
        local u i m
        u=$(vgpuctl create --type grid-2q)
        for cmd in gpus types list "list --all" "show $u"; do
                # shellcheck disable=SC2086
                run as_user "" vgpuctl $cmd
                [ "$status" -eq 0 ]
        done
        while read -r i m; do
                is_read "$m" || continue
                call_as "" "$i" "$m"
                echo "$i.$m: $status $output"
                [[ $output != *"Access denied"* ]]
        done < <(methods)
        run as_user "" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.vgpud1 /org/vgpud1 org.vgpud1.Manager GetInstance s "$u"
        [ "$status" -eq 0 ]
        run as_user "" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" get-property org.vgpud1 /org/vgpud1 org.vgpud1.Manager Version
        [ "$status" -eq 0 ]
}

@test "the D-Bus policy lets only root own org.vgpud1 (the last test: it stops vgpud)" {
        # vgpud is setup_file's child: stop it by signal and wait for the name to go.
        kill -TERM "$VGPUD_PID"
        for _ in $(seq 100); do
                bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.vgpud1 |
                        grep -q false && break
                sleep 0.1
        done
        # The name is free: a user outside the group, and one inside it, may still not take it.
        for groups in "" "$ADMIN_GID"; do
                run as_user "$groups" busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.freedesktop.DBus \
                        /org/freedesktop/DBus org.freedesktop.DBus RequestName su org.vgpud1 4
                echo "RequestName as nobody (groups '$groups'): $status $output"
                [ "$status" -ne 0 ]
                [[ $output == *"Access denied"* || $output == *"not allowed to own"* ]]
        done
        # root may (the policy is loaded, so the refusals above are the policy's).
        run bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus RequestName su org.vgpud1 4
        [ "$status" -eq 0 ]
        [ "$output" = "u 1" ]
}
