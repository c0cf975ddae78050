/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpuctl: the administrator's command line for vgpud. Parses the global
 * options, picks the command from one table, and leaves the rest to it. It
 * never touches sysfs: every action is a D-Bus call to vgpud.
 */
#include <getopt.h>

#include "cli.h"

int main(int argc, char *argv[]) {
        enum { ARG_VERSION = 0x100 };
        static const struct option options[] = {
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {},
        };
        Cli c = {.program = "vgpuctl"};
        int opt, r;

        c.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq_ptr(getenv("TERM"), "dumb");

        /* "+": stop at the command; its options are its own. */
        while ((opt = getopt_long(argc, argv, "+jh", options, NULL)) >= 0)
                switch (opt) {
                case 'j':
                        c.json = true;
                        break;
                case 'h':
                        main_help();
                        return EXIT_OK;
                case ARG_VERSION:
                        printf("vgpuctl %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                default:
                        return cli_usage_error(&c, NULL, "unknown option");
                }
        if (optind >= argc)
                return cli_usage_error(&c, NULL, "missing command");

        const Command *cmd = command_find(argv[optind]);
        if (!cmd)
                return cli_usage_error(&c, NULL, "unknown command '%s'", argv[optind]);
        argc -= optind;
        argv += optind;
        optind = 0; /* glibc: a full re-initialisation for the command's getopt */
        r = cmd->run(&c, argc, argv);
        sd_bus_flush_close_unref(c.bus);
        return r;
}
