/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `apply -f FILE` and `export`: the host's vGPUs as a desired state
 * (vgpud-apply(5)). apply only reads the file (desired-state.h: NVIDIA
 * vgpu-device-manager's format or vgpud's superset) and sends the selected
 * configuration to Manager.Apply, which plans, carries out and rolls back in
 * vgpud; export writes what the host has now as such a file, from one
 * GetManagedObjects.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "bus-names.h"
#include "desired-state.h"
#include "fileio.h"
#include "objects.h"
#include "output.h"
#include "strutil.h"

/* A D-Bus timeout for an apply: vgpud answers when every step is done (or undone). */
#define APPLY_TIMEOUT_USEC (600ULL * 1000000ULL)

static int read_input(const char *path, char **ret, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = streq(path, "-") ? NULL : fopen(path, "re");
        FILE *in = streq(path, "-") ? stdin : f;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;

        if (!in)
                return -errno;
        buf = malloc(DESIRED_STATE_MAX_BYTES + 2);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, DESIRED_STATE_MAX_BYTES + 1, in);
        if (ferror(in))
                return -EIO;
        if (n > DESIRED_STATE_MAX_BYTES)
                return -EFBIG;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

static int append_pos(sd_bus_message *m, const char *source, struct desired_pos p) {
        _cleanup_free_ char *where = NULL;
        if (asprintf(&where, "%s:%u:%u", source, p.line, p.column) < 0)
                return -ENOMEM;
        return sd_bus_message_append(m, "s", where);
}

static int append_entry(sd_bus_message *m, const char *source, const struct desired_entry *e) {
        int r;

        r = sd_bus_message_open_container(m, 'r', "sasasa(ssu)a{sv}");
        if (r < 0)
                return r;
        r = append_pos(m, source, e->pos);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "s");
        if (r < 0)
                return r;
        if (e->all_devices)
                r = sd_bus_message_append(m, "s", "all");
        for (size_t i = 0; r >= 0 && i < e->n_devices; i++) {
                char idx[16];
                snprintf(idx, sizeof(idx), "%u", e->devices[i].index);
                r = sd_bus_message_append(m, "s", e->devices[i].is_index ? idx : e->devices[i].name);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (char **f = e->device_filter; r >= 0 && f && *f; f++) {
                _cleanup_free_ char *s = NULL;
                r = asprintf(&s, "device-id:%s", *f) < 0 ? -ENOMEM : sd_bus_message_append(m, "s", s);
        }
        if (r >= 0 && e->model) {
                _cleanup_free_ char *s = NULL;
                r = asprintf(&s, "model:%s", e->model) < 0 ? -ENOMEM : sd_bus_message_append(m, "s", s);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(ssu)");
        for (size_t i = 0; r >= 0 && i < e->n_types; i++) {
                _cleanup_free_ char *where = NULL;
                const struct desired_type *t = &e->types[i];
                r = asprintf(&where, "%s:%u:%u", source, t->pos.line, t->pos.column) < 0
                            ? -ENOMEM
                            : sd_bus_message_append(m, "(ssu)", where, t->name, t->count);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && e->sriov_vfs >= 0)
                r = sd_bus_message_append(m, "{sv}", "sriov_vfs", "u", (uint32_t) e->sriov_vfs);
        if (r >= 0 && e->persistent >= 0)
                r = sd_bus_message_append(m, "{sv}", "persistent", "b", e->persistent);
        if (r >= 0 && e->autostart >= 0)
                r = sd_bus_message_append(m, "{sv}", "autostart", "b", e->autostart);
        if (r >= 0 && e->share > 0)
                r = sd_bus_message_append(m, "{sv}", "share", "u", e->share);
        if (r >= 0 && e->weight > 0)
                r = sd_bus_message_append(m, "{sv}", "weight", "u", e->weight);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int print_result(Cli *c, sd_bus_message *reply, const char *file, const char *config, bool dry_run) {
        _cleanup_(json_object_putp) json_object *j = json_object_new_object();
        json_object *steps = json_object_new_array();
        const char *action, *gpu, *uuid, *detail;
        unsigned kept = 0, changes = 0;
        int changed, r;

        json_object_object_add(j, "steps", steps);
        r = sd_bus_message_read(reply, "b", &changed);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssss)");
        if (r < 0)
                return cli_report_error(c, "cannot read vgpud's answer", NULL, r);
        if (!c->json && changed)
                printf("%s %s (configuration %s):\n", dry_run ? "Plan for" : "Applied", file, config);
        while ((r = sd_bus_message_read(reply, "(ssss)", &action, &gpu, &uuid, &detail)) > 0) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "action", json_string(action));
                json_object_object_add(o, "gpu", json_string(gpu));
                json_object_object_add(o, "uuid", json_string(uuid));
                json_object_object_add(o, "detail", json_string(detail));
                json_object_array_add(steps, o);
                if (streq(action, "keep")) {
                        kept++;
                        continue;
                }
                changes++;
                if (c->json)
                        continue;
                if (dry_run || !streq(action, "create"))
                        printf("  %s\n", detail);
                else
                        printf("  %s: %s\n", detail, uuid);
        }
        if (r < 0)
                return cli_report_error(c, "cannot read vgpud's answer", NULL, r);
        json_object_object_add(j, "file", json_string(file));
        json_object_object_add(j, "config", json_string(config));
        json_object_object_add(j, "dry_run", json_object_new_boolean(dry_run));
        json_object_object_add(j, "changed", json_object_new_boolean(changed));
        json_object_object_add(j, "changes", json_object_new_int64(changes));
        json_object_object_add(j, "kept", json_object_new_int64(kept));
        if (c->json)
                return json_print(j);
        if (!changed)
                printf("Nothing to change: the host already matches %s (configuration %s); %u instance(s) "
                       "kept.\n",
                       file, config, kept);
        else
                printf("%u change(s)%s, %u instance(s) kept as they are.\n", changes,
                       dry_run ? " planned (dry run: nothing was changed)" : "", kept);
        return EXIT_OK;
}

int cmd_apply(Cli *c, int argc, char *argv[]) {
        enum { ARG_DRY_RUN = 0x100, ARG_FORCE, ARG_CONFIG };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"file", required_argument, NULL, 'f'},
                {"config", required_argument, NULL, 'c'},
                {"dry-run", no_argument, NULL, ARG_DRY_RUN},
                {"force", no_argument, NULL, ARG_FORCE},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(desired_state_freep) struct desired_state *state = NULL;
        _cleanup_free_ char *data = NULL, *why = NULL;
        const struct desired_config *config;
        const char *file = NULL, *name = NULL;
        bool dry_run = false, force = false;
        size_t size;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hf:c:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("apply");
                case 'J':
                        c->json = true;
                        break;
                case 'f':
                        file = optarg;
                        break;
                case 'c':
                        name = optarg;
                        break;
                case ARG_DRY_RUN:
                        dry_run = true;
                        break;
                case ARG_FORCE:
                        force = true;
                        break;
                default:
                        return cli_usage_error(c, "apply", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "apply", "unexpected argument '%s'", argv[optind]);
        if (!file)
                return cli_usage_error(c, "apply", "name the file with -f FILE (- for standard input)");

        r = read_input(file, &data, &size);
        if (r == -EFBIG) {
                fprintf(stderr, "%s: %s: the file is larger than %u bytes\n", c->program, file,
                        DESIRED_STATE_MAX_BYTES);
                return EXIT_USAGE;
        }
        if (r < 0) {
                fprintf(stderr, "%s: cannot read %s: %s\n", c->program, file, strerror(-r));
                return r == -ENOENT ? EXIT_NOT_FOUND : EXIT_FAILED;
        }
        const char *source = streq(file, "-") ? "<stdin>" : file;
        r = desired_state_parse(source, data, size, &state, &why);
        if (r == -ENOMEM)
                return cli_report_error(c, "out of memory", NULL, r);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", c->program, strna(why));
                fprintf(stderr, "Nothing was changed. The format is in vgpud-apply(5).\n");
                return EXIT_USAGE;
        }
        r = desired_state_select(state, name, &config, &why);
        if (r == -ENOMEM)
                return cli_report_error(c, "out of memory", NULL, r);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", c->program, strna(why));
                return EXIT_NOT_FOUND;
        }

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = sd_bus_message_new_method_call(bus, &call, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                           "Apply");
        if (r >= 0)
                r = sd_bus_message_open_container(call, 'a', "(sasasa(ssu)a{sv})");
        for (size_t i = 0; r >= 0 && i < config->n_entries; i++)
                r = append_entry(call, source, &config->entries[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(call);
        if (r >= 0)
                r = sd_bus_message_append(call, "a{sv}", 2, "dry_run", "b", dry_run, "force", "b", force);
        if (r < 0)
                return cli_report_error(c, "cannot build the call", NULL, r);
        r = sd_bus_call(bus, call, APPLY_TIMEOUT_USEC, &error, &reply);
        if (r < 0)
                return cli_report_error(c, "apply", &error, r);
        return print_result(c, reply, source, config->name, dry_run);
}

/* ---- export ------------------------------------------------------------------------------------------- */

/* A YAML double-quoted scalar. */
static void put_quoted(FILE *f, const char *s) {
        fputc('"', f);
        for (; s && *s; s++) {
                unsigned char ch = (unsigned char) *s;
                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20 || ch == 0x7f)
                        fprintf(f, "\\x%02x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

/* The name a file gives a type: NVIDIA's ("A16-2Q", as vgpu-device-manager writes it) for NVIDIA's types,
 * the raw type id otherwise (always one of its names). */
static const char *export_type_name(const Objects *o, const InstanceInfo *i) {
        const char *n = i->type_name;
        if (n && (startswith(n, "NVIDIA ") || startswith(n, "GRID ")))
                return strchr(n, ' ') + 1;
        return i->type;
}

typedef struct TypeCount {
        const char *name;
        unsigned count;
} TypeCount;

static int type_count_compare(const void *a, const void *b) {
        return strcmp(((const TypeCount *) a)->name, ((const TypeCount *) b)->name);
}

static bool exported(const InstanceInfo *i) {
        return i->persistent || streq_ptr(i->state, "created") || streq_ptr(i->state, "assigned");
}

int cmd_export(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"format", required_argument, NULL, 'F'},
                {"config", required_argument, NULL, 'c'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        const char *format = "vgpud", *name = "default";
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hc:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("export");
                case 'F':
                        format = optarg;
                        break;
                case 'c':
                        name = optarg;
                        break;
                default:
                        return cli_usage_error(c, "export", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "export", "unexpected argument '%s'", argv[optind]);
        bool nvidia = streq(format, "vgpu-device-manager");
        if (!nvidia && !streq(format, "vgpud"))
                return cli_usage_error(c, "export", "unknown format '%s': use vgpud or vgpu-device-manager",
                                       format);
        if (isempty(name))
                return cli_usage_error(c, "export", "the configuration needs a name");

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = objects_fetch(bus, &error, &o);
        if (r < 0)
                return cli_report_error(c, "cannot read the host", &error, r);

        printf("# The vGPUs of this host as %s's desired state (vgpud-apply(5)), written by vgpuctl "
               "export.\n"
               "version: v1\n"
               "vgpu-configs:\n"
               "  ",
               nvidia ? "vgpu-device-manager" : "vgpud");
        put_quoted(stdout, name);
        printf(":\n");
        unsigned index = 0;
        for (size_t g = 0; g < o.n_gpus; g++) {
                const GpuInfo *gpu = &o.gpus[g];
                _cleanup_free_ TypeCount *counts = calloc(o.n_instances + 1, sizeof(TypeCount));
                size_t n_counts = 0;
                bool all_persistent = true, all_autostart = true, any = false;
                uint32_t share = 0, weight = 0;
                bool same_quota = true;

                if (!counts)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                if (!gpu->present)
                        continue;
                for (size_t k = 0; k < o.n_instances; k++) {
                        const InstanceInfo *i = &o.instances[k];
                        if (!streq_ptr(i->gpu_address, gpu->address) || !exported(i))
                                continue;
                        const char *tn = export_type_name(&o, i);
                        size_t t;
                        for (t = 0; t < n_counts && !streq(counts[t].name, tn); t++)
                                ;
                        if (t == n_counts)
                                counts[n_counts++] = (TypeCount){tn, 0};
                        counts[t].count++;
                        all_persistent = all_persistent && i->persistent;
                        all_autostart = all_autostart && i->autostart;
                        if (!any) {
                                share = i->share;
                                weight = i->weight;
                        } else if (share != i->share || weight != i->weight)
                                same_quota = false;
                        any = true;
                }
                /* the same host, the same text: types by name, not in the order of the UUIDs */
                qsort(counts, n_counts, sizeof(*counts), type_count_compare);
                if (nvidia)
                        printf("    - devices: [%u]\n", index);
                else {
                        printf("    - devices: [");
                        put_quoted(stdout, gpu->address);
                        printf("]    # index %u, %s\n", index, strempty(gpu->name));
                }
                index++;
                if (n_counts == 0)
                        printf("      vgpu-devices: {}\n");
                else
                        printf("      vgpu-devices:\n");
                for (size_t t = 0; t < n_counts; t++) {
                        printf("        ");
                        put_quoted(stdout, counts[t].name);
                        printf(": %u\n", counts[t].count);
                }
                if (nvidia)
                        continue;
                if (gpu->sriov_configured_vfs > 0)
                        printf("      sriov-vfs: %u\n", gpu->sriov_configured_vfs);
                if (any && !all_persistent)
                        printf("      persistent: false\n");
                if (any && !all_autostart)
                        printf("      autostart: false\n");
                if (any && same_quota && share > 0)
                        printf("      quota: {share: %u}\n", share);
                else if (any && same_quota && weight > 0)
                        printf("      quota: {weight: %u}\n", weight);
        }
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}
