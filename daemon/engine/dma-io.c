/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest memory through DMA_READ/DMA_WRITE messages (see dma-io.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dma-io.h"
#include "macro.h"

void dma_io_init(struct dma_io *io) {
        *io = (struct dma_io){.max_xfer = 1u << 20};
}

void dma_io_done(struct dma_io *io) {
        free(io->buf);
        free(io->wbuf);
        dma_io_init(io);
}

void dma_io_cancel(struct dma_io *io) {
        for (unsigned i = 0; i < DMA_IO_MAX_PENDING; i++)
                if (io->pend[i].kind == DMA_IO_READ || io->pend[i].kind == DMA_IO_WRITE)
                        io->pend[i].kind = DMA_IO_STALE;
        io->reads = io->writes = 0;
        io->nwant = 0;
        io->ready = false;
        io->error = 0;
}

void dma_io_attach(struct dma_io *io, const struct dma_io_ops *ops, void *ctx, uint32_t max_xfer) {
        dma_io_cancel(io);
        for (unsigned i = 0; i < DMA_IO_MAX_PENDING; i++)
                io->pend[i].kind = DMA_IO_FREE; /* a new client knows nothing of the old one's ids */
        io->ops = ops;
        io->ctx = ctx;
        io->max_xfer = MIN(max_xfer ? max_xfer : 1u << 20, 1u << 20);
}

static int slot_free(const struct dma_io *io) {
        for (unsigned i = 0; i < DMA_IO_MAX_PENDING; i++)
                if (io->pend[i].kind == DMA_IO_FREE)
                        return (int) i;
        return -EBUSY;
}

static unsigned free_slots(const struct dma_io *io) {
        unsigned n = 0;
        for (unsigned i = 0; i < DMA_IO_MAX_PENDING; i++)
                n += io->pend[i].kind == DMA_IO_FREE;
        return n;
}

static bool ensure(uint8_t **buf, size_t *size, size_t len) {
        if (*size >= len)
                return true;
        uint8_t *b = realloc(*buf, len);
        if (!b)
                return false;
        *buf = b;
        *size = len;
        return true;
}

uint8_t *dma_io_wbuf(struct dma_io *io, size_t len) {
        return ensure(&io->wbuf, &io->wbuf_size, len ? len : 1) ? io->wbuf : NULL;
}

static void put_request(uint8_t *p, uint64_t addr, uint32_t count) {
        memset(p, 0, DMA_IO_PAYLOAD_MIN);
        memcpy(p, &addr, 8);
        memcpy(p + 8, &count, 4);
}

static bool same_pieces(const struct dma_io *io, const struct dma_io_piece *p, unsigned n) {
        if (io->nwant != n)
                return false;
        for (unsigned i = 0; i < n; i++)
                if (io->want[i].addr != p[i].addr || io->want[i].len != p[i].len)
                        return false;
        return true;
}

int dma_io_read(struct dma_io *io, const struct dma_io_piece *pieces, unsigned n, const uint8_t **ret) {
        size_t total = 0;
        unsigned msgs = 0;

        if (!io->ops)
                return -ENOTCONN;
        if (n == 0 || n > DMA_IO_MAX_PIECES)
                return -EINVAL;
        if (io->ready && same_pieces(io, pieces, n)) {
                io->ready = false; /* consumed: the next access asks again, guest memory may change */
                io->nwant = 0;
                *ret = io->buf;
                return 0;
        }
        if (dma_io_busy(io))
                return -EAGAIN;
        for (unsigned i = 0; i < n; i++) {
                total += pieces[i].len;
                msgs += (pieces[i].len + io->max_xfer - 1) / io->max_xfer;
        }
        if (msgs > free_slots(io))
                return -EBUSY;
        if (!ensure(&io->buf, &io->buf_size, total ? total : 1))
                return -ENOMEM;
        memcpy(io->want, pieces, n * sizeof(*pieces));
        io->nwant = n;
        io->ready = false;

        uint32_t off = 0;
        for (unsigned i = 0; i < n; i++) {
                for (uint32_t done = 0; done < pieces[i].len;) {
                        uint32_t len = MIN(pieces[i].len - done, io->max_xfer);
                        uint8_t req[DMA_IO_PAYLOAD_MIN];
                        int s = slot_free(io);
                        uint16_t id = io->next_id++;
                        put_request(req, pieces[i].addr + done, len);
                        int r = io->ops->send(io->ctx, id, VFU_CMD_DMA_READ, req, sizeof(req));
                        if (r < 0) {
                                dma_io_cancel(io);
                                return r;
                        }
                        io->pend[s].id = id;
                        io->pend[s].kind = DMA_IO_READ;
                        io->pend[s].off = off;
                        io->pend[s].len = len;
                        io->reads++;
                        io->read_msgs++;
                        done += len;
                        off += len;
                }
        }
        return -EAGAIN;
}

int dma_io_write(struct dma_io *io, uint64_t addr, const void *data, size_t len) {
        if (!io->ops)
                return -ENOTCONN;
        if ((len + io->max_xfer - 1) / io->max_xfer > free_slots(io))
                return -EBUSY;
        for (size_t done = 0; done < len;) {
                uint32_t n = (uint32_t) MIN(len - done, (size_t) io->max_xfer);
                size_t plen = DMA_IO_HDR + n;
                _cleanup_free_ uint8_t *p = malloc(plen);
                if (!p)
                        return -ENOMEM;
                put_request(p, addr + done, n);
                memcpy(p + DMA_IO_HDR, (const uint8_t *) data + done, n);
                int s = slot_free(io);
                uint16_t id = io->next_id++;
                int r = io->ops->send(io->ctx, id, VFU_CMD_DMA_WRITE, p, plen);
                if (r < 0)
                        return r;
                io->pend[s].id = id;
                io->pend[s].kind = DMA_IO_WRITE;
                io->pend[s].off = 0;
                io->pend[s].len = n;
                io->writes++;
                io->write_msgs++;
                io->write_bytes += n;
                done += n;
        }
        return 0;
}

int dma_io_reply(struct dma_io *io, uint16_t id, uint16_t command, uint32_t flags, uint32_t error,
                 const uint8_t *payload, size_t len) {
        unsigned i;
        for (i = 0; i < DMA_IO_MAX_PENDING; i++)
                if (io->pend[i].kind != DMA_IO_FREE && io->pend[i].id == id)
                        break;
        if (i == DMA_IO_MAX_PENDING)
                return -EPROTO;
        uint8_t kind = io->pend[i].kind;
        uint16_t want_cmd = kind == DMA_IO_WRITE ? VFU_CMD_DMA_WRITE : VFU_CMD_DMA_READ;
        if (kind != DMA_IO_STALE && command != want_cmd)
                return -EPROTO;
        io->pend[i].kind = DMA_IO_FREE;
        if (kind == DMA_IO_STALE)
                return 0;

        if (kind == DMA_IO_READ)
                io->reads--;
        else
                io->writes--;
        if (flags & VFU_FLAG_ERROR) {
                if (!io->error)
                        io->error = error ? (int) error : EIO;
                return 1;
        }
        if (kind == DMA_IO_READ) {
                uint64_t count;
                /* The reply carries the request back, then the data. */
                if (len < DMA_IO_HDR || len - DMA_IO_HDR < io->pend[i].len) {
                        if (!io->error)
                                io->error = EPROTO;
                        return 1;
                }
                memcpy(&count, payload + 8, 8);
                if (count != io->pend[i].len) {
                        if (!io->error)
                                io->error = EPROTO;
                        return 1;
                }
                memcpy(io->buf + io->pend[i].off, payload + DMA_IO_HDR, io->pend[i].len);
                io->read_bytes += io->pend[i].len;
                if (io->reads == 0 && !io->error)
                        io->ready = true;
        }
        return 1;
}
