/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Binding notes: when vgpud binds a PCI function to vfio-pci it writes down
 * what the function had before (its driver and driver_override), so that
 * unbinding gives it back exactly, even after a daemon restart. One file per
 * device (devfile.h) in <dir>/bindings/, where dir is the state directory for
 * persistent bindings and the runtime directory for this boot's:
 *
 *   {
 *     "version": 1,
 *     "device": "0000:65:00.1",
 *     "original_driver": "snd_hda_intel",    null: it had none
 *     "original_override": null,             its driver_override before, null: unset
 *     "persistent": true,                    also in driverctl's directory (driverctl.h)
 *     "instance": "",                        the vf instance it was bound for, "" when asked for directly
 *     "on_request": false,                   true: on vfio-pci on request before the instance took it;
 *                                            it stays bound when the instance goes (backend-vf.c)
 *     "bound_with": "0000:65:00.0"           bound as a member of that device's IOMMU group (optional)
 *   }
 */
#pragma once

#include "error.h"
#include "model.h"

#define BINDINGS_DIR "bindings"

struct vgpu_binding {
        char device[PCI_BDF_MAX];
        char *original_driver;   /* NULL: none */
        char *original_override; /* NULL: unset */
        bool persistent;
        char instance[UUID_STRING_MAX]; /* "" when bound on request */
        /* The instance uses a function bound on request: original_driver is "vfio-pci" (it had nothing
         * of ours) or what a runtime binding's note said before the instance took it. */
        bool on_request;
        char bound_with[PCI_BDF_MAX]; /* "" unless bound with another device's group */
};

int binding_new(const char *device, struct vgpu_binding **ret);
void binding_free(struct vgpu_binding *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_binding *, binding_free);
void bindings_free(struct vgpu_binding **v, size_t n);

int binding_to_json(const struct vgpu_binding *b, char **ret);
/* -EINVAL with *ret_error naming the key or what is malformed. */
int binding_from_json(const char *text, size_t len, struct vgpu_binding **ret, char **ret_error);

/* <base_dir>/bindings/<bdf>.json */
int binding_save(const char *base_dir, const struct vgpu_binding *b, struct vgpu_error *err);
/* -ENOENT when there is no note for bdf; -EINVAL (err: path and why) when it is corrupt. */
int binding_load(const char *base_dir, const char *bdf, struct vgpu_binding **ret, struct vgpu_error *err);
/* -ENOENT when there is none. */
int binding_delete(const char *base_dir, const char *bdf, struct vgpu_error *err);
/* The instance a note of a function bound on request (on_request) names no longer uses the function: the
 * note goes back to what it was before the instance (a runtime binding's) or goes (it had none). */
int binding_drop_instance(const char *base_dir, struct vgpu_binding *note, struct vgpu_error *err);
/* Every note, sorted by device; corrupt ones are reported in problems and skipped. */
int binding_load_all(const char *base_dir, struct vgpu_binding ***ret, size_t *ret_n,
                     struct vgpu_error_list *problems);
