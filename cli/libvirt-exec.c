/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl xml`, `attach` and `detach` in vgpuctl: they run vgpuctl-libvirt
 * (VGPUCTL_LIBVIRT names another path), the same commands built with
 * cmd-libvirt.c. The domain XML is libxml2's, which loads ICU and libstdc++:
 * linked into vgpuctl, every command paid for loading them at start-up.
 */
#include "cli.h"

int cmd_xml(Cli *c, int argc, char *argv[]) {
        return cli_exec_helper(c, "VGPUCTL_LIBVIRT", "vgpuctl-libvirt", argc, argv);
}

int cmd_attach(Cli *c, int argc, char *argv[]) {
        return cli_exec_helper(c, "VGPUCTL_LIBVIRT", "vgpuctl-libvirt", argc, argv);
}

int cmd_detach(Cli *c, int argc, char *argv[]) {
        return cli_exec_helper(c, "VGPUCTL_LIBVIRT", "vgpuctl-libvirt", argc, argv);
}
