/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An instance's VRAM: a sealed memfd, mapped by the engine and handed to the
 * client (BAR2's region fd) so the guest reaches it at memory speed. Sealed
 * against shrinking and growing, so a client holding the fd cannot make the
 * engine's mapping fault. A new VRAM is made for every connection: a client
 * that keeps its old mapping after disconnecting sees nothing of the next.
 */
#pragma once

#include <stdint.h>

struct vram {
        int fd;
        uint8_t *base;
        uint64_t size;
};

#define VRAM_NULL ((struct vram){.fd = -1})

int vram_create(struct vram *v, const char *name, uint64_t size);
void vram_destroy(struct vram *v);
