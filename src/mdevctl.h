/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mdevctl interop: persistent mdev definitions in mdevctl's directory
 * (MDEVCTL_CONFIG_DIR, configurable), one file per device,
 * <dir>/<parent>/<uuid>, holding
 *     {"mdev_type": "nvidia-231", "start": "auto|manual", "attrs": [{"name": "value"}, ...]}
 * (mdevctl 1.2.0 writes it pretty-printed in that key order, without a
 * trailing newline). Reading turns each file into a persistent mdev record
 * (origin MDEVCTL); writing puts vgpud's persistent mdev records there so
 * mdevctl and libvirt's node-device driver see them.
 *
 * What mdevctl tolerates, we tolerate: "attrs" missing or null, keys we do
 * not know (ignored, as mdevctl ignores them), non-UUID file names and the
 * scripts.d directory (skipped). What it would crash or fail on is rejected
 * with the file's path and the reason.
 */
#pragma once

#include "error.h"
#include "record.h"

#define MDEVCTL_CONFIG_DIR "/etc/mdevctl.d"
#define MDEVCTL_FILE_MAX   (64 * 1024)

/* Parse one definition; parent and uuid come from its path. -EINVAL with *ret_error a sentence. */
int mdevctl_parse(const char *text, size_t len, const char *parent, const char *uuid,
                  struct vgpu_record **ret, char **ret_error);
/* mdevctl's JSON for a persistent mdev record (mdev_type, start, attrs). */
int mdevctl_format(const struct vgpu_record *r, char **ret);

/* <dir>/<parent>/<uuid>; NULL on OOM. */
char *mdevctl_definition_path(const char *dir, const char *parent, const char *uuid);

/* Every definition below dir, sorted by UUID. A missing dir is an empty
 * list. Unusable files are reported in problems and skipped. */
int mdevctl_load(const char *dir, struct vgpu_record ***ret, size_t *ret_n,
                 struct vgpu_error_list *problems);
/* Write r (backend mdev, persistent, with a parent) atomically, creating <dir>/<parent>. */
int mdevctl_save(const char *dir, const struct vgpu_record *r, struct vgpu_error *err);
/* Remove <dir>/<parent>/<uuid> (and the parent directory when it becomes empty). -ENOENT if absent. */
int mdevctl_delete(const char *dir, const char *parent, const char *uuid, struct vgpu_error *err);
