/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VRAM as a sealed memfd (see vram.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "macro.h"
#include "vram.h"

int vram_create(struct vram *v, const char *name, uint64_t size) {
        _cleanup_close_ int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        void *p = mmap(NULL, (size_t) size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *v = (struct vram){.fd = TAKE_FD(fd), .base = p, .size = size};
        return 0;
}

void vram_destroy(struct vram *v) {
        if (v->base)
                munmap(v->base, (size_t) v->size);
        if (v->fd >= 0)
                close(v->fd);
        *v = VRAM_NULL;
}
