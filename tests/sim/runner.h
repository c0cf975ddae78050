/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpu-sim run`: a command in a private mount, network and PID namespace
 * with the simulated tree over /sys, /run/udev/control present, a
 * /lib/modules that declares the simulated drivers built in, and private
 * /etc/mdevctl.d and /etc/driverctl.d. vgpu-sim exits with the command's
 * status and leaves nothing mounted and no process behind.
 */
#pragma once

struct run_options {
        const char *profile;
        const char *profile_dir;
        char **argv;
};

/* Returns the exit status for vgpu-sim (the command's, or 125 when the simulator could not start). */
int runner_run(const struct run_options *o);
/* Serve a profile on dir in the foreground until SIGINT/SIGTERM (no namespaces; for debugging). */
int runner_serve(const char *profile_dir, const char *profile, const char *dir);
