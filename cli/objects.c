/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of objects.h: a{sv} into structs, one bus-dict.h table per interface. */
#include <stddef.h>
#include <strings.h>

#include "bus-dict.h"
#include "bus-names.h"
#include "objects.h"

static int read_pairs_field(sd_bus_message *m, const BusDictField *f, void *obj);
static int read_counters_field(sd_bus_message *m, const BusDictField *f, void *obj);

/* A property: its name, signature, reader (bus-dict.h's, or the two below) and member. */
#define P(n, sig, read, s, f)                                                                               \
        { n, sig, read, offsetof(s, f), 0 }

static const BusDictField gpu_props[] = {
        P("Id", "s", bus_dict_read_string, GpuInfo, id),
        P("Address", "s", bus_dict_read_string, GpuInfo, address),
        P("Vendor", "s", bus_dict_read_string, GpuInfo, vendor),
        P("Name", "s", bus_dict_read_string, GpuInfo, name),
        P("Driver", "s", bus_dict_read_string, GpuInfo, driver),
        P("HostedType", "s", bus_dict_read_string, GpuInfo, hosted_type),
        P("VendorId", "q", bus_dict_read_basic, GpuInfo, vendor_id),
        P("DeviceId", "q", bus_dict_read_basic, GpuInfo, device_id),
        P("IommuGroup", "i", bus_dict_read_basic, GpuInfo, iommu_group),
        P("Present", "b", bus_dict_read_bool, GpuInfo, present),
        P("SriovTotalVfs", "u", bus_dict_read_basic, GpuInfo, sriov_total_vfs),
        P("SriovNumVfs", "u", bus_dict_read_basic, GpuInfo, sriov_num_vfs),
        P("SriovConfiguredVfs", "u", bus_dict_read_basic, GpuInfo, sriov_configured_vfs),
        P("SriovStatus", "s", bus_dict_read_string, GpuInfo, sriov_status),
        P("Backends", "as", bus_dict_read_strv, GpuInfo, backends),
        P("SchedulerPolicy", "s", bus_dict_read_string, GpuInfo, scheduler_policy),
        P("Types", "ao", bus_dict_read_strv, GpuInfo, types),
        P("Instances", "ao", bus_dict_read_strv, GpuInfo, instances),
};

static const BusDictField type_props[] = {
        P("Id", "s", bus_dict_read_string, TypeInfo, id),
        P("Gpu", "o", bus_dict_read_string, TypeInfo, gpu),
        P("GpuAddress", "s", bus_dict_read_string, TypeInfo, gpu_address),
        P("Backend", "s", bus_dict_read_string, TypeInfo, backend),
        P("Name", "s", bus_dict_read_string, TypeInfo, name),
        P("Description", "s", bus_dict_read_string, TypeInfo, description),
        P("MaxResolution", "s", bus_dict_read_string, TypeInfo, max_resolution),
        P("Series", "s", bus_dict_read_string, TypeInfo, series),
        P("DeviceApi", "s", bus_dict_read_string, TypeInfo, device_api),
        P("UnavailableReason", "s", bus_dict_read_string, TypeInfo, unavailable_reason),
        P("Aliases", "as", bus_dict_read_strv, TypeInfo, aliases),
        P("Parents", "as", bus_dict_read_strv, TypeInfo, parents),
        P("FramebufferMiB", "t", bus_dict_read_basic, TypeInfo, framebuffer_mib),
        P("Heads", "u", bus_dict_read_basic, TypeInfo, heads),
        P("MaxInstances", "u", bus_dict_read_basic, TypeInfo, max_instances),
        P("Available", "u", bus_dict_read_basic, TypeInfo, available),
};

static const BusDictField instance_props[] = {
        /* In the order vgpud sends them: bus_dict_walk() looks from after the last match first. */
        P("Uuid", "s", bus_dict_read_string, InstanceInfo, uuid),
        P("Gpu", "o", bus_dict_read_string, InstanceInfo, gpu),
        P("GpuAddress", "s", bus_dict_read_string, InstanceInfo, gpu_address),
        P("Parent", "s", bus_dict_read_string, InstanceInfo, parent),
        P("Type", "s", bus_dict_read_string, InstanceInfo, type),
        P("TypeName", "s", bus_dict_read_string, InstanceInfo, type_name),
        P("Backend", "s", bus_dict_read_string, InstanceInfo, backend),
        P("Device", "s", bus_dict_read_string, InstanceInfo, device),
        P("IommuGroup", "i", bus_dict_read_basic, InstanceInfo, iommu_group),
        P("State", "s", bus_dict_read_string, InstanceInfo, state),
        P("Persistent", "b", bus_dict_read_bool, InstanceInfo, persistent),
        P("Autostart", "b", bus_dict_read_bool, InstanceInfo, autostart),
        {"Attributes", "a(ss)", read_pairs_field, offsetof(InstanceInfo, attributes),
         offsetof(InstanceInfo, n_attributes)},
        P("Origin", "s", bus_dict_read_string, InstanceInfo, origin),
        P("StartStatus", "s", bus_dict_read_string, InstanceInfo, start_status),
        {"Counters", "a{st}", read_counters_field, offsetof(InstanceInfo, counters),
         offsetof(InstanceInfo, n_counters)},
        P("Owner", "s", bus_dict_read_string, InstanceInfo, owner),
        P("OwnerSource", "s", bus_dict_read_string, InstanceInfo, owner_source),
        P("Share", "u", bus_dict_read_basic, InstanceInfo, share),
        P("Weight", "u", bus_dict_read_basic, InstanceInfo, weight),
        P("ConfiguredShare", "d", bus_dict_read_basic, InstanceInfo, configured_share),
        P("MeasuredShare", "d", bus_dict_read_basic, InstanceInfo, measured_share),
};

size_t strv_count(char *const *v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

static void pairs_free(StringPair *p, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(p[i].key);
                free(p[i].value);
        }
        free(p);
}

static int read_pairs(sd_bus_message *m, StringPair **ret, size_t *ret_n) {
        StringPair *p = NULL;
        size_t n = 0;
        const char *k, *v;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ss)", &k, &v)) > 0) {
                StringPair *np = realloc(p, (n + 1) * sizeof(*p));
                if (!np) {
                        pairs_free(p, n);
                        return -ENOMEM;
                }
                p = np;
                p[n].key = strdup(k);
                p[n].value = strdup(v);
                n++;
                if (!p[n - 1].key || !p[n - 1].value) {
                        pairs_free(p, n);
                        return -ENOMEM;
                }
        }
        if (r < 0) {
                pairs_free(p, n);
                return r;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0) {
                pairs_free(p, n);
                return r;
        }
        *ret = p;
        *ret_n = n;
        return 0;
}

static void counters_free(Counter *c, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(c[i].name);
        free(c);
}

static int read_counters(sd_bus_message *m, Counter **ret, size_t *ret_n) {
        Counter *c = NULL;
        size_t n = 0;
        const char *k;
        uint64_t v;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{st}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "{st}", &k, &v)) > 0) {
                Counter *nc = realloc(c, (n + 1) * sizeof(*c));
                if (!nc) {
                        counters_free(c, n);
                        return -ENOMEM;
                }
                c = nc;
                c[n].value = v;
                c[n].name = strdup(k);
                if (!c[n++].name) {
                        counters_free(c, n);
                        return -ENOMEM;
                }
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                counters_free(c, n);
                return r;
        }
        *ret = c;
        *ret_n = n;
        return 0;
}

void instance_info_init(InstanceInfo *i) {
        *i = (InstanceInfo){.iommu_group = -1, .configured_share = -1, .measured_share = -1};
}

bool instance_counter(const InstanceInfo *i, const char *name, uint64_t *ret) {
        for (size_t k = 0; k < i->n_counters; k++)
                if (streq(i->counters[k].name, name)) {
                        *ret = i->counters[k].value;
                        return true;
                }
        return false;
}

static int read_pairs_field(sd_bus_message *m, const BusDictField *f, void *obj) {
        StringPair **pp = (StringPair **) ((char *) obj + f->offset);
        size_t *count = (size_t *) ((char *) obj + f->count_offset);

        pairs_free(*pp, *count);
        *pp = NULL;
        *count = 0;
        return read_pairs(m, pp, count);
}

static int read_counters_field(sd_bus_message *m, const BusDictField *f, void *obj) {
        Counter **cp = (Counter **) ((char *) obj + f->offset);
        size_t *count = (size_t *) ((char *) obj + f->count_offset);

        counters_free(*cp, *count);
        *cp = NULL;
        *count = 0;
        return read_counters(m, cp, count);
}

/* Properties this vgpuctl does not know, or of another type, are skipped: a newer vgpud still works. */
static int read_properties(sd_bus_message *m, const BusDictField *table, size_t n, void *obj) {
        return bus_dict_read(m, table, n, 0, obj, NULL, NULL);
}

static void gpu_done(GpuInfo *g) {
        free(g->path);
        free(g->id);
        free(g->address);
        free(g->vendor);
        free(g->name);
        free(g->driver);
        free(g->hosted_type);
        free(g->scheduler_policy);
        free(g->sriov_status);
        strv_freep(&g->backends);
        strv_freep(&g->types);
        strv_freep(&g->instances);
}

static void type_done(TypeInfo *t) {
        free(t->path);
        free(t->id);
        free(t->gpu);
        free(t->gpu_address);
        free(t->backend);
        free(t->name);
        free(t->description);
        free(t->max_resolution);
        free(t->series);
        free(t->device_api);
        free(t->unavailable_reason);
        strv_freep(&t->aliases);
        strv_freep(&t->parents);
}

void instance_info_done(InstanceInfo *i) {
        free(i->path);
        free(i->uuid);
        free(i->gpu);
        free(i->gpu_address);
        free(i->parent);
        free(i->type);
        free(i->type_name);
        free(i->backend);
        free(i->device);
        free(i->state);
        free(i->origin);
        free(i->start_status);
        free(i->owner);
        free(i->owner_source);
        pairs_free(i->attributes, i->n_attributes);
        counters_free(i->counters, i->n_counters);
}

void objects_done(Objects *o) {
        for (size_t i = 0; i < o->n_gpus; i++)
                gpu_done(&o->gpus[i]);
        for (size_t i = 0; i < o->n_types; i++)
                type_done(&o->types[i]);
        for (size_t i = 0; i < o->n_instances; i++)
                instance_info_done(&o->instances[i]);
        free(o->gpus);
        free(o->types);
        free(o->instances);
        *o = (Objects){};
}

/* Grow an array by one zeroed element; returns it or NULL. */
static void *grow(void **array, size_t *n, size_t size) {
        char *a = realloc(*array, (*n + 1) * size);
        if (!a)
                return NULL;
        *array = a;
        memset(a + *n * size, 0, size);
        return a + (*n)++ * size;
}

static int cmp_str(const char *a, const char *b) {
        return strcmp(strempty(a), strempty(b));
}

static int cmp_gpu(const void *a, const void *b) {
        return cmp_str(((const GpuInfo *) a)->address, ((const GpuInfo *) b)->address);
}

static int cmp_type(const void *a, const void *b) {
        const TypeInfo *x = a, *y = b;
        int r = cmp_str(x->gpu_address, y->gpu_address);
        if (r)
                return r;
        if (x->framebuffer_mib != y->framebuffer_mib)
                return x->framebuffer_mib < y->framebuffer_mib ? -1 : 1;
        return strverscmp(strempty(x->id), strempty(y->id));
}

static int cmp_instance(const void *a, const void *b) {
        const InstanceInfo *x = a, *y = b;
        int r = cmp_str(x->gpu_address, y->gpu_address);
        return r ? r : cmp_str(x->uuid, y->uuid);
}

int objects_parse(sd_bus_message *reply, Objects *ret) {
        _cleanup_(objects_done) Objects o = {};
        const char *path, *iface;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) > 0) {
                r = sd_bus_message_read_basic(reply, 'o', &path);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
                if (r < 0)
                        return r;
                while ((r = sd_bus_message_enter_container(reply, 'e', "sa{sv}")) > 0) {
                        r = sd_bus_message_read_basic(reply, 's', &iface);
                        if (r < 0)
                                return r;
                        const BusDictField *table = NULL;
                        size_t n_table = 0;
                        void *obj = NULL;
                        char **obj_path = NULL;
                        if (streq(iface, VGPUD_GPU_IFACE)) {
                                GpuInfo *g = grow((void **) &o.gpus, &o.n_gpus, sizeof(GpuInfo));
                                table = gpu_props, n_table = ELEMENTSOF(gpu_props), obj = g,
                                obj_path = g ? &g->path : NULL;
                                if (g)
                                        g->iommu_group = -1;
                        } else if (streq(iface, VGPUD_TYPE_IFACE)) {
                                TypeInfo *t = grow((void **) &o.types, &o.n_types, sizeof(TypeInfo));
                                table = type_props, n_table = ELEMENTSOF(type_props), obj = t,
                                obj_path = t ? &t->path : NULL;
                        } else if (streq(iface, VGPUD_INSTANCE_IFACE)) {
                                InstanceInfo *i =
                                        grow((void **) &o.instances, &o.n_instances, sizeof(InstanceInfo));
                                table = instance_props, n_table = ELEMENTSOF(instance_props), obj = i,
                                obj_path = i ? &i->path : NULL;
                                if (i)
                                        instance_info_init(i);
                        } else {
                                r = sd_bus_message_skip(reply, "a{sv}");
                                if (r < 0)
                                        return r;
                        }
                        if (table) {
                                if (!obj)
                                        return -ENOMEM;
                                *obj_path = strdup(path);
                                if (!*obj_path)
                                        return -ENOMEM;
                                r = read_properties(reply, table, n_table, obj);
                                if (r < 0)
                                        return r;
                        }
                        r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                return r;
                }
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;

        if (o.n_gpus)
                qsort(o.gpus, o.n_gpus, sizeof(GpuInfo), cmp_gpu);
        if (o.n_types)
                qsort(o.types, o.n_types, sizeof(TypeInfo), cmp_type);
        if (o.n_instances)
                qsort(o.instances, o.n_instances, sizeof(InstanceInfo), cmp_instance);
        *ret = o;
        o = (Objects){};
        return 0;
}

int objects_fetch(sd_bus *bus, sd_bus_error *error, Objects *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
                               "GetManagedObjects", error, &reply, NULL);
        if (r < 0)
                return r;
        return objects_parse(reply, ret);
}

int objects_fetch_of(sd_bus *bus, const char *interface, sd_bus_error *error, Objects *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, "GetObjects",
                               error, &reply, "as", 1, interface);
        if (r < 0 && sd_bus_error_has_name(error, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                sd_bus_error_free(error);
                return objects_fetch(bus, error, ret);
        }
        if (r < 0)
                return r;
        return objects_parse(reply, ret);
}

const GpuInfo *objects_gpu_by_path(const Objects *o, const char *path) {
        for (size_t i = 0; i < o->n_gpus; i++)
                if (streq_ptr(o->gpus[i].path, path))
                        return &o->gpus[i];
        return NULL;
}

const InstanceInfo *objects_instance_by_uuid(const Objects *o, const char *uuid) {
        for (size_t i = 0; i < o->n_instances; i++)
                if (o->instances[i].uuid && strcasecmp(o->instances[i].uuid, uuid) == 0)
                        return &o->instances[i];
        return NULL;
}

int instance_fetch(sd_bus *bus, const char *path, sd_bus_error *error, InstanceInfo *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        InstanceInfo i;
        int r;

        instance_info_init(&i);
        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", error,
                               &reply, "s", VGPUD_INSTANCE_IFACE);
        if (r < 0)
                return r;
        i.path = strdup(path);
        if (!i.path)
                return -ENOMEM;
        r = read_properties(reply, instance_props, ELEMENTSOF(instance_props), &i);
        if (r < 0) {
                instance_info_done(&i);
                return r;
        }
        *ret = i;
        return 0;
}
