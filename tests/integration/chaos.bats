# vgpu-sim: --profile t4
# Crash consistency (tests/chaos/vgpu-chaos): random lifecycle operations with
# vgpud killed by SIGKILL at random moments and simulator faults; after every
# restart the records and the host agree. CHAOS_OPS (default 200) and
# CHAOS_SEED (default: random, printed) make a longer or a repeated run:
#   CHAOS_OPS=2000 CHAOS_SEED=42 make check TESTS=tests/integration/chaos.bats
load helpers

@test "chaos: ${CHAOS_OPS:-200} operations, SIGKILLs and faults, no discrepancy" {
        run "$VGPU_TEST_SRCDIR/tests/chaos/vgpu-chaos" --ops "${CHAOS_OPS:-200}" \
                ${CHAOS_SEED:+--seed "$CHAOS_SEED"} ${CHAOS_VERBOSE:+--verbose}
        # The summary (and any discrepancy with the seed to reproduce it) in the TAP log.
        printf '# %s\n' "${lines[@]}" >&3
        [ "$status" -eq 0 ]
        [[ ${lines[-1]} == *"discrepancies=0"* ]]
}
