/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The FUSE side of vgpu-sim: kernfs semantics (open checks, one write() =
 * one store(), show per read, st_size 4096) over the object model, served by
 * libfuse's multithreaded loop.
 */
#pragma once

#define FUSE_USE_VERSION 35
#include <fuse.h>

#include "sim.h"

/* Mount the simulator at dir (allow_other, no caching) and return the FUSE handle. */
int fs_mount(struct sim *sim, const char *dir, struct fuse **ret);
/* Serve requests until fs_stop(); run it on its own thread. */
int fs_loop(struct fuse *f);
/* Leave the loop and unmount. */
void fs_stop(struct fuse *f);
