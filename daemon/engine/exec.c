/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Command execution of one device: reads the ring and nested batch buffers
 * through bounded host windows (the bytes are copied out of guest memory
 * before any of them is decoded, so the guest cannot change a command after
 * it was checked), decodes each command with the table-driven parser, applies
 * the sensitive-instruction list, resolves every address right before each
 * step, and runs COPY/FILL/BLIT in bounded chunks so that the scheduler can
 * switch instances between them. Any violation ends in device_violation().
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "macro.h"

/*
 * Not an rpcgpu_error: the step needs guest bytes that are on their way
 * (dma-io.h) and gives the engine up until they are in. It changed nothing.
 */
#define EXEC_BLOCKED ((enum rpcgpu_error) 0x100)
/* BLIT rows per chunk when a side is remote: one message per row. */
#define REMOTE_BLIT_ROWS 16u

/* How often (in steps) the clock is read when steps are cheap, e.g. a run of NOPs. */
#define CLOCK_EVERY 64u
/*
 * Waiting messages end a turn early, but only after it ran at least MIN_TURN_NS: MMIO waits at
 * most about that long while another instance computes, and guests that do nothing but MMIO can
 * take only so much of the engine from guests that compute (messages are not scheduled). Looked
 * for every YIELD_CHECK_NS (a syscall) after that.
 */
#define MIN_TURN_NS    100000u
#define YIELD_CHECK_NS 20000u

void exec_reset(struct exec_state *x) {
        uint8_t *w = x->windows;
        memset(x, 0, sizeof(*x));
        x->windows = w;
        for (unsigned i = 0; i <= RPCGPU_BATCH_DEPTH; i++)
                x->s[i].win = w ? w + (size_t) i * EXEC_WINDOW : NULL;
}

void exec_free(struct exec_state *x) {
        free(x->windows);
        x->windows = NULL;
        exec_reset(x);
}

static bool ensure_windows(struct exec_state *x) {
        if (x->windows)
                return true;
        x->windows = malloc((size_t) (1 + RPCGPU_BATCH_DEPTH) * EXEC_WINDOW);
        if (!x->windows)
                return false;
        for (unsigned i = 0; i <= RPCGPU_BATCH_DEPTH; i++)
                x->s[i].win = x->windows + (size_t) i * EXEC_WINDOW;
        return true;
}

static struct addr_space addr_space(const struct device *d) {
        return (struct addr_space){
                .dma = &d->dma, .vram = d->vram.base, .vram_size = d->vram.base ? d->vram_size : 0};
}

/* Copy [pos, pos+n) of the stream into its window. The whole buffer is checked, every time. */
static enum rpcgpu_error refill(struct device *d, struct exec_stream *st, uint64_t pos, uint32_t n) {
        struct addr_space as = addr_space(d);
        uint8_t *src;
        bool remote;
        if (!as_target(&as, st->vram, st->base, st->size, VFU_DMA_FLAG_READ, &src, &remote))
                return st->ring ? RPCGPU_ERR_RING : RPCGPU_ERR_ADDRESS;

        if (remote) {
                struct dma_io_piece p[2] = {{st->base + pos, n}};
                unsigned np = 1;
                const uint8_t *b;
                if (st->ring) {
                        uint32_t at = (uint32_t) (pos % st->size), first = MIN(n, st->size - at);
                        p[0] = (struct dma_io_piece){st->base + at, first};
                        if (n > first)
                                p[np++] = (struct dma_io_piece){st->base, n - first};
                }
                int r = dma_io_read(&d->io, p, np, &b);
                if (r == -EAGAIN)
                        return EXEC_BLOCKED;
                if (r < 0)
                        return RPCGPU_ERR_MEMORY;
                memcpy(st->win, b, n);
        } else if (!st->ring) {
                if (d->backend->copy(st->win, src + pos, n) < 0)
                        return RPCGPU_ERR_MEMORY;
        } else {
                uint32_t at = (uint32_t) (pos % st->size);
                uint32_t first = MIN(n, st->size - at);
                if (d->backend->copy(st->win, src + at, first) < 0 ||
                    (n > first && d->backend->copy(st->win + first, src, n - first) < 0))
                        return RPCGPU_ERR_MEMORY;
        }
        st->win_start = pos;
        st->win_len = n;
        return RPCGPU_ERR_NONE;
}

/* Make the window hold the next command (up to the longest a command can be) and decode it. */
static enum rpcgpu_error fetch(struct device *d, struct exec_stream *st, struct cmd *c) {
        uint64_t left = st->end - st->pos;
        uint32_t want = (uint32_t) MIN(left, (uint64_t) RPCGPU_CMD_MAX_DWORDS * 4);
        enum rpcgpu_error e;

        if (st->pos < st->win_start || st->pos + want > st->win_start + st->win_len) {
                e = refill(d, st, st->pos, (uint32_t) MIN(left, (uint64_t) EXEC_WINDOW));
                if (e != RPCGPU_ERR_NONE)
                        return e;
        }
        /* The window is the engine's own copy: decode straight from it (dword-aligned, as pos is). */
        uint32_t at = (uint32_t) (st->pos - st->win_start);
        return cmd_decode((const uint32_t *) (const void *) (st->win + at), want / 4, c);
}

/* Guest address of the command at the top stream, for ERROR_ADDR. */
static uint64_t stream_addr(const struct exec_stream *st) {
        return st->ring ? st->pos % st->size : st->base + st->pos;
}

static void complete_command(struct device *d) {
        struct exec_state *x = &d->exec;
        d->stats.commands++;
        x->in_command = false;
        x->done = 0;
        if (x->depth == 0)
                d->ring_head = (uint32_t) (x->s[0].pos % x->s[0].size);
}

static void pop_batch(struct device *d) {
        struct exec_state *x = &d->exec;
        x->depth--;
        if (x->depth == 0)
                d->ring_head = (uint32_t) (x->s[0].pos % x->s[0].size);
}

/* The bytes of one remote piece: 0 and *ret, EXEC_WAIT while they are on their way, or -EFAULT. */
#define EXEC_WAIT 1
static int remote_read(struct device *d, uint64_t addr, uint64_t n, const uint8_t **ret) {
        struct dma_io_piece p = {addr, (uint32_t) n};
        int r = dma_io_read(&d->io, &p, 1, ret);
        return r == -EAGAIN ? EXEC_WAIT : r < 0 ? -EFAULT : 0;
}

/* n bytes for a remote destination: through the guard into the staging buffer (a local source can
 * vanish under us), then out as DMA_WRITE. */
static int remote_write(struct device *d, uint64_t addr, const uint8_t *src, uint64_t n, bool staged) {
        if (!staged) {
                uint8_t *w = dma_io_wbuf(&d->io, (size_t) n);
                if (!w || d->backend->copy(w, src, (size_t) n) < 0)
                        return -EFAULT;
                src = w;
        }
        return dma_io_write(&d->io, addr, src, (size_t) n) < 0 ? -EFAULT : 0;
}

/* BLIT rows [first, first + rows) with a remote side: rows read as pieces, written one message each. */
static int blit_remote(struct device *d, const struct cmd *c, const struct cmd_target *t, uint64_t first,
                       uint64_t rows, bool backward) {
        uint32_t w = c->u.blit.width, sp = c->u.blit.src_pitch, dp = c->u.blit.dst_pitch;
        const uint8_t *src;
        size_t src_pitch;
        int r;

        if (t->src_remote) {
                struct dma_io_piece p[REMOTE_BLIT_ROWS];
                for (uint64_t i = 0; i < rows; i++)
                        p[i] = (struct dma_io_piece){c->u.blit.src + (first + i) * sp, w};
                r = dma_io_read(&d->io, p, (unsigned) rows, &src);
                if (r == -EAGAIN)
                        return EXEC_WAIT;
                if (r < 0)
                        return -EFAULT;
                src_pitch = w;
        } else {
                src = t->src + first * sp;
                src_pitch = sp;
        }
        if (!t->dst_remote)
                return d->backend->blit(t->dst + first * dp, dp, src, src_pitch, w, (size_t) rows,
                                        backward ? -1 : 1);
        uint8_t *out = dma_io_wbuf(&d->io, (size_t) rows * w);
        if (!out || d->backend->blit(out, w, src, src_pitch, w, (size_t) rows, 1) < 0)
                return -EFAULT;
        for (uint64_t i = 0; i < rows; i++)
                if (dma_io_write(&d->io, c->u.blit.dst + (first + i) * dp, out + i * w, w) < 0)
                        return -EFAULT;
        return 0;
}

/*
 * Do the next chunk of c. Returns the backend's result; *finished says whether
 * the command is complete. The address checks were done by the caller for
 * this very step.
 */
static int do_chunk(struct device *d, const struct cmd *c, const struct cmd_target *t, bool *finished) {
        struct exec_state *x = &d->exec;
        int r = 0;

        *finished = true;
        switch (c->opcode) {
        case RPCGPU_OP_COPY: {
                uint64_t size = c->u.copy.size;
                if (size == 0)
                        return 0;
                uint64_t n = MIN(size - x->done, (uint64_t) EXEC_CHUNK);
                /* Overlapping with the destination above the source: copy the chunks back to front. */
                bool backward = t->dst_remote || t->src_remote ? c->u.copy.dst > c->u.copy.src &&
                                                                         c->u.copy.dst < c->u.copy.src + size
                                                               : t->dst > t->src && t->dst < t->src + size;
                uint64_t off = backward ? size - x->done - n : x->done;
                if (t->src_remote || t->dst_remote) {
                        const uint8_t *src = t->src_remote ? NULL : t->src + off;
                        if (t->src_remote && (r = remote_read(d, c->u.copy.src + off, n, &src)) != 0)
                                return r;
                        if (t->dst_remote)
                                r = remote_write(d, c->u.copy.dst + off, src, n, t->src_remote);
                        else
                                r = d->backend->copy(t->dst + off, src, (size_t) n);
                } else
                        r = d->backend->copy(t->dst + off, t->src + off, (size_t) n);
                x->done += n;
                d->stats.bytes += n;
                *finished = x->done == size;
                return r;
        }
        case RPCGPU_OP_FILL: {
                uint64_t size = c->u.fill.size;
                if (size == 0)
                        return 0;
                uint64_t n = MIN(size - x->done, (uint64_t) EXEC_CHUNK);
                if (t->dst_remote) {
                        uint8_t *w = dma_io_wbuf(&d->io, (size_t) n);
                        r = w ? d->backend->fill(w, c->u.fill.pattern, (size_t) n) : -EFAULT;
                        if (r >= 0)
                                r = remote_write(d, c->u.fill.dst + x->done, w, n, true);
                } else
                        r = d->backend->fill(t->dst + x->done, c->u.fill.pattern, (size_t) n);
                x->done += n;
                d->stats.bytes += n;
                *finished = x->done == size;
                return r;
        }
        case RPCGPU_OP_BLIT: {
                uint32_t w = c->u.blit.width, h = c->u.blit.height;
                if (w == 0 || h == 0)
                        return 0;
                uint64_t rows = MIN(MAX(1u, EXEC_CHUNK / w), (uint64_t) h - x->done);
                uint64_t dspan = blit_span(c->u.blit.dst_pitch, w, h);
                bool remote = t->dst_remote || t->src_remote;
                bool backward =
                        remote ? c->u.blit.dst > c->u.blit.src && c->u.blit.dst < c->u.blit.src + dspan
                               : t->dst > t->src && t->dst < t->src + dspan;
                if (remote)
                        rows = MIN(rows, (uint64_t) REMOTE_BLIT_ROWS);
                uint64_t first = backward ? h - x->done - rows : x->done;
                if (remote) {
                        r = blit_remote(d, c, t, first, rows, backward);
                        if (r == EXEC_WAIT)
                                return r;
                } else
                        r = d->backend->blit(t->dst + first * c->u.blit.dst_pitch, c->u.blit.dst_pitch,
                                             t->src + first * c->u.blit.src_pitch, c->u.blit.src_pitch, w,
                                             (size_t) rows, backward ? -1 : 1);
                x->done += rows;
                d->stats.bytes += rows * w;
                *finished = x->done == h;
                return r;
        }
        case RPCGPU_OP_FENCE:
                if ((c->flags & RPCGPU_F_FENCE_WRITE) && t->dst_remote) {
                        uint64_t v = c->u.fence.value;
                        r = remote_write(d, c->u.fence.addr, (const uint8_t *) &v, 8, true);
                } else if (c->flags & RPCGPU_F_FENCE_WRITE)
                        r = d->backend->store64(t->dst, c->u.fence.value);
                return r; /* FENCE and its interrupt take effect in finish_command() */
        default:
                return 0;
        }
}

/* The last step of a command is done (and, for remote memory, acknowledged): make it visible. */
static void finish_command(struct device *d, const struct cmd *c) {
        if (c->opcode == RPCGPU_OP_FENCE) {
                d->fence = c->u.fence.value;
                d->stats.fences++;
        }
        complete_command(d);
        if (c->opcode == RPCGPU_OP_FENCE && (c->flags & RPCGPU_F_FENCE_IRQ))
                device_raise(d, RPCGPU_INT_FENCE);
}

/* One bounded step of the current COPY/FILL/BLIT/FENCE. false on a violation or while waiting. */
static bool step_command(struct device *d) {
        struct exec_state *x = &d->exec;
        struct cmd c = x->cur;
        struct addr_space as = addr_space(d);
        struct cmd_target t;
        bool finished;

        if (x->complete_pending) {
                /* The client acknowledged the last chunk's DMA_WRITEs: the command is complete. */
                x->complete_pending = false;
                finish_command(d, &c);
                return true;
        }
        enum rpcgpu_error e = cmd_resolve(&c, &as, &t);
        if (e != RPCGPU_ERR_NONE) {
                device_violation(d, e, c.header,
                                 c.opcode == RPCGPU_OP_FENCE ? c.u.fence.addr : c.u.copy.dst);
                return false;
        }
        int r = do_chunk(d, &c, &t, &finished);
        if (r == EXEC_WAIT)
                return false; /* nothing done: the same chunk runs again when its bytes are in */
        if (r < 0) {
                device_violation(d, RPCGPU_ERR_MEMORY, c.header, 0);
                return false;
        }
        if (dma_io_busy(&d->io)) {
                /* Writes in flight: the next chunk, or the completion, waits for their acknowledgement. */
                x->complete_pending = finished;
                return false;
        }
        if (!finished)
                return true;
        finish_command(d, &c);
        return true;
}

static void emulate(struct device *d, const struct cmd *c) {
        switch (c->opcode) {
        case RPCGPU_OP_REG_WRITE:
                d->engine_regs[c->u.reg.index] = c->u.reg.value;
                break;
        case RPCGPU_OP_SET_ADDRESS_SPACE:
                /* Recorded for the guest to read back; translation stays the DMA map's alone. */
                d->address_space = c->u.as.base;
                break;
        default:
                break;
        }
}

/* Start the next command of the top stream. false on a violation or when there is nothing to do. */
static bool start_command(struct device *d, bool *idle) {
        struct exec_state *x = &d->exec;
        struct exec_stream *st = &x->s[x->depth];
        struct cmd *c = &x->cur;
        enum rpcgpu_error e;

        if (st->pos == st->end) {
                if (x->depth == 0) {
                        *idle = true;
                        return false;
                }
                pop_batch(d); /* a batch may end by running out, without BATCH_END */
                return true;
        }

        uint64_t at = stream_addr(st);
        e = fetch(d, st, c);
        if (e == EXEC_BLOCKED)
                return false;
        if (e == RPCGPU_ERR_NONE && x->depth > 0 && x->budget-- == 0)
                e = RPCGPU_ERR_BATCH_BUDGET;
        if (e != RPCGPU_ERR_NONE) {
                uint32_t h = 0;
                if (st->pos >= st->win_start && st->pos + 4 <= st->win_start + st->win_len)
                        memcpy(&h, st->win + (st->pos - st->win_start), 4);
                device_violation(d, e, h, at);
                return false;
        }
        st->pos += (uint64_t) c->len * 4;

        const struct cmd_desc *desc = cmd_desc(c->opcode);
        if (desc->sensitive) {
                if (d->sensitive->action[c->opcode] != SENSITIVE_EMULATE || !desc->emulatable) {
                        device_violation(d, RPCGPU_ERR_SENSITIVE, c->header, at);
                        return false;
                }
                emulate(d, c);
                complete_command(d);
                return true;
        }

        switch (c->opcode) {
        case RPCGPU_OP_NOP:
                complete_command(d);
                return true;
        case RPCGPU_OP_BATCH_END:
                if (x->depth == 0) {
                        device_violation(d, RPCGPU_ERR_BATCH_END, c->header, at);
                        return false;
                }
                complete_command(d);
                pop_batch(d);
                return true;
        case RPCGPU_OP_BATCH_START: {
                struct addr_space as = addr_space(d);
                struct cmd_target t;
                if (x->depth == RPCGPU_BATCH_DEPTH) {
                        device_violation(d, RPCGPU_ERR_BATCH_DEPTH, c->header, at);
                        return false;
                }
                e = cmd_resolve(c, &as, &t);
                if (e != RPCGPU_ERR_NONE) {
                        device_violation(d, e, c->header, c->u.batch.addr);
                        return false;
                }
                complete_command(d); /* counted now; HEAD moves when the batch returns */
                if (x->depth == 0)
                        x->budget = RPCGPU_BATCH_BUDGET;
                x->depth++;
                struct exec_stream *b = &x->s[x->depth];
                uint8_t *win = b->win;
                *b = (struct exec_stream){
                        .vram = c->flags & RPCGPU_F_SRC_VRAM,
                        .base = c->u.batch.addr,
                        .size = c->u.batch.size,
                        .end = c->u.batch.size,
                        .win = win,
                };
                return true;
        }
        default:
                x->in_command = true;
                x->done = 0;
                return step_command(d);
        }
}

uint64_t device_exec(struct device *d, uint64_t deadline, bool (*yield)(void *userdata), void *userdata) {
        struct exec_state *x = &d->exec;
        uint64_t start = now_ns(), now, last_yield = start;
        unsigned cheap = 0;

        if (!device_runnable(d))
                return 0;
        if (!ensure_windows(x)) {
                /* Out of memory: try again next turn rather than blame the guest. */
                return 0;
        }

        for (;;) {
                bool idle = false, ok;
                if (d->io.error) {
                        /* The client could not read or write guest memory for us: as if it vanished. */
                        device_violation(d, RPCGPU_ERR_MEMORY, x->in_command ? x->cur.header : 0, 0);
                        break;
                }
                if (x->in_command) {
                        ok = step_command(d);
                        cheap = CLOCK_EVERY; /* a chunk is worth a clock read */
                } else {
                        ok = start_command(d, &idle);
                        if (x->in_command)
                                cheap = CLOCK_EVERY;
                        else
                                cheap++;
                }
                if (!ok && (idle || d->failsafe || dma_io_busy(&d->io)))
                        break;
                if (cheap >= CLOCK_EVERY) {
                        cheap = 0;
                        now = now_ns();
                        /* Waiting messages (MMIO of this or another guest) are served between chunks, so
                         * that a busy engine still answers within one chunk rather than one slice. */
                        if (now >= deadline)
                                break;
                        if (yield && now - start >= MIN_TURN_NS && now - last_yield >= YIELD_CHECK_NS) {
                                last_yield = now;
                                if (yield(userdata))
                                        break;
                        }
                }
        }
        return now_ns() - start;
}
