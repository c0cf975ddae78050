/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SR-IOV and VFIO binding: `sriov enable GPU --vfs N`, `sriov disable GPU`,
 * `sriov show [GPU]` (Gpu.SetSriov and the Gpu's SR-IOV properties), and
 * `bind DEVICE` / `unbind DEVICE` (Manager.BindDevice / UnbindDevice).
 */
#include <getopt.h>

#include "bus-names.h"
#include "objects.h"
#include "output.h"
#include "parse-util.h"
#include "table.h"

static int set_sriov(Cli *c, const char *gpu, unsigned n, bool persistent) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        sd_bus *bus;
        int r;

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = cli_get_gpu(c, gpu, &path);
        if (r != EXIT_OK)
                return r;
        /* enabling VFs can take the kernel a while: no D-Bus timeout shorter than vgpud's own */
        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, path, VGPUD_GPU_IFACE, "SetSriov", &error, NULL,
                               "ua{sv}", n, 1, "persistent", "b", persistent);
        if (r < 0)
                return cli_report_error(c, gpu, &error, r);
        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "gpu", json_string(gpu));
                json_object_object_add(j, "num_vfs", json_object_new_int64(n));
                json_object_object_add(j, "persistent", json_object_new_boolean(persistent));
                return json_print(j);
        }
        if (n == 0)
                printf("SR-IOV disabled on %s%s.\n", gpu, persistent ? "" : " (until reboot)");
        else
                printf("%u VF(s) enabled on %s%s.\n", n, gpu, persistent ? "" : " (until reboot)");
        return EXIT_OK;
}

/* VirtualFunctions a(ssi) of one GPU, as a table or JSON. */
static int show_vfs(Cli *c, sd_bus *bus, const GpuInfo *g, json_object *j) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(table_freep) Table *t = table_new("VF", "DRIVER", "IOMMU", NULL);
        json_object *a = json_object_new_array();
        const char *vf, *driver;
        int32_t group;
        int r;

        json_object_object_add(j, "virtual_functions", a);
        r = sd_bus_get_property(bus, VGPUD_BUS_NAME, g->path, VGPUD_GPU_IFACE, "VirtualFunctions", &error,
                                &reply, "a(ssi)");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssi)");
        if (r < 0)
                return cli_report_error(c, g->address, &error, r);
        while ((r = sd_bus_message_read(reply, "(ssi)", &vf, &driver, &group)) > 0) {
                char iommu[16];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "address", json_string(vf));
                json_object_object_add(o, "driver", json_string(driver));
                json_object_object_add(o, "iommu_group", json_object_new_int(group));
                json_object_array_add(a, o);
                snprintf(iommu, sizeof(iommu), "%d", group);
                if (t && table_add_row(t, vf, isempty(driver) ? "-" : driver, group < 0 ? "-" : iommu) < 0)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        }
        if (r < 0)
                return cli_report_error(c, g->address, NULL, r);
        if (!c->json && t && table_rows(t) > 0) {
                printf("\n");
                (void) table_print(t, stdout, c->color);
        }
        return EXIT_OK;
}

static json_object *sriov_json(const GpuInfo *g) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "address", json_string(g->address));
        json_object_object_add(j, "name", json_string(g->name));
        json_object_object_add(j, "driver", json_string(g->driver));
        json_object_object_add(j, "total_vfs", json_object_new_int64(g->sriov_total_vfs));
        json_object_object_add(j, "num_vfs", json_object_new_int64(g->sriov_num_vfs));
        json_object_object_add(j, "configured_vfs", json_object_new_int64(g->sriov_configured_vfs));
        json_object_object_add(j, "status", json_string(g->sriov_status));
        return j;
}

static int sriov_show(Cli *c, const char *gpu) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        _cleanup_free_ char *path = NULL;
        sd_bus *bus;
        int r;

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        if (gpu) {
                r = cli_get_gpu(c, gpu, &path);
                if (r != EXIT_OK)
                        return r;
        }
        r = objects_fetch(bus, &error, &o);
        if (r < 0)
                return cli_report_error(c, "cannot list GPUs", &error, r);

        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        _cleanup_(table_freep) Table *t =
                table_new("ADDRESS", "NAME", "DRIVER", "TOTAL", "ENABLED", "CONFIGURED", "STATUS", NULL);
        if (!t || !a)
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        for (size_t i = 0; i < o.n_gpus; i++) {
                const GpuInfo *g = &o.gpus[i];
                char total[16], num[16], conf[16];
                if (path ? !streq(g->path, path) : g->sriov_total_vfs == 0)
                        continue;
                if (path && g->sriov_total_vfs == 0 && !c->json) {
                        printf("%s has no SR-IOV.\n", g->address);
                        return EXIT_OK;
                }
                json_object *j = sriov_json(g);
                json_object_array_add(a, j);
                snprintf(total, sizeof(total), "%u", g->sriov_total_vfs);
                snprintf(num, sizeof(num), "%u", g->sriov_num_vfs);
                snprintf(conf, sizeof(conf), "%u", g->sriov_configured_vfs);
                if (table_add_row(t, g->address, strempty(g->name), isempty(g->driver) ? "-" : g->driver,
                                  total, num, g->sriov_configured_vfs ? conf : "-",
                                  isempty(g->sriov_status) ? "-" : g->sriov_status) < 0)
                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                if (path) {
                        if (!c->json)
                                (void) table_print(t, stdout, c->color);
                        r = show_vfs(c, bus, g, j);
                        if (r != EXIT_OK)
                                return r;
                        return c->json ? json_print(j) : EXIT_OK;
                }
        }
        if (c->json)
                return json_print(a);
        if (table_rows(t) == 0) {
                printf("No GPU with SR-IOV.\n");
                return EXIT_OK;
        }
        return table_print(t, stdout, c->color) < 0 ? EXIT_FAILED : EXIT_OK;
}

int cmd_sriov(Cli *c, int argc, char *argv[]) {
        enum { ARG_NOT_PERSISTENT = 0x100 };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"vfs", required_argument, NULL, 'n'},
                {"no-persist", no_argument, NULL, ARG_NOT_PERSISTENT},
                {},
        };
        const char *vfs = NULL;
        bool persistent = true;
        unsigned n = 0;
        int opt;

        while ((opt = getopt_long(argc, argv, "hn:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("sriov");
                case 'J':
                        c->json = true;
                        break;
                case 'n':
                        vfs = optarg;
                        break;
                case ARG_NOT_PERSISTENT:
                        persistent = false;
                        break;
                default:
                        return cli_usage_error(c, "sriov", "unknown option");
                }
        argc -= optind;
        argv += optind;
        if (argc < 1)
                return cli_usage_error(c, "sriov", "expected enable, disable or show");
        const char *verb = argv[0];
        if (streq(verb, "show")) {
                if (argc > 2)
                        return cli_usage_error(c, "sriov", "show takes at most one GPU");
                if (vfs || !persistent)
                        return cli_usage_error(c, "sriov", "show takes no --vfs or --no-persist");
                return sriov_show(c, argc == 2 ? argv[1] : NULL);
        }
        if (!streq(verb, "enable") && !streq(verb, "disable"))
                return cli_usage_error(c, "sriov", "unknown subcommand '%s' (enable, disable, show)", verb);
        if (argc != 2)
                return cli_usage_error(c, "sriov", "%s takes one GPU", verb);
        if (streq(verb, "enable")) {
                if (!vfs)
                        return cli_usage_error(c, "sriov", "enable needs --vfs N");
                if (safe_atou(vfs, &n) < 0 || n == 0)
                        return cli_usage_error(c, "sriov", "--vfs must be a positive number, not '%s'", vfs);
        } else if (vfs)
                return cli_usage_error(c, "sriov", "disable takes no --vfs");
        return set_sriov(c, argv[1], n, persistent);
}

static int bind_command(Cli *c, const char *name, int argc, char *argv[]) {
        enum { ARG_GROUP = 0x100 };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"persistent", no_argument, NULL, 'p'},
                {"group", no_argument, NULL, ARG_GROUP},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        bool bind = streq(name, "bind"), persistent = false, group = false;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "hp", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help(name);
                case 'J':
                        c->json = true;
                        break;
                case 'p':
                        persistent = true;
                        break;
                case ARG_GROUP:
                        group = true;
                        break;
                default:
                        return cli_usage_error(c, name, "unknown option");
                }
        if (!bind && (persistent || group))
                return cli_usage_error(c, name, "unbind takes no --persistent or --group");
        if (argc - optind != 1)
                return cli_usage_error(c, name, "expected one PCI address");
        const char *device = argv[optind];

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                           bind ? "BindDevice" : "UnbindDevice");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", device);
        if (r >= 0 && bind)
                r = sd_bus_message_append(m, "a{sv}", 2, "persistent", "b", persistent, "group", "b", group);
        else if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, NULL);
        if (r < 0)
                return cli_report_error(c, device, &error, r);
        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "device", json_string(device));
                json_object_object_add(j, "result", json_string(bind ? "bound" : "unbound"));
                if (bind)
                        json_object_object_add(j, "persistent", json_object_new_boolean(persistent));
                return json_print(j);
        }
        if (bind)
                printf("%s bound to vfio-pci%s.\n", device, persistent ? " (persistent)" : "");
        else
                printf("%s given back to its driver.\n", device);
        return EXIT_OK;
}

int cmd_bind(Cli *c, int argc, char *argv[]) {
        return bind_command(c, "bind", argc, argv);
}

int cmd_unbind(Cli *c, int argc, char *argv[]) {
        return bind_command(c, "unbind", argc, argv);
}
