/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl xml`, `attach` and `detach` in vgpuctl: they run vgpuctl-libvirt
 * (PKGLIBEXECDIR; VGPUCTL_LIBVIRT names another path), the same commands
 * built with cmd-libvirt.c, in place of this process. Why a program of its
 * own: the domain XML is libxml2's, which loads ICU and libstdc++; linked
 * into vgpuctl, every command paid for loading them at start-up, where only
 * these three use them. The helper gets the command line as vgpuctl got it
 * (--json included), so output, errors and exit codes are the same.
 */
#include <unistd.h>

#include "cli.h"

static int run_helper(Cli *c, int argc, char *argv[]) {
        const char *helper = getenv("VGPUCTL_LIBVIRT") ?: PKGLIBEXECDIR "/vgpuctl-libvirt";
        _cleanup_free_ char **args = calloc((size_t) argc + 3, sizeof(char *));
        size_t n = 0;

        if (!args)
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        args[n++] = (char *) c->program;
        if (c->json)
                args[n++] = (char *) "--json";
        for (int i = 0; i < argc; i++)
                args[n++] = argv[i];
        fflush(NULL);
        execv(helper, args);
        fprintf(stderr, "%s: cannot run %s for '%s': %s\n", c->program, helper, argv[0], strerror(errno));
        fprintf(stderr, "It is part of vgpud's installation: reinstall vgpud, or set VGPUCTL_LIBVIRT to "
                        "its path.\n");
        return EXIT_FAILED;
}

int cmd_xml(Cli *c, int argc, char *argv[]) {
        return run_helper(c, argc, argv);
}

int cmd_attach(Cli *c, int argc, char *argv[]) {
        return run_helper(c, argc, argv);
}

int cmd_detach(Cli *c, int argc, char *argv[]) {
        return run_helper(c, argc, argv);
}
