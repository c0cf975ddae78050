/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `vgpuctl gpus`: the physical GPUs vgpud sees, with what they host. */
#include <getopt.h>

#include "bus-names.h"
#include "objects.h"
#include "output.h"
#include "strutil.h"
#include "table.h"

/* A software GPU of vgpud's engine is shown by its id (rpcN): its address is a synthetic one (ffff:NN:00.0).
 */
static const char *gpu_display_address(const GpuInfo *g) {
        return startswith(strempty(g->id), "rpc") ? g->id : g->address;
}

static json_object *gpu_json(const GpuInfo *g) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "id", json_string(g->id));
        json_object_object_add(j, "address", json_string(g->address));
        json_object_object_add(j, "vendor_id", json_object_new_int(g->vendor_id));
        json_object_object_add(j, "device_id", json_object_new_int(g->device_id));
        json_object_object_add(j, "vendor", json_string(g->vendor));
        json_object_object_add(j, "name", json_string(g->name));
        json_object_object_add(j, "driver", json_string(g->driver));
        json_object_object_add(j, "iommu_group", json_object_new_int(g->iommu_group));
        json_object_object_add(j, "present", json_object_new_boolean(g->present));
        json_object_object_add(j, "backends", json_strv(g->backends));
        json_object_object_add(j, "hosted_type", json_string(g->hosted_type));
        json_object_object_add(j, "types", json_object_new_int((int) strv_count(g->types)));
        json_object_object_add(j, "instances", json_object_new_int((int) strv_count(g->instances)));
        json_object_object_add(j, "sriov_total_vfs", json_object_new_int64(g->sriov_total_vfs));
        json_object_object_add(j, "sriov_num_vfs", json_object_new_int64(g->sriov_num_vfs));
        json_object_object_add(j, "sriov_configured_vfs", json_object_new_int64(g->sriov_configured_vfs));
        json_object_object_add(j, "sriov_status", json_string(g->sriov_status));
        return j;
}

int cmd_gpus(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"quiet", no_argument, NULL, 'q'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        bool quiet = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hq", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("gpus");
                case 'J':
                        c->json = true;
                        break;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return cli_usage_error(c, "gpus", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "gpus", "unexpected argument '%s'", argv[optind]);

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = objects_fetch_of(bus, VGPUD_GPU_IFACE, &error, &o);
        if (r < 0)
                return cli_report_error(c, "cannot list GPUs", &error, r);

        if (c->json) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_array();
                for (size_t i = 0; i < o.n_gpus; i++)
                        json_object_array_add(a, gpu_json(&o.gpus[i]));
                return json_print(a);
        }
        if (quiet) {
                for (size_t i = 0; i < o.n_gpus; i++)
                        printf("%s\n", gpu_display_address(&o.gpus[i]));
                return EXIT_OK;
        }

        _cleanup_(table_freep) Table *t = table_new("ADDRESS", "NAME", "DRIVER", "IOMMU", "BACKENDS",
                                                    "TYPES", "INSTANCES", "HOSTS", "VFS", NULL);
        if (!t)
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        table_set_right_aligned(t, 3);
        table_set_right_aligned(t, 5);
        table_set_right_aligned(t, 6);
        for (size_t i = 0; i < o.n_gpus; i++) {
                const GpuInfo *g = &o.gpus[i];
                char iommu[16], types[16], inst[16];
                _cleanup_free_ char *backends = NULL, *name = NULL, *vfs = NULL;
                size_t len = 0;

                snprintf(iommu, sizeof(iommu), "%d", g->iommu_group);
                snprintf(types, sizeof(types), "%zu", strv_count(g->types));
                snprintf(inst, sizeof(inst), "%zu", strv_count(g->instances));
                FILE *f = open_memstream(&backends, &len);
                if (!f)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                for (size_t k = 0; g->backends && g->backends[k]; k++)
                        fprintf(f, "%s%s", k ? "," : "", g->backends[k]);
                fclose(f);
                if (asprintf(&name, "%s%s", strempty(g->name), g->present ? "" : " (absent)") < 0)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                /* enabled/total, and what a restoration waits for */
                bool sriov_ok = isempty(g->sriov_status) || streq(g->sriov_status, "ok");
                if (g->sriov_total_vfs == 0)
                        vfs = strdup("-");
                else if (asprintf(&vfs, "%u/%u%s%s%s", g->sriov_num_vfs, g->sriov_total_vfs,
                                  sriov_ok ? "" : " (", sriov_ok ? "" : g->sriov_status,
                                  sriov_ok ? "" : ")") < 0)
                        vfs = NULL;
                if (!vfs)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                r = table_add_row(t, gpu_display_address(g), name, isempty(g->driver) ? "-" : g->driver,
                                  g->iommu_group < 0 ? "-" : iommu, isempty(backends) ? "-" : backends,
                                  types, inst, isempty(g->hosted_type) ? "-" : g->hosted_type, vfs);
                if (r < 0)
                        return cli_report_error(c, "out of memory", NULL, r);
        }
        if (table_rows(t) == 0) {
                printf("No GPUs found.\n");
                return EXIT_OK;
        }
        return table_print(t, stdout, c->color) < 0 ? EXIT_FAILED : EXIT_OK;
}
