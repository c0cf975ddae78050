/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the engine's integration tests (header-only). */
#pragma once

#include "unit.h"

#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "macro.h"
#include "vfio-user/client.h"
#include "vfio-user/codec.h"
#include "vfio-user/guest.h"

#define UUID_A "11111111-2222-3333-4444-555555555555"
#define UUID_B "66666666-7777-8888-9999-aaaaaaaaaaaa"

/* A connected, negotiated raw client. */
static inline struct vfu_client *raw_client(const char *sock) {
        struct vfu_client *c = NULL;
        assert_int_equal(vfu_client_connect(sock, &c), 0);
        assert_int_equal(vfu_client_negotiate(c), 0);
        return c;
}

static inline uint32_t bar0_read32(struct vfu_client *c, uint32_t off) {
        uint32_t v = 0;
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, off, &v, 4), 0);
        return v;
}

static inline void bar0_write32(struct vfu_client *c, uint32_t off, uint32_t v) {
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_BAR0_REGION, off, &v, 4, false), 0);
}

/* Send raw bytes (with optional fds) on the client's socket. */
static inline void send_raw(struct vfu_client *c, const void *buf, size_t len, const int *fds,
                            unsigned nfds) {
        struct iovec iov = {(void *) buf, len};
        assert_int_equal(vfu_send_iov(vfu_client_fd(c), &iov, 1, fds, nfds), (ssize_t) len);
}

static inline struct vfu_hdr make_hdr(uint16_t id, uint16_t cmd, uint32_t size, uint32_t flags) {
        return (struct vfu_hdr){.msg_id = id, .command = cmd, .size = size, .flags = flags};
}

static inline int new_memfd(size_t size) {
        int fd = memfd_create("test", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t) size), 0);
        return fd;
}

/* A BAR0 register read of 4 bytes, 32 bytes long, at buf: for pipelining raw requests. */
static inline size_t put_bar0_read(uint8_t *buf, uint16_t id, uint32_t off) {
        struct vfu_hdr h = make_hdr(id, VFU_CMD_REGION_READ, 32, 0);
        struct vfu_region_rw rw = {.offset = off, .region = VFU_PCI_BAR0_REGION, .count = 4};
        vfu_hdr_encode(buf, &h);
        vfu_put(buf + 16, rw);
        return 32;
}

/* The next message is the reply to read id, a success carrying value. */
static inline void expect_read_reply(struct vfu_client *c, uint16_t id, uint32_t value) {
        struct vfu_reply r;
        uint32_t v;
        assert_int_equal(vfu_client_recv(c, &r), 0);
        assert_int_equal(r.hdr.msg_id, id);
        assert_int_equal(r.hdr.flags & VFU_FLAG_ERROR, 0);
        assert_int_equal(r.len, VFU_REGION_RW_SIZE + 4);
        memcpy(&v, r.payload + VFU_REGION_RW_SIZE, 4);
        assert_int_equal(v, value);
        vfu_reply_done(&r);
}
