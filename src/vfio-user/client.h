/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small synchronous vfio-user client: what QEMU's vfio-user-pci does to a
 * device, as a library. It negotiates with exactly QEMU 10.1's proposal and
 * checks the reply as QEMU does, then offers one call per protocol command.
 * One request is outstanding at a time (posted writes excepted); replies are
 * matched by id and command and validated before anything is returned. Used by
 * the engine's tests and benchmarks and by `vgpuctl probe`.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio-user/caps.h"
#include "vfio-user/protocol.h"
#include "vfio-user/transport.h"

struct vfu_client;

/* A reply as received: payload (owned) and descriptors (closed by vfu_reply_done unless taken). */
struct vfu_reply {
        struct vfu_hdr hdr;
        uint8_t *payload;
        size_t len;
        int fds[VFU_RX_MAX_FDS];
        unsigned nfds;
};
void vfu_reply_done(struct vfu_reply *r);

int vfu_client_connect(const char *path, struct vfu_client **ret);
void vfu_client_free(struct vfu_client *c);
static inline void vfu_client_freep(struct vfu_client **c) {
        if (*c)
                vfu_client_free(*c);
}
int vfu_client_fd(const struct vfu_client *c);
/* Reply timeout (default 10 s); a server that does not answer in time is -ETIMEDOUT. */
int vfu_client_set_timeout_ms(struct vfu_client *c, unsigned ms);

/* VERSION with QEMU 10.1's proposal; the server's capabilities are checked as QEMU checks them. */
int vfu_client_negotiate(struct vfu_client *c);
const struct vfu_caps *vfu_client_server_caps(const struct vfu_client *c);

int vfu_client_dma_map(struct vfu_client *c, int fd, uint64_t offset, uint64_t addr, uint64_t size,
                       uint32_t flags);
int vfu_client_dma_unmap(struct vfu_client *c, uint64_t addr, uint64_t size, uint32_t flags);
int vfu_client_device_info(struct vfu_client *c, struct vfu_device_info *ret);
/*
 * Region info; *ret_fd (if not NULL) receives the region's fd or -1, *ret_raw
 * (if not NULL) the whole reply payload for capability parsing (free() it).
 */
int vfu_client_region_info(struct vfu_client *c, uint32_t index, struct vfu_region_info *ret, int *ret_fd,
                           uint8_t **ret_raw, size_t *ret_raw_len);
int vfu_client_irq_info(struct vfu_client *c, uint32_t index, struct vfu_irq_info *ret);
/* fds: count eventfds for DATA_EVENTFD (or none to de-assign); bools: count bytes for DATA_BOOL. */
int vfu_client_set_irqs(struct vfu_client *c, uint32_t index, uint32_t flags, uint32_t start, uint32_t count,
                        const int *fds, unsigned nfds, const uint8_t *bools);
int vfu_client_region_read(struct vfu_client *c, uint32_t region, uint64_t offset, void *buf,
                           uint32_t count);
/* posted: NO_REPLY, returns once sent; ordering against later requests is the server's promise. */
int vfu_client_region_write(struct vfu_client *c, uint32_t region, uint64_t offset, const void *buf,
                            uint32_t count, bool posted);
int vfu_client_reset(struct vfu_client *c);

/*
 * Map a region the server marks mmap-able: checks the sparse-mmap areas, maps
 * the first area through the region fd. ret and ret_size describe the mapping.
 */
int vfu_client_mmap_region(struct vfu_client *c, uint32_t index, void **ret, size_t *ret_size);

/*
 * Guest memory the client serves itself: DMA_READ/DMA_WRITE requests from the
 * server for [iova, iova + size) are answered from host (address u64, count
 * u64, data at payload offset 16, as QEMU 11 does), while the client waits
 * for a reply or in
 * vfu_client_serve(). Anything outside is answered EFAULT. One range.
 */
void vfu_client_set_dma_memory(struct vfu_client *c, uint64_t iova, void *host, uint64_t size);
/* Serve the server's requests that arrive within timeout_ms: how many, or -errno. */
int vfu_client_serve(struct vfu_client *c, int timeout_ms);
/* DMA requests served so far (reads, writes). */
void vfu_client_dma_served(const struct vfu_client *c, uint64_t *reads, uint64_t *writes);

/* Raw request for tests: any command, flags and fds; waits for the reply unless NO_REPLY. */
int vfu_client_request(struct vfu_client *c, uint16_t command, uint32_t flags, const void *payload,
                       size_t len, const int *fds, unsigned nfds, struct vfu_reply *ret);
/* Read the next message from the server, whatever it is (tests). */
int vfu_client_recv(struct vfu_client *c, struct vfu_reply *ret);
