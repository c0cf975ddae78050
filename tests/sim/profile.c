/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading hardware profiles and vGPU type catalogs (json-c). Every field is
 * validated with a message that names the file and the entry, so a typo in a
 * profile is an error at start, never a strange host.
 */
#include "profile.h"

#include <json.h>
#include <limits.h>
#include <stdio.h>

#include "sim-util.h"

static void json_putp(json_object **j) {
        if (*j)
                json_object_put(*j);
}
#define _cleanup_json_ _cleanup_(json_putp)

struct ctx {
        const char *file;
        char **error;
};

_printf_(2, 3) static int fail(struct ctx *c, const char *fmt, ...) {
        va_list ap;
        char *msg;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        free(*c->error);
        *c->error = xasprintf("%s: %s", c->file, msg);
        free(msg);
        return -EINVAL;
}

int pci_address_parse(const char *s, unsigned *domain, unsigned *bus, unsigned *devfn) {
        unsigned d, b, dev, fn;
        int n = 0;
        if (strlen(s) != 12 || sscanf(s, "%4x:%2x:%2x.%1u%n", &d, &b, &dev, &fn, &n) != 4 || n != 12 ||
            dev > 31 || fn > 7)
                return -EINVAL;
        for (const char *p = s; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                        return -EINVAL; /* sysfs names are lower-case */
        *domain = d;
        *bus = b;
        *devfn = dev << 3 | fn;
        return 0;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* A number given as JSON integer or as a "0x..." / decimal string. */
static int get_uint(struct ctx *c, json_object *o, const char *where, const char *key,
                    unsigned long long max, bool required, unsigned long long def, unsigned long long *ret) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v)) {
                if (required)
                        return fail(c, "%s: missing \"%s\"", where, key);
                *ret = def;
                return 0;
        }
        unsigned long long x;
        if (json_object_is_type(v, json_type_int)) {
                int64_t i = json_object_get_int64(v);
                if (i < 0)
                        return fail(c, "%s: \"%s\" must not be negative", where, key);
                x = (unsigned long long) i;
        } else if (json_object_is_type(v, json_type_string)) {
                const char *s = json_object_get_string(v);
                if (kstrtoull(s, strlen(s), 0, &x) < 0 || strchr(s, '\n'))
                        return fail(c, "%s: \"%s\" is not a number: \"%s\"", where, key, s);
        } else
                return fail(c, "%s: \"%s\" must be a number", where, key);
        if (x > max)
                return fail(c, "%s: \"%s\" is out of range (max %llu)", where, key, max);
        *ret = x;
        return 0;
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static void catalog_free(struct type_catalog *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_types; i++) {
                struct vgpu_type *t = &c->types[i];
                free(t->id);
                free(t->name);
                free(t->device_api);
                free(t->max_resolution);
                free(t->resolution);
                free(t->description);
        }
        free(c->types);
        free(c->name);
        free(c->vendor);
        free(c);
}

static int catalog_load(const char *dir, const char *name, struct type_catalog **ret, char **error) {
        _cleanup_free_ char *path = xasprintf("%s/types/%s.json", dir, name);
        struct ctx c = {.file = path, .error = error};
        if (strchr(name, '/') || name[0] == '.')
                return fail(&c, "bad catalog name");
        _cleanup_json_ json_object *root = json_object_from_file(path);
        if (!root)
                return fail(&c, "cannot read: %s", json_util_get_last_err() ?: "unknown error");
        const char *vendor = get_str(root, "vendor");
        if (!vendor || (!streq(vendor, "nvidia") && !streq(vendor, "gvtg") && !streq(vendor, "sample")))
                return fail(&c, "\"vendor\" must be \"nvidia\", \"gvtg\" or \"sample\"");
        json_object *types;
        if (!json_object_object_get_ex(root, "types", &types) ||
            !json_object_is_type(types, json_type_array) || json_object_array_length(types) == 0)
                return fail(&c, "\"types\" must be a non-empty array");

        struct type_catalog *cat = xmalloc0(sizeof(*cat));
        cat->name = xstrdup(name);
        cat->vendor = xstrdup(vendor);
        cat->n_types = json_object_array_length(types);
        cat->types = xmalloc0(cat->n_types * sizeof(*cat->types));
        bool gvt = streq(vendor, "gvtg"), sample = streq(vendor, "sample");
        for (size_t i = 0; i < cat->n_types; i++) {
                json_object *o = json_object_array_get_idx(types, i);
                struct vgpu_type *t = &cat->types[i];
                char where[32];
                snprintf(where, sizeof(where), "types[%zu]", i);
                unsigned long long v;
                int r;
                json_object *idv;
                if (!json_object_is_type(o, json_type_object)) {
                        catalog_free(cat);
                        return fail(&c, "%s: must be an object", where);
                }
                if (json_object_object_get_ex(o, "id", &idv) && json_object_is_type(idv, json_type_int)) {
                        int64_t n = json_object_get_int64(idv);
                        if (n <= 0 || n > INT_MAX) {
                                catalog_free(cat);
                                return fail(&c, "%s: numeric \"id\" out of range", where);
                        }
                        t->number = (unsigned) n;
                        t->id = xasprintf("%u", t->number);
                } else if (get_str(o, "id") && strlen(get_str(o, "id")) > 0 &&
                           strlen(get_str(o, "id")) < 64 && !strchr(get_str(o, "id"), '/'))
                        t->id = xstrdup(get_str(o, "id"));
                else {
                        catalog_free(cat);
                        return fail(&c, "%s: \"id\" must be a type directory name or a positive number",
                                    where);
                }
                for (size_t k = 0; k < i; k++)
                        if (streq(cat->types[k].id, t->id)) {
                                catalog_free(cat);
                                return fail(&c, "%s: duplicate id %s", where, t->id);
                        }
                const char *s = get_str(o, "name");
                if (!s) {
                        catalog_free(cat);
                        return fail(&c, "%s: missing \"name\"", where);
                }
                t->name = xstrdup(s);
                t->device_api = xstrdup(get_str(o, "device_api") ?: "vfio-pci");
                if (sample) {
                        unsigned long long cost;
                        if ((r = get_uint(&c, o, where, "cost", 1 << 20, false, 1, &cost)) < 0) {
                                catalog_free(cat);
                                return r;
                        }
                        if (cost == 0) {
                                catalog_free(cat);
                                return fail(&c, "%s: \"cost\" must be positive", where);
                        }
                        t->cost = (unsigned) cost;
                        if (get_str(o, "description"))
                                t->description = xstrdup(get_str(o, "description"));
                } else if (gvt) {
                        unsigned long long low, high, fence, weight;
                        if ((r = get_uint(&c, o, where, "low_gm_mb", 1 << 20, true, 0, &low)) < 0 ||
                            (r = get_uint(&c, o, where, "high_gm_mb", 1 << 20, true, 0, &high)) < 0 ||
                            (r = get_uint(&c, o, where, "fence", 64, true, 0, &fence)) < 0 ||
                            (r = get_uint(&c, o, where, "weight", 16, true, 0, &weight)) < 0) {
                                catalog_free(cat);
                                return r;
                        }
                        if (low == 0 || high == 0 || fence == 0 || weight == 0) {
                                catalog_free(cat);
                                return fail(&c, "%s: GVT-g sizes must be positive", where);
                        }
                        t->low_gm_mb = (unsigned) low;
                        t->high_gm_mb = (unsigned) high;
                        t->fence = (unsigned) fence;
                        t->weight = (unsigned) weight;
                        t->resolution = xstrdup(get_str(o, "resolution") ?: "1920x1200");
                } else {
                        unsigned long long fb, heads, frl, maxi;
                        if ((r = get_uint(&c, o, where, "framebuffer_mb", 1 << 20, true, 0, &fb)) < 0 ||
                            (r = get_uint(&c, o, where, "num_heads", 16, false, 1, &heads)) < 0 ||
                            (r = get_uint(&c, o, where, "frl_config", 1000, false, 60, &frl)) < 0 ||
                            (r = get_uint(&c, o, where, "max_instance", 1024, true, 0, &maxi)) < 0) {
                                catalog_free(cat);
                                return r;
                        }
                        if (fb == 0 || maxi == 0) {
                                catalog_free(cat);
                                return fail(&c, "%s: framebuffer_mb and max_instance must be positive",
                                            where);
                        }
                        t->fb_mb = (unsigned) fb;
                        t->heads = (unsigned) heads;
                        t->frl = (unsigned) frl;
                        t->max_instance = (unsigned) maxi;
                        t->max_resolution = xstrdup(get_str(o, "max_resolution") ?: "5120x2880");
                }
                (void) v;
        }
        *ret = cat;
        return 0;
}

static const struct type_catalog *profile_catalog(struct profile *p, const char *dir, const char *name,
                                                  int *r, char **error) {
        for (size_t i = 0; i < p->n_catalogs; i++)
                if (streq(p->catalogs[i]->name, name))
                        return p->catalogs[i];
        struct type_catalog *c = NULL;
        *r = catalog_load(dir, name, &c, error);
        if (*r < 0)
                return NULL;
        p->catalogs = realloc(p->catalogs, (p->n_catalogs + 1) * sizeof(*p->catalogs));
        if (!p->catalogs)
                abort();
        p->catalogs[p->n_catalogs++] = c;
        return c;
}

static const struct {
        const char *name;
        enum vgpu_kind kind;
        const char *vendor;
} vgpu_kinds[] = {
        {"nvidia-mdev", VGPU_NVIDIA_MDEV, "nvidia"},
        {"nvidia-mdev-sriov", VGPU_NVIDIA_MDEV_SRIOV, "nvidia"},
        {"nvidia-vfio", VGPU_NVIDIA_VFIO, "nvidia"},
        {"gvtg", VGPU_GVTG, "gvtg"},
};

static int parse_device(struct ctx *c, struct profile *p, const char *dir, json_object *o, const char *where,
                        struct dev_spec *d) {
        unsigned long long v;
        int r;
        const char *addr = get_str(o, "address");
        unsigned dom, bus, devfn;
        if (!addr || pci_address_parse(addr, &dom, &bus, &devfn) < 0)
                return fail(c, "%s: \"address\" must be a PCI address like 0000:3b:00.0", where);
        snprintf(d->address, sizeof(d->address), "%s", addr);
        if ((r = get_uint(c, o, where, "vendor", 0xffff, true, 0, &v)) < 0)
                return r;
        d->vendor = (uint16_t) v;
        if ((r = get_uint(c, o, where, "device", 0xffff, true, 0, &v)) < 0)
                return r;
        d->device = (uint16_t) v;
        if ((r = get_uint(c, o, where, "subsystem_vendor", 0xffff, false, d->vendor, &v)) < 0)
                return r;
        d->subvendor = (uint16_t) v;
        if ((r = get_uint(c, o, where, "subsystem_device", 0xffff, false, 0, &v)) < 0)
                return r;
        d->subdevice = (uint16_t) v;
        if ((r = get_uint(c, o, where, "class", 0xffffff, true, 0, &v)) < 0)
                return r;
        d->class = (uint32_t) v;
        if ((r = get_uint(c, o, where, "revision", 0xff, false, 0xa1, &v)) < 0)
                return r;
        d->revision = (uint8_t) v;
        json_object *numa;
        if (json_object_object_get_ex(o, "numa_node", &numa) && json_object_is_type(numa, json_type_int) &&
            json_object_get_int64(numa) == -1)
                d->numa_node = -1;
        else {
                if ((r = get_uint(c, o, where, "numa_node", 63, false, 0, &v)) < 0)
                        return r;
                d->numa_node = (int) v;
        }
        const char *up = get_str(o, "upstream");
        if (up) {
                unsigned ud, ub, uf;
                if (pci_address_parse(up, &ud, &ub, &uf) < 0 || !profile_find_dev(p, up))
                        return fail(c, "%s: \"upstream\" must name a bridge listed before it", where);
                snprintf(d->upstream, sizeof(d->upstream), "%s", up);
        }
        json_object *g;
        if (json_object_object_get_ex(o, "iommu_group", &g)) {
                if ((r = get_uint(c, o, where, "iommu_group", 65535, true, 0, &v)) < 0)
                        return r;
                d->iommu_group = (int) v;
        } else
                d->iommu_group = -1;
        const char *drv = get_str(o, "driver");
        if (drv) {
                bool known = false;
                for (size_t i = 0; i < p->n_drivers; i++)
                        known = known || streq(p->drivers[i], drv);
                if (!known)
                        return fail(c, "%s: driver \"%s\" is not in the profile's \"drivers\"", where, drv);
                d->driver = xstrdup(drv);
        }
        if (get_str(o, "label"))
                d->label = xstrdup(get_str(o, "label"));

        json_object *s;
        if (json_object_object_get_ex(o, "sriov", &s)) {
                char w[64];
                snprintf(w, sizeof(w), "%s.sriov", where);
                d->sriov = true;
                if ((r = get_uint(c, s, w, "totalvfs", 256, true, 0, &v)) < 0)
                        return r;
                d->totalvfs = (unsigned) v;
                if ((r = get_uint(c, s, w, "numvfs", d->totalvfs, false, 0, &v)) < 0)
                        return r;
                d->numvfs = (unsigned) v;
                if ((r = get_uint(c, s, w, "offset", 0xffff, false, 1, &v)) < 0)
                        return r;
                d->offset = (unsigned) v;
                if ((r = get_uint(c, s, w, "stride", 0xffff, false, 1, &v)) < 0)
                        return r;
                d->stride = (unsigned) v;
                if ((r = get_uint(c, s, w, "vf_device", 0xffff, false, d->device, &v)) < 0)
                        return r;
                d->vf_device = (uint16_t) v;
                if (d->totalvfs == 0 || d->offset == 0 || (d->totalvfs > 1 && d->stride == 0))
                        return fail(c, "%s: totalvfs, offset and stride must be positive", w);
                unsigned last = (bus << 8 | devfn) + d->offset + d->stride * (d->totalvfs - 1);
                if (last > 0xffff)
                        return fail(c, "%s: VF routing ids run past bus ff", w);
        }

        json_object *vg;
        if (json_object_object_get_ex(o, "vgpu", &vg)) {
                char w[64];
                snprintf(w, sizeof(w), "%s.vgpu", where);
                const char *kind = get_str(vg, "kind");
                const char *want_vendor = NULL;
                for (size_t i = 0; kind && i < ELEMENTSOF(vgpu_kinds); i++)
                        if (streq(kind, vgpu_kinds[i].name)) {
                                d->kind = vgpu_kinds[i].kind;
                                want_vendor = vgpu_kinds[i].vendor;
                        }
                if (!want_vendor)
                        return fail(
                                c,
                                "%s: \"kind\" must be nvidia-mdev, nvidia-mdev-sriov, nvidia-vfio or gvtg",
                                w);
                if ((d->kind == VGPU_NVIDIA_MDEV_SRIOV || d->kind == VGPU_NVIDIA_VFIO) && !d->sriov)
                        return fail(c, "%s: kind %s needs an \"sriov\" section", w, kind);
                const char *types = get_str(vg, "types");
                if (!types)
                        return fail(c, "%s: missing \"types\" (a catalog in types/)", w);
                d->types = profile_catalog(p, dir, types, &r, c->error);
                if (!d->types)
                        return r;
                if (!streq(d->types->vendor, want_vendor))
                        return fail(c, "%s: catalog %s is for %s, not %s", w, types, d->types->vendor, kind);
                if (d->kind == VGPU_NVIDIA_VFIO)
                        for (size_t i = 0; i < d->types->n_types; i++)
                                if (d->types->types[i].number == 0)
                                        return fail(c, "%s: nvidia-vfio needs numeric type ids (catalog %s)",
                                                    w, types);
                d->heterogeneous = get_bool(vg, "heterogeneous");
                if (d->kind == VGPU_GVTG) {
                        if ((r = get_uint(c, vg, w, "low_gm_mb", 1 << 20, true, 0, &v)) < 0)
                                return r;
                        d->pool_low_mb = (unsigned) v;
                        if ((r = get_uint(c, vg, w, "high_gm_mb", 1 << 20, true, 0, &v)) < 0)
                                return r;
                        d->pool_high_mb = (unsigned) v;
                        if ((r = get_uint(c, vg, w, "fence", 1024, true, 0, &v)) < 0)
                                return r;
                        d->pool_fence = (unsigned) v;
                } else {
                        if ((r = get_uint(c, vg, w, "framebuffer_mb", 1 << 20, true, 0, &v)) < 0)
                                return r;
                        d->fb_mb = (unsigned) v;
                }
        }
        return 0;
}

static int parse_parent(struct ctx *c, struct profile *p, const char *dir, json_object *o, const char *where,
                        struct parent_spec *ps) {
        unsigned long long v;
        int r;
        const char *name = get_str(o, "name");
        if (!name || !*name || strlen(name) > 32 || strchr(name, '/') || name[0] == '.')
                return fail(c, "%s: \"name\" must be a device name like \"mtty\"", where);
        ps->name = xstrdup(name);
        const char *types = get_str(o, "types");
        if (!types)
                return fail(c, "%s: missing \"types\" (a catalog in types/)", where);
        ps->types = profile_catalog(p, dir, types, &r, c->error);
        if (!ps->types)
                return r;
        if (!streq(ps->types->vendor, "sample"))
                return fail(c, "%s: catalog %s is for %s, not a virtual parent", where, types,
                            ps->types->vendor);
        const char *counting = get_str(o, "counting");
        if (!counting || (!streq(counting, "core") && !streq(counting, "driver")))
                return fail(c,
                            "%s: \"counting\" must be \"core\" (the mdev core keeps the count: EUSERS) "
                            "or \"driver\" (ENOSPC)",
                            where);
        ps->core_counted = streq(counting, "core");
        if ((r = get_uint(c, o, where, ps->core_counted ? "max_instances" : "pool", 1 << 20, true, 0, &v)) <
            0)
                return r;
        if (v == 0)
                return fail(c, "%s: %s must be positive", where,
                            ps->core_counted ? "max_instances" : "pool");
        if (ps->core_counted)
                ps->max_instances = (unsigned) v;
        else
                ps->pool = (unsigned) v;
        return 0;
}

static void spec_free(struct dev_spec *d) {
        free(d->driver);
        free(d->label);
}

void profile_free(struct profile *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n_devs; i++)
                spec_free(&p->devs[i]);
        free(p->devs);
        for (size_t i = 0; i < p->n_parents; i++)
                free(p->parents[i].name);
        free(p->parents);
        for (size_t i = 0; i < p->n_drivers; i++)
                free(p->drivers[i]);
        free(p->drivers);
        for (size_t i = 0; i < p->n_catalogs; i++)
                catalog_free(p->catalogs[i]);
        free(p->catalogs);
        free(p->name);
        free(p->description);
        free(p->iommu_domain);
        free(p->path);
        free(p);
}

static void profile_freep(struct profile **p) {
        profile_free(*p);
}

static const char *const known_drivers[] = {"nvidia",   "i915",          "vfio-pci",
                                            "pci-stub", "snd_hda_intel", "nvme"};

int profile_load(const char *dir, const char *name, struct profile **ret, char **error) {
        _cleanup_free_ char *path = NULL, *pdir = NULL;
        size_t nl = strlen(name);
        if (strchr(name, '/') || (nl > 5 && streq(name + nl - 5, ".json"))) {
                path = xstrdup(name);
                pdir = xstrdup(name);
                char *slash = strrchr(pdir, '/');
                if (slash)
                        *slash = '\0';
                else
                        strcpy(pdir, ".");
                /* Catalogs of a profile given by path live beside it; fall back on the default dir. */
                _cleanup_free_ char *probe = xasprintf("%s/types", pdir);
                if (access(probe, F_OK) < 0) {
                        free(pdir);
                        pdir = xstrdup(dir);
                }
        } else {
                path = xasprintf("%s/%s.json", dir, name);
                pdir = xstrdup(dir);
        }
        struct ctx c = {.file = path, .error = error};
        *error = NULL;
        if (access(path, R_OK) < 0) {
                int e = errno;
                *error = xasprintf("%s: %s", path, strerror(e));
                return -e;
        }
        _cleanup_json_ json_object *root = json_object_from_file(path);
        if (!root)
                return fail(&c, "not valid JSON: %s", json_util_get_last_err() ?: "unknown error");
        if (!json_object_is_type(root, json_type_object))
                return fail(&c, "must be a JSON object");

        _cleanup_(profile_freep) struct profile *p = xmalloc0(sizeof(*p));
        p->path = xstrdup(path);
        const char *pname = get_str(root, "name");
        if (!pname)
                return fail(&c, "missing \"name\"");
        p->name = xstrdup(pname);
        p->description = xstrdup(get_str(root, "description") ?: "");
        json_object *iommu;
        if (json_object_object_get_ex(root, "iommu", &iommu)) {
                if (!json_object_is_type(iommu, json_type_boolean))
                        return fail(&c, "\"iommu\" must be true or false");
                p->no_iommu = !json_object_get_boolean(iommu);
        }

        const char *domain = get_str(root, "iommu_domain");
        if (domain && !streq(domain, "DMA") && !streq(domain, "DMA-FQ") && !streq(domain, "identity"))
                return fail(&c, "\"iommu_domain\" must be \"DMA\", \"DMA-FQ\" or \"identity\"");
        p->iommu_domain = xstrdup(domain ?: "DMA");

        json_object *drivers, *devices;
        if (!json_object_object_get_ex(root, "drivers", &drivers) ||
            !json_object_is_type(drivers, json_type_array))
                return fail(&c, "\"drivers\" must be an array of driver names");
        p->n_drivers = json_object_array_length(drivers);
        p->drivers = xmalloc0((p->n_drivers + 1) * sizeof(char *));
        for (size_t i = 0; i < p->n_drivers; i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(drivers, i));
                bool known = false;
                for (size_t k = 0; s && k < ELEMENTSOF(known_drivers); k++)
                        known = known || streq(s, known_drivers[k]);
                if (!known)
                        return fail(
                                &c,
                                "drivers[%zu]: unknown driver \"%s\" (simulated: nvidia, i915, vfio-pci, "
                                "pci-stub, snd_hda_intel, nvme)",
                                i, s ?: "");
                p->drivers[i] = xstrdup(s);
        }
        if (!json_object_object_get_ex(root, "devices", &devices) ||
            !json_object_is_type(devices, json_type_array))
                return fail(&c, "\"devices\" must be an array");

        for (size_t i = 0; i < json_object_array_length(devices); i++) {
                json_object *o = json_object_array_get_idx(devices, i);
                char where[32];
                snprintf(where, sizeof(where), "devices[%zu]", i);
                if (!json_object_is_type(o, json_type_object))
                        return fail(&c, "%s: must be an object", where);
                /* "count": N repeats an entry on consecutive buses (and IOMMU groups). */
                unsigned long long count;
                int r = get_uint(&c, o, where, "count", 256, false, 1, &count);
                if (r < 0)
                        return r;
                if (count == 0)
                        return fail(&c, "%s: \"count\" must be positive", where);
                for (unsigned k = 0; k < count; k++) {
                        p->devs = realloc(p->devs, (p->n_devs + 1) * sizeof(*p->devs));
                        if (!p->devs)
                                abort();
                        struct dev_spec *d = &p->devs[p->n_devs];
                        memset(d, 0, sizeof(*d));
                        p->n_devs++;
                        r = parse_device(&c, p, pdir, o, where, d);
                        if (r < 0)
                                return r;
                        if (k > 0) {
                                unsigned dom, bus, devfn;
                                (void) pci_address_parse(d->address, &dom, &bus, &devfn);
                                if (bus + k > 0xff)
                                        return fail(&c, "%s: \"count\" runs past bus ff", where);
                                snprintf(d->address, sizeof(d->address), "%04x:%02x:%02x.%u", dom & 0xffff,
                                         (bus + k) & 0xff, (devfn >> 3) & 0x1f, devfn & 7);
                                if (d->iommu_group >= 0)
                                        d->iommu_group += (int) k;
                        }
                }
        }
        json_object *parents;
        if (json_object_object_get_ex(root, "mdev_parents", &parents)) {
                if (!json_object_is_type(parents, json_type_array))
                        return fail(&c, "\"mdev_parents\" must be an array");
                p->n_parents = json_object_array_length(parents);
                p->parents = xmalloc0((p->n_parents + 1) * sizeof(*p->parents));
                for (size_t i = 0; i < p->n_parents; i++) {
                        char where[48];
                        snprintf(where, sizeof(where), "mdev_parents[%zu]", i);
                        json_object *o = json_object_array_get_idx(parents, i);
                        if (!json_object_is_type(o, json_type_object))
                                return fail(&c, "%s: must be an object", where);
                        int r = parse_parent(&c, p, pdir, o, where, &p->parents[i]);
                        if (r < 0)
                                return r;
                        for (size_t k = 0; k < i; k++)
                                if (streq(p->parents[k].name, p->parents[i].name))
                                        return fail(&c, "%s: parent %s listed twice", where,
                                                    p->parents[i].name);
                }
        }
        /* Every address once, including every VF a PF could enable. */
        for (size_t i = 0; i < p->n_devs; i++)
                for (size_t k = 0; k < i; k++)
                        if (streq(p->devs[i].address, p->devs[k].address))
                                return fail(&c, "device %s listed twice", p->devs[i].address);
        for (size_t i = 0; i < p->n_devs; i++) {
                const struct dev_spec *pf = &p->devs[i];
                unsigned dom, bus, devfn;
                if (!pf->sriov)
                        continue;
                (void) pci_address_parse(pf->address, &dom, &bus, &devfn);
                unsigned first = (bus << 8 | devfn) + pf->offset,
                         last = first + pf->stride * (pf->totalvfs - 1);
                for (size_t k = 0; k < p->n_devs; k++) {
                        unsigned d2, b2, f2;
                        (void) pci_address_parse(p->devs[k].address, &d2, &b2, &f2);
                        unsigned rid = b2 << 8 | f2;
                        if (d2 == dom && rid >= first && rid <= last &&
                            (pf->stride <= 1 || (rid - first) % pf->stride == 0))
                                return fail(&c, "device %s is where a VF of %s would be", p->devs[k].address,
                                            pf->address);
                }
        }
        *ret = TAKE_PTR(p);
        return 0;
}

const struct dev_spec *profile_find_dev(const struct profile *p, const char *address) {
        for (size_t i = 0; i < p->n_devs; i++)
                if (streq(p->devs[i].address, address))
                        return &p->devs[i];
        return NULL;
}

const struct vgpu_type *catalog_find_number(const struct type_catalog *c, unsigned number) {
        for (size_t i = 0; c && i < c->n_types; i++)
                if (c->types[i].number == number)
                        return &c->types[i];
        return NULL;
}
