/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The instance lifecycle commands: create, define, destroy, undefine, start,
 * stop, autostart. Each is one D-Bus call; the daemon decides, persists and
 * answers when the host operation has completed.
 */
#include <getopt.h>

#include "args.h"
#include "bus-names.h"
#include "objects.h"
#include "output.h"
#include "parse-util.h"
#include "table.h"

/* After a NoCapacity refusal: why each candidate GPU cannot host the type (Manager.ExplainPlacement). */
static void explain_placement(Cli *c, sd_bus *bus, const char *type, const char *gpu,
                              const char *placement) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        const char *address, *parent, *reason;
        int can_host, r;

        r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                           "ExplainPlacement");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", type, strempty(gpu));
        if (r >= 0 && placement)
                r = sd_bus_message_append(m, "a{sv}", 1, "placement", "s", placement);
        else if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssbs)");
        if (r < 0)
                return; /* the refusal itself was already reported */
        t = table_new("GPU", "PARENT", "CAN HOST", "REASON", NULL);
        if (!t)
                return;
        while (sd_bus_message_read(reply, "(ssbs)", &address, &parent, &can_host, &reason) > 0)
                if (table_add_row(t, address, isempty(parent) ? "-" : parent, can_host ? "yes" : "no",
                                  reason) < 0)
                        return;
        if (table_rows(t) == 0)
                return;
        fprintf(stderr, "\nCandidates:\n");
        (void) table_print(t, stderr, false);
        fputc('\n', stderr);
}

typedef enum NewKind {
        NEW_CREATE,
        NEW_DEFINE,
} NewKind;

/* create and define share their options; define without --type makes an existing instance persistent. */
static int new_instance(Cli *c, NewKind kind, int argc, char *argv[]) {
        enum { ARG_PLACEMENT = 0x100, ARG_SHARE, ARG_WEIGHT };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"type", required_argument, NULL, 't'},
                {"gpu", required_argument, NULL, 'g'},
                {"uuid", required_argument, NULL, 'u'},
                {"persistent", no_argument, NULL, 'p'},
                {"autostart", no_argument, NULL, 'a'},
                {"attr", required_argument, NULL, 'A'},
                {"placement", required_argument, NULL, ARG_PLACEMENT},
                {"share", required_argument, NULL, ARG_SHARE},
                {"weight", required_argument, NULL, ARG_WEIGHT},
                {},
        };
        const char *name = kind == NEW_CREATE ? "create" : "define";
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(create_options_done) CreateOptions o = {};
        const char *type = NULL, *gpu = NULL, *uuid = NULL, *ret_uuid, *ret_path;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, kind == NEW_CREATE ? "ht:g:u:paA:" : "ht:g:u:aA:", options,
                                  NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help(name);
                case 'J':
                        c->json = true;
                        break;
                case 't':
                        type = optarg;
                        break;
                case 'g':
                        gpu = optarg;
                        break;
                case 'u':
                        uuid = optarg;
                        break;
                case 'p':
                        if (kind == NEW_DEFINE)
                                return cli_usage_error(c, name, "a definition is always persistent");
                        o.persistent = true;
                        break;
                case 'a':
                        o.autostart = true;
                        break;
                case 'A':
                        r = attr_list_add(&o.attrs, optarg);
                        if (r == -EINVAL)
                                return cli_usage_error(
                                        c, name,
                                        "invalid --attr '%s': expected NAME=VALUE, NAME a sysfs "
                                        "attribute of the device",
                                        optarg);
                        if (r < 0)
                                return cli_report_error(c, "out of memory", NULL, r);
                        break;
                case ARG_PLACEMENT:
                        if (!streq(optarg, "pack") && !streq(optarg, "spread"))
                                return cli_usage_error(
                                        c, name, "invalid --placement '%s': use pack or spread", optarg);
                        o.placement = optarg;
                        break;
                case ARG_SHARE:
                case ARG_WEIGHT: {
                        unsigned u;
                        bool share = opt == ARG_SHARE;
                        if (safe_atou(optarg, &u) < 0 || u == 0 || (share && u > 100))
                                return cli_usage_error(c, name, "invalid --%s '%s': %s",
                                                       share ? "share" : "weight", optarg,
                                                       share ? "a share is 1 to 100 (percent)"
                                                             : "a weight is a whole number from 1");
                        if (share)
                                o.share = u;
                        else
                                o.weight = u;
                        if (o.share && o.weight)
                                return cli_usage_error(c, name, "give --share or --weight, not both");
                        break;
                }
                default:
                        return cli_usage_error(c, name, "unknown option");
                }

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;

        if (kind == NEW_DEFINE && !type) {
                /* define UUID: keep an existing (transient) instance across restarts. */
                _cleanup_free_ char *path = NULL;
                if (argc - optind != 1 || gpu || uuid || o.autostart || o.attrs.n || o.placement ||
                    o.share || o.weight)
                        return cli_usage_error(c, name,
                                               "expected either UUID alone, or --type TYPE [options]");
                r = cli_get_instance(c, argv[optind], &path);
                if (r != EXIT_OK)
                        return r;
                r = sd_bus_call_method(bus, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, "Define", &error,
                                       NULL, "");
                if (r < 0)
                        return cli_report_error(c, argv[optind], &error, r);
                if (c->json) {
                        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                        json_object_object_add(j, "uuid", json_string(argv[optind]));
                        json_object_object_add(j, "object", json_string(path));
                        return json_print(j);
                }
                printf("%s\n", argv[optind]);
                return EXIT_OK;
        }

        if (!type)
                return cli_usage_error(c, name, "--type is required");
        if (optind < argc)
                return cli_usage_error(c, name, "unexpected argument '%s'", argv[optind]);

        r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                           kind == NEW_CREATE ? "CreateInstance" : "DefineInstance");
        if (r >= 0)
                r = sd_bus_message_append(m, "sss", type, strempty(gpu), strempty(uuid));
        if (r >= 0)
                r = create_options_append(m, &o);
        if (r < 0)
                return cli_report_error(c, "cannot build the request", NULL, r);
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                int code = cli_report_error(c, kind == NEW_CREATE ? "cannot create" : "cannot define",
                                            &error, r);
                if (sd_bus_error_has_name(&error, VGPUD_ERROR_NO_CAPACITY))
                        explain_placement(c, bus, type, gpu, o.placement);
                return code;
        }
        r = sd_bus_message_read(reply, "so", &ret_uuid, &ret_path);
        if (r < 0)
                return cli_report_error(c, "bad reply from vgpud", NULL, r);
        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "uuid", json_string(ret_uuid));
                json_object_object_add(j, "object", json_string(ret_path));
                return json_print(j);
        }
        /* The UUID alone, so that `u=$(vgpuctl create ...)` works. */
        printf("%s\n", ret_uuid);
        return EXIT_OK;
}

int cmd_create(Cli *c, int argc, char *argv[]) {
        return new_instance(c, NEW_CREATE, argc, argv);
}

int cmd_define(Cli *c, int argc, char *argv[]) {
        return new_instance(c, NEW_DEFINE, argc, argv);
}

/* The commands that act on one instance by UUID with one method call. */
typedef struct InstanceAction {
        const char *command;
        const char *method;
        const char *signature; /* of the method's arguments: "", "b" */
        const char *done;      /* past tense for the human output */
} InstanceAction;

static int instance_action(Cli *c, const InstanceAction *a, int argc, char *argv[], int bool_arg) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        const char *uuid = argv[0];
        sd_bus *bus;
        int r;

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = cli_get_instance(c, uuid, &path);
        if (r != EXIT_OK)
                return r;
        if (streq(a->signature, "b"))
                r = sd_bus_call_method(bus, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, a->method, &error,
                                       NULL, "b", bool_arg);
        else
                r = sd_bus_call_method(bus, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, a->method, &error,
                                       NULL, "");
        if (r < 0)
                return cli_report_error(c, uuid, &error, r);
        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "uuid", json_string(uuid));
                json_object_object_add(j, "result", json_string(a->done));
                return json_print(j);
        }
        printf("%s %s.\n", uuid, a->done);
        return EXIT_OK;
}

/* Parse "CMD [--help] [--force] UUID" and run the action; --force only where the method takes it. */
static int simple_instance_command(Cli *c, const InstanceAction *a, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"force", no_argument, NULL, 'f'},
                {},
        };
        bool force = false;
        int opt;

        while ((opt = getopt_long(argc, argv, "hf", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help(a->command);
                case 'J':
                        c->json = true;
                        break;
                case 'f':
                        if (!streq(a->signature, "b"))
                                return cli_usage_error(c, a->command, "unknown option");
                        force = true;
                        break;
                default:
                        return cli_usage_error(c, a->command, "unknown option");
                }
        if (argc - optind != 1)
                return cli_usage_error(c, a->command, "expected one UUID");
        return instance_action(c, a, argc - optind, argv + optind, force);
}

int cmd_destroy(Cli *c, int argc, char *argv[]) {
        static const InstanceAction a = {"destroy", "Destroy", "b", "destroyed"};
        return simple_instance_command(c, &a, argc, argv);
}

int cmd_undefine(Cli *c, int argc, char *argv[]) {
        static const InstanceAction a = {"undefine", "Undefine", "", "undefined"};
        return simple_instance_command(c, &a, argc, argv);
}

int cmd_start(Cli *c, int argc, char *argv[]) {
        static const InstanceAction a = {"start", "Start", "", "started"};
        return simple_instance_command(c, &a, argc, argv);
}

int cmd_stop(Cli *c, int argc, char *argv[]) {
        static const InstanceAction a = {"stop", "Stop", "b", "stopped"};
        return simple_instance_command(c, &a, argc, argv);
}

int cmd_autostart(Cli *c, int argc, char *argv[]) {
        static const InstanceAction on = {"autostart", "SetAutostart", "b", "will start automatically"};
        static const InstanceAction off = {"autostart", "SetAutostart", "b", "will not start automatically"};
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {},
        };
        int opt;

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("autostart");
                case 'J':
                        c->json = true;
                        break;
                default:
                        return cli_usage_error(c, "autostart", "unknown option");
                }
        if (argc - optind != 2)
                return cli_usage_error(c, "autostart", "expected UUID and on|off");
        int enable = parse_on_off(argv[optind + 1]);
        if (enable < 0)
                return cli_usage_error(c, "autostart", "expected on or off, not '%s'", argv[optind + 1]);
        return instance_action(c, enable ? &on : &off, 1, argv + optind, enable);
}
