/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The number of VFs an administrator configured per GPU, which vgpud
 * restores at start-up and after a reboot (nothing else persists
 * sriov_numvfs: not the kernel, not driverctl). One file per physical
 * function (devfile.h) in <state_dir>/sriov/:
 *
 *   {
 *     "version": 1,
 *     "device": "0000:ca:00.0",
 *     "num_vfs": 4,
 *     "autoprobe": true,      sriov_drivers_autoprobe for the VFs
 *     "driver": "nvidia"      the PF's driver when it was configured (for messages while it is absent)
 *   }
 */
#pragma once

#include "error.h"
#include "model.h"

#define SRIOV_CONFIG_DIR "sriov"

struct vgpu_sriov_config {
        char device[PCI_BDF_MAX];
        unsigned num_vfs;
        bool autoprobe;
        char *driver; /* NULL when unknown */
};

void sriov_config_free(struct vgpu_sriov_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgpu_sriov_config *, sriov_config_free);
void sriov_configs_free(struct vgpu_sriov_config **v, size_t n);

int sriov_config_to_json(const struct vgpu_sriov_config *c, char **ret);
int sriov_config_from_json(const char *text, size_t len, struct vgpu_sriov_config **ret, char **ret_error);

/* <state_dir>/sriov/<bdf>.json */
int sriov_config_save(const char *state_dir, const struct vgpu_sriov_config *c, struct vgpu_error *err);
int sriov_config_delete(const char *state_dir, const char *bdf, struct vgpu_error *err);
/* Every configuration, sorted by device; corrupt files are reported in problems and skipped. */
int sriov_config_load_all(const char *state_dir, struct vgpu_sriov_config ***ret, size_t *ret_n,
                          struct vgpu_error_list *problems);
