/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpud: the vGPU host daemon. Reads its command line and configuration,
 * builds the Manager and runs its loop until SIGTERM/SIGINT. Everything else
 * lives in the Manager.
 */
#include <getopt.h>

#include "config-file.h"
#include "log.h"
#include "manager.h"

#define RUNTIME_DIR "/run/vgpud"

static void help(void) {
        printf("Usage: vgpud [OPTIONS]\n"
               "\n"
               "The vGPU host daemon: serves org.vgpud1 on the system bus.\n"
               "\n"
               "  -c, --config FILE        configuration file (default " CONFIG_FILE ")\n"
               "      --state-dir DIR      persistent records (overrides state_dir)\n"
               "      --runtime-dir DIR    this boot's transient instances (default " RUNTIME_DIR ")\n"
               "      --admin-group GROUP  group allowed to change vGPUs (overrides admin_group)\n"
               "  -l, --log-level LEVEL    emerg..debug (overrides log_level)\n"
               "  -h, --help               this text\n"
               "      --version            the version\n");
}

typedef struct Arguments {
        const char *config;
        const char *state_dir;
        const char *runtime_dir;
        const char *admin_group;
        int log_level;
} Arguments;

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
        int c;

        while ((c = getopt_long(argc, argv, "c:l:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case ARG_STATE_DIR:
                        a->state_dir = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        a->runtime_dir = optarg;
                        break;
                case ARG_ADMIN_GROUP:
                        a->admin_group = optarg;
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
        }
        if (optind < argc) {
                log_error("Unexpected argument '%s'. Try 'vgpud --help'.", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int replace_string(char **dst, const char *v) {
        char *n = strdup(v);
        if (!n)
                return -ENOMEM;
        free(*dst);
        *dst = n;
        return 0;
}

/* The configuration file, with the command line's overrides. A missing default file means defaults;
 * a missing file that was asked for is an error. */
static int load_config(const Arguments *a, struct vgpu_config **ret) {
        _cleanup_(config_freep) struct vgpu_config *c = NULL;
        _cleanup_(vgpu_error_clearp) struct vgpu_error err = {};
        int r;

        r = config_load(a->config ?: CONFIG_FILE, &c, &err);
        if (r == -ENOENT && !a->config) {
                log_debug("No %s: using the defaults.", CONFIG_FILE);
                r = config_new_defaults(&c);
        }
        if (r < 0) {
                /* The library's message is already "file:line: what is wrong". */
                if (err.message)
                        log_error("%s", err.message);
                else
                        log_error_errno(r, "Failed to read %s: %m", a->config ?: CONFIG_FILE);
                return r;
        }
        if ((a->state_dir && replace_string(&c->state_dir, a->state_dir) < 0) ||
            (a->admin_group && replace_string(&c->admin_group, a->admin_group) < 0))
                return log_oom();
        *ret = TAKE_PTR(c);
        return 0;
}

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        struct vgpu_config *config = NULL;
        Arguments a = {.log_level = -1};
        int r;

        log_setup("vgpud");
        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (a.log_level >= 0)
                log_set_max_level(a.log_level);
        if (load_config(&a, &config) < 0)
                return EXIT_FAILURE;
        if (a.log_level < 0)
                log_set_max_level(config->log_level);

        r = manager_new(config, a.runtime_dir ?: RUNTIME_DIR, &m);
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
