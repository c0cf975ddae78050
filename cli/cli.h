/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What every vgpuctl command shares: the parsed global options, the bus
 * connection (opened on first use, so `--help` works without a daemon), and
 * the documented exit codes. A command is a function over its own argv that
 * returns an exit code.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

/* Exit codes, documented in vgpuctl(8). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,      /* the host operation failed (I/O error), or anything not listed below */
        EXIT_USAGE = 2,       /* bad command line */
        EXIT_NOT_FOUND = 3,   /* no such GPU, type or instance */
        EXIT_REFUSED = 4,     /* no capacity, in use, busy, exists, ambiguous, not supported */
        EXIT_DENIED = 5,      /* not root and not in the admin group */
        EXIT_UNREACHABLE = 6, /* vgpud is not running or the bus is not reachable */
        /* vgpuctl doctor only: the worst finding (a warning is 1, the value of EXIT_FAILED) */
        EXIT_DOCTOR_WARNING = 1,
        EXIT_DOCTOR_ERROR = 7,
};

typedef struct Cli {
        sd_bus *bus;
        bool json;
        bool color; /* stdout is a tty and NO_COLOR is unset */
        const char *program;
} Cli;

typedef struct Command {
        const char *name;
        int (*run)(Cli *c, int argc, char *argv[]);
        const char *synopsis;
        const char *summary;
} Command;

const Command *command_find(const char *name);
/* Usage text of vgpuctl, and of one command (returns EXIT_OK). */
void main_help(void);
int command_help(const char *name);

/* Connect to vgpud for method calls: root over vgpud's private socket (VGPUCTL_PRIVATE_SOCKET, default
 * VGPUD_PRIVATE_SOCKET) when it is there, else the system bus (DBUS_SYSTEM_BUS_ADDRESS honoured); returns an
 * exit code on failure. */
int cli_bus(Cli *c, sd_bus **ret);
/* The system bus itself, for what needs vgpud's signals or the bus's own (events, monitor). */
int cli_system_bus(Cli *c, sd_bus **ret);

/* Report a failed call: the daemon's message, what to do next; returns the exit code for it. */
int cli_report_error(Cli *c, const char *what, const sd_bus_error *error, int r);
/* The same without the hint: one line per failure when several are listed (hints follow once each). */
int cli_report_error_line(Cli *c, const char *what, const sd_bus_error *error, int r);

/* Report a usage error for command cmd; returns EXIT_USAGE. */
int cli_usage_error(Cli *c, const char *cmd, const char *fmt, ...) _printf_(3, 4);

/* Exit code for a D-Bus error name (NULL: EXIT_FAILED). */
int cli_exit_code_for(const char *error_name);
/* What to do about a D-Bus error name, or NULL. */
const char *cli_hint_for(const char *error_name);

/* Resolve a UUID to its instance object (Manager.GetInstance); returns an exit code. */
int cli_get_instance(Cli *c, const char *uuid, char **ret_path);
/* Resolve a GPU (address, id such as rpc0) to its object (Manager.GetGpu); returns an exit code. */
int cli_get_gpu(Cli *c, const char *gpu, char **ret_path);

/* Command groups (one file each). */
int cmd_gpus(Cli *c, int argc, char *argv[]);
int cmd_types(Cli *c, int argc, char *argv[]);
/* Run the helper program NAME (PKGLIBEXECDIR, or $ENV) in place of vgpuctl with the same command line
 * (helper-exec.c); returns only when it cannot be run. */
int cli_exec_helper(Cli *c, const char *env, const char *name, int argc, char *argv[]);

int cmd_list(Cli *c, int argc, char *argv[]);
int cmd_show(Cli *c, int argc, char *argv[]);
int cmd_create(Cli *c, int argc, char *argv[]);
int cmd_define(Cli *c, int argc, char *argv[]);
int cmd_destroy(Cli *c, int argc, char *argv[]);
int cmd_undefine(Cli *c, int argc, char *argv[]);
int cmd_start(Cli *c, int argc, char *argv[]);
int cmd_stop(Cli *c, int argc, char *argv[]);
int cmd_autostart(Cli *c, int argc, char *argv[]);
int cmd_apply(Cli *c, int argc, char *argv[]);
int cmd_export(Cli *c, int argc, char *argv[]);
int cmd_doctor(Cli *c, int argc, char *argv[]);
int cmd_monitor(Cli *c, int argc, char *argv[]);
int cmd_events(Cli *c, int argc, char *argv[]);
int cmd_metrics(Cli *c, int argc, char *argv[]);
int cmd_nfd(Cli *c, int argc, char *argv[]);
int cmd_probe(Cli *c, int argc, char *argv[]);
int cmd_sriov(Cli *c, int argc, char *argv[]);
int cmd_bind(Cli *c, int argc, char *argv[]);
int cmd_unbind(Cli *c, int argc, char *argv[]);
int cmd_policy(Cli *c, int argc, char *argv[]);
int cmd_quota(Cli *c, int argc, char *argv[]);
int cmd_xml(Cli *c, int argc, char *argv[]);
int cmd_attach(Cli *c, int argc, char *argv[]);
int cmd_detach(Cli *c, int argc, char *argv[]);
