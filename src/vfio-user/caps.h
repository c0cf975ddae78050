/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * VERSION capabilities: what each side of a vfio-user connection can take.
 * Parsing is shared by the server (reading a client's proposal) and the client
 * (checking a server's reply the way QEMU does); formatting produces the JSON
 * a side sends. VFU_QEMU_PROPOSAL is byte for byte what QEMU 10.1 proposes, so
 * that tests and `vgpuctl probe` negotiate exactly as a real VM would.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VFU_QEMU_PROPOSAL                                                                                   \
        "{\"capabilities\":{\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456},\"max_msg_fds\":" \
        "16,"                                                                                               \
        "\"max_data_xfer_size\":1048576,\"pgsizes\":4096,\"max_dma_maps\":65535,\"write_multiple\":true}}"

struct vfu_caps {
        uint64_t max_msg_fds;
        uint64_t max_data_xfer_size;
        uint64_t max_dma_maps;
        uint64_t pgsizes;
        bool write_multiple;
        bool migration; /* a "migration" object was present */
        uint64_t migration_pgsize;
        uint64_t migration_max_bitmap_size;
        bool twin_socket;
};

/* The values the specification assumes for absent capabilities. */
void vfu_caps_init_defaults(struct vfu_caps *c);

/*
 * Parse a capabilities document (len bytes, without the terminating NUL). An
 * absent "capabilities" member leaves the defaults. Known members of the wrong
 * type or out of range are -EINVAL; unknown members are ignored, as the
 * specification asks for forward compatibility.
 */
int vfu_caps_parse(const char *json, size_t len, struct vfu_caps *ret);

/* Format c as {"capabilities":{...}} into buf; returns the length (without NUL) or -ENOBUFS. */
int vfu_caps_format(const struct vfu_caps *c, char *buf, size_t size);

/*
 * The checks QEMU 10.1 applies to a server's VERSION reply (hw/vfio-user/proxy.c):
 * max_msg_fds <= 16, max_data_xfer_size <= 64 MiB, pgsizes a multiple of 4096,
 * max_dma_maps <= 65535, migration pgsize a multiple of 4096 and bitmap <= 256 MiB.
 */
int vfu_caps_check_server_reply(const struct vfu_caps *c);
