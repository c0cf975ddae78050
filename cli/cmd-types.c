/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `vgpuctl types [--gpu G]`: the vGPU types each GPU offers, with live availability and why 0. */
#include <getopt.h>

#include "bus-names.h"
#include "objects.h"
#include "output.h"
#include "table.h"

static json_object *type_json(const TypeInfo *t) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "id", json_string(t->id));
        json_object_object_add(j, "gpu", json_string(t->gpu_address));
        json_object_object_add(j, "backend", json_string(t->backend));
        json_object_object_add(j, "name", json_string(t->name));
        json_object_object_add(j, "aliases", json_strv(t->aliases));
        json_object_object_add(j, "description", json_string(t->description));
        json_object_object_add(j, "framebuffer_mib", json_object_new_int64((int64_t) t->framebuffer_mib));
        json_object_object_add(j, "heads", json_object_new_int64(t->heads));
        json_object_object_add(j, "max_resolution", json_string(t->max_resolution));
        json_object_object_add(j, "max_instances", json_object_new_int64(t->max_instances));
        json_object_object_add(j, "series", json_string(t->series));
        json_object_object_add(j, "device_api", json_string(t->device_api));
        json_object_object_add(j, "available", json_object_new_int64(t->available));
        json_object_object_add(j, "unavailable_reason", json_string(t->unavailable_reason));
        json_object_object_add(j, "parents", json_strv(t->parents));
        return j;
}

/* "512M", "2G", "1.5G": framebuffer sizes as vendors print them. */
static void format_mib(uint64_t mib, char buf[static 32]) {
        if (mib == 0)
                snprintf(buf, 32, "-");
        else if (mib % 1024 == 0)
                snprintf(buf, 32, "%" PRIu64 "G", mib / 1024);
        else if (mib > 1024)
                snprintf(buf, 32, "%.1fG", (double) mib / 1024.0);
        else
                snprintf(buf, 32, "%" PRIu64 "M", mib);
}

int cmd_types(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"gpu", required_argument, NULL, 'g'},
                {"quiet", no_argument, NULL, 'q'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        _cleanup_free_ char *gpu_path = NULL;
        const char *gpu = NULL;
        bool quiet = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hg:q", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("types");
                case 'J':
                        c->json = true;
                        break;
                case 'g':
                        gpu = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                default:
                        return cli_usage_error(c, "types", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "types", "unexpected argument '%s'", argv[optind]);

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        if (gpu) {
                r = cli_get_gpu(c, gpu, &gpu_path);
                if (r != EXIT_OK)
                        return r;
        }
        r = objects_fetch_of(bus, VGPUD_TYPE_IFACE, &error, &o);
        if (r < 0)
                return cli_report_error(c, "cannot list types", &error, r);

        if (c->json) {
                _cleanup_(json_object_putp) json_object *a = json_object_new_array();
                for (size_t i = 0; i < o.n_types; i++)
                        if (!gpu_path || streq_ptr(o.types[i].gpu, gpu_path))
                                json_object_array_add(a, type_json(&o.types[i]));
                return json_print(a);
        }
        if (quiet) {
                /* Every name `create --type` accepts, once each: for scripts and completion. */
                for (size_t i = 0; i < o.n_types; i++) {
                        const TypeInfo *t = &o.types[i];
                        if (gpu_path && !streq_ptr(t->gpu, gpu_path))
                                continue;
                        printf("%s\n", t->id);
                        for (size_t k = 0; t->aliases && t->aliases[k]; k++)
                                printf("%s\n", t->aliases[k]);
                }
                return EXIT_OK;
        }

        _cleanup_(table_freep) Table *t =
                table_new("GPU", "TYPE", "NAME", "ALIASES", "FB", "HEADS", "AVAIL", "MAX", "NOTE", NULL);
        if (!t)
                return EXIT_FAILED;
        for (size_t col = 4; col <= 7; col++)
                table_set_right_aligned(t, col);
        table_set_color(t, 6, color_for_available);
        for (size_t i = 0; i < o.n_types; i++) {
                const TypeInfo *ty = &o.types[i];
                char fb[32], heads[16], avail[16], max[16];
                _cleanup_free_ char *aliases = NULL;
                size_t len = 0;

                if (gpu_path && !streq_ptr(ty->gpu, gpu_path))
                        continue;
                format_mib(ty->framebuffer_mib, fb);
                snprintf(heads, sizeof(heads), "%" PRIu32, ty->heads);
                snprintf(avail, sizeof(avail), "%" PRIu32, ty->available);
                snprintf(max, sizeof(max), "%" PRIu32, ty->max_instances);
                FILE *f = open_memstream(&aliases, &len);
                if (!f)
                        return EXIT_FAILED;
                for (size_t k = 0; ty->aliases && ty->aliases[k]; k++)
                        fprintf(f, "%s%s", k ? "," : "", ty->aliases[k]);
                fclose(f);
                r = table_add_row(t, ty->gpu_address, ty->id, ty->name, isempty(aliases) ? "-" : aliases, fb,
                                  ty->heads ? heads : "-", avail, ty->max_instances ? max : "-",
                                  isempty(ty->unavailable_reason) ? "" : ty->unavailable_reason);
                if (r < 0)
                        return cli_report_error(c, "out of memory", NULL, r);
        }
        if (table_rows(t) == 0) {
                if (gpu)
                        printf("GPU %s offers no vGPU types.\n", gpu);
                else
                        printf("No vGPU types found on this host.\n");
                return EXIT_OK;
        }
        return table_print(t, stdout, c->color) < 0 ? EXIT_FAILED : EXIT_OK;
}
