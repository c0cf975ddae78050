/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpud: the vGPU host daemon. Parses its command line, builds the Manager and
 * runs its loop until SIGTERM/SIGINT. Everything else lives in the Manager.
 */
#include <getopt.h>

#include "log.h"
#include "manager.h"

static void help(void) {
        printf("Usage: vgpud [OPTIONS]\n"
               "\n"
               "The vGPU host daemon: serves org.vgpud1 on the system bus.\n"
               "\n"
               "  -c, --config FILE        configuration file (default %s/vgpud.conf)\n"
               "      --state-dir DIR      persistent records (overrides the config's state_dir)\n"
               "      --runtime-dir DIR    runtime state (overrides the config's runtime_dir)\n"
               "      --admin-group GROUP  group allowed to change vGPUs (overrides admin_group)\n"
               "  -l, --log-level LEVEL    emerg..debug (default info)\n"
               "  -h, --help               this text\n"
               "      --version            the version\n",
               VGPUD_SYSCONFDIR);
}

typedef struct Arguments {
        const char *config;
        Settings settings;
        int log_level;
} Arguments;

static int dup_arg(char **dst, const char *v) {
        free(*dst);
        *dst = strdup(v);
        return *dst ? 0 : -ENOMEM;
}

/* Returns 1 to run, 0 to exit successfully (--help), -EINVAL on bad usage (already reported). */
static int parse_argv(int argc, char *argv[], Arguments *a) {
        enum { ARG_STATE_DIR = 0x100, ARG_RUNTIME_DIR, ARG_ADMIN_GROUP, ARG_VERSION };
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"state-dir", required_argument, NULL, ARG_STATE_DIR},
                {"runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR},
                {"admin-group", required_argument, NULL, ARG_ADMIN_GROUP},
                {"log-level", required_argument, NULL, 'l'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {},
        };
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "c:l:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case ARG_STATE_DIR:
                        r = dup_arg(&a->settings.state_dir, optarg);
                        break;
                case ARG_RUNTIME_DIR:
                        r = dup_arg(&a->settings.runtime_dir, optarg);
                        break;
                case ARG_ADMIN_GROUP:
                        r = dup_arg(&a->settings.admin_group, optarg);
                        break;
                case 'l':
                        a->log_level = log_parse_level(optarg);
                        if (a->log_level < 0) {
                                log_error("Invalid log level '%s': use emerg, alert, crit, err, warning, "
                                          "notice, "
                                          "info or debug.",
                                          optarg);
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("vgpud %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        log_error("Try 'vgpud --help'.");
                        return -EINVAL;
                }
                if (r < 0)
                        return log_oom();
        }
        if (optind < argc) {
                log_error("Unexpected argument '%s'. Try 'vgpud --help'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        Arguments a = {.log_level = -1};
        int r;

        log_setup("vgpud");
        r = parse_argv(argc, argv, &a);
        if (r <= 0) {
                settings_done(&a.settings);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }
        if (a.log_level >= 0)
                log_set_max_level(a.log_level);
        if (!a.settings.admin_group && !(a.settings.admin_group = strdup("vgpu"))) {
                settings_done(&a.settings);
                return log_oom(), EXIT_FAILURE;
        }

        r = manager_new(&a.settings, &m);
        settings_done(&a.settings);
        if (r < 0) {
                log_error_errno(r, "Failed to set up vgpud: %m");
                return EXIT_FAILURE;
        }
        r = manager_start(m);
        if (r < 0)
                return EXIT_FAILURE;
        r = manager_run(m);
        if (r < 0) {
                log_error_errno(r, "The event loop failed: %m");
                return EXIT_FAILURE;
        }
        log_info("vgpud stopped.");
        return EXIT_SUCCESS;
}
