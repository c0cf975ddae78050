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
#include "pipeline.h"
#include "table.h"
#include "uuid.h"

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

/* create --count: 1024 is every T4-1B slot of 64 T4 (the large profile), well past a host's real needs. */
#define CREATE_COUNT_MAX 1024

/* What create and define send, the same for each instance of a batch. */
typedef struct NewRequest {
        NewKind kind;
        const char *type, *gpu, *uuid;
        const CreateOptions *options;
} NewRequest;

static int new_request_message(sd_bus *bus, const NewRequest *q, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                           q->kind == NEW_CREATE ? "CreateInstance" : "DefineInstance");
        if (r >= 0)
                r = sd_bus_message_append(m, "sss", q->type, strempty(q->gpu), strempty(q->uuid));
        if (r >= 0)
                r = create_options_append(m, q->options);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* Undo a batch that failed part-way: Destroy (stop + undefine, so that a persistent one leaves no
 * definition either) every instance it made. Reports what could not be removed; returns how many. */
static size_t remove_made(Cli *c, sd_bus *bus, const PipelineBatch *made, size_t n_made) {
        _cleanup_(pipeline_batch_done) PipelineBatch b = {};
        _cleanup_free_ const char **uuids = calloc(n_made ?: 1, sizeof(char *));
        const char *path;
        size_t k = 0, left = 0;

        if (!uuids || pipeline_batch_init(&b, n_made) < 0) {
                fprintf(stderr, "%s: out of memory: the %zu instances made are still there\n", c->program,
                        n_made);
                return n_made;
        }
        for (size_t i = 0; i < made->n && k < n_made; i++) {
                PipelineCall *call = &b.calls[k];
                int r;
                if (made->calls[i].r < 0 || !made->calls[i].reply)
                        continue;
                r = sd_bus_message_rewind(made->calls[i].reply, true);
                if (r >= 0)
                        r = sd_bus_message_read(made->calls[i].reply, "so", &uuids[k], &path);
                if (r >= 0)
                        r = sd_bus_message_new_method_call(bus, &call->request, VGPUD_BUS_NAME, path,
                                                           VGPUD_INSTANCE_IFACE, "Destroy");
                if (r >= 0)
                        r = sd_bus_message_append(call->request, "b", 0);
                if (r < 0)
                        pipeline_call_fail(call, r);
                k++;
        }
        (void) pipeline_run(bus, &b, PIPELINE_WINDOW, 0);
        for (size_t i = 0; i < b.n; i++)
                if (b.calls[i].r < 0) {
                        _cleanup_free_ char *what = NULL;
                        if (asprintf(&what, "%s: could not remove it again", strna(uuids[i])) < 0)
                                what = NULL;
                        (void) cli_report_error_line(c, what ?: "could not remove an instance again",
                                                     &b.calls[i].error, b.calls[i].r);
                        left++;
                }
        return left;
}

/* Send count CreateInstance (or DefineInstance) calls, PIPELINE_WINDOW at a time, each placed by vgpud
 * as a single call is. All or nothing: after a refusal no further call is sent and what was made is
 * removed again. batch (--count given): JSON is an array, and a refusal says how far it got. */
static int new_instances(Cli *c, sd_bus *bus, const NewRequest *q, unsigned count, bool batch) {
        _cleanup_(pipeline_batch_done) PipelineBatch b = {};
        _cleanup_(json_object_putp) json_object *array = NULL;
        const char *uuid, *path;
        size_t made = 0, failed;
        int r, code;

        r = pipeline_batch_init(&b, count);
        if (r < 0)
                return cli_report_error(c, "out of memory", NULL, r);
        for (size_t i = 0; i < count; i++) {
                r = new_request_message(bus, q, &b.calls[i].request);
                if (r < 0)
                        return cli_report_error(c, "cannot build the request", NULL, r);
        }
        (void) pipeline_run(bus, &b, PIPELINE_WINDOW, PIPELINE_STOP_ON_FAILURE);
        for (size_t i = 0; i < count; i++) {
                PipelineCall *call = &b.calls[i];
                if (call->state != PIPELINE_CALL_DONE || call->r < 0)
                        continue;
                r = sd_bus_message_read(call->reply, "so", &uuid, &path);
                if (r < 0) {
                        /* Made, but which one is not known: there is nothing to remove it by. */
                        call->reply = sd_bus_message_unref(call->reply);
                        pipeline_call_fail(call, r);
                        continue;
                }
                made++;
        }

        failed = pipeline_first_failure(&b);
        if (failed < count) {
                code = cli_report_error(c, q->kind == NEW_CREATE ? "cannot create" : "cannot define",
                                        &b.calls[failed].error, b.calls[failed].r);
                /* The candidates as the refusal saw them, before the batch is removed again. */
                if (sd_bus_error_has_name(&b.calls[failed].error, VGPUD_ERROR_NO_CAPACITY))
                        explain_placement(c, bus, q->type, q->gpu, q->options->placement);
                if (!batch)
                        return code;
                size_t left = made > 0 ? remove_made(c, bus, &b, made) : 0;
                if (made == 0)
                        fprintf(stderr, "created 0 of %u; nothing to remove\n", count);
                else if (left == 0)
                        fprintf(stderr, "created %zu of %u; removed them again\n", made, count);
                else
                        fprintf(stderr,
                                "created %zu of %u; removed %zu of them again, %zu remain (see above)\n",
                                made, count, made - left, left);
                return code;
        }

        if (c->json && batch && !(array = json_object_new_array()))
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        for (size_t i = 0; i < count; i++) {
                r = sd_bus_message_rewind(b.calls[i].reply, true);
                if (r >= 0)
                        r = sd_bus_message_read(b.calls[i].reply, "so", &uuid, &path);
                if (r < 0)
                        return cli_report_error(c, "bad reply from vgpud", NULL, r);
                if (!c->json) {
                        /* The UUID alone, so that `u=$(vgpuctl create ...)` works. */
                        printf("%s\n", uuid);
                        continue;
                }
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "uuid", json_string(uuid));
                json_object_object_add(j, "object", json_string(path));
                if (!batch)
                        return json_print(j);
                json_object_array_add(array, TAKE_PTR(j));
        }
        return array ? json_print(array) : EXIT_OK;
}

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
                {"count", required_argument, NULL, 'n'},
                {"placement", required_argument, NULL, ARG_PLACEMENT},
                {"share", required_argument, NULL, ARG_SHARE},
                {"weight", required_argument, NULL, ARG_WEIGHT},
                {},
        };
        const char *name = kind == NEW_CREATE ? "create" : "define";
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(create_options_done) CreateOptions o = {};
        const char *type = NULL, *gpu = NULL, *uuid = NULL;
        unsigned count = 1;
        bool batch = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, kind == NEW_CREATE ? "ht:g:u:paA:n:" : "ht:g:u:aA:", options,
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
                case 'n':
                        if (kind == NEW_DEFINE)
                                return cli_usage_error(c, name, "--count is for create only");
                        if (safe_atou(optarg, &count) < 0 || count < 1 || count > CREATE_COUNT_MAX)
                                return cli_usage_error(c, name,
                                                       "invalid --count '%s': a number from 1 to %u", optarg,
                                                       CREATE_COUNT_MAX);
                        batch = true;
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
        if (uuid && count > 1)
                return cli_usage_error(c, name,
                                       "--uuid names one instance: give it without --count, or "
                                       "leave it out to have %u UUIDs generated",
                                       count);

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

        NewRequest q = {.kind = kind, .type = type, .gpu = gpu, .uuid = uuid, .options = &o};
        return new_instances(c, bus, &q, count, batch);
}

int cmd_create(Cli *c, int argc, char *argv[]) {
        return new_instance(c, NEW_CREATE, argc, argv);
}

int cmd_define(Cli *c, int argc, char *argv[]) {
        return new_instance(c, NEW_DEFINE, argc, argv);
}

/* The commands that act on instances by UUID, one method call per instance. */
typedef struct InstanceAction {
        const char *command;
        const char *method;
        const char *signature; /* of the method's arguments: "", "b" */
        const char *done;      /* past tense for the human output */
} InstanceAction;

static int action_message(sd_bus *bus, const InstanceAction *a, const char *path, int bool_arg,
                          sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, path, VGPUD_INSTANCE_IFACE, a->method);
        if (r >= 0 && streq(a->signature, "b"))
                r = sd_bus_message_append(m, "b", bool_arg);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* The object of an instance is named by its (normalized) UUID: call it directly, one round trip. */
static char *direct_instance_path(const char uuid[static UUID_STRING_MAX]) {
        char hex[33], *path;
        size_t n = 0;

        for (const char *p = uuid; *p && n < sizeof(hex) - 1; p++)
                if (*p != '-')
                        hex[n++] = *p;
        hex[n] = 0;
        return asprintf(&path, VGPUD_INSTANCE_PREFIX "/%s", hex) < 0 ? NULL : path;
}

/* No object at the direct path: Manager.GetInstance says why in the daemon's words (no such instance),
 * or names the object to call. Replaces the call's result. */
static void call_via_get_instance(sd_bus *bus, const InstanceAction *a, const char *uuid, int bool_arg,
                                  PipelineCall *call) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *m = NULL;
        const char *path;
        int r;

        sd_bus_error_free(&call->error);
        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, "GetInstance",
                               &call->error, &reply, "s", uuid);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &path);
        if (r >= 0)
                r = action_message(bus, a, path, bool_arg, &m);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &call->error, NULL);
        if (r < 0 && !sd_bus_error_is_set(&call->error))
                pipeline_call_fail(call, r);
        else
                call->r = MIN(r, 0);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Run the action on every UUID given, PIPELINE_WINDOW calls at a time; each UUID is independent. Every
 * failure is reported on a line of its own naming the UUID (hints follow, once each); the exit code is
 * the first failure's. The UUIDs are all checked before anything is sent. */
static int instance_actions(Cli *c, const InstanceAction *a, char **uuids, size_t n, int bool_arg) {
        _cleanup_(pipeline_batch_done) PipelineBatch b = {};
        _cleanup_(json_object_putp) json_object *array = NULL;
        _cleanup_free_ char(*norm)[UUID_STRING_MAX] = calloc(n ?: 1, UUID_STRING_MAX);
        _cleanup_free_ char **sorted = calloc(n ?: 1, sizeof(char *));
        const char *hints[32];
        size_t n_hints = 0;
        int code = EXIT_OK, r;
        sd_bus *bus;

        if (!norm || !sorted)
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        for (size_t i = 0; i < n; i++) {
                if (uuid_normalize(uuids[i], norm[i]) < 0)
                        return cli_usage_error(c, a->command,
                                               "Invalid UUID '%s': expected 8-4-4-4-12 hexadecimal digits%s",
                                               uuids[i], n > 1 ? "; nothing was done" : "");
                sorted[i] = norm[i];
        }
        /* The same instance twice would race itself (Busy): say so instead. */
        qsort(sorted, n, sizeof(char *), strcmp_ptr);
        for (size_t i = 1; i < n; i++)
                if (streq(sorted[i - 1], sorted[i]))
                        return cli_usage_error(c, a->command, "UUID %s is given twice; nothing was done",
                                               sorted[i]);

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = pipeline_batch_init(&b, n);
        if (r < 0)
                return cli_report_error(c, "out of memory", NULL, r);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = direct_instance_path(norm[i]);
                r = path ? action_message(bus, a, path, bool_arg, &b.calls[i].request) : -ENOMEM;
                if (r < 0)
                        pipeline_call_fail(&b.calls[i], r);
        }
        (void) pipeline_run(bus, &b, PIPELINE_WINDOW, 0);

        if (c->json && n > 1 && !(array = json_object_new_array()))
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        for (size_t i = 0; i < n; i++) {
                PipelineCall *call = &b.calls[i];
                if (call->r < 0 &&
                    sd_bus_error_has_names(&call->error, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                           SD_BUS_ERROR_UNKNOWN_METHOD, SD_BUS_ERROR_UNKNOWN_INTERFACE))
                        call_via_get_instance(bus, a, uuids[i], bool_arg, call);

                _cleanup_(json_object_putp) json_object *j = c->json ? json_object_new_object() : NULL;
                if (c->json && !j)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                if (j)
                        json_object_object_add(j, "uuid", json_string(uuids[i]));
                if (call->r >= 0) {
                        if (!j) {
                                printf("%s %s.\n", uuids[i], a->done);
                                continue;
                        }
                        json_object_object_add(j, "result", json_string(a->done));
                        if (!array)
                                return json_print(j);
                        json_object_array_add(array, TAKE_PTR(j));
                        continue;
                }
                fflush(stdout); /* the lines in order when both streams go to one file */
                r = cli_report_error_line(c, uuids[i], &call->error, call->r);
                if (code == EXIT_OK)
                        code = r;
                const char *hint = cli_hint_for(call->error.name);
                for (size_t k = 0; hint && k < n_hints; k++)
                        if (hints[k] == hint)
                                hint = NULL;
                if (hint && n_hints < ELEMENTSOF(hints))
                        hints[n_hints++] = hint;
                if (array) {
                        json_object_object_add(j, "error", json_string(call->error.name));
                        json_object_object_add(j, "message", json_string(call->error.message));
                        json_object_array_add(array, TAKE_PTR(j));
                }
        }
        for (size_t k = 0; k < n_hints; k++)
                fprintf(stderr, "%s\n", hints[k]);
        if (array) {
                r = json_print(array);
                return code != EXIT_OK ? code : r;
        }
        return code;
}

/* Parse "CMD [--help] [--force] UUID..." and run the action; --force only where the method takes it. */
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
        if (argc - optind < 1)
                return cli_usage_error(c, a->command, "expected one or more UUIDs");
        return instance_actions(c, a, argv + optind, argc - optind, force);
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
        return instance_actions(c, enable ? &on : &off, argv + optind, 1, enable);
}
