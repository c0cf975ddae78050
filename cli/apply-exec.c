/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl apply` and `export` in vgpuctl: they run vgpuctl-apply
 * (VGPUCTL_APPLY names another path), the same commands built with
 * cmd-apply.c, which reads the desired state with libyaml: no other command
 * loads it.
 */
#include "cli.h"

int cmd_apply(Cli *c, int argc, char *argv[]) {
        return cli_exec_helper(c, "VGPUCTL_APPLY", "vgpuctl-apply", argc, argv);
}

int cmd_export(Cli *c, int argc, char *argv[]) {
        return cli_exec_helper(c, "VGPUCTL_APPLY", "vgpuctl-apply", argc, argv);
}
