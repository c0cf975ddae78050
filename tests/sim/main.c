/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpu-sim's command line: `run` a command on a simulated host, `ctl` the
 * simulator from inside it, `serve` a tree on a directory for debugging,
 * `profiles` and `check-profile` for the data files. Errors become words
 * here and only here.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>

#include "profile.h"
#include "runner.h"
#include "sim-util.h"

#ifndef VGPU_SIM_PROFILE_DIR
#define VGPU_SIM_PROFILE_DIR "profiles"
#endif

static const char *profile_dir(void) {
        return getenv("VGPU_SIM_PROFILE_DIR") ?: VGPU_SIM_PROFILE_DIR;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: vgpu-sim run [--profile NAME|FILE] -- COMMAND [ARG...]\n"
                "       vgpu-sim ctl COMMAND [ARG...]          (inside a vgpu-sim run)\n"
                "       vgpu-sim serve [--profile NAME|FILE] DIR\n"
                "       vgpu-sim profiles\n"
                "       vgpu-sim check-profile NAME|FILE...\n"
                "\n"
                "ctl commands:\n"
                "  fail PATH ERRNO [COUNT]   the next COUNT (1) writes to PATH fail with ERRNO (EBUSY or "
                "16)\n"
                "  fail clear                drop every pending failure and latency (and mdev-settle)\n"
                "  latency PATH|all MS       writes to PATH (or every attribute) take MS milliseconds; 0 "
                "ends it\n"
                "  mdev-settle [MS]          a new mdev is announced and bound MS milliseconds before its\n"
                "                            mdev_type link appears (Linux's order, made visible); 0 ends "
                "it\n"
                "  unplug BDF                hot-remove a device (with its VFs, mdevs and slot functions)\n"
                "  replug BDF                hot-add it back as the profile describes it\n"
                "  hold BDF|UUID             a VM holds the device open (in-use errors, blocking unbind)\n"
                "  release BDF|UUID          the VM lets go\n"
                "  reboot                    back to the profile's power-on state\n"
                "  profile [NAME|FILE]       show the profile, or power on another one\n"
                "  status | faults | held    what the simulator holds\n"
                "\n"
                "Profiles are read from %s (VGPU_SIM_PROFILE_DIR overrides).\n",
                profile_dir());
}

static int cmd_run(int argc, char **argv) {
        static const struct option opts[] = {
                {"profile", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *profile = "mixed";
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+p:h", opts, NULL)) >= 0)
                switch (c) {
                case 'p':
                        profile = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        if (optind >= argc) {
                fprintf(stderr, "vgpu-sim run: a command is needed after --\n");
                return 2;
        }
        struct run_options o = {.profile = profile, .profile_dir = profile_dir(), .argv = argv + optind};
        return runner_run(&o);
}

static int cmd_serve(int argc, char **argv) {
        static const struct option opts[] = {
                {"profile", required_argument, NULL, 'p'},
                {},
        };
        const char *profile = "mixed";
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "+p:", opts, NULL)) >= 0)
                if (c == 'p')
                        profile = optarg;
                else
                        return 2;
        if (optind + 1 != argc) {
                usage(stderr);
                return 2;
        }
        return runner_serve(profile_dir(), profile, argv[optind]);
}

static int cmd_profiles(void) {
        DIR *d = opendir(profile_dir());
        if (!d) {
                fprintf(stderr, "vgpu-sim: %s: %s\n", profile_dir(), strerror(errno));
                return 1;
        }
        struct dirent *de;
        int status = 0;
        while ((de = readdir(d))) {
                size_t l = strlen(de->d_name);
                if (l <= 5 || !streq(de->d_name + l - 5, ".json"))
                        continue;
                char name[256];
                snprintf(name, sizeof(name), "%.*s", (int) (l - 5), de->d_name);
                struct profile *p;
                _cleanup_free_ char *error = NULL;
                if (profile_load(profile_dir(), name, &p, &error) < 0) {
                        fprintf(stderr, "vgpu-sim: %s\n", error ?: name);
                        status = 1;
                        continue;
                }
                printf("%-12s %s\n", p->name, p->description);
                profile_free(p);
        }
        closedir(d);
        return status;
}

static int cmd_check(int argc, char **argv) {
        int status = 0;
        for (int i = 1; i < argc; i++) {
                struct profile *p;
                _cleanup_free_ char *error = NULL;
                int r = profile_load(profile_dir(), argv[i], &p, &error);
                if (r < 0) {
                        fprintf(stderr, "vgpu-sim: %s\n", error ?: strerror(-r));
                        status = 1;
                        continue;
                }
                size_t vfs = 0;
                for (size_t k = 0; k < p->n_devs; k++)
                        vfs += p->devs[k].numvfs;
                printf("%s: %zu functions, %zu VFs at power-on, %zu type catalogs\n", p->name, p->n_devs,
                       vfs, p->n_catalogs);
                profile_free(p);
        }
        return status;
}

/* ---- ctl: one write() per command into the control directory ---- */

static const char *sysfs_root(void) {
        return getenv("VGPU_SIM_ROOT") ?: "/sys";
}

static int ctl_write(const char *file, const char *value) {
        _cleanup_free_ char *path = xasprintf("%s/kernel/debug/vgpu-sim/%s", sysfs_root(), file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                fprintf(stderr, "vgpu-sim ctl: %s: %s%s\n", path, strerror(e),
                        e == ENOENT ? " (not inside vgpu-sim run?)" : "");
                return 1;
        }
        if (write(fd, value, strlen(value)) < 0) {
                fprintf(stderr, "vgpu-sim ctl: %s: %s\n", file, strerror(errno));
                return 1;
        }
        return 0;
}

static int ctl_cat(const char *file) {
        _cleanup_free_ char *path = xasprintf("%s/kernel/debug/vgpu-sim/%s", sysfs_root(), file);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "vgpu-sim ctl: %s: %s\n", path, strerror(errno));
                return 1;
        }
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                fwrite(buf, 1, (size_t) n, stdout);
        return n < 0 ? 1 : 0;
}

/* An attribute path as the simulator names it: symlinks resolved, relative to the /sys root. */
static int ctl_attr_path(const char *in, char **ret) {
        if (streq(in, "all") || streq(in, "*")) {
                *ret = xstrdup("*");
                return 0;
        }
        char real[PATH_MAX];
        if (!realpath(in, real)) {
                fprintf(stderr, "vgpu-sim ctl: %s: %s\n", in, strerror(errno));
                return -errno;
        }
        size_t l = strlen(sysfs_root());
        if (strncmp(real, sysfs_root(), l) != 0 || real[l] != '/') {
                fprintf(stderr, "vgpu-sim ctl: %s is not under %s\n", in, sysfs_root());
                return -EINVAL;
        }
        *ret = xasprintf("/sys%s", real + l);
        return 0;
}

static int cmd_ctl(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        const char *cmd = argv[1];
        _cleanup_free_ char *path = NULL, *line = NULL;
        if (streq(cmd, "fail") && argc == 3 && streq(argv[2], "clear"))
                return ctl_write("fail", "clear\n");
        if (streq(cmd, "fail") && (argc == 4 || argc == 5)) {
                if (ctl_attr_path(argv[2], &path) < 0)
                        return 1;
                line = xasprintf("%s %s %s\n", path, argv[3], argc == 5 ? argv[4] : "1");
                return ctl_write("fail", line);
        }
        if (streq(cmd, "latency") && argc == 4) {
                if (ctl_attr_path(argv[2], &path) < 0)
                        return 1;
                line = xasprintf("%s %s\n", path, argv[3]);
                return ctl_write("latency", line);
        }
        if (streq(cmd, "mdev-settle") && argc == 2)
                return ctl_cat("mdev_settle");
        if (streq(cmd, "mdev-settle") && argc == 3) {
                line = xasprintf("%s\n", argv[2]);
                return ctl_write("mdev_settle", line);
        }
        if ((streq(cmd, "unplug") || streq(cmd, "replug") || streq(cmd, "hold") || streq(cmd, "release")) &&
            argc == 3) {
                line = xasprintf("%s\n", argv[2]);
                return ctl_write(cmd, line);
        }
        if (streq(cmd, "reboot") && argc == 2)
                return ctl_write("reboot", "1\n");
        if (streq(cmd, "profile") && argc == 2)
                return ctl_cat("profile");
        if (streq(cmd, "profile") && argc == 3) {
                line = xasprintf("%s\n", argv[2]);
                return ctl_write("profile", line);
        }
        if (streq(cmd, "status") && argc == 2)
                return ctl_cat("status");
        if (streq(cmd, "faults") && argc == 2)
                return ctl_cat("fail") | ctl_cat("latency");
        if (streq(cmd, "held") && argc == 2)
                return ctl_cat("hold");
        fprintf(stderr, "vgpu-sim ctl: unknown command or wrong arguments: %s (see vgpu-sim --help)\n", cmd);
        return 2;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        const char *cmd = argv[1];
        if (streq(cmd, "run"))
                return cmd_run(argc - 1, argv + 1);
        if (streq(cmd, "ctl"))
                return cmd_ctl(argc - 1, argv + 1);
        if (streq(cmd, "serve"))
                return cmd_serve(argc - 1, argv + 1);
        if (streq(cmd, "profiles"))
                return cmd_profiles();
        if (streq(cmd, "check-profile"))
                return cmd_check(argc - 1, argv + 1);
        if (streq(cmd, "--help") || streq(cmd, "-h") || streq(cmd, "help")) {
                usage(stdout);
                return 0;
        }
        fprintf(stderr, "vgpu-sim: unknown command %s\n", cmd);
        usage(stderr);
        return 2;
}
