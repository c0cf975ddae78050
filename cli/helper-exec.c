/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Commands that run in a helper program of vgpuctl's (PKGLIBEXECDIR), in
 * place of this process: the same commands built with the library they need
 * (libxml2 for xml/attach/detach, libyaml for apply/export), so that every
 * other command starts without loading it. The helper gets the command line
 * as vgpuctl got it (--json included): output, errors and exit codes are the
 * same.
 */
#include <unistd.h>

#include "cli.h"

int cli_exec_helper(Cli *c, const char *env, const char *name, int argc, char *argv[]) {
        _cleanup_free_ char *installed = NULL;
        const char *helper = getenv(env);
        _cleanup_free_ char **args = calloc((size_t) argc + 3, sizeof(char *));
        size_t n = 0;

        if (!helper) {
                if (asprintf(&installed, "%s/%s", PKGLIBEXECDIR, name) < 0)
                        installed = NULL;
                helper = installed;
        }
        if (!args || !helper)
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        args[n++] = (char *) c->program;
        if (c->json)
                args[n++] = (char *) "--json";
        for (int i = 0; i < argc; i++)
                args[n++] = argv[i];
        fflush(NULL);
        execv(helper, args);
        fprintf(stderr, "%s: cannot run %s for '%s': %s\n", c->program, helper, argv[0], strerror(errno));
        fprintf(stderr, "It is part of vgpud's installation: reinstall vgpud, or set %s to its path.\n",
                env);
        return EXIT_FAILED;
}
