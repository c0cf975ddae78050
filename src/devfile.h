/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small state files kept per PCI device: <dir>/<bdf>.json, replaced
 * atomically (fileio.h), listed in address order. The SR-IOV configuration
 * (sriov-config.h) and the binding notes (binding.h) are kept this way; each
 * says what its JSON holds. A leftover temporary file of an interrupted write
 * is removed when the directory is listed (its content was never committed).
 */
#pragma once

#include "error.h"
#include "model.h"

#define DEVFILE_MAX (16 * 1024) /* far above any real state file */

/* <dir>/<bdf>.json; NULL on OOM or when bdf is not a PCI address. */
char *devfile_path(const char *dir, const char *bdf);

/* Write text as bdf's file (creating dir, mode 0755, when missing). */
int devfile_write(const char *dir, const char *bdf, const char *text, struct vgpu_error *err);
/* Read it whole; -ENOENT when there is none. */
int devfile_read(const char *dir, const char *bdf, char **ret_text, struct vgpu_error *err);
/* Remove it; -ENOENT when there is none. */
int devfile_delete(const char *dir, const char *bdf, struct vgpu_error *err);
/* The addresses that have a file, sorted; a missing dir is an empty list. Files that are not
 * <bdf>.json are reported in problems and skipped. */
int devfile_list(const char *dir, char ***ret, struct vgpu_error_list *problems);
