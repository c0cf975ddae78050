/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Manager.Diagnose: the host checks behind `vgpuctl doctor`. They run in the
 * daemon because the daemon is the one that sees the host (sysfs through its
 * model, the kernel command line, the udev rules, its own records); the CLI
 * only adds what it alone can tell (that vgpud is unreachable). Each check is
 * one function in a table; each finding says what is wrong, on which object,
 * and what to do about it. Nothing here changes the host.
 */
#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bus-names.h"
#include "bus-options.h"
#include "fileio.h"
#include "gpu.h"
#include "hashmap.h"
#include "host.h"
#include "instance.h"
#include "manager.h"
#include "strutil.h"
#include "sysfs.h"

typedef struct Diagnosis {
        sd_bus_message *reply; /* the open a(sssss) array */
        size_t n;
} Diagnosis;

static int add(Diagnosis *d, const char *severity, const char *check, const char *object, const char *fix,
               const char *fmt, ...) _printf_(6, 7);

static int add(Diagnosis *d, const char *severity, const char *check, const char *object, const char *fix,
               const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&message, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        d->n++;
        return sd_bus_message_append(d->reply, "(sssss)", severity, check, strempty(object), message,
                                     strempty(fix));
}

/* Number of entries in a directory below the sysfs root; -errno if it cannot be opened. */
static int count_entries(const char *root, const char *rel) {
        _cleanup_free_ char *path = sysfs_path(root, "%s", rel);
        if (!path)
                return -ENOMEM;
        DIR *dir = opendir(path);
        if (!dir)
                return -errno;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(dir)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(dir);
        return n;
}

static bool sysfs_exists(const char *root, const char *rel) {
        _cleanup_free_ char *path = sysfs_path(root, "%s", rel);
        return path && access(path, F_OK) == 0;
}

/* IOMMU groups are what VFIO hands to a VM; without any, no vGPU can be used. */
static int check_iommu(Manager *m, Diagnosis *d) {
        _cleanup_free_ char *cmdline = NULL;
        int n = count_entries(m->host->sysfs_root, SYSFS_IOMMU_GROUPS);

        if (n > 0)
                return 0;
        (void) read_full_file(PROC_ROOT "/cmdline", 64 * 1024, &cmdline, NULL);
        if (cmdline)
                cmdline[strcspn(cmdline, "\n")] = 0;
        const char *off = cmdline && (strstr(cmdline, "intel_iommu=off") || strstr(cmdline, "amd_iommu=off"))
                                  ? "; the kernel command line turns it off"
                                  : "";
        return add(
                d, "error", "iommu", "",
                "Enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware setup and boot with "
                "intel_iommu=on iommu=pt (Intel) or amd_iommu=on iommu=pt (AMD) on the kernel command line "
                "(GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub and reboot)",
                "The IOMMU is off: /sys/kernel/iommu_groups has no groups%s (kernel command line: %s), "
                "so VFIO cannot give any device to a VM",
                off, isempty(cmdline) ? "empty" : cmdline);
}

/* Is a module available to modprobe (built in, or in modules.dep of the running kernel)? */
static bool module_available(const char *module) {
        struct utsname u;
        if (uname(&u) < 0)
                return false;
        static const char *const lists[] = {"modules.builtin", "modules.dep"};
        _cleanup_free_ char *dash = strdup(module);
        if (!dash)
                return false;
        for (char *p = dash; *p; p++)
                if (*p == '_')
                        *p = '-';
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                if (asprintf(&path, "/lib/modules/%s/%s", u.release, lists[i]) < 0)
                        return false;
                if (read_full_file(path, 64 * 1024 * 1024, &text, NULL) < 0)
                        continue;
                /* Lines name the module file: ".../vfio-pci.ko[.xz]:" or ".../vfio_pci.ko". */
                for (const char *names[] = {module, dash}, **n = names; n < names + 2; n++) {
                        _cleanup_free_ char *needle = NULL;
                        if (asprintf(&needle, "/%s.ko", *n) < 0)
                                return false;
                        if (strstr(text, needle))
                                return true;
                }
        }
        return false;
}

/* Does any driver serve the mdev bus? Up to Linux 5.15 that was vfio_mdev; since 5.16 each parent's
 * driver registers its own (nvidia, mbochs, ...) and vfio_mdev is gone: any one will do. */
static bool mdev_bus_has_driver(const char *sysfs_root) {
        _cleanup_free_ char *path = sysfs_path(sysfs_root, "bus/mdev/drivers");
        DIR *dir = path ? opendir(path) : NULL;
        struct dirent *de;
        bool found = false;

        while (dir && !found && (de = readdir(dir)))
                found = de->d_name[0] != '.';
        if (dir)
                closedir(dir);
        return found;
}

/* The VFIO drivers: vfio-pci for VFs and passthrough, a driver of the mdev bus for mdevs. */
static int check_vfio(Manager *m, Diagnosis *d) {
        static const struct {
                const char *driver_dir; /* below the sysfs root, present when the driver is registered */
                const char *module;
                const char *what;
        } drivers[] = {
                {SYSFS_PCI_DRIVERS "/vfio-pci", "vfio_pci", "VFs and whole GPUs cannot be given to VMs"},
                {"bus/mdev/drivers/vfio_mdev", "vfio_mdev", "mdev vGPUs cannot be opened by VMs"},
        };
        bool need_mdev = m->host->n_parents > 0;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(drivers); i++) {
                if (sysfs_exists(m->host->sysfs_root, drivers[i].driver_dir))
                        continue;
                if (streq(drivers[i].module, "vfio_mdev") && mdev_bus_has_driver(m->host->sysfs_root))
                        continue;
                if (streq(drivers[i].module, "vfio_mdev") && !need_mdev)
                        continue;
                _cleanup_free_ char *fix = NULL;
                const char *dash = streq(drivers[i].module, "vfio_pci") ? "vfio-pci" : drivers[i].module;
                if (module_available(drivers[i].module)) {
                        if (asprintf(&fix,
                                     "modprobe %s, and load it at boot: echo %s > "
                                     "/etc/modules-load.d/vfio.conf",
                                     dash, dash) < 0)
                                return -ENOMEM;
                        r = add(d, "warning", "vfio", dash, fix,
                                "The %s driver is not loaded (the module is available): %s", dash,
                                drivers[i].what);
                } else {
                        if (asprintf(&fix,
                                     "Install a kernel built with VFIO (CONFIG_VFIO_PCI, CONFIG_VFIO_MDEV; "
                                     "Debian's linux-image packages are), then modprobe %s",
                                     dash) < 0)
                                return -ENOMEM;
                        r = add(d, "error", "vfio", dash, fix,
                                "The %s driver is missing: it is not loaded and this kernel has no %s "
                                "module: %s",
                                dash, dash, drivers[i].what);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The host driver that makes a GPU of this vendor offer vGPUs, and how to get it. */
static const struct vendor_driver {
        uint16_t vendor_id;
        const char *driver;
        const char *install;
} vendor_drivers[] = {
        {0x10de, "nvidia",
         "install NVIDIA's vGPU host driver (the nvidia-vgpu-kvm / vGPU Manager package) "
         "and modprobe nvidia"},
        {0x8086, "i915",
         "modprobe i915 (GVT-g also needs i915.enable_gvt=1 on the kernel command line; SR-IOV "
         "GPUs need the xe/i915 driver with SR-IOV support)"},
        {0x1002, "amdgpu", "install the GIM/amdgpu SR-IOV host driver and modprobe it"},
};

static const struct vendor_driver *vendor_driver_for(uint16_t vendor_id) {
        for (size_t i = 0; i < ELEMENTSOF(vendor_drivers); i++)
                if (vendor_drivers[i].vendor_id == vendor_id)
                        return &vendor_drivers[i];
        return NULL;
}

/* Physical GPUs without their vendor's driver: unbound (driver missing or not probed) or bound to another.
 */
static int check_drivers(Manager *m, Diagnosis *d) {
        struct vgpu_gpu *g;
        int r;

        for (size_t i = 0; (g = host_next_physical_gpu(m->host, &i));) {
                const struct vendor_driver *v = vendor_driver_for(g->vendor_id);
                if (!v || streq_ptr(g->driver, v->driver))
                        continue;
                _cleanup_free_ char *fix = NULL, *drv_dir = NULL;
                if (asprintf(&drv_dir, SYSFS_PCI_DRIVERS "/%s", v->driver) < 0)
                        return -ENOMEM;
                bool loaded = sysfs_exists(m->host->sysfs_root, drv_dir);
                if (!g->driver && !loaded) {
                        r = add(d, "error", "vendor-driver", g->bdf, v->install,
                                "GPU %s has no driver: the %s driver is not loaded, so it offers no vGPU "
                                "types",
                                g->bdf, v->driver);
                } else if (!g->driver) {
                        if (asprintf(&fix, "echo %s > /sys/bus/pci/drivers/%s/bind", g->bdf, v->driver) < 0)
                                return -ENOMEM;
                        r = add(d, "warning", "vendor-driver", g->bdf, fix,
                                "GPU %s has no driver although %s is loaded, so it offers no vGPU types",
                                g->bdf, v->driver);
                } else {
                        if (asprintf(&fix,
                                     "If it is not meant for passthrough: driverctl unset-override %s (or "
                                     "echo %s "
                                     "> /sys/bus/pci/devices/%s/driver/unbind; echo %s > "
                                     "/sys/bus/pci/drivers/%s/bind)%s",
                                     g->bdf, g->bdf, g->bdf, g->bdf, v->driver,
                                     loaded ? "" : "; the driver is not loaded yet either") < 0)
                                return -ENOMEM;
                        r = add(d, "warning", "wrong-driver", g->bdf, fix,
                                "GPU %s is bound to %s instead of %s: it offers no vGPU types (fine if it "
                                "is "
                                "passed through whole to one VM)",
                                g->bdf, g->driver, v->driver);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* NVIDIA's one-type rule: explain, per GPU, why its other types show 0. */
static int check_one_type(Manager *m, Diagnosis *d) {
        size_t it = 0;
        const char *key;
        void *v;
        int r;

        while (strmap_iterate(m->gpus, &it, &key, &v)) {
                GpuObject *g = v;
                const char *hosted = g->gpu ? gpu_object_hosted_type(g) : "";
                if (isempty(hosted))
                        continue;
                size_t zero = 0;
                for (size_t k = 0; k < g->n_types; k++)
                        if (g->types[k]->available == 0 && !isempty(g->types[k]->unavailable_reason))
                                zero++;
                if (zero == 0)
                        continue;
                /* Which instances hold the GPU: the first few UUIDs. */
                _cleanup_free_ char *holders = NULL;
                size_t n_holders = 0, j = 0;
                const char *k2;
                void *v2;
                while (strmap_iterate(m->instances, &j, &k2, &v2)) {
                        Instance *in = v2;
                        if (!in->live || !streq_ptr(instance_gpu_address(in), g->address))
                                continue;
                        if (n_holders++ < 3) {
                                char *n = NULL;
                                if (asprintf(&n, "%s%s%s", strempty(holders), holders ? ", " : "",
                                             in->uuid) < 0)
                                        return -ENOMEM;
                                free(holders);
                                holders = n;
                        }
                }
                _cleanup_free_ char *fix = NULL;
                if (asprintf(&fix,
                             "To offer another type on %s, destroy its %s instances (vgpuctl destroy UUID); "
                             "or "
                             "create the other type on a GPU that hosts nothing yet",
                             g->address, hosted) < 0)
                        return -ENOMEM;
                r = add(d, "info", "one-type", g->address, fix,
                        "GPU %s hosts %s (instance%s %s%s): its %zu other types show 0 available because "
                        "this "
                        "driver allows one type per GPU",
                        g->address, hosted, n_holders > 1 ? "s" : "", strempty(holders),
                        n_holders > 3 ? ", …" : "", zero);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The udev rule mdevctl installs starts its definitions when a parent appears; a rule that runs a
 * program that is not there fails at every boot, silently. /etc overrides /run overrides /usr/lib. */
static int check_mdevctl_rule(Manager *m, Diagnosis *d) {
        int r;
        static const char *const dirs[] = {"/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d",
                                           "/lib/udev/rules.d"};
        _cleanup_free_ char *text = NULL, *path = NULL;

        for (size_t i = 0; i < ELEMENTSOF(dirs) && !text; i++) {
                free(path);
                if (asprintf(&path, "%s/60-mdevctl.rules", dirs[i]) < 0)
                        return -ENOMEM;
                if (read_full_file(path, 1024 * 1024, &text, NULL) < 0)
                        text = NULL;
        }
        if (!text)
                return 0;

        /* Every absolute path in a RUN+= value that names a program (the first word, and for
         * "/bin/sh -c '...'" every path in the script whose last component is mdevctl). */
        for (char *line = text, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (line[strspn(line, " \t")] == '#')
                        continue;
                char *run = strstr(line, "RUN+=\"");
                if (!run)
                        continue;
                run += STRLEN("RUN+=\"");
                char *end = strchr(run, '"');
                if (end)
                        *end = 0;
                for (char *p = run; (p = strchr(p, '/'));) {
                        size_t len = strcspn(p, " \t'\";|&)}");
                        _cleanup_free_ char *prog = strndup(p, len);
                        if (!prog)
                                return -ENOMEM;
                        const char *base = strrchr(prog, '/') + 1;
                        bool first_word = p == run;
                        p += len;
                        if (!first_word && !streq(base, "mdevctl"))
                                continue;
                        if (access(prog, X_OK) == 0)
                                continue;
                        /* Debian 12's rule names /usr/sbin/mdevctl while the package installs
                         * /usr/bin/mdevctl: say where the program really is, if it is anywhere. */
                        static const char *const bindirs[] = {"/usr/bin", "/usr/sbin", "/usr/local/bin",
                                                              "/usr/local/sbin"};
                        _cleanup_free_ char *fix = NULL, *found = NULL;
                        for (size_t k = 0; k < ELEMENTSOF(bindirs) && !found; k++) {
                                if (asprintf(&found, "%s/%s", bindirs[k], base) < 0)
                                        return -ENOMEM;
                                if (access(found, X_OK) < 0) {
                                        free(found);
                                        found = NULL;
                                }
                        }
                        if (found)
                                r = asprintf(
                                        &fix,
                                        "%s is installed as %s: copy the rule to "
                                        "/etc/udev/rules.d/60-mdevctl.rules "
                                        "with %s replaced by %s (sed 's|%s|%s|g' %s > "
                                        "/etc/udev/rules.d/60-mdevctl.rules), then udevadm control --reload",
                                        base, found, prog, found, prog, found, path);
                        else
                                r = asprintf(
                                        &fix,
                                        "Install mdevctl (apt-get install mdevctl), or remove the rule if "
                                        "vgpud's autostart replaces it (an empty /etc/udev/rules.d/"
                                        "60-mdevctl.rules masks it), then udevadm control --reload");
                        if (r < 0)
                                return -ENOMEM;
                        return add(d, "warning", "mdevctl-udev-rule", path, fix,
                                   "mdevctl's udev rule %s runs %s, which does not exist: mdevctl's "
                                   "definitions are not started when their parent appears",
                                   path, prog);
                }
        }
        return 0;
}

/* Instances: definitions whose parent is gone, devices that nothing defines. Live, not the start-up
 * findings: the host may have changed since. */
static int check_instances(Manager *m, Diagnosis *d) {
        size_t it = 0;
        const char *key;
        void *v;
        int r;

        while (strmap_iterate(m->instances, &it, &key, &v)) {
                Instance *i = v;
                _cleanup_free_ char *fix = NULL;
                if (i->live && !i->record) {
                        if (asprintf(&fix,
                                     "'vgpuctl define %s' keeps it; 'vgpuctl destroy %s' removes it (check "
                                     "first "
                                     "that no VM uses it)",
                                     i->uuid, i->uuid) < 0)
                                return -ENOMEM;
                        r = add(d, "warning", "orphan", i->uuid, fix,
                                "Instance %s (%s on %s) exists but nothing defines it: it was made outside "
                                "vgpud and mdevctl and will not come back after a reboot",
                                i->uuid, strna(instance_type_id(i)), strna(instance_parent(i)));
                        if (r < 0)
                                return r;
                        continue;
                }
                const char *parent = instance_parent(i);
                if (i->live || !i->record || !i->record->persistent || isempty(parent) ||
                    host_find_parent(m->host, parent))
                        continue;
                if (asprintf(&fix,
                             "If %s is gone for good: 'vgpuctl undefine %s', or define it again on another "
                             "GPU; "
                             "if it should be there: check that it is plugged in and bound to its vendor "
                             "driver (lspci -k -s %s)",
                             parent, i->uuid, parent) < 0)
                        return -ENOMEM;
                r = add(d, i->record->autostart ? "warning" : "info", "parent-missing", i->uuid, fix,
                        "Instance %s is defined on %s, which is not present%s", i->uuid, parent,
                        i->record->autostart ? ": its autostart waits for it" : "");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Start-up findings that no live check recomputes (corrupt records, conflicts, autostart give-ups). */
static int check_startup_findings(Manager *m, Diagnosis *d) {
        static const char *const live[] = {"orphan", "missing", "parent-missing"};
        int r;

        for (size_t i = 0; i < m->n_findings; i++) {
                const Finding *f = &m->findings[i];
                bool recomputed = false;
                for (size_t k = 0; k < ELEMENTSOF(live); k++)
                        recomputed = recomputed || streq(f->kind, live[k]);
                if (recomputed)
                        continue;
                r = add(d, f->severity, f->kind, f->object,
                        "See vgpud's log (journalctl -u vgpud) for the details; the finding stays until "
                        "vgpud "
                        "restarts",
                        "%s", f->message);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const struct {
        const char *name;
        int (*run)(Manager *m, Diagnosis *d);
} checks[] = {
        {"iommu", check_iommu},
        {"vfio", check_vfio},
        {"drivers", check_drivers},
        {"one-type", check_one_type},
        {"mdevctl-udev-rule", check_mdevctl_rule},
        {"instances", check_instances},
        {"startup", check_startup_findings},
};

int manager_diagnose(Manager *m, sd_bus_message *call, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = bus_read_options(call, NULL, 0, NULL, NULL, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssss)");
        if (r < 0)
                return r;
        Diagnosis d = {.reply = reply};
        for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
                r = checks[i].run(m, &d);
                if (r < 0)
                        return sd_bus_error_set_errnof(error, -r, "Diagnose: check %s failed: %m",
                                                       checks[i].name);
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
