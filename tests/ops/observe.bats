# vgpu-sim: --profile t4
# The read-only views for other programs: vgpuctl metrics (OpenMetrics and the Prometheus text
# format, checked with prometheus_client's own parsers), vgpuctl nfd (NFD feature file) and
# vgpuctl events (JSON lines, also across a daemon restart).
load ../integration/helpers
load ../integration/vgpud
bats_require_minimum_version 1.5.0 # run ! (a negated command that can fail the test)

GPU0=0000:3b:00.0
GPU1=0000:d8:00.0

setup_file() {
        bus_start_with_policy
}

teardown_file() {
        bus_stop
}

# A vgpud per test (one test restarts it), on an empty host.
setup() {
        vgpud_start
}

teardown() {
        local u
        for u in $(vgpuctl list --all --quiet); do vgpuctl destroy "$u" >/dev/null || true; done
        vgpud_stop
        unset VGPUD_DIR
}

# Parse metrics text with prometheus_client (Debian's python3-prometheus-client) and print
# "name{label=value,...} value" per sample, sorted; fails on any format error.
parse_metrics() {
        /usr/bin/python3 -c '
import sys
fmt = sys.argv[1]
text = sys.stdin.read()
if fmt == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(text):
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        out.append("%s %s{%s} %g" % (fam.type, s.name, labels, s.value))
print("\n".join(sorted(out)))
' "$1"
}

@test "metrics: valid OpenMetrics with capacity, instances per state and GPU facts" {
        local u
        u=$(vgpuctl create --type grid-2q --gpu $GPU0)
        vgpuctl define --type grid-2q --gpu $GPU0 >/dev/null
        run vgpuctl metrics
        [ "$status" -eq 0 ]
        [ "${lines[-1]}" = "# EOF" ]
        vgpuctl metrics | parse_metrics openmetrics >"$BATS_TEST_TMPDIR/samples"
        cat "$BATS_TEST_TMPDIR/samples"
        grep -qxF "gauge vgpu_type_available{backend=mdev,gpu=$GPU0,name=GRID T4-2Q,type=nvidia-231} 7" \
                "$BATS_TEST_TMPDIR/samples"
        grep -qxF "gauge vgpu_type_available{backend=mdev,gpu=$GPU0,name=GRID T4-1Q,type=nvidia-230} 0" \
                "$BATS_TEST_TMPDIR/samples"
        grep -qxF "gauge vgpu_type_max_instances{backend=mdev,gpu=$GPU1,name=GRID T4-2Q,type=nvidia-231} 8" \
                "$BATS_TEST_TMPDIR/samples"
        grep -qxF "gauge vgpu_instances{gpu=$GPU0,name=GRID T4-2Q,state=created,type=nvidia-231} 1" \
                "$BATS_TEST_TMPDIR/samples"
        grep -qxF "gauge vgpu_instances{gpu=$GPU0,name=GRID T4-2Q,state=defined,type=nvidia-231} 1" \
                "$BATS_TEST_TMPDIR/samples"
        grep -qxF "gauge vgpu_gpu_present{gpu=$GPU1} 1" "$BATS_TEST_TMPDIR/samples"
        grep -q "^gauge vgpu_gpu_info{driver=nvidia,gpu=$GPU0,hosted_type=GRID T4-2Q,name=Tesla T4,.*} 1$" \
                "$BATS_TEST_TMPDIR/samples"
        grep -q "^gauge vgpu_instance_info{.*,owner=,state=created,type=nvidia-231,uuid=$u} 1$" \
                "$BATS_TEST_TMPDIR/samples"
        # 2 GPUs x 16 types
        [ "$(grep -c '^gauge vgpu_type_available{' "$BATS_TEST_TMPDIR/samples")" -eq 32 ]
}

@test "metrics --format prometheus: what node_exporter's textfile collector parses" {
        vgpuctl create --type grid-4q --gpu $GPU1 >/dev/null
        run vgpuctl metrics --format prometheus
        [ "$status" -eq 0 ]
        [[ $output != *"# EOF"* ]]
        vgpuctl metrics --format prometheus | parse_metrics prometheus >"$BATS_TEST_TMPDIR/samples"
        grep -qxF "gauge vgpu_type_available{backend=mdev,gpu=$GPU1,name=GRID T4-4Q,type=nvidia-232} 3" \
                "$BATS_TEST_TMPDIR/samples"
        # The same samples as OpenMetrics.
        vgpuctl metrics | parse_metrics openmetrics | diff - "$BATS_TEST_TMPDIR/samples"
}

@test "metrics --output FILE replaces the file atomically, mode 0644, nothing else left behind" {
        local dir=$BATS_TEST_TMPDIR/textfile
        mkdir "$dir"
        echo stale >"$dir/vgpu.prom"
        vgpuctl metrics --format prometheus --output "$dir/vgpu.prom"
        [ "$(ls -A "$dir")" = vgpu.prom ]
        [ "$(stat -c %a "$dir/vgpu.prom")" = 644 ]
        parse_metrics prometheus <"$dir/vgpu.prom" | grep -q '^gauge vgpu_type_available{'
        run vgpuctl metrics --output /nonexistent/dir/vgpu.prom
        [ "$status" -eq 1 ]
        [[ $output == *"cannot write /nonexistent/dir/vgpu.prom: No such file or directory"* ]]
        run vgpuctl metrics --format xml
        [ "$status" -eq 2 ]
}

@test "nfd: a feature file of valid label names and values with the capacity per type" {
        vgpuctl create --type grid-2q --gpu $GPU0 >/dev/null
        run vgpuctl nfd
        echo "$output"
        [ "$status" -eq 0 ]
        local line n=0
        while IFS= read -r line; do
                [[ $line == \#* ]] && continue
                # name: the prefix, then a label name part; value: a label value
                [[ $line =~ ^feature\.node\.kubernetes\.io/[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$ ]] ||
                        { echo "bad line: $line"; return 1; }
                n=$((n + 1))
        done <<<"$output"
        ((n > 30))
        [[ $output == *$'\nfeature.node.kubernetes.io/vgpu.present=true\n'* ]]
        [[ $output == *$'\nfeature.node.kubernetes.io/vgpu.gpus=2\n'* ]]
        [[ $output == *$'\nfeature.node.kubernetes.io/vgpu.instances=1\n'* ]]
        [[ $output == *$'\nfeature.node.kubernetes.io/vgpu.backend.mdev=true\n'* ]]
        # T4-2Q: 7 left on the first GPU, 8 on the second; T4-1Q only on the second (16).
        [[ $output == *$'\nfeature.node.kubernetes.io/vgpu.type.grid-t4-2q.available=15\n'* ]]
        [[ $output == *$'\nfeature.node.kubernetes.io/vgpu.type.grid-t4-1q.available=16\n'* ]]
        [[ $output == *$'\nfeature.node.kubernetes.io/vgpu.type.grid-t4-2q.framebuffer-mib=2048\n'* ]]
}

@test "nfd --output writes into features.d atomically; --expiry sets a future expiry time" {
        local dir=$BATS_TEST_TMPDIR/features.d
        mkdir "$dir"
        vgpuctl nfd --expiry 600 --output "$dir/vgpud"
        [ "$(ls -A "$dir")" = vgpud ]
        local when
        when=$(sed -n 's/^# +expiry-time=//p' "$dir/vgpud")
        [[ $when =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]]
        local now exp
        now=$(date +%s)
        exp=$(date -d "$when" +%s)
        ((exp > now + 590 && exp <= now + 610))
        run vgpuctl nfd --expiry 0
        [ "$status" -eq 2 ]
        run vgpuctl nfd --expiry 10x
        [ "$status" -eq 2 ]
}

@test "events: one JSON object per line for creates, changes, removals and a daemon restart" {
        local log=$BATS_TEST_TMPDIR/events u
        vgpuctl events >"$log" 2>&1 &
        local pid=$!
        for _ in $(seq 50); do [[ -s $log ]] && break; sleep 0.1; done
        u=$(vgpuctl create --type grid-1b --gpu $GPU1)
        vgpuctl destroy "$u"
        vgpud_restart
        sleep 0.5
        kill -INT $pid
        wait $pid
        cat "$log"
        # every line is one JSON object
        jq -e -c 'type == "object"' <"$log" >/dev/null
        [ "$(head -n 1 "$log" | jq -r '.event + " " + (.running | tostring)')" = "subscribed true" ]
        local hex=${u//-/}
        # (jq 1.6's -e looks at the last input only: slurp, then any())
        jq -e -s --arg p "/org/vgpud1/instance/$hex" --arg u "$u" \
                'any(.[]; .event == "added" and .path == $p and .interfaces["org.vgpud1.Instance"].Uuid == $u)' \
                <"$log" >/dev/null
        jq -e -s --arg p "/org/vgpud1/instance/$hex" \
                'any(.[]; .event == "removed" and .path == $p and (.interfaces | index("org.vgpud1.Instance")) != null)' \
                <"$log" >/dev/null
        # the other types' availability on that GPU dropped to 0 (one-type rule), with the new value
        jq -e -s 'any(.[]; .event == "changed" and .interface == "org.vgpud1.Type" and .properties.Available == 0)' \
                <"$log" >/dev/null
        grep -q '"event":"vgpud-stopped"' "$log"
        grep -q '"event":"vgpud-started"' "$log"
        # stopped comes before started
        [ "$(jq -r 'select(.event | startswith("vgpud-")) | .event' <"$log" | tr '\n' ' ')" = "vgpud-stopped vgpud-started " ]
}

@test "events stops quietly when its reader goes away" {
        run bash -c 'vgpuctl events | head -n 1'
        [ "$status" -eq 0 ]
        [[ $output == *'"event":"subscribed"'* ]]
        # a change makes the next write fail with EPIPE; events must then exit on its own
        vgpuctl events | head -n 1 >/dev/null &
        local pid=$!
        sleep 0.3
        vgpuctl create --type grid-1b --gpu $GPU1 >/dev/null
        for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
        run ! kill -0 "$pid"
}
