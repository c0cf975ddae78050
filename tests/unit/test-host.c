/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of the host model (host.c with pci.c and mdev.c) over a
 * sysfs-shaped tree: discovery of GPUs, parents, types and instances, the
 * links between them, refresh after changes, uevent dispatch, and the change
 * events the daemon builds its D-Bus objects from.
 */
#include "unit.h"

#include "attr-cache.h"
#include "host.h"
#include "mdev.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs-fixture.h"
#include "vendor.h"

#define T4A "0000:3b:00.0"
#define T4B "0000:af:00.0"
#define U1  "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d01"
#define U2  "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d02"

struct recorded {
        enum host_event ev;
        enum host_object kind;
        char name[64];
};

struct recorder {
        struct recorded *v;
        size_t n;
};

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

static void record(struct vgpu_host *h, enum host_event ev, enum host_object kind, void *object,
                   void *userdata) {
        struct recorder *r = userdata;
        r->v = realloc(r->v, (r->n + 1) * sizeof(*r->v));
        assert_non_null(r->v);
        r->v[r->n] = (struct recorded){ev, kind, ""};
        /* reading the object proves it is alive, also for REMOVED (ASan would catch a freed one) */
        snprintf(r->v[r->n].name, sizeof(r->v[r->n].name), "%s", object_name(kind, object));
        r->n++;
}

static size_t count(const struct recorder *r, enum host_event ev, enum host_object kind, const char *name) {
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++)
                if (r->v[i].ev == ev && r->v[i].kind == kind && (!name || streq(r->v[i].name, name)))
                        n++;
        return n;
}

static void reset(struct recorder *r) {
        free(r->v);
        *r = (struct recorder){};
}

/* Two T4s, one with an instance of GRID T4-2Q. */
static void t4_host(struct fixture *f) {
        fixture_init(f);
        fixture_add_pci(f, "0000:00:1f.0", 0x8086, 0x1234, 0x060100, NULL, 1); /* not a GPU */
        const char *gpus[] = {T4A, T4B};
        for (int i = 0; i < 2; i++) {
                fixture_add_pci(f, gpus[i], 0x10de, 0x1eb8, 0x030200, "nvidia", 10 + i);
                fixture_add_parent(f, gpus[i]);
                fixture_add_nvidia_type(f, gpus[i], 222, "GRID T4-1B", 1024, 16, i == 0 ? 0 : 16);
                fixture_add_nvidia_type(f, gpus[i], 231, "GRID T4-2Q", 2048, 8, i == 0 ? 7 : 8);
        }
        fixture_add_mdev(f, T4A, U1, "nvidia-231", 100);
}

static void load(struct vgpu_host *h, struct fixture *f) {
        assert_true(host_refresh_gpu(h, "0000:00:1f.0") >= 0);
        assert_true(host_refresh_gpu(h, T4A) >= 0);
        assert_true(host_refresh_gpu(h, T4B) >= 0);
        assert_true(host_refresh_parent(h, T4A) >= 0);
        assert_true(host_refresh_parent(h, T4B) >= 0);
        assert_true(host_refresh_instance(h, U1) >= 0);
}

static void test_discovery(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct recorder rec = {};
        struct fixture f;

        t4_host(&f);
        assert_int_equal(host_new(f.root, &h), 0);
        host_set_event_handler(h, record, &rec);
        load(h, &f);

        assert_int_equal(h->n_gpus, 2); /* the ISA bridge is not a GPU */
        struct vgpu_gpu *g = host_find_gpu(h, "3B:00.0");
        assert_non_null(g);
        assert_string_equal(g->bdf, T4A);
        assert_int_equal(g->vendor_id, 0x10de);
        assert_int_equal(g->device_id, 0x1eb8);
        assert_int_equal(g->class_code, 0x030200);
        assert_string_equal(g->driver, "nvidia");
        assert_int_equal(g->iommu_group, 10);
        assert_int_equal(g->numa_node, -1);
        assert_false(g->sriov.capable);
        assert_false(vgpu_gpu_is_vf(g));
        /* names come from udev's hardware database when the machine has one */
        if (g->vendor_name) {
                assert_string_equal(g->vendor_name, "NVIDIA Corporation");
                assert_non_null(strstr(g->model_name, "Tesla T4"));
                _cleanup_free_ char *board = pci_board_name(g->model_name);
                assert_string_equal(board, "Tesla T4");
        }

        struct vgpu_parent *p = host_find_parent(h, T4A);
        assert_non_null(p);
        assert_ptr_equal(p->device, g);
        assert_ptr_equal(p->gpu, g);
        assert_ptr_equal(g->parent, p);
        assert_int_equal(p->n_types, 2);
        struct vgpu_type *t = parent_find_type(p, "nvidia-231");
        assert_non_null(t);
        assert_string_equal(t->name, "GRID T4-2Q");
        assert_string_equal(t->device_api, "vfio-pci");
        assert_int_equal(t->available, 7);
        assert_int_equal(t->framebuffer_mb, 2048);
        assert_int_equal(t->heads, 4);
        assert_int_equal(t->max_instances, 8);
        assert_int_equal(t->max_width, 5120);
        assert_string_equal(t->series, "Q");
        assert_string_equal(t->board, "T4");
        assert_null(t->parse_error);
        assert_ptr_equal(t->vendor, vendor_for_type("nvidia-231"));

        struct vgpu_instance *in = host_find_instance(h, "5B6F2A60-3A2C-4B79-9D55-3F1F1A4C1D01");
        assert_non_null(in);
        assert_string_equal(in->parent_name, T4A);
        assert_string_equal(in->type_id, "nvidia-231");
        assert_int_equal(in->iommu_group, 100);
        assert_ptr_equal(in->parent, p);
        assert_ptr_equal(in->type, t);
        assert_ptr_equal(in->gpu, g);
        assert_int_equal(p->n_instances, 1);
        assert_int_equal(g->n_instances, 1);

        /* one group per type across both GPUs */
        assert_int_equal(h->n_groups, 2);
        struct vgpu_type_group *grp = host_find_group(h, "mdev:GRID T4-2Q");
        assert_non_null(grp);
        assert_int_equal(grp->n_types, 2);
        assert_int_equal(grp->available, 15);
        assert_ptr_equal(t->group, grp);

        /* events: everything was announced once */
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_GPU, NULL), 2);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_PARENT, NULL), 2);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_TYPE, NULL), 4);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_TYPE_GROUP, NULL), 2);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, U1), 1);
        assert_int_equal(count(&rec, HOST_EVENT_REMOVED, HOST_OBJECT_GPU, NULL), 0);

        /* refreshing an unchanged object changes nothing and says so */
        reset(&rec);
        assert_int_equal(host_refresh_gpu(h, T4A), 0);
        assert_int_equal(host_refresh_parent(h, T4A), 0);
        assert_int_equal(host_refresh_instance(h, U1), 0);
        assert_int_equal(rec.n, 0);

        reset(&rec);
        fixture_done(&f);
}

static void test_instance_lifecycle_and_availability(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct recorder rec = {};
        struct fixture f;

        t4_host(&f);
        assert_int_equal(host_new(f.root, &h), 0);
        load(h, &f);
        host_set_event_handler(h, record, &rec);

        /* the kernel creates a second instance: counts drop */
        fixture_add_mdev(&f, T4A, U2, "nvidia-231", 101);
        fixture_set_available(&f, T4A, "nvidia-231", 6);
        assert_int_equal(host_refresh_instance(h, U2), 1);
        assert_int_equal(h->n_instances, 2);
        assert_ptr_equal(h->instances[0], host_find_instance(h, U1)); /* sorted by UUID */
        struct vgpu_type *t = parent_find_type(host_find_parent(h, T4A), "nvidia-231");
        assert_int_equal(t->available, 6);
        assert_int_equal(host_find_group(h, "mdev:GRID T4-2Q")->available, 14);
        assert_int_equal(host_find_gpu(h, T4A)->n_instances, 2);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, U2), 1);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE, "nvidia-231"), 1);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE_GROUP, "mdev:GRID T4-2Q"), 1);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_GPU, T4A), 1);
        /* the GPU before the instance: listeners find containers first */
        size_t gpu_at = SIZE_MAX, inst_at = SIZE_MAX;
        for (size_t i = 0; i < rec.n; i++) {
                if (rec.v[i].kind == HOST_OBJECT_GPU && gpu_at == SIZE_MAX)
                        gpu_at = i;
                if (rec.v[i].kind == HOST_OBJECT_INSTANCE)
                        inst_at = i;
        }
        assert_true(gpu_at < inst_at);

        /* ... and removes it: a refresh notices it is gone */
        reset(&rec);
        fixture_remove_mdev(&f, T4A, U2);
        fixture_set_available(&f, T4A, "nvidia-231", 7);
        assert_int_equal(host_refresh_instance(h, U2), 1);
        assert_null(host_find_instance(h, U2));
        assert_int_equal(t->available, 7);
        assert_int_equal(count(&rec, HOST_EVENT_REMOVED, HOST_OBJECT_INSTANCE, U2), 1);

        /* availability alone */
        reset(&rec);
        fixture_set_available(&f, T4B, "nvidia-222", 3);
        assert_int_equal(host_refresh_availability(h, host_find_parent(h, T4B)), 1);
        assert_int_equal(parent_find_type(host_find_parent(h, T4B), "nvidia-222")->available, 3);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE_GROUP, "mdev:GRID T4-1B"), 1);

        reset(&rec);
        fixture_done(&f);
}

struct stale_log {
        char parents[8][32];
        size_t n;
};

static void on_stale(struct vgpu_host *h, struct vgpu_parent *p, void *userdata) {
        struct stale_log *l = userdata;
        assert_true(l->n < ELEMENTSOF(l->parents));
        /* called after the change is in the model: the instance is already linked to p */
        snprintf(l->parents[l->n++], sizeof(l->parents[0]), "%s", p->name);
}

/* With an availability handler the model reads no numbers after an instance change: it names the parents
 * whose numbers are stale, and takes numbers read elsewhere (as vgpud's worker threads do). */
static void test_deferred_availability(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct recorder rec = {};
        struct stale_log stale = {};
        struct fixture f;

        t4_host(&f);
        assert_int_equal(host_new(f.root, &h), 0);
        load(h, &f);
        host_set_event_handler(h, record, &rec);
        host_set_availability_handler(h, on_stale, &stale);
        struct vgpu_type *t = parent_find_type(host_find_parent(h, T4A), "nvidia-231");
        unsigned long generation = h->types_generation;

        /* an instance read elsewhere is adopted; the numbers stay as they were, the parent is named once */
        struct vgpu_instance *in = NULL;
        fixture_add_mdev(&f, T4A, U2, "nvidia-231", 101);
        fixture_set_available(&f, T4A, "nvidia-231", 6);
        assert_int_equal(mdev_read_instance(f.root, U2, &in), 0);
        assert_int_equal(host_adopt_instance(h, in), 1);
        assert_non_null(host_find_instance(h, U2));
        assert_ptr_equal(host_find_instance(h, U2)->type, t);
        assert_int_equal(host_find_gpu(h, T4A)->n_instances, 2);
        assert_int_equal(t->available, 7);
        assert_int_equal(stale.n, 1);
        assert_string_equal(stale.parents[0], T4A);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, U2), 1);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE, NULL), 0);

        /* adopting the same state again changes nothing but still names the parent (the caller decides) */
        in = NULL;
        assert_int_equal(mdev_read_instance(f.root, U2, &in), 0);
        assert_int_equal(host_adopt_instance(h, in), 0);
        assert_int_equal(stale.n, 2);

        /* the numbers, read relative to the types directory, are applied */
        reset(&rec);
        struct mdev_available v[] = {
                {.type_id = "nvidia-222"}, {.type_id = "nvidia-231"}, {.type_id = "nope"}};
        assert_int_equal(mdev_read_availability(f.root, NULL, T4A, v, ELEMENTSOF(v)), 0);
        assert_int_equal(v[0].error, 0);
        assert_int_equal(v[0].available, 0);
        assert_int_equal(v[1].error, 0);
        assert_int_equal(v[1].available, 6);
        assert_int_equal(v[2].error, -ENODEV);
        assert_int_equal(host_apply_availability(h, T4A, v, ELEMENTSOF(v)), 1);
        assert_int_equal(t->available, 6);
        assert_int_equal(host_find_group(h, "mdev:GRID T4-2Q")->available, 14);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE, "nvidia-231"), 1);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE_GROUP, "mdev:GRID T4-2Q"), 1);
        /* the same numbers again: no change; an unknown parent: nothing */
        assert_int_equal(host_apply_availability(h, T4A, v, ELEMENTSOF(v)), 0);
        assert_int_equal(host_apply_availability(h, "0000:99:00.0", v, ELEMENTSOF(v)), 0);
        /* an entry with an error is not applied */
        v[1].available = 0;
        v[1].error = -EIO;
        assert_int_equal(host_apply_availability(h, T4A, v, ELEMENTSOF(v)), 0);
        assert_int_equal(t->available, 6);

        /* a removal through a uevent names the parent too, and reads nothing */
        stale.n = 0;
        fixture_remove_mdev(&f, T4A, U2);
        fixture_set_available(&f, T4A, "nvidia-231", 7);
        struct host_uevent ev = {.action = "remove", .subsystem = "mdev", .sysname = U2};
        assert_int_equal(host_handle_uevent(h, &ev), 1);
        assert_null(host_find_instance(h, U2));
        assert_int_equal(t->available, 6);
        assert_int_equal(stale.n, 1);
        assert_string_equal(stale.parents[0], T4A);
        assert_int_equal(h->types_generation, generation);

        /* a parent read whole moves the generation (its numbers are fresh) */
        assert_true(host_refresh_parent(h, T4A) >= 0);
        assert_int_equal(t->available, 7);
        assert_true(h->types_generation > generation);

        /* a parent that is gone: mdev_read_availability says so */
        fixture_unregister_parent(&f, T4B);
        assert_int_equal(mdev_read_availability(f.root, NULL, T4B, v, 1), -ENODEV);
        assert_int_equal(mdev_read_availability(f.root, NULL, "../x", v, 1), -EINVAL);

        /* without the handler, the model reads the numbers itself again */
        host_set_availability_handler(h, NULL, NULL);
        stale.n = 0;
        in = NULL;
        fixture_add_mdev(&f, T4A, U2, "nvidia-231", 101);
        fixture_set_available(&f, T4A, "nvidia-231", 6);
        assert_int_equal(mdev_read_instance(f.root, U2, &in), 0);
        assert_int_equal(host_adopt_instance(h, in), 1);
        assert_int_equal(t->available, 6);
        assert_int_equal(stale.n, 0);
        assert_int_equal(host_adopt_instance(h, NULL), -EINVAL);

        reset(&rec);
        fixture_done(&f);
}

static void test_uevents(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct recorder rec = {};
        struct fixture f;

        t4_host(&f);
        assert_int_equal(host_new(f.root, &h), 0);
        load(h, &f);
        host_set_event_handler(h, record, &rec);

        /* mdev add through a uevent */
        fixture_add_mdev(&f, T4B, U2, "nvidia-222", 102);
        struct host_uevent add = {"add", "mdev", U2, NULL};
        assert_int_equal(host_handle_uevent(h, &add), 1);
        assert_non_null(host_find_instance(h, U2));
        assert_ptr_equal(host_find_instance(h, U2)->parent, host_find_parent(h, T4B));

        /* a late remove of an earlier mdev with this UUID on another parent (udevd reorders events of
         * different device paths): the instance stays */
        struct host_uevent late = {"remove", "mdev", U2, NULL, T4A};
        assert_int_equal(host_handle_uevent(h, &late), 0);
        assert_non_null(host_find_instance(h, U2));

        /* remove uevent: gone from the model even before sysfs says so */
        struct host_uevent rm = {"remove", "mdev", U2, NULL, T4B};
        assert_int_equal(host_handle_uevent(h, &rm), 1);
        assert_null(host_find_instance(h, U2));

        /* parent unregistered: its types, their groups and the links go; the instance stays, unlinked */
        reset(&rec);
        fixture_unregister_parent(&f, T4A);
        struct host_uevent unreg = {"change", "pci", T4A, "unregistered"};
        assert_int_equal(host_handle_uevent(h, &unreg), 1);
        assert_null(host_find_parent(h, T4A));
        assert_int_equal(count(&rec, HOST_EVENT_REMOVED, HOST_OBJECT_PARENT, T4A), 1);
        assert_int_equal(count(&rec, HOST_EVENT_REMOVED, HOST_OBJECT_TYPE, NULL), 2);
        assert_int_equal(count(&rec, HOST_EVENT_CHANGED, HOST_OBJECT_TYPE_GROUP, NULL),
                         2); /* one member fewer */
        struct vgpu_instance *in = host_find_instance(h, U1);
        assert_null(in->parent);
        assert_null(in->type);
        assert_int_equal(host_find_group(h, "mdev:GRID T4-2Q")->n_types, 1);

        /* registered again */
        fixture_add_parent(&f, T4A);
        fixture_add_nvidia_type(&f, T4A, 231, "GRID T4-2Q", 2048, 8, 7);
        struct host_uevent reg = {"change", "pci", T4A, "registered"};
        assert_int_equal(host_handle_uevent(h, &reg), 1);
        assert_non_null(in->type);
        assert_string_equal(in->type->id, "nvidia-231");

        /* the GPU is unplugged: GPU and parent go */
        reset(&rec);
        fixture_remove_mdev(&f, T4A, U1);
        struct host_uevent rm1 = {"remove", "mdev", U1, NULL};
        assert_int_equal(host_handle_uevent(h, &rm1), 1);
        fixture_remove_pci(&f, T4A);
        struct host_uevent unplug = {"remove", "pci", T4A, NULL};
        assert_int_equal(host_handle_uevent(h, &unplug), 1);
        assert_null(host_find_gpu(h, T4A));
        assert_null(host_find_parent(h, T4A));
        assert_int_equal(h->n_gpus, 1);
        assert_int_equal(count(&rec, HOST_EVENT_REMOVED, HOST_OBJECT_GPU, T4A), 1);

        /* and plugged back in: a pci add of a registered parent brings both */
        fixture_add_pci(&f, T4A, 0x10de, 0x1eb8, 0x030200, "nvidia", 10);
        fixture_add_parent(&f, T4A);
        fixture_add_nvidia_type(&f, T4A, 231, "GRID T4-2Q", 2048, 8, 8);
        struct host_uevent plug = {"add", "pci", T4A, NULL};
        assert_int_equal(host_handle_uevent(h, &plug), 1);
        assert_non_null(host_find_parent(h, T4A));
        assert_ptr_equal(host_find_parent(h, T4A)->gpu, host_find_gpu(h, T4A));

        /* things the model does not track */
        struct host_uevent other = {"add", "net", "eth0", NULL};
        assert_int_equal(host_handle_uevent(h, &other), 0);
        struct host_uevent junk = {"add", "mdev", "not-a-uuid", NULL};
        assert_int_equal(host_handle_uevent(h, &junk), 0);
        struct host_uevent nonpci = {"add", "pci", "../../etc", NULL};
        assert_int_equal(host_handle_uevent(h, &nonpci), 0);

        reset(&rec);
        fixture_done(&f);
}

#define A16 "0000:41:00.0"
#define VF1 "0000:41:00.4"
#define VF2 "0000:41:00.5"

/* Ampere with SR-IOV on an older driver: each VF is its own mdev parent. */
static void test_sriov_vf_parents(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct fixture f;

        fixture_init(&f);
        fixture_add_pci(&f, A16, 0x10de, 0x25b6, 0x030200, "nvidia", 20);
        fixture_set_sriov(&f, A16, 16, 2);
        fixture_add_pci(&f, VF1, 0x10de, 0x25b6, 0x030200, "nvidia", 21);
        fixture_add_pci(&f, VF2, 0x10de, 0x25b6, 0x030200, "nvidia", 22);
        fixture_add_vf(&f, A16, VF1, 0);
        fixture_add_vf(&f, A16, VF2, 1);
        fixture_add_parent(&f, VF1);
        fixture_add_parent(&f, VF2);
        fixture_add_nvidia_type(&f, VF1, 700, "NVIDIA A16-4Q", 4096, 4, 1);
        fixture_add_nvidia_type(&f, VF2, 700, "NVIDIA A16-4Q", 4096, 4, 0);
        fixture_add_mdev(&f, VF2, U1, "nvidia-700", 40);

        assert_int_equal(host_new(f.root, &h), 0);
        /* VFs first: links must not depend on discovery order */
        assert_int_equal(host_refresh_gpu(h, VF2), 1);
        assert_int_equal(host_refresh_parent(h, VF2), 1);
        assert_int_equal(host_refresh_instance(h, U1), 1);
        assert_int_equal(host_refresh_gpu(h, VF1), 1);
        assert_int_equal(host_refresh_parent(h, VF1), 1);
        assert_int_equal(host_refresh_gpu(h, A16), 1);

        struct vgpu_gpu *pf = host_find_gpu(h, A16), *vf = host_find_gpu(h, VF2);
        assert_true(pf->sriov.capable);
        assert_int_equal(pf->sriov.total_vfs, 16);
        assert_int_equal(pf->sriov.num_vfs, 2);
        assert_int_equal(pf->sriov.vf_device_id, 0x25b6);
        assert_int_equal(strv_length(pf->sriov.vfs), 2);
        assert_string_equal(pf->sriov.vfs[0], VF1);
        assert_string_equal(pf->sriov.vfs[1], VF2);
        assert_true(vgpu_gpu_is_vf(vf));
        assert_string_equal(vf->physfn, A16);
        assert_ptr_equal(vf->pf, pf);
        assert_null(pf->parent);

        /* SR-IOV capable, none enabled: an empty list, not a missing one */
        fixture_add_pci(&f, "0000:81:00.0", 0x10de, 0x25b6, 0x030200, "nvidia", 30);
        fixture_set_sriov(&f, "0000:81:00.0", 16, 0);
        assert_int_equal(host_refresh_gpu(h, "0000:81:00.0"), 1);
        struct vgpu_gpu *idle = host_find_gpu(h, "0000:81:00.0");
        assert_true(idle->sriov.capable);
        assert_int_equal(idle->sriov.num_vfs, 0);
        assert_non_null(idle->sriov.vfs);
        assert_int_equal(strv_length(idle->sriov.vfs), 0);

        /* a third VF appears: its add uevent also updates the PF's list */
        fixture_add_pci(&f, "0000:41:00.6", 0x10de, 0x25b6, 0x030200, "nvidia", 23);
        fixture_add_vf(&f, A16, "0000:41:00.6", 2);
        fixture_set_sriov(&f, A16, 16, 3);
        struct host_uevent add = {"add", "pci", "0000:41:00.6", NULL};
        assert_int_equal(host_handle_uevent(h, &add), 1);
        assert_int_equal(pf->sriov.num_vfs, 3);
        assert_int_equal(strv_length(pf->sriov.vfs), 3);
        assert_ptr_equal(host_find_gpu(h, "0000:41:00.6")->pf, pf);
        /* and goes again */
        fixture_remove_pci(&f, "0000:41:00.6");
        char *l;
        assert_true(asprintf(&l, "%s/devices/pci0000:00/%s/virtfn2", f.root, A16) > 0);
        assert_int_equal(unlink(l), 0);
        free(l);
        fixture_set_sriov(&f, A16, 16, 2);
        struct host_uevent rm = {"remove", "pci", "0000:41:00.6", NULL};
        assert_int_equal(host_handle_uevent(h, &rm), 1);
        assert_int_equal(pf->sriov.num_vfs, 2);
        assert_int_equal(strv_length(pf->sriov.vfs), 2);

        struct vgpu_parent *p = host_find_parent(h, VF2);
        assert_ptr_equal(p->device, vf);
        assert_ptr_equal(p->gpu, pf); /* VF parents belong to their physical GPU */
        assert_int_equal(vf->n_instances, 1);
        assert_int_equal(pf->n_instances, 1);
        assert_ptr_equal(host_find_instance(h, U1)->gpu, pf);

        size_t i = 0, n = 0;
        while (host_next_physical_gpu(h, &i))
                n++;
        assert_int_equal(n, 2);

        /* the PF's types, merged over its VFs */
        struct vgpu_gpu_type *gt;
        assert_int_equal(host_gpu_types(h, pf, NULL, &gt, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(gt[0].id, "nvidia-700");
        assert_int_equal(gt[0].n_members, 2);
        assert_int_equal(gt[0].available, 1);
        assert_ptr_equal(gt[0].members[0]->parent, host_find_parent(h, VF1));
        assert_ptr_equal(gt[0].group, host_find_group(h, "mdev:NVIDIA A16-4Q"));
        gpu_types_free(gt, n);

        fixture_done(&f);
}

static void test_hostile_sysfs(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct vgpu_error_list problems = {};
        struct vgpu_type **types;
        size_t n;
        struct fixture f;

        fixture_init(&f);
        fixture_add_pci(&f, T4A, 0x10de, 0x1eb8, 0x030200, "nvidia", 10);
        fixture_add_parent(&f, T4A);
        fixture_add_nvidia_type(&f, T4A, 231, "GRID T4-2Q", 2048, 8, 8);
        fixture_add_type(&f, T4A, "nvidia-1", "GRID T4-2Q", "garbage, description", 1); /* bad description */
        fixture_add_type(&f, T4A, "nvidia-2", "Quadro something", NULL, 1);             /* bad name */
        fixture_add_type(&f, T4A, "nvidia-3", NULL, NULL, 1);
        fixture_add_type(&f, T4A, "mtty-1", NULL, NULL, 1);
        char *p;
        assert_true(asprintf(&p,
                             "%s/devices/pci0000:00/%s/mdev_supported_types/nvidia-3/available_instances",
                             f.root, T4A) > 0);
        assert_int_equal(unlink(p), 0); /* incomplete type directory */
        free(p);
        fixture_set_available(&f, T4A, "mtty-1", 0);
        assert_true(asprintf(&p, "%s/devices/pci0000:00/%s/mdev_supported_types/mtty-1/available_instances",
                             f.root, T4A) > 0);
        FILE *fp = fopen(p, "w");
        fputs("lots\n", fp);
        fclose(fp);
        free(p);

        assert_int_equal(mdev_read_types(f.root, T4A, &types, &n, &problems), 0);
        assert_int_equal(n, 3); /* nvidia-1, nvidia-2, nvidia-231 */
        assert_string_equal(types[0]->id, "nvidia-1");
        assert_non_null(types[0]->parse_error); /* kept, with unknown fields */
        assert_int_equal(types[0]->max_instances, 0);
        assert_non_null(types[1]->parse_error);
        assert_null(types[2]->parse_error);
        assert_int_equal(problems.n, 4); /* two skipped, two unparsable */
        for (size_t i = 0; i < problems.n; i++)
                assert_non_null(problems.items[i].path);
        mdev_types_free(types, n);
        vgpu_error_list_clear(&problems);

        /* names that could escape the tree are refused before they reach a path */
        assert_int_equal(mdev_read_types(f.root, "..", &types, &n, NULL), -EINVAL);
        assert_int_equal(mdev_read_types(f.root, "a/b", &types, &n, NULL), -EINVAL);
        assert_int_equal(mdev_read_types(f.root, "0000:99:00.0", &types, &n, NULL), -ENODEV);
        assert_int_equal(host_new(f.root, &h), 0);
        /* the same parent through the model: usable types are there, the rest is left out */
        assert_int_equal(host_refresh_parent(h, T4A), 1);
        assert_int_equal(host_find_parent(h, T4A)->n_types, 3);
        assert_int_equal(host_refresh_parent(h, "../x"), -EINVAL);
        assert_int_equal(host_refresh_gpu(h, "zz:00.0"), -EINVAL);
        assert_int_equal(host_refresh_instance(h, "nope"), -EINVAL);
        assert_int_equal(host_refresh_gpu(h, "0000:99:00.0"), 0); /* absent: nothing to do */

        fixture_done(&f);
}

static void test_board_name(void **state) {
        _cleanup_free_ char *a = pci_board_name("TU104GL [Tesla T4]"), *b = pci_board_name("Some GPU"),
                            *c = pci_board_name("odd [");
        assert_string_equal(a, "Tesla T4");
        assert_string_equal(b, "Some GPU");
        assert_string_equal(c, "odd [");
        assert_null(pci_board_name(NULL));
}

static void test_bdf(void **state) {
        char b[PCI_BDF_MAX];
        assert_int_equal(pci_bdf_normalize("3b:00.0", b), 0);
        assert_string_equal(b, "0000:3b:00.0");
        assert_int_equal(pci_bdf_normalize("0001:AF:1F.7", b), 0);
        assert_string_equal(b, "0001:af:1f.7");
        assert_int_equal(pci_bdf_normalize("3b:20.0", b), -EINVAL); /* slot > 31 */
        assert_int_equal(pci_bdf_normalize("3b:00.8", b), -EINVAL);
        assert_int_equal(pci_bdf_normalize("3b:00", b), -EINVAL);
        assert_int_equal(pci_bdf_normalize("0000:3b:00.0x", b), -EINVAL);
        assert_int_equal(pci_bdf_normalize("g000:3b:00.0", b), -EINVAL);
        assert_int_equal(pci_bdf_normalize(NULL, b), -EINVAL);

        /* the strict full form */
        unsigned d, bus, slot, fn;
        assert_int_equal(pci_address_parse("0001:AF:1f.7", &d, &bus, &slot, &fn), 0);
        assert_true(d == 1 && bus == 0xaf && slot == 0x1f && fn == 7);
        assert_int_equal(pci_address_parse("0000:3b:00.0", NULL, NULL, NULL, NULL), 0);
        assert_int_equal(pci_address_parse("3b:00.0", NULL, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(pci_address_parse("0000:3b:20.0", NULL, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(pci_address_parse("0000:3b:00.8", NULL, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(pci_address_parse("+000:3b:00.0", NULL, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(pci_address_parse("0000:3b:00.0;", NULL, NULL, NULL, NULL), -EINVAL);
        assert_int_equal(pci_address_parse(NULL, NULL, NULL, NULL, NULL), -EINVAL);
}

/* The real host through libudev: whatever it has, the scan works and finds only display functions. */
static void test_scan_real_host(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct vgpu_error_list problems = {};

        assert_int_equal(host_new(NULL, &h), 0);
        assert_int_equal(host_scan(h, NULL, &problems), 0);
        for (size_t i = 0; i < h->n_gpus; i++)
                assert_true(pci_class_is_display(h->gpus[i]->class_code));
        /* a rescan of an unchanged host is a no-op */
        size_t n = h->n_gpus;
        assert_int_equal(host_scan(h, NULL, &problems), 0);
        assert_int_equal(h->n_gpus, n);
        vgpu_error_list_clear(&problems);
}

/* vgpud's software GPUs: in the model next to the PCI ones, never read from sysfs nor scanned away. */
static void test_software_gpus(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct vgpu_error_list problems = {};
        struct recorder rec = {};
        const struct host_software_type types[] = {
                {.id = "rpc-small",
                 .name = "RPC small",
                 .description = "d",
                 .framebuffer_mb = 64,
                 .max_instances = 4,
                 .available = 4},
                {.id = "rpc-30",
                 .name = NULL,
                 .description = NULL,
                 .framebuffer_mb = 16,
                 .max_instances = 3,
                 .available = 3},
        };
        const char *sw = "ffff:00:00.0";

        assert_true(host_is_software_address(sw));
        assert_false(host_is_software_address(T4A));
        assert_int_equal(host_new(NULL, &h), 0);
        host_set_event_handler(h, record, &rec);
        assert_int_equal(host_add_software_gpu(h, "0000:00:02.0", "x", types, 2), -EINVAL);
        assert_int_equal(host_add_software_gpu(h, sw, "vgpud software GPU 0", types, 2), 1);
        assert_int_equal(host_add_software_gpu(h, sw, "again", types, 2), -EEXIST);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_GPU, sw), 1);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_TYPE, NULL), 2);

        struct vgpu_gpu *g = host_find_gpu(h, sw);
        assert_non_null(g);
        assert_int_equal(g->vendor_id, 0x1af4);
        assert_int_equal(g->device_id, 0x10f0);
        assert_int_equal(g->iommu_group, -1);
        struct vgpu_parent *p = host_find_parent(h, sw);
        assert_non_null(p);
        assert_ptr_equal(p->gpu, g);
        /* ordered by id, whatever the configuration's order */
        assert_int_equal(p->n_types, 2);
        assert_string_equal(p->types[0]->id, "rpc-30");
        struct vgpu_type *t = parent_find_type(p, "rpc-small");
        assert_non_null(t);
        assert_int_equal(t->backend, VGPU_BACKEND_RPC);
        assert_string_equal(t->device_api, "vfio-user");
        assert_int_equal(t->framebuffer_mb, 64);
        assert_int_equal(t->max_instances, 4);
        assert_non_null(t->group);

        /* instances: set by the daemon, kept by refreshes and rescans */
        assert_int_equal(host_set_software_instance(h, U1, T4A, "rpc-small"), -ENODEV);
        assert_int_equal(host_set_software_instance(h, "not-a-uuid", sw, "rpc-small"), -EINVAL);
        assert_int_equal(host_set_software_instance(h, U1, sw, "rpc-small"), 1);
        assert_int_equal(host_set_software_instance(h, U1, sw, "rpc-small"), 0);
        struct vgpu_instance *in = host_find_instance(h, U1);
        assert_non_null(in);
        assert_int_equal(in->backend, VGPU_BACKEND_RPC);
        assert_ptr_equal(in->type, t);
        assert_ptr_equal(in->gpu, g);
        assert_int_equal(g->n_instances, 1);
        assert_int_equal(host_set_type_available(h, t, 3), 1);
        assert_int_equal(host_set_type_available(h, t, 3), 0);
        assert_int_equal(t->group->available, 3 + 0 + 0 + 0); /* the group of rpc-small: this type alone */

        assert_int_equal(host_refresh_gpu(h, sw), 0);
        assert_int_equal(host_refresh_parent(h, sw), 0);
        assert_int_equal(host_refresh_instance(h, U1), 0);
        assert_int_equal(host_scan(h, NULL, &problems), 0);
        vgpu_error_list_clear(&problems);
        assert_ptr_equal(host_find_gpu(h, sw), g);
        assert_ptr_equal(host_find_parent(h, sw), p);
        assert_ptr_equal(host_find_instance(h, U1), in);

        reset(&rec);
        assert_int_equal(host_remove_instance(h, U1), 1);
        assert_int_equal(count(&rec, HOST_EVENT_REMOVED, HOST_OBJECT_INSTANCE, U1), 1);
        assert_int_equal(g->n_instances, 0);
        reset(&rec);
}

/* An mdev parent that is no PCI function (the kernel's sample drivers) stands as a GPU of its own,
 * named by its device name, and goes with its registration. */
static void test_virtual_parent(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct recorder rec = {};
        struct fixture f;

        fixture_init(&f);
        fixture_add_parent(&f, "mdpy");
        fixture_add_type(&f, "mdpy", "mdpy-vga", "mdpy-vga", "virtual display, 640x480\n", 4);
        assert_int_equal(host_new(f.root, &h), 0);
        host_set_event_handler(h, record, &rec);
        assert_true(host_refresh_parent(h, "mdpy") >= 0);

        struct vgpu_gpu *g = host_find_gpu(h, "mdpy");
        assert_non_null(g);
        assert_true(g->virtual_device);
        assert_int_equal(g->iommu_group, -1);
        struct vgpu_parent *p = host_find_parent(h, "mdpy");
        assert_non_null(p);
        assert_ptr_equal(p->gpu, g);
        assert_ptr_equal(g->parent, p);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_GPU, "mdpy"), 1);
        assert_non_null(parent_find_type(p, "mdpy-vga"));
        /* read again: the same GPU, not a second one */
        assert_true(host_refresh_parent(h, "mdpy") >= 0);
        assert_int_equal(h->n_gpus, 1);

        fixture_unregister_parent(&f, "mdpy");
        assert_true(host_refresh_parent(h, "mdpy") >= 0);
        assert_null(host_find_parent(h, "mdpy"));
        assert_null(host_find_gpu(h, "mdpy"));
        assert_int_equal(h->n_gpus, 0);
        assert_int_equal(count(&rec, HOST_EVENT_REMOVED, HOST_OBJECT_GPU, "mdpy"), 1);
        reset(&rec);
        fixture_done(&f);
}

/* A function of another class is a GPU when its vendor:device is listed, and so are its VFs. */
static void test_pci_ids(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct fixture f;
        uint32_t id;

        fixture_init(&f);
        fixture_add_pci(&f, "0000:01:00.0", 0x1b36, 0x0010, 0x010802, "nvme", 6); /* QEMU's NVMe */
        fixture_set_sriov(&f, "0000:01:00.0", 2, 1);
        fixture_add_pci(&f, "0000:01:00.1", 0x1b36, 0x0010, 0x010802, NULL, 8);
        fixture_add_vf(&f, "0000:01:00.0", "0000:01:00.1", 0);
        fixture_add_pci(&f, "0000:02:00.0", 0x1da3, 0x1020, 0x120000, NULL, 7); /* an accelerator */
        assert_int_equal(host_new(f.root, &h), 0);
        assert_true(host_refresh_gpu(h, "0000:01:00.0") >= 0);
        assert_true(host_refresh_gpu(h, "0000:02:00.0") >= 0);
        assert_null(host_find_gpu(h, "0000:01:00.0"));
        assert_non_null(host_find_gpu(h, "0000:02:00.0")); /* class 0x12 is managed by default */

        assert_int_equal(pci_id_parse("1B36:0010", &id), 0);
        assert_int_equal(id, 0x1b360010);
        assert_int_equal(pci_id_parse("1b36:10", &id), -EINVAL);
        assert_int_equal(pci_id_parse("0x36:0010", &id), -EINVAL);
        assert_int_equal(pci_id_parse("1b36:0010 ", &id), -EINVAL);
        assert_int_equal(host_set_pci_ids(h, &(uint32_t){0x1b360010}, 1), 0);
        assert_true(host_refresh_gpu(h, "0000:01:00.0") >= 0);
        assert_true(host_refresh_gpu(h, "0000:01:00.1") >= 0);
        assert_non_null(host_find_gpu(h, "0000:01:00.0"));
        struct vgpu_gpu *vf = host_find_gpu(h, "0000:01:00.1");
        assert_non_null(vf);
        assert_true(vgpu_gpu_is_vf(vf));

        assert_int_equal(host_set_pci_ids(h, NULL, 0), 0);
        assert_true(host_refresh_gpu(h, "0000:01:00.0") >= 0);
        assert_null(host_find_gpu(h, "0000:01:00.0"));
        fixture_done(&f);
}

/* Availability read again through kept attributes: fresh numbers each time, a bounded cache, and a parent
 * that goes away forgotten. */
static void test_availability_cache(void **state) {
        _cleanup_(attr_cache_freep) struct attr_cache *c = NULL;
        struct fixture f;
        char *s = NULL;

        t4_host(&f);
        assert_int_equal(attr_cache_new(2, &c), 0);
        struct mdev_available v[] = {{.type_id = "nvidia-222"}, {.type_id = "nvidia-231"}};
        assert_int_equal(mdev_read_availability(f.root, c, T4B, v, ELEMENTSOF(v)), 0);
        assert_int_equal(v[0].available, 16);
        assert_int_equal(v[1].available, 8);
        /* kept: read again with the value as it is now */
        assert_int_equal(attr_cache_read(c, T4B "/nvidia-231/available_instances", &s), 0);
        assert_string_equal(s, "8");
        free(s);
        fixture_set_available(&f, T4B, "nvidia-231", 3);
        assert_int_equal(mdev_read_availability(f.root, c, T4B, v, ELEMENTSOF(v)), 0);
        assert_int_equal(v[0].available, 16);
        assert_int_equal(v[1].available, 3);
        /* full (2): a third starts it over, and everything is still read right */
        struct mdev_available w[] = {{.type_id = "nvidia-231"}};
        assert_int_equal(mdev_read_availability(f.root, c, T4A, w, 1), 0);
        assert_int_equal(w[0].available, 7);
        assert_int_equal(attr_cache_read(c, T4B "/nvidia-231/available_instances", &s), -ENOENT);
        assert_int_equal(mdev_read_availability(f.root, c, T4B, v, ELEMENTSOF(v)), 0);
        assert_int_equal(v[1].available, 3);
        /* a parent that goes away is forgotten (a kept descriptor of a plain file would read on) */
        attr_cache_forget_under(c, T4B);
        assert_int_equal(attr_cache_read(c, T4B "/nvidia-222/available_instances", &s), -ENOENT);
        fixture_unregister_parent(&f, T4B);
        assert_int_equal(mdev_read_availability(f.root, c, T4B, v, ELEMENTSOF(v)), -ENODEV);
        /* a directory is kept like an attribute: a new descriptor each time, forgotten with its parent */
        _cleanup_free_ char *dir = NULL;
        assert_true(asprintf(&dir, "%s/class/mdev_bus/%s", f.root, T4A) > 0);
        int d1 = attr_cache_dir(c, T4A "/.", dir), d2 = attr_cache_dir(c, T4A "/.", dir);
        assert_true(d1 >= 0 && d2 >= 0 && d1 != d2);
        assert_int_equal(faccessat(d2, "mdev_supported_types", F_OK, 0), 0);
        close(d1);
        close(d2);
        attr_cache_forget(c, T4A "/.");
        assert_int_equal(attr_cache_dir(NULL, "x", "/nonexistent"), -ENOENT);
        /* a name that is a prefix of another is not its parent */
        assert_int_equal(mdev_read_availability(f.root, c, T4A, w, 1), 0);
        attr_cache_forget_under(c, "0000:3b");
        assert_int_equal(attr_cache_read(c, T4A "/nvidia-231/available_instances", &s), 0);
        free(s);
        fixture_done(&f);
}

/* Linux announces an mdev ("add") and binds its driver before it links the type (mdev_device_create()), and
 * no uevent follows the link: read too early, the device is there without its type. The model keeps it as
 * it was and lists it until host_settle() finds it finished; an mdev being removed loses its link first. */
static void test_unfinished_mdev(void **state) {
        _cleanup_(host_freep) struct vgpu_host *h = NULL;
        struct recorder rec = {};
        struct fixture f;
        char path[PATH_MAX + 128];

        t4_host(&f);
        assert_int_equal(host_new(f.root, &h), 0);
        load(h, &f);
        host_set_event_handler(h, record, &rec);
        assert_null(host_unsettled(h));

        /* announced, its link not made yet: not in the model, listed; reading again changes nothing */
        fixture_add_mdev(&f, T4B, U2, "nvidia-222", 102);
        snprintf(path, sizeof(path), "%s/devices/pci0000:00/%s/%s/mdev_type", f.root, T4B, U2);
        assert_int_equal(unlink(path), 0);
        struct vgpu_instance *in = NULL;
        assert_int_equal(mdev_read_instance(f.root, U2, &in), -EAGAIN);
        assert_null(in);
        struct host_uevent add = {"add", "mdev", U2, NULL, T4B};
        assert_int_equal(host_handle_uevent(h, &add), 0);
        assert_null(host_find_instance(h, U2));
        assert_int_equal(strv_length(host_unsettled(h)), 1);
        assert_string_equal(host_unsettled(h)[0], U2);
        assert_int_equal(host_settle(h), 0);
        assert_int_equal(strv_length(host_unsettled(h)), 1);
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, U2), 0);

        /* the kernel links the type: the next settle adds it, and the list is empty */
        assert_int_equal(symlink("../mdev_supported_types/nvidia-222", path), 0);
        assert_int_equal(host_settle(h), 1);
        assert_non_null(host_find_instance(h, U2));
        assert_string_equal(host_find_instance(h, U2)->type_id, "nvidia-222");
        assert_int_equal(count(&rec, HOST_EVENT_ADDED, HOST_OBJECT_INSTANCE, U2), 1);
        assert_int_equal(strv_length(host_unsettled(h)), 0);
        assert_int_equal(host_settle(h), 0);

        /* being removed: the link goes first; the instance stays as it was until the device is gone */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(host_refresh_instance(h, U2), 0);
        assert_non_null(host_find_instance(h, U2));
        assert_int_equal(strv_length(host_unsettled(h)), 1);
        fixture_remove_mdev(&f, T4B, U2);
        assert_int_equal(host_settle(h), 1);
        assert_null(host_find_instance(h, U2));
        assert_int_equal(strv_length(host_unsettled(h)), 0);

        /* one that cannot be read any more (its bus link names another device) is left out with its
         * error; the ones after it are still read */
        const char *u3 = "5b6f2a60-3a2c-4b79-9d55-3f1f1a4c1d03";
        char path3[PATH_MAX + 128], link2[PATH_MAX + 64];
        fixture_add_mdev(&f, T4B, U2, "nvidia-222", 102);
        fixture_add_mdev(&f, T4B, u3, "nvidia-222", 103);
        snprintf(path3, sizeof(path3), "%s/devices/pci0000:00/%s/%s/mdev_type", f.root, T4B, u3);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(unlink(path3), 0);
        assert_int_equal(host_refresh_instance(h, U2), 0);
        assert_int_equal(host_refresh_instance(h, u3), 0);
        assert_int_equal(strv_length(host_unsettled(h)), 2);
        snprintf(link2, sizeof(link2), "%s/bus/mdev/devices/%s", f.root, U2);
        assert_int_equal(unlink(link2), 0);
        assert_int_equal(symlink("../../../devices/pci0000:00/elsewhere", link2), 0);
        assert_int_equal(symlink("../mdev_supported_types/nvidia-222", path3), 0);
        assert_int_equal(host_settle(h), -EINVAL);
        assert_null(host_find_instance(h, U2));
        assert_non_null(host_find_instance(h, u3));
        assert_int_equal(strv_length(host_unsettled(h)), 0);

        reset(&rec);
        fixture_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_availability_cache),
                cmocka_unit_test(test_discovery),
                cmocka_unit_test(test_instance_lifecycle_and_availability),
                cmocka_unit_test(test_deferred_availability),
                cmocka_unit_test(test_uevents),
                cmocka_unit_test(test_unfinished_mdev),
                cmocka_unit_test(test_sriov_vf_parents),
                cmocka_unit_test(test_hostile_sysfs),
                cmocka_unit_test(test_bdf),
                cmocka_unit_test(test_board_name),
                cmocka_unit_test(test_scan_real_host),
                cmocka_unit_test(test_software_gpus),
                cmocka_unit_test(test_virtual_parent),
                cmocka_unit_test(test_pci_ids),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
