# Static checks of the tree, one case per tool, so that scripts/check counts them: shellcheck over
# the shell of scripts/ and tests/ (settings in .shellcheckrc), clang-format against .clang-format,
# and cppcheck over the product's C (suppressions with their reasons in tests/cppcheck.supp).
# Each case fails with the tool's own findings.

setup() {
        cd "$VGPU_TEST_SRCDIR" || return
}

need() {
        command -v "$1" >/dev/null || {
                echo "$1 is not installed: run scripts/deps as root" >&2
                return 1
        }
}

# Every shell file: scripts/, the .bats/.bash/.sh files under tests/ and the scripts with a shell shebang.
shell_files() {
        {
                find scripts -maxdepth 1 -type f
                find tests -type f \( -name '*.bats' -o -name '*.bash' -o -name '*.sh' \)
                find tests -type f -perm -u+x -exec grep -lE '^#!.*\b(ba)?sh\b' {} +
        } | sort -u
}

@test "shellcheck: scripts/ and the shell of tests/" {
        need shellcheck
        local files
        mapfile -t files < <(shell_files)
        [ "${#files[@]}" -gt 40 ] # the list above found the suites
        run shellcheck -x "${files[@]}"
        echo "$output"
        [ "$status" -eq 0 ]
}

@test "clang-format: the C sources follow .clang-format" {
        need clang-format
        local files
        mapfile -t files < <(find src daemon cli tests -type f \( -name '*.c' -o -name '*.h' \) | sort)
        [ "${#files[@]}" -gt 100 ]
        run clang-format --dry-run --Werror "${files[@]}"
        echo "$output"
        [ "$status" -eq 0 ]
}

@test "cppcheck: src/, daemon/ and cli/ are clean" {
        need cppcheck
        run cppcheck -q -j2 --std=c11 --enable=warning,performance,portability --inline-suppr \
                --suppressions-list=tests/cppcheck.supp --error-exitcode=1 -D_GNU_SOURCE \
                -I src -I daemon -I cli -I src/vfio-user -I daemon/engine src daemon cli
        echo "$output"
        [ "$status" -eq 0 ]
}
