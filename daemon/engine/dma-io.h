/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest memory the engine may not map, reached through messages: the client's
 * VFIO_USER_DMA_READ / DMA_WRITE service. QEMU sends DMA_MAP without a file
 * descriptor for guest RAM that has none (its default, private RAM) and
 * expects the server to ask for the bytes; and a file on an ordinary
 * filesystem (libvirt's file-backed shared memory) must not be mmap-ed by the
 * engine thread, whose page faults would then wait on disk I/O and on a file
 * the client can truncate. Both are served here.
 *
 * The engine never waits for the client: a step that needs remote bytes asks
 * for them and gives the engine up (the device is not runnable while
 * requests are in flight); when every reply is in, the step runs again and
 * finds its bytes staged. Writes are sent, and the command they belong to
 * completes (HEAD, FENCE, interrupt) only once the client acknowledged them,
 * so that a guest that sees the completion also sees the data.
 *
 * Wire layout: the specification's: address u64, count u64, then the data
 * at payload offset 16. QEMU 11.1 answers that way (seen on the wire: its
 * DMA_READ reply carries the bytes at offset 16, although its VFIOUserDMARW
 * declares count as u32 followed by the data: the struct is padded to 32
 * bytes and QEMU sizes and fills from the padded struct). A request is at
 * least 32 bytes with its header, which QEMU checks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio-user/protocol.h"

#define DMA_IO_MAX_PENDING 64u /* requests in flight per device */
#define DMA_IO_MAX_PIECES  64u /* pieces of one staged read (BLIT rows) */
#define DMA_IO_HDR         16u /* address u64 + count u64 before the data */
#define DMA_IO_PAYLOAD_MIN 16u /* a request's payload: QEMU refuses a shorter one */

struct dma_io_piece {
        uint64_t addr;
        uint32_t len;
};

struct dma_io_ops {
        /* Queue one request to the client (header built by the callee with this id and command). */
        int (*send)(void *ctx, uint16_t id, uint16_t command, const void *payload, size_t len);
};

struct dma_io {
        const struct dma_io_ops *ops; /* NULL while no client is connected */
        void *ctx;
        uint32_t max_xfer; /* the client's max_data_xfer_size, at most 1 MiB */
        uint16_t next_id;

        struct {
                uint16_t id;
                uint8_t kind; /* DMA_IO_FREE, _READ, _WRITE, _STALE */
                uint32_t off, len;
        } pend[DMA_IO_MAX_PENDING];
        unsigned reads, writes; /* in flight, not stale */
        int error;              /* the first error a reply carried (errno), until cancelled */

        /* Staged read: what was asked for, where it landed, and whether all of it is in. */
        struct dma_io_piece want[DMA_IO_MAX_PIECES];
        unsigned nwant;
        bool ready;
        uint8_t *buf;
        size_t buf_size;
        /* Room for bytes on their way out (a chunk computed before it is sent). */
        uint8_t *wbuf;
        size_t wbuf_size;

        /* statistics */
        uint64_t read_msgs, write_msgs, read_bytes, write_bytes;
};

enum { DMA_IO_FREE, DMA_IO_READ, DMA_IO_WRITE, DMA_IO_STALE };

void dma_io_init(struct dma_io *io);
void dma_io_done(struct dma_io *io);
/* A client is there to ask (ops) or not (NULL): everything in flight is forgotten. */
void dma_io_attach(struct dma_io *io, const struct dma_io_ops *ops, void *ctx, uint32_t max_xfer);
/* Forget staged data and the error; replies to requests in flight are dropped quietly when they come. */
void dma_io_cancel(struct dma_io *io);

static inline bool dma_io_busy(const struct dma_io *io) {
        return io->reads || io->writes;
}

/*
 * The bytes of pieces (concatenated, total <= the staging size) if they were
 * staged by an identical earlier call whose replies are all in: 0 and *ret,
 * and the staging is consumed. Otherwise the requests are sent and -EAGAIN
 * says to come back when dma_io_busy() is false. -ENOTCONN without a client,
 * -ENOMEM, -EBUSY when too many requests are in flight.
 */
int dma_io_read(struct dma_io *io, const struct dma_io_piece *pieces, unsigned n, const uint8_t **ret);
/* Send len bytes for addr (split by max_xfer). */
int dma_io_write(struct dma_io *io, uint64_t addr, const void *data, size_t len);
/* A buffer of at least len bytes for a chunk on its way out (valid until the next call). */
uint8_t *dma_io_wbuf(struct dma_io *io, size_t len);

/*
 * A reply from the client: 1 if it was one of ours (consumed, possibly with an
 * error recorded in io->error), 0 if it answered a cancelled request (dropped),
 * -EPROTO if nobody asked or it is malformed.
 */
int dma_io_reply(struct dma_io *io, uint16_t id, uint16_t command, uint32_t flags, uint32_t error,
                 const uint8_t *payload, size_t len);
