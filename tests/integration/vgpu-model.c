/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpu-model: libvgpu from the command line, for the integration tests and
 * for anyone who wants to see what the library makes of a host. It prints
 * the discovered model as JSON, resolves type names, explains placement,
 * creates and destroys instances through the backend, follows uevents,
 * and reads/writes records and mdevctl definitions. Not installed; the
 * daemon is the product, this is its library on a leash.
 *
 * Exit status: 0 success, 1 usage, 2 failure (message on stderr),
 * 3 no capacity (placement refused; candidates still printed).
 */
#include <getopt.h>
#include <json-c/json.h>
#include <libudev.h>
#include <poll.h>
#include <time.h>

#include "alias.h"
#include "backend.h"
#include "config-file.h"
#include "host.h"
#include "mdevctl.h"
#include "pci.h"
#include "placement.h"
#include "store.h"
#include "strutil.h"
#include "sysfs.h"
#include "vendor.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev *, udev_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_monitor *, udev_monitor_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct udev_device *, udev_device_unref);

static const char *sysfs_root = SYSFS_ROOT;
static const char *gpu_filter;
static const char *uuid_arg;
static enum placement_policy policy = PLACEMENT_PACK;
static struct vgpu_attr *attrs;
static size_t n_attrs;
static bool autostart;
static double timeout_sec = 10;
static unsigned max_events;

/* ---- JSON helpers ---- */

static void add(struct json_object *o, const char *k, struct json_object *v) {
        json_object_object_add(o, k, v);
}

static struct json_object *str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static struct json_object *hex(unsigned v, int width) {
        char buf[16];
        snprintf(buf, sizeof(buf), "0x%0*x", width, v);
        return json_object_new_string(buf);
}

static struct json_object *strv_json(char **v) {
        struct json_object *a = json_object_new_array();
        for (char **s = v; s && *s; s++)
                json_object_array_add(a, json_object_new_string(*s));
        return a;
}

static void print_json(struct json_object *o) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int fail(int r, const struct vgpu_error *e, const char *what) {
        _cleanup_free_ char *s = e && (e->message || e->path) ? vgpu_error_to_string(e) : NULL;
        if (s)
                fprintf(stderr, "vgpu-model: %s\n", s);
        else
                fprintf(stderr, "vgpu-model: %s: %s\n", what, strerror(-r));
        return r == -ENOSPC ? 3 : 2;
}

static struct json_object *type_json(const struct vgpu_type *t) {
        struct json_object *o = json_object_new_object();
        char res[32];

        add(o, "id", json_object_new_string(t->id));
        add(o, "backend", json_object_new_string(backend_kind_to_string(t->backend)));
        add(o, "name", str_or_null(t->name));
        add(o, "description", str_or_null(t->description));
        add(o, "device_api", str_or_null(t->device_api));
        add(o, "available", json_object_new_int64(t->available));
        add(o, "vendor", json_object_new_string(t->vendor->name));
        add(o, "framebuffer_mb", json_object_new_int64((int64_t) t->framebuffer_mb));
        add(o, "heads", json_object_new_int64(t->heads));
        snprintf(res, sizeof(res), "%ux%u", t->max_width, t->max_height);
        add(o, "max_resolution", t->max_width ? json_object_new_string(res) : NULL);
        add(o, "max_instances", json_object_new_int64(t->max_instances));
        add(o, "board", str_or_null(t->board));
        add(o, "series", t->series[0] ? json_object_new_string(t->series) : NULL);
        add(o, "weight", json_object_new_int64(t->weight));
        add(o, "group", str_or_null(t->group ? t->group->key : NULL));
        add(o, "parse_error", str_or_null(t->parse_error));
        return o;
}

static struct json_object *model_json(const struct vgpu_host *h) {
        struct json_object *root = json_object_new_object(), *a;

        a = json_object_new_array();
        for (size_t i = 0; i < h->n_gpus; i++) {
                const struct vgpu_gpu *g = h->gpus[i];
                struct json_object *o = json_object_new_object(), *s;
                _cleanup_free_ char *board = pci_board_name(g->model_name);
                add(o, "address", json_object_new_string(g->bdf));
                add(o, "vendor_id", hex(g->vendor_id, 4));
                add(o, "device_id", hex(g->device_id, 4));
                add(o, "subsystem_vendor_id", hex(g->subsystem_vendor_id, 4));
                add(o, "subsystem_device_id", hex(g->subsystem_device_id, 4));
                add(o, "class", hex(g->class_code, 6));
                add(o, "vendor_name", str_or_null(g->vendor_name));
                add(o, "model_name", str_or_null(g->model_name));
                add(o, "board", str_or_null(board));
                add(o, "driver", str_or_null(g->driver));
                add(o, "iommu_group", json_object_new_int(g->iommu_group));
                add(o, "numa_node", json_object_new_int(g->numa_node));
                add(o, "physfn", g->physfn[0] ? json_object_new_string(g->physfn) : NULL);
                if (g->sriov.capable) {
                        s = json_object_new_object();
                        add(s, "total_vfs", json_object_new_int64(g->sriov.total_vfs));
                        add(s, "num_vfs", json_object_new_int64(g->sriov.num_vfs));
                        add(s, "vf_device_id", hex(g->sriov.vf_device_id, 4));
                        add(s, "drivers_autoprobe", json_object_new_boolean(g->sriov.drivers_autoprobe));
                        add(s, "vfs", strv_json(g->sriov.vfs));
                        add(o, "sriov", s);
                } else
                        add(o, "sriov", NULL);
                add(o, "nvidia_vfio", json_object_new_boolean(g->nvidia_vfio));
                add(o, "nvidia_current_type", json_object_new_int64(g->nvidia_current_type));
                add(o, "mdev_parent", json_object_new_boolean(g->parent != NULL));
                add(o, "instances", json_object_new_int64(g->n_instances));
                json_object_array_add(a, o);
        }
        add(root, "gpus", a);

        a = json_object_new_array();
        for (size_t i = 0; i < h->n_parents; i++) {
                const struct vgpu_parent *p = h->parents[i];
                struct json_object *o = json_object_new_object(), *types = json_object_new_array();
                add(o, "name", json_object_new_string(p->name));
                add(o, "backend", json_object_new_string(backend_kind_to_string(p->backend)));
                add(o, "gpu", str_or_null(p->gpu ? p->gpu->bdf : NULL));
                for (size_t j = 0; j < p->n_types; j++)
                        json_object_array_add(types, type_json(p->types[j]));
                add(o, "types", types);
                add(o, "instances", json_object_new_int64(p->n_instances));
                json_object_array_add(a, o);
        }
        add(root, "parents", a);

        a = json_object_new_array();
        for (size_t i = 0; i < h->n_groups; i++) {
                const struct vgpu_type_group *g = h->groups[i];
                const struct vgpu_type *t = vgpu_type_group_first(g);
                struct json_object *o = json_object_new_object(), *parents = json_object_new_array();
                add(o, "key", json_object_new_string(g->key));
                add(o, "id", json_object_new_string(t->id));
                add(o, "name", str_or_null(t->name));
                add(o, "aliases", strv_json(g->aliases));
                add(o, "available", json_object_new_int64(g->available));
                for (size_t j = 0; j < g->n_types; j++)
                        json_object_array_add(parents, json_object_new_string(g->types[j]->parent->name));
                add(o, "parents", parents);
                json_object_array_add(a, o);
        }
        add(root, "types", a);

        a = json_object_new_array();
        for (size_t i = 0; i < h->n_instances; i++) {
                const struct vgpu_instance *in = h->instances[i];
                struct json_object *o = json_object_new_object();
                add(o, "uuid", json_object_new_string(in->uuid));
                add(o, "backend", json_object_new_string(backend_kind_to_string(in->backend)));
                add(o, "device", str_or_null(in->device));
                add(o, "parent", str_or_null(in->parent_name));
                add(o, "type", str_or_null(in->type_id));
                add(o, "type_name", str_or_null(in->type ? vgpu_type_display_name(in->type) : NULL));
                add(o, "gpu", str_or_null(in->gpu ? in->gpu->bdf : NULL));
                add(o, "iommu_group", json_object_new_int(in->iommu_group));
                add(o, "driver", str_or_null(in->driver));
                json_object_array_add(a, o);
        }
        add(root, "instances", a);
        return root;
}

static int load_host(struct vgpu_host **ret) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct vgpu_error_list problems = {};
        int r;

        r = host_new(sysfs_root, &h);
        if (r < 0)
                return fail(r, NULL, "host_new");
        r = host_scan(h, NULL, &problems);
        for (size_t i = 0; i < problems.n; i++) {
                _cleanup_free_ char *s = vgpu_error_to_string(&problems.items[i]);
                fprintf(stderr, "vgpu-model: warning: %s\n", strna(s));
        }
        vgpu_error_list_clear(&problems);
        if (r < 0)
                return fail(r, NULL, "scan");
        *ret = TAKE_PTR(h);
        return 0;
}

/* ---- commands ---- */

static int cmd_dump(int argc, char **argv) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        int r = load_host(&h);
        if (r != 0)
                return r;
        _cleanup_(json_object_putp) struct json_object *o = model_json(h);
        print_json(o);
        return 0;
}

static int cmd_resolve(int argc, char **argv) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct vgpu_type_group *g;
        struct vgpu_error e = {};
        int r;

        if (argc != 1)
                return 1;
        if ((r = load_host(&h)) != 0)
                return r;
        r = type_resolve(h, argv[0], &g, &e);
        if (r < 0) {
                r = fail(r, &e, "resolve");
                vgpu_error_clear(&e);
                return r;
        }
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object(),
                                                       *members = json_object_new_array();
        add(o, "key", json_object_new_string(g->key));
        add(o, "id", json_object_new_string(vgpu_type_group_first(g)->id));
        add(o, "name", str_or_null(vgpu_type_group_first(g)->name));
        add(o, "aliases", strv_json(g->aliases));
        for (size_t i = 0; i < g->n_types; i++)
                json_object_array_add(members, json_object_new_string(g->types[i]->parent->name));
        add(o, "parents", json_object_get(members));
        print_json(o);
        return 0;
}

static struct json_object *placement_json(const struct placement_result *res) {
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; i < res->n_candidates; i++) {
                const struct placement_candidate *c = &res->candidates[i];
                struct json_object *o = json_object_new_object();
                add(o, "unit", json_object_new_string(c->unit));
                add(o, "parent", str_or_null(c->type ? c->type->parent->name : NULL));
                add(o, "type", str_or_null(c->type ? c->type->id : NULL));
                add(o, "can_host", json_object_new_boolean(c->type != NULL));
                add(o, "reason", str_or_null(c->reason));
                json_object_array_add(a, o);
        }
        return a;
}

static int resolve_and_place(struct vgpu_host *h, const char *name, struct placement_result *res) {
        struct vgpu_type_group *g;
        struct vgpu_error e = {};
        int r;

        r = type_resolve(h, name, &g, &e);
        if (r >= 0)
                r = placement_choose(h, g, gpu_filter, policy, res, &e);
        if (r < 0 && r != -ENOSPC) {
                r = fail(r, &e, "place");
                vgpu_error_clear(&e);
                return r;
        }
        if (r == -ENOSPC) {
                fail(r, &e, "place");
                vgpu_error_clear(&e);
                return 3;
        }
        return 0;
}

static int cmd_place(int argc, char **argv) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        _cleanup_(placement_result_done) struct placement_result res = {};
        int r;

        if (argc != 1)
                return 1;
        if ((r = load_host(&h)) != 0)
                return r;
        r = resolve_and_place(h, argv[0], &res);
        if (r == 0 || r == 3) {
                _cleanup_(json_object_putp) struct json_object *o = placement_json(&res);
                print_json(o);
        }
        return r;
}

static int cmd_create(int argc, char **argv) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        _cleanup_(placement_result_done) struct placement_result res = {};
        const struct backend_ctx ctx = {sysfs_root, DEV_VFIO_DIR, PROC_ROOT, NULL};
        _cleanup_free_ char *device = NULL;
        char uuid[UUID_STRING_MAX];
        struct vgpu_error e = {};
        int r;

        if (argc != 1)
                return 1;
        if ((r = load_host(&h)) != 0)
                return r;
        r = resolve_and_place(h, argv[0], &res);
        if (r != 0)
                return r;
        if (uuid_arg) {
                if (uuid_normalize(uuid_arg, uuid) < 0) {
                        fprintf(stderr, "vgpu-model: invalid UUID %s\n", uuid_arg);
                        return 1;
                }
        } else if ((r = uuid_generate_random(uuid)) < 0)
                return fail(r, NULL, "uuid");

        const struct backend_ops *ops = backend_get(res.type->backend);
        struct backend_create req = {res.type->parent->name, res.type->id, uuid, attrs, n_attrs};
        r = ops->create(&ctx, &req, &device, &e);
        if (r < 0) {
                r = fail(r, &e, "create");
                vgpu_error_clear(&e);
                return r;
        }
        /* what the daemon does after a host operation: bring the model up to date (a PCI function
         * as instance is known to the model by the daemon's claim) */
        if (ops->kind != VGPU_BACKEND_MDEV) {
                r = host_claim_device(h, uuid, ops->kind, device, res.type->id);
                if (r < 0)
                        return fail(r, NULL, "claim");
        }
        r = host_refresh_instance(h, uuid);
        if (r < 0)
                return fail(r, NULL, "refresh");
        const struct vgpu_instance *in = host_find_instance(h, uuid);
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        add(o, "uuid", json_object_new_string(uuid));
        add(o, "device", json_object_new_string(device));
        add(o, "parent", json_object_new_string(res.type->parent->name));
        add(o, "type", json_object_new_string(res.type->id));
        add(o, "in_model", json_object_new_boolean(in != NULL));
        add(o, "available_after", json_object_new_int64(res.type->available));
        print_json(o);
        return 0;
}

static int cmd_destroy(int argc, char **argv) {
        const struct backend_ctx ctx = {sysfs_root, DEV_VFIO_DIR, PROC_ROOT, NULL};
        struct vgpu_error e = {};
        int r;

        if (argc != 1)
                return 1;
        /* a UUID is an mdev; a PCI address a VF with a vGPU type (nvidia-vfio) or bound whole (vf) */
        const struct backend_ops *ops = &backend_mdev;
        if (!uuid_is_valid(argv[0])) {
                _cleanup_(gpu_freep) struct vgpu_gpu *g = NULL;
                char bdf[PCI_BDF_MAX];
                ops = &backend_vf;
                if (pci_bdf_normalize(argv[0], bdf) >= 0 && pci_read_gpu(sysfs_root, bdf, &g) >= 0 && g &&
                    backend_nvidia_vfio.function_unclaimed_instance(g))
                        ops = &backend_nvidia_vfio;
        }
        r = ops->destroy(&ctx, argv[0], &e);
        if (r < 0) {
                r = fail(r, &e, "destroy");
                vgpu_error_clear(&e);
                return r;
        }
        return 0;
}

static const char *object_kind(enum host_object k) {
        static const char *const names[] = {"gpu", "parent", "type", "type-group", "instance"};
        return k < ELEMENTSOF(names) ? names[k] : "?";
}

static const char *object_name(enum host_object kind, void *o) {
        switch (kind) {
        case HOST_OBJECT_GPU:
                return ((struct vgpu_gpu *) o)->bdf;
        case HOST_OBJECT_PARENT:
                return ((struct vgpu_parent *) o)->name;
        case HOST_OBJECT_TYPE:
                return ((struct vgpu_type *) o)->id;
        case HOST_OBJECT_TYPE_GROUP:
                return ((struct vgpu_type_group *) o)->key;
        case HOST_OBJECT_INSTANCE:
                return ((struct vgpu_instance *) o)->uuid;
        }
        return "?";
}

static unsigned n_events;

static void print_event(struct vgpu_host *h, enum host_event ev, enum host_object kind, void *object,
                        void *ud) {
        static const char *const evs[] = {"added", "changed", "removed"};
        const char *extra = "";
        char buf[64] = "";

        if (kind == HOST_OBJECT_TYPE) {
                struct vgpu_type *t = object;
                snprintf(buf, sizeof(buf), " %s available=%u", t->parent ? t->parent->name : "-",
                         t->available);
                extra = buf;
        }
        printf("%s %s %s%s\n", evs[ev], object_kind(kind), object_name(kind, object), extra);
        fflush(stdout);
        n_events++;
}

static double now_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Follow uevents: print "READY" once listening, then one line per model change,
 * until --count changes were printed or --timeout passed. */
static int cmd_watch(int argc, char **argv) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        _cleanup_(udev_unrefp) struct udev *udev = udev_new();
        _cleanup_(udev_monitor_unrefp) struct udev_monitor *mon = NULL;
        int r;

        if (!udev)
                return fail(-ENOMEM, NULL, "udev");
        mon = udev_monitor_new_from_netlink(udev, "udev");
        if (!mon)
                return fail(-EIO, NULL, "udev monitor");
        if ((r = udev_monitor_enable_receiving(mon)) < 0)
                return fail(r, NULL, "udev monitor");
        /* listen first, then scan: nothing falls between the two */
        if ((r = load_host(&h)) != 0)
                return r;
        host_set_event_handler(h, print_event, NULL);
        printf("READY\n");
        fflush(stdout);

        double end = now_sec() + timeout_sec;
        while (now_sec() < end && (max_events == 0 || n_events < max_events)) {
                struct pollfd p = {.fd = udev_monitor_get_fd(mon), .events = POLLIN};
                int ms = (int) ((end - now_sec()) * 1000) + 1;
                if (poll(&p, 1, ms) <= 0)
                        continue;
                _cleanup_(udev_device_unrefp) struct udev_device *d = udev_monitor_receive_device(mon);
                if (!d)
                        continue;
                r = host_handle_udev_device(h, d);
                if (r < 0)
                        fprintf(stderr, "vgpu-model: uevent %s %s: %s\n", strna(udev_device_get_action(d)),
                                strna(udev_device_get_sysname(d)), strerror(-r));
        }
        return max_events == 0 || n_events >= max_events ? 0 : 2;
}

static int records_json(struct vgpu_record **v, size_t n, struct vgpu_error_list *problems) {
        _cleanup_(json_object_putp) struct json_object *a = json_object_new_array();

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *text = NULL;
                struct json_object *o;
                if (record_to_json(v[i], &text) < 0 || !(o = json_tokener_parse(text)))
                        return fail(-ENOMEM, NULL, "json");
                add(o, "origin",
                    json_object_new_string(v[i]->origin == RECORD_ORIGIN_MDEVCTL ? "mdevctl" : "vgpud"));
                json_object_array_add(a, o);
        }
        for (size_t i = 0; i < problems->n; i++) {
                _cleanup_free_ char *s = vgpu_error_to_string(&problems->items[i]);
                fprintf(stderr, "vgpu-model: problem: %s\n", strna(s));
        }
        print_json(a);
        return 0;
}

static int cmd_mdevctl_list(int argc, char **argv) {
        struct vgpu_error_list problems = {};
        struct vgpu_record **v;
        size_t n;
        int r;

        if (argc != 1)
                return 1;
        r = mdevctl_load(argv[0], &v, &n, &problems);
        if (r < 0)
                return fail(r, NULL, argv[0]);
        r = records_json(v, n, &problems);
        records_free(v, n);
        vgpu_error_list_clear(&problems);
        return r;
}

static int cmd_mdevctl_write(int argc, char **argv) {
        _cleanup_(record_freep) struct vgpu_record *rec = NULL;
        struct vgpu_error e = {};
        int r;

        if (argc != 4)
                return 1;
        r = record_new(argv[1], VGPU_BACKEND_MDEV, argv[3], &rec);
        if (r < 0)
                return fail(r, NULL, "record");
        rec->parent = strdup(argv[2]);
        rec->persistent = true;
        rec->autostart = autostart;
        if (attrs_copy(attrs, n_attrs, &rec->attrs) < 0)
                return fail(-ENOMEM, NULL, "record");
        rec->n_attrs = n_attrs;
        r = mdevctl_save(argv[0], rec, &e);
        if (r < 0) {
                r = fail(r, &e, "mdevctl-write");
                vgpu_error_clear(&e);
                return r;
        }
        return 0;
}

static int cmd_store_list(int argc, char **argv) {
        _cleanup_(store_freep) struct vgpu_store *s = NULL;
        struct vgpu_error_list problems = {};
        struct vgpu_record **v;
        size_t n;
        int r;

        if (argc != 1)
                return 1;
        if ((r = store_open(argv[0], &s)) < 0 || (r = store_load(s, &v, &n, &problems)) < 0)
                return fail(r, NULL, argv[0]);
        r = records_json(v, n, &problems);
        records_free(v, n);
        vgpu_error_list_clear(&problems);
        return r;
}

static int cmd_config(int argc, char **argv) {
        _cleanup_(config_freep) struct vgpu_config *c = NULL;
        _cleanup_free_ char *text = NULL;
        struct vgpu_error e = {};
        int r;

        if (argc != 1)
                return 1;
        r = config_load(argv[0], &c, &e);
        if (r < 0) {
                r = fail(r, &e, argv[0]);
                vgpu_error_clear(&e);
                return r;
        }
        if (config_format(c, &text) < 0)
                return fail(-ENOMEM, NULL, "config");
        fputs(text, stdout);
        return 0;
}

/* Figures for tests/bench/lib-large.sh: one scan, then lookups and a whole-model JSON from memory. */
static int cmd_bench(int argc, char **argv) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        double t0 = now_sec();
        int r = load_host(&h);
        if (r != 0)
                return r;
        double t1 = now_sec();
        unsigned found = 0;
        for (int k = 0; k < 100; k++)
                for (size_t i = 0; i < h->n_instances; i++)
                        found += host_find_instance(h, h->instances[i]->uuid) != NULL;
        double t2 = now_sec();
        struct vgpu_type_group *g = NULL;
        for (int k = 0; k < 1000; k++)
                if (h->n_groups > 0 &&
                    type_resolve(h, vgpu_type_group_first(h->groups[k % h->n_groups])->id, &g, NULL) < 0)
                        return fail(-EINVAL, NULL, "resolve");
        double t3 = now_sec();
        for (int k = 0; k < 100 && g; k++) {
                struct placement_result res;
                (void) placement_choose(h, g, NULL, k % 2 ? PLACEMENT_SPREAD : PLACEMENT_PACK, &res, NULL);
                placement_result_done(&res);
        }
        double t4 = now_sec();
        size_t bytes = 0;
        for (int k = 0; k < 10; k++) {
                _cleanup_(json_object_putp) struct json_object *o = model_json(h);
                bytes = strlen(json_object_to_json_string(o));
        }
        double t5 = now_sec();
        printf("scan (%zu GPUs, %zu parents, %zu types, %zu instances): %.1f ms\n", h->n_gpus, h->n_parents,
               h->n_groups, h->n_instances, (t1 - t0) * 1e3);
        printf("host_find_instance: %.2f us each (%u lookups)\n", (t2 - t1) * 1e6 / (found ?: 1), found);
        printf("type_resolve: %.2f us each\n", (t3 - t2) * 1e3);
        printf("placement_choose: %.1f us each\n", (t4 - t3) * 1e4);
        printf("whole model as JSON from memory (%zu bytes): %.2f ms each\n", bytes, (t5 - t4) * 1e2);
        return 0;
}

static void usage(FILE *f) {
        fputs("Usage: vgpu-model [OPTIONS] COMMAND [ARGS]\n"
              "  dump                          the discovered host model as JSON\n"
              "  resolve NAME                  which type a name means\n"
              "  place NAME                    placement candidates (exit 3: no capacity)\n"
              "  create NAME                   resolve, place and create an instance\n"
              "  destroy UUID                  remove an mdev\n"
              "  watch                         follow uevents, one line per model change\n"
              "  mdevctl-list DIR              mdevctl definitions as records\n"
              "  mdevctl-write DIR UUID PARENT TYPE   write an mdevctl definition\n"
              "  store-list DIR                records in a state directory\n"
              "  config FILE                   the effective vgpud.conf\n"
              "  bench                         timings of a scan and of in-memory lookups\n"
              "Options: --sysfs-root DIR --gpu G --uuid U --policy pack|spread --attr K=V (repeatable)\n"
              "         --auto --timeout SEC --count N\n",
              f);
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                {"sysfs-root", required_argument, NULL, 'r'},
                {"gpu", required_argument, NULL, 'g'},
                {"uuid", required_argument, NULL, 'u'},
                {"policy", required_argument, NULL, 'p'},
                {"attr", required_argument, NULL, 'a'},
                {"auto", no_argument, NULL, 'A'},
                {"timeout", required_argument, NULL, 't'},
                {"count", required_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        static const struct {
                const char *name;
                int (*run)(int argc, char **argv);
        } cmds[] = {
                {"dump", cmd_dump},
                {"resolve", cmd_resolve},
                {"place", cmd_place},
                {"create", cmd_create},
                {"destroy", cmd_destroy},
                {"watch", cmd_watch},
                {"mdevctl-list", cmd_mdevctl_list},
                {"mdevctl-write", cmd_mdevctl_write},
                {"store-list", cmd_store_list},
                {"config", cmd_config},
                {"bench", cmd_bench},
        };
        struct vgpu_attr a;
        int c, r = 1;

        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) >= 0)
                switch (c) {
                case 'r':
                        sysfs_root = optarg;
                        break;
                case 'g':
                        gpu_filter = optarg;
                        break;
                case 'u':
                        uuid_arg = optarg;
                        break;
                case 'p':
                        policy = placement_policy_from_string(optarg);
                        if (policy < 0) {
                                fprintf(stderr, "vgpu-model: --policy is pack or spread\n");
                                return 1;
                        }
                        break;
                case 'a':
                        if (attr_parse_assignment(optarg, &a) < 0 ||
                            attrs_add(&attrs, &n_attrs, a.name, a.value) < 0) {
                                fprintf(stderr,
                                        "vgpu-model: --attr wants NAME=VALUE with a relative NAME\n");
                                return 1;
                        }
                        free(a.name);
                        free(a.value);
                        break;
                case 'A':
                        autostart = true;
                        break;
                case 't':
                        timeout_sec = atof(optarg);
                        break;
                case 'n':
                        max_events = (unsigned) atoi(optarg);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 1;
                }
        if (optind >= argc) {
                usage(stderr);
                return 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
                if (streq(argv[optind], cmds[i].name)) {
                        r = cmds[i].run(argc - optind - 1, argv + optind + 1);
                        if (r == 1)
                                usage(stderr);
                        attrs_free(attrs, n_attrs);
                        return r;
                }
        usage(stderr);
        return 1;
}
