/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From a failed D-Bus call to what the administrator reads and the exit code
 * a script checks: one table keyed by the error names of docs/dbus-api.md.
 * The daemon's message says what was wrong; the hint says what to do.
 */
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bus-names.h"
#include "cli.h"

struct error_info {
        const char *name;
        int exit_code;
        const char *hint;
};

static const struct error_info error_table[] = {
        {DBUS_ERROR_INVALID_ARGS, EXIT_USAGE, NULL},
        {DBUS_ERROR_ACCESS_DENIED, EXIT_DENIED,
         "Run it as root, or ask an administrator to add you to vgpud's admin group."},
        {VGPUD_ERROR_NO_SUCH_GPU, EXIT_NOT_FOUND, "'vgpuctl gpus' lists the GPUs of this host."},
        {VGPUD_ERROR_NO_SUCH_TYPE, EXIT_NOT_FOUND, "'vgpuctl types' lists the types this host offers."},
        {VGPUD_ERROR_AMBIGUOUS_TYPE, EXIT_REFUSED,
         "Name one of them exactly, or add --gpu to pick the GPU; 'vgpuctl types' lists them."},
        {VGPUD_ERROR_NO_SUCH_INSTANCE, EXIT_NOT_FOUND, "'vgpuctl list --all' lists the instances."},
        {VGPUD_ERROR_INSTANCE_EXISTS, EXIT_REFUSED,
         "Pick another UUID, or leave --uuid out to have one generated."},
        {VGPUD_ERROR_NO_CAPACITY, EXIT_REFUSED, "'vgpuctl types' shows what each GPU can still host."},
        {VGPUD_ERROR_IN_USE, EXIT_REFUSED, "Shut down the VM that uses it first."},
        {VGPUD_ERROR_BUSY, EXIT_REFUSED, "Another operation on that GPU is in progress; try again."},
        {VGPUD_ERROR_ADMISSION_DENIED, EXIT_REFUSED, NULL},
        {VGPUD_ERROR_NOT_SUPPORTED, EXIT_REFUSED, NULL},
        {VGPUD_ERROR_IO, EXIT_FAILED, "vgpud's journal ('journalctl -u vgpud') has the details."},
        /* The daemon is not there. */
        {"org.freedesktop.DBus.Error.ServiceUnknown", EXIT_UNREACHABLE,
         "Is vgpud running? Try 'systemctl status vgpud'."},
        {"org.freedesktop.DBus.Error.NameHasNoOwner", EXIT_UNREACHABLE,
         "Is vgpud running? Try 'systemctl status vgpud'."},
        {"org.freedesktop.DBus.Error.NoReply", EXIT_UNREACHABLE, "vgpud did not answer in time."},
        {"org.freedesktop.DBus.Error.Disconnected", EXIT_UNREACHABLE, NULL},
        {"org.freedesktop.DBus.Error.Timeout", EXIT_UNREACHABLE, "vgpud did not answer in time."},
};

static const struct error_info *error_info_for(const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(error_table); i++)
                if (streq(error_table[i].name, name))
                        return &error_table[i];
        return NULL;
}

int cli_exit_code_for(const char *error_name) {
        const struct error_info *i = error_info_for(error_name);
        return i ? i->exit_code : EXIT_FAILED;
}

const char *cli_hint_for(const char *error_name) {
        const struct error_info *i = error_info_for(error_name);
        return i ? i->hint : NULL;
}

int cli_report_error_line(Cli *c, const char *what, const sd_bus_error *error, int r) {
        if (error && sd_bus_error_is_set(error)) {
                fprintf(stderr, "%s: %s: %s\n", c->program, what, error->message ?: error->name);
                return cli_exit_code_for(error->name);
        }
        fprintf(stderr, "%s: %s: %s\n", c->program, what, strerror(r < 0 ? -r : EIO));
        return EXIT_FAILED;
}

int cli_report_error(Cli *c, const char *what, const sd_bus_error *error, int r) {
        int code = cli_report_error_line(c, what, error, r);
        const char *hint = error && sd_bus_error_is_set(error) ? cli_hint_for(error->name) : NULL;

        if (hint)
                fprintf(stderr, "%s\n", hint);
        return code;
}

int cli_usage_error(Cli *c, const char *cmd, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s%s%s: ", c->program, cmd ? " " : "", strempty(cmd));
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        if (cmd)
                fprintf(stderr, "\nTry '%s %s --help'.\n", c->program, cmd);
        else
                fprintf(stderr, "\nTry '%s --help'.\n", c->program);
        return EXIT_USAGE;
}

/* Root's direct connection to vgpud (daemon/private-bus.c): one hop each way instead of four through
 * dbus-daemon, and no round trip to the bus to learn who is calling. Any failure (not root, vgpud not
 * running or too old to listen there, a stale socket) is an error, and the caller uses the bus. */
static int open_private(sd_bus **ret) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        const char *path = getenv("VGPUCTL_PRIVATE_SOCKET") ?: VGPUD_PRIVATE_SOCKET;
        int r;

        if (geteuid() != 0 || isempty(path) || strlen(path) >= sizeof(sa.sun_path))
                return -EPERM;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return negative_errno();
        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                return r;
        TAKE_FD(fd);
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        /* cppcheck reads sd_bus, whose header it is not given, as an integer type. */
        // cppcheck-suppress AssignmentAddressToInteger
        *ret = TAKE_PTR(bus);
        return 0;
}

static int open_system(Cli *c, sd_bus **ret) {
        int r = sd_bus_open_system(ret);
        if (r < 0) {
                fprintf(stderr, "%s: cannot connect to the system bus: %s\n", c->program, strerror(-r));
                fprintf(stderr, "Is dbus running? (DBUS_SYSTEM_BUS_ADDRESS=%s)\n",
                        strna(getenv("DBUS_SYSTEM_BUS_ADDRESS")));
                return EXIT_UNREACHABLE;
        }
        return EXIT_OK;
}

int cli_bus(Cli *c, sd_bus **ret) {
        if (!c->bus) {
                if (open_private(&c->bus) < 0) {
                        int r = open_system(c, &c->bus);
                        if (r != EXIT_OK)
                                return r;
                }
                /* A create waits for the host operation; vendor drivers can take long. */
                (void) sd_bus_set_method_call_timeout(c->bus, 120 * 1000000ULL);
        }
        *ret = c->bus;
        return EXIT_OK;
}

int cli_system_bus(Cli *c, sd_bus **ret) {
        if (c->bus && sd_bus_is_bus_client(c->bus) <= 0)
                c->bus = sd_bus_close_unref(c->bus); /* the private connection carries no signals */
        if (!c->bus) {
                int r = open_system(c, &c->bus);
                if (r != EXIT_OK)
                        return r;
                (void) sd_bus_set_method_call_timeout(c->bus, 120 * 1000000ULL);
        }
        *ret = c->bus;
        return EXIT_OK;
}

/* Manager.<method>(name) -> object path, or an exit code. */
static int get_object(Cli *c, const char *method, const char *name, char **ret_path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus *bus;
        const char *path;
        int r;

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, method, &error,
                               &reply, "s", name);
        if (r < 0)
                return cli_report_error(c, name, &error, r);
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return cli_report_error(c, "bad reply from vgpud", NULL, r);
        *ret_path = strdup(path);
        return *ret_path ? EXIT_OK : cli_report_error(c, name, NULL, -ENOMEM);
}

int cli_get_instance(Cli *c, const char *uuid, char **ret_path) {
        return get_object(c, "GetInstance", uuid, ret_path);
}

int cli_get_gpu(Cli *c, const char *gpu, char **ret_path) {
        return get_object(c, "GetGpu", gpu, ret_path);
}
