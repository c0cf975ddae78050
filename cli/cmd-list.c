/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl list [--defined|--all]` and `vgpuctl show UUID`: instances, from
 * one GetManagedObjects call whatever their number (see vgpuctl(8)).
 */
#include <getopt.h>
#include <strings.h>

#include "bus-names.h"
#include "engine-info.h"
#include "objects.h"
#include "output.h"
#include "quota.h"
#include "table.h"

static const char *start_mode(const InstanceInfo *i) {
        if (i->autostart)
                return "auto";
        return i->persistent ? "manual" : "transient";
}

static json_object *instance_json(const InstanceInfo *i) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "uuid", json_string(i->uuid));
        json_object_object_add(j, "gpu", json_string(i->gpu_address));
        json_object_object_add(j, "parent", json_string(i->parent));
        json_object_object_add(j, "type", json_string(i->type));
        json_object_object_add(j, "type_name", json_string(i->type_name));
        json_object_object_add(j, "backend", json_string(i->backend));
        json_object_object_add(j, "device", json_string(i->device));
        json_object_object_add(j, "iommu_group", json_object_new_int(i->iommu_group));
        json_object_object_add(j, "state", json_string(i->state));
        json_object_object_add(j, "persistent", json_object_new_boolean(i->persistent));
        json_object_object_add(j, "autostart", json_object_new_boolean(i->autostart));
        json_object *attrs = json_object_new_array();
        for (size_t k = 0; k < i->n_attributes; k++) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, i->attributes[k].key, json_string(i->attributes[k].value));
                json_object_array_add(attrs, a);
        }
        json_object_object_add(j, "attributes", attrs);
        json_object_object_add(j, "origin", json_string(i->origin));
        json_object_object_add(j, "start_status", json_string(i->start_status));
        json_object_object_add(j, "owner", json_string(i->owner));
        json_object_object_add(j, "owner_source", json_string(i->owner_source));
        json_object_object_add(j, "share", json_object_new_int64(i->share));
        json_object_object_add(j, "weight", json_object_new_int64(i->weight));
        /* null where there is no number: best-effort's entitlement, a vendor backend's measurement */
        json_object_object_add(j, "configured_share",
                               i->configured_share >= 0 ? json_object_new_double(i->configured_share)
                                                        : NULL);
        json_object_object_add(j, "measured_share",
                               i->measured_share >= 0 ? json_object_new_double(i->measured_share) : NULL);
        return j;
}

typedef enum ListFilter {
        LIST_CREATED, /* what exists on the host (the default) */
        LIST_DEFINED, /* persistent definitions, existing or not */
        LIST_ALL,
} ListFilter;

static bool list_wants(ListFilter f, const InstanceInfo *i) {
        switch (f) {
        case LIST_CREATED:
                return !streq_ptr(i->state, "defined");
        case LIST_DEFINED:
                return i->persistent;
        case LIST_ALL:
                return true;
        }
        return false;
}

int cmd_list(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},    {"json", no_argument, NULL, 'J'},
                {"defined", no_argument, NULL, 'd'}, {"all", no_argument, NULL, 'a'},
                {"quiet", no_argument, NULL, 'q'},   {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        ListFilter filter = LIST_CREATED;
        bool quiet = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hdaq", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("list");
                case 'J':
                        c->json = true;
                        break;
                case 'd':
                        if (filter == LIST_ALL)
                                return cli_usage_error(c, "list", "--defined and --all exclude each other");
                        filter = LIST_DEFINED;
                        break;
                case 'a':
                        if (filter == LIST_DEFINED)
                                return cli_usage_error(c, "list", "--defined and --all exclude each other");
                        filter = LIST_ALL;
                        break;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return cli_usage_error(c, "list", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "list", "unexpected argument '%s'", argv[optind]);

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = objects_fetch_of(bus, VGPUD_INSTANCE_IFACE, &error, &o);
        if (r < 0)
                return cli_report_error(c, "cannot list instances", &error, r);

        if (c->json) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_array();
                for (size_t i = 0; i < o.n_instances; i++)
                        if (list_wants(filter, &o.instances[i]))
                                json_object_array_add(a, instance_json(&o.instances[i]));
                return json_print(a);
        }
        if (quiet) {
                for (size_t i = 0; i < o.n_instances; i++)
                        if (list_wants(filter, &o.instances[i]))
                                printf("%s\n", o.instances[i].uuid);
                return EXIT_OK;
        }

        _cleanup_(table_freep) Table *t =
                table_new("UUID", "GPU", "TYPE", "NAME", "BACKEND", "DEVICE", "STATE", "START", "ORIGIN",
                          "OWNER", "SHARE", "MEASURED", NULL);
        if (!t)
                return EXIT_FAILED;
        table_set_color(t, 6, color_for_state);
        for (size_t i = 0; i < o.n_instances; i++) {
                const InstanceInfo *in = &o.instances[i];
                if (!list_wants(filter, in))
                        continue;
                char conf[16], meas[16];
                r = table_add_row(t, in->uuid, in->gpu_address, in->type, in->type_name, in->backend,
                                  isempty(in->device) ? "-" : in->device, in->state, start_mode(in),
                                  in->origin, isempty(in->owner) ? "-" : in->owner,
                                  quota_format_share(in->configured_share, conf),
                                  quota_format_share(in->measured_share, meas));
                if (r < 0)
                        return cli_report_error(c, "out of memory", NULL, r);
        }
        if (table_rows(t) == 0) {
                printf(filter == LIST_CREATED   ? "No vGPU instances exist.\n"
                       : filter == LIST_DEFINED ? "No vGPU instances are defined.\n"
                                                : "No vGPU instances.\n");
                return EXIT_OK;
        }
        return table_print(t, stdout, c->color) < 0 ? EXIT_FAILED : EXIT_OK;
}

int cmd_show(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(instance_info_done)
                InstanceInfo info = {.iommu_group = -1, .configured_share = -1, .measured_share = -1};
        _cleanup_free_ char *path = NULL;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("show");
                case 'J':
                        c->json = true;
                        break;
                default:
                        return cli_usage_error(c, "show", "unknown option");
                }
        if (argc - optind != 1)
                return cli_usage_error(c, "show", "expected one UUID");
        const char *uuid = argv[optind];

        /* GetInstance first: it validates the UUID and names the error precisely. */
        r = cli_get_instance(c, uuid, &path);
        if (r != EXIT_OK)
                return r;
        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = instance_fetch(bus, path, &error, &info);
        if (r < 0)
                return cli_report_error(c, uuid, &error, r);
        const InstanceInfo *in = &info;
        _cleanup_(engine_info_done) EngineInfo engine = {.measured_share = -1};
        bool rpc = streq_ptr(in->backend, "rpc");
        if (rpc) {
                r = engine_info_fetch(bus, path, &error, &engine);
                if (r < 0)
                        return cli_report_error(c, uuid, &error, r);
        }

        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = instance_json(in);
                if (rpc)
                        json_object_object_add(j, "engine", engine_info_json(&engine));
                return json_print(j);
        }

        const char *state_color = c->color ? color_for_state(strempty(in->state)) : NULL;
        printf("UUID:        %s\n", in->uuid);
        printf("State:       %s%s%s\n", state_color ?: "", strempty(in->state),
               state_color ? "\033[0m" : "");
        printf("Type:        %s (%s)\n", strempty(in->type_name), strempty(in->type));
        printf("GPU:         %s\n", strempty(in->gpu_address));
        printf("Parent:      %s\n", strempty(in->parent));
        printf("Backend:     %s\n", strempty(in->backend));
        printf("Device:      %s\n", isempty(in->device) ? "-" : in->device);
        if (in->iommu_group >= 0)
                printf("IOMMU group: %d (/dev/vfio/%d)\n", in->iommu_group, in->iommu_group);
        else
                printf("IOMMU group: -\n");
        printf("Start:       %s\n", start_mode(in));
        printf("Origin:      %s\n", strempty(in->origin));
        if (!isempty(in->start_status))
                printf("Status:      %s\n", in->start_status);
        if (isempty(in->owner))
                printf("Owner:       -\n");
        else
                printf("Owner:       %s (%s)\n", in->owner,
                       streq_ptr(in->owner_source, "hook") ? "started through the libvirt hook"
                                                           : "seen in libvirt's running domains");
        char conf[16], meas[16];
        if (in->share > 0)
                printf("Quota:       share %u %%\n", in->share);
        else if (in->weight > 0)
                printf("Quota:       weight %u\n", in->weight);
        else
                printf("Quota:       -\n");
        printf("Share:       configured %s, measured %s\n", quota_format_share(in->configured_share, conf),
               quota_format_share(in->measured_share, meas));
        if (in->n_attributes == 0)
                printf("Attributes:  -\n");
        for (size_t k = 0; k < in->n_attributes; k++)
                printf("%s %s=%s\n", k == 0 ? "Attributes: " : "            ", in->attributes[k].key,
                       in->attributes[k].value);
        if (rpc)
                engine_info_print(&engine);
        return EXIT_OK;
}
