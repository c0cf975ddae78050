/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of src/vfio-user/transport.c over real socketpairs, in both
 * modes (exact reads and read-ahead): messages that arrive a byte at a time or
 * split at every byte boundary, several in one read, descriptors with their
 * message (also when it is the second of two read at once), too many
 * descriptors, a message larger than the read-ahead buffer, EOF at and inside
 * a message and after buffered ones, unframeable and oversized headers.
 */

#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "macro.h"
#include "vfio-user/codec.h"
#include "vfio-user/transport.h"

static unsigned open_fds(void) {
        unsigned n = 0;
        DIR *d = opendir("/proc/self/fd");
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static void pair(int sv[2], bool nonblock) {
        assert_int_equal(
                socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0, sv), 0);
}

static size_t build(uint8_t *buf, uint16_t cmd, const void *payload, uint32_t len) {
        struct vfu_hdr h = {.msg_id = 9, .command = cmd, .size = VFU_HDR_SIZE + len};
        vfu_hdr_encode(buf, &h);
        memcpy(buf + VFU_HDR_SIZE, payload, len);
        return VFU_HDR_SIZE + len;
}

/* A step after the socket became readable, as the engine's epoll loop does it. */
static int step(struct vfu_rx *rx, int fd) {
        vfu_rx_readable(rx);
        return vfu_rx_step(rx, fd);
}

static unsigned queued(int fd) {
        int n = -1;
        assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
        return (unsigned) n;
}

static void byte_by_byte(bool read_ahead) {
        int sv[2];
        struct vfu_rx rx;
        uint8_t msg[64];
        size_t n = build(msg, VFU_CMD_REGION_READ, "0123456789abcdef", 16);

        pair(sv, true);
        vfu_rx_init(&rx, 1024, 4, read_ahead);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(step(&rx, sv[0]), -EAGAIN);
                assert_int_equal(write(sv[1], msg + i, 1), 1);
        }
        assert_int_equal(step(&rx, sv[0]), 1);
        assert_int_equal(rx.hdr.command, VFU_CMD_REGION_READ);
        assert_int_equal(vfu_rx_payload_len(&rx), 16);
        assert_memory_equal(vfu_rx_payload(&rx), "0123456789abcdef", 16);
        vfu_rx_reset(&rx);
        assert_int_equal(step(&rx, sv[0]), -EAGAIN);
        close(sv[1]);
        assert_int_equal(step(&rx, sv[0]), 0); /* EOF between messages */
        close(sv[0]);
}

static void test_byte_by_byte(void **state) {
        byte_by_byte(false);
        byte_by_byte(true);
}

static void descriptors(bool read_ahead) {
        int sv[2], fds[20];
        struct vfu_rx rx;
        uint8_t msg[64];
        unsigned before = open_fds();

        pair(sv, true);
        for (int i = 0; i < 20; i++)
                fds[i] = eventfd(0, EFD_CLOEXEC);
        size_t n = build(msg, VFU_CMD_DEVICE_SET_IRQS, "xxxxxxxxxxxxxxxxxxxx", 20);

        vfu_rx_init(&rx, 1024, 4, read_ahead);
        struct iovec iov = {msg, n};
        assert_int_equal(vfu_send_iov(sv[1], &iov, 1, fds, 3), (ssize_t) n);
        assert_int_equal(step(&rx, sv[0]), 1);
        assert_int_equal(rx.nfds, 3);
        assert_false(rx.fds_dropped);
        vfu_rx_reset(&rx); /* closes what nobody took */

        /* More than allowed: the extra ones are closed at once and the message says so. */
        assert_int_equal(vfu_send_iov(sv[1], &iov, 1, fds, 16), (ssize_t) n);
        assert_int_equal(step(&rx, sv[0]), 1);
        assert_int_equal(rx.nfds, 4);
        assert_true(rx.fds_dropped);
        vfu_rx_reset(&rx);
        assert_int_equal(vfu_send_iov(sv[1], &iov, 1, fds, 17), -EINVAL); /* the sender's own limit */

        /* Descriptors on a message that stops half-way: closed with it. */
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){msg, 20}, 1, fds, 2), 20);
        assert_int_equal(step(&rx, sv[0]), -EAGAIN);
        assert_int_equal(rx.nfds, 2);
        close(sv[1]);
        assert_int_equal(step(&rx, sv[0]), -ECONNRESET);
        vfu_rx_reset(&rx);
        close(sv[0]);
        for (int i = 0; i < 20; i++)
                close(fds[i]);
        assert_int_equal(open_fds(), before);
}

static void test_descriptors(void **state) {
        descriptors(false);
        descriptors(true);
}

static void framing_errors(bool read_ahead) {
        int sv[2];
        struct vfu_rx rx;
        uint8_t msg[64];

        pair(sv, true);
        vfu_rx_init(&rx, 64, 1, read_ahead);
        struct vfu_hdr h = {.msg_id = 3, .command = 4, .size = 15};
        vfu_hdr_encode(msg, &h);
        assert_int_equal(write(sv[1], msg, 16), 16);
        assert_int_equal(step(&rx, sv[0]), -EBADMSG);
        vfu_rx_reset(&rx);

        h.size = 65;
        vfu_hdr_encode(msg, &h);
        assert_int_equal(write(sv[1], msg, 16), 16);
        assert_int_equal(step(&rx, sv[0]), -E2BIG);
        assert_int_equal(rx.hdr.msg_id, 3); /* enough to address an error reply */
        vfu_rx_reset(&rx);

        /* EOF inside a header (read ahead: the short read first, then poll says readable: the EOF) */
        assert_int_equal(write(sv[1], msg, 5), 5);
        close(sv[1]);
        int r = step(&rx, sv[0]);
        if (read_ahead && r == -EAGAIN)
                r = step(&rx, sv[0]);
        assert_int_equal(r, -ECONNRESET);
        vfu_rx_reset(&rx);
        close(sv[0]);
}

static void test_framing_errors(void **state) {
        framing_errors(false);
        framing_errors(true);
}

struct writer {
        int fd;
        uint8_t *payload;
        size_t len;
};

static void *write_big(void *arg) {
        struct writer *w = arg;
        struct vfu_hdr h = {.command = VFU_CMD_REGION_WRITE, .size = (uint32_t) (VFU_HDR_SIZE + w->len)};
        int r = vfu_send_msg(w->fd, &h, w->payload, w->len, NULL, 0);
        return (void *) (intptr_t) r;
}

/* A megabyte through a socket buffer far smaller: short writes and reads on both sides. */
static void large_message(bool read_ahead) {
        int sv[2];
        struct vfu_rx rx;
        struct writer w = {.len = 1 << 20};
        pthread_t t;
        void *ret;

        pair(sv, false);
        w.fd = sv[1];
        w.payload = malloc(w.len);
        for (size_t i = 0; i < w.len; i++)
                w.payload[i] = (uint8_t) (i * 31);
        vfu_rx_init(&rx, 2 << 20, 1, read_ahead);
        assert_int_equal(pthread_create(&t, NULL, write_big, &w), 0);
        int r;
        /* Blocking: a step reads until it has the message, or (read-ahead) stops after a short read. */
        while ((r = step(&rx, sv[0])) == -EAGAIN)
                assert_true(read_ahead);
        assert_int_equal(r, 1);
        pthread_join(t, &ret);
        assert_int_equal((intptr_t) ret, 0);
        assert_int_equal(vfu_rx_payload_len(&rx), w.len);
        assert_memory_equal(vfu_rx_payload(&rx), w.payload, w.len);
        vfu_rx_reset(&rx);
        free(w.payload);
        close(sv[0]);
        close(sv[1]);
}

static void test_large_message(void **state) {
        large_message(false);
        large_message(true);
}

static void test_send_to_closed_peer(void **state) {
        int sv[2];
        struct vfu_hdr h = {.command = 1, .size = 16};

        pair(sv, false);
        close(sv[0]);
        /* EPIPE, not SIGPIPE: a vanished client must not kill the daemon. */
        assert_int_equal(vfu_send_msg(sv[1], &h, NULL, 0, NULL, 0), -EPIPE);
        close(sv[1]);
}

/* A memfd whose size tells which one it is. */
static int sized_fd(off_t size) {
        int fd = memfd_create("tag", MFD_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, size), 0);
        return fd;
}

static off_t fd_size(int fd) {
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        return st.st_size;
}

static void expect(struct vfu_rx *rx, int fd, uint16_t id, const void *payload, size_t len) {
        assert_int_equal(vfu_rx_step(rx, fd), 1);
        assert_int_equal(rx->hdr.msg_id, id);
        assert_int_equal(vfu_rx_payload_len(rx), len);
        assert_memory_equal(vfu_rx_payload(rx), payload, len);
}

static size_t build_id(uint8_t *buf, uint16_t id, const void *payload, uint32_t len) {
        size_t n = build(buf, VFU_CMD_REGION_WRITE, payload, len);
        struct vfu_hdr h;
        vfu_hdr_decode(buf, &h);
        h.msg_id = id;
        vfu_hdr_encode(buf, &h);
        return n;
}

/* Three messages in one write: one recvmsg() takes them all, and no read follows the short one. */
static void test_several_in_one_read(void **state) {
        int sv[2];
        struct vfu_rx rx;
        uint8_t buf[256], late[64];
        size_t n = 0;

        pair(sv, true);
        vfu_rx_init(&rx, 1024, 4, true);
        n += build_id(buf + n, 1, "first", 5);
        n += build_id(buf + n, 2, "", 0);
        n += build_id(buf + n, 3, "third message", 13);
        assert_int_equal(write(sv[1], buf, n), (ssize_t) n);
        assert_false(vfu_rx_ready(&rx));
        expect(&rx, sv[0], 1, "first", 5);
        assert_int_equal(queued(sv[0]), 0); /* all three came in that read */
        vfu_rx_reset(&rx);
        assert_true(vfu_rx_ready(&rx));
        expect(&rx, sv[0], 2, "", 0);
        vfu_rx_reset(&rx);
        assert_true(vfu_rx_ready(&rx));
        expect(&rx, sv[0], 3, "third message", 13);
        vfu_rx_reset(&rx);
        assert_false(vfu_rx_ready(&rx));

        /* The read was short: the socket was empty. Until poll says otherwise, no recvmsg(), even
         * with new bytes waiting... */
        size_t m = build_id(late, 4, "late", 4);
        assert_int_equal(write(sv[1], late, m), (ssize_t) m);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), -EAGAIN);
        assert_int_equal(queued(sv[0]), m);
        /* ...and then it reads. */
        vfu_rx_readable(&rx);
        expect(&rx, sv[0], 4, "late", 4);
        vfu_rx_done(&rx);
        close(sv[0]);
        close(sv[1]);
}

/* Two messages cut in two at every byte boundary: the same two come out, in both modes. */
static void test_split_everywhere(void **state) {
        uint8_t buf[128];
        size_t n = build_id(buf, 1, "abcdefghijklmnopqrst", 20);
        size_t second = n;
        n += build_id(buf + n, 2, "uvwxy", 5);

        for (int mode = 0; mode < 2; mode++)
                for (size_t cut = 1; cut < n; cut++) {
                        int sv[2];
                        struct vfu_rx rx;
                        unsigned got = 0;

                        pair(sv, true);
                        vfu_rx_init(&rx, 1024, 4, mode == 1);
                        assert_int_equal(write(sv[1], buf, cut), (ssize_t) cut);
                        for (int part = 0; part < 2; part++) {
                                int r;
                                while ((r = step(&rx, sv[0])) == 1) {
                                        if (got == 0)
                                                assert_memory_equal(vfu_rx_payload(&rx),
                                                                    "abcdefghijklmnopqrst", 20);
                                        else
                                                assert_memory_equal(vfu_rx_payload(&rx), "uvwxy", 5);
                                        assert_int_equal(rx.hdr.msg_id, got + 1);
                                        got++;
                                        vfu_rx_reset(&rx);
                                }
                                assert_int_equal(r, -EAGAIN);
                                /* Before the rest arrives, what is whole has come out. */
                                if (part == 0)
                                        assert_int_equal(got, cut >= second ? 1 : 0);
                                else
                                        assert_int_equal(got, 2);
                                if (part == 0)
                                        assert_int_equal(write(sv[1], buf + cut, n - cut),
                                                         (ssize_t) (n - cut));
                        }
                        vfu_rx_done(&rx);
                        close(sv[0]);
                        close(sv[1]);
                }
}

/* Descriptors land on the message they were sent with, whichever of the messages read at once. */
static void test_fds_on_their_message(void **state) {
        int sv[2];
        struct vfu_rx rx;
        uint8_t a[64], b[64], c[64];
        unsigned before = open_fds();
        int f[3] = {sized_fd(4096), sized_fd(8192), sized_fd(12288)};
        size_t na = build_id(a, 1, "aaaa", 4), nb = build_id(b, 2, "bbbbbbbb", 8),
               nc = build_id(c, 3, "c", 1);

        pair(sv, true);
        vfu_rx_init(&rx, 1024, 4, true);

        /* On the second of two sent back to back, before the receiver reads: the read ends with them. */
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){a, na}, 1, NULL, 0), (ssize_t) na);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){b, nb}, 1, f, 2), (ssize_t) nb);
        expect(&rx, sv[0], 1, "aaaa", 4);
        assert_int_equal(rx.nfds, 0);
        vfu_rx_reset(&rx);
        expect(&rx, sv[0], 2, "bbbbbbbb", 8);
        assert_int_equal(rx.nfds, 2);
        assert_int_equal(fd_size(rx.fds[0]), 4096);
        assert_int_equal(fd_size(rx.fds[1]), 8192);
        vfu_rx_reset(&rx);

        /* On the first: the read stops after it; the second comes with the next read. */
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){a, na}, 1, &f[2], 1), (ssize_t) na);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){b, nb}, 1, NULL, 0), (ssize_t) nb);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){c, nc}, 1, f, 1), (ssize_t) nc);
        vfu_rx_readable(&rx);
        expect(&rx, sv[0], 1, "aaaa", 4);
        assert_int_equal(rx.nfds, 1);
        assert_int_equal(fd_size(rx.fds[0]), 12288);
        vfu_rx_reset(&rx);
        assert_int_equal(step(&rx, sv[0]), 1);
        assert_int_equal(rx.hdr.msg_id, 2);
        assert_int_equal(rx.nfds, 0);
        vfu_rx_reset(&rx);
        expect(&rx, sv[0], 3, "c", 1);
        assert_int_equal(rx.nfds, 1);
        assert_int_equal(fd_size(rx.fds[0]), 4096);
        vfu_rx_reset(&rx);

        /* Too many on the second: it is marked and keeps max_fds, the first is untouched. */
        int many[16];
        for (int i = 0; i < 16; i++)
                many[i] = f[i % 3];
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){a, na}, 1, NULL, 0), (ssize_t) na);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){b, nb}, 1, many, 16), (ssize_t) nb);
        assert_int_equal(step(&rx, sv[0]), 1);
        assert_int_equal(rx.nfds, 0);
        assert_false(rx.fds_dropped);
        vfu_rx_reset(&rx);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), 1);
        assert_int_equal(rx.nfds, 4);
        assert_true(rx.fds_dropped);
        vfu_rx_reset(&rx);

        /* Descriptors of a message still buffered when the receiver is dropped are closed with it. */
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){a, na}, 1, NULL, 0), (ssize_t) na);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){b, nb}, 1, f, 3), (ssize_t) nb);
        assert_int_equal(step(&rx, sv[0]), 1);
        vfu_rx_reset(&rx);
        assert_int_equal(rx.npending, 3);
        vfu_rx_done(&rx);
        close(sv[0]);
        close(sv[1]);
        for (int i = 0; i < 3; i++)
                close(f[i]);
        assert_int_equal(open_fds(), before);
}

/* Larger than the buffer, between two small ones: read straight into its payload, never past it. */
static void test_larger_than_buffer(void **state) {
        int sv[2];
        struct vfu_rx rx;
        size_t plen = 3 * VFU_RX_BUF_SIZE + 100;
        uint8_t *big = malloc(VFU_HDR_SIZE + plen), small[64], tail[64];
        unsigned before = open_fds();
        int f = sized_fd(4096);

        for (size_t i = 0; i < plen; i++)
                big[VFU_HDR_SIZE + i] = (uint8_t) (i * 7);
        size_t nbig = build_id(big, 2, big + VFU_HDR_SIZE, (uint32_t) plen);
        size_t ns = build_id(small, 1, "small", 5), nt = build_id(tail, 3, "tail", 4);

        pair(sv, true);
        vfu_rx_init(&rx, 1 << 20, 4, true);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){small, ns}, 1, NULL, 0), (ssize_t) ns);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){big, nbig}, 1, &f, 1), (ssize_t) nbig);
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){tail, nt}, 1, NULL, 0), (ssize_t) nt);
        expect(&rx, sv[0], 1, "small", 5);
        assert_int_equal(rx.nfds, 0);
        vfu_rx_reset(&rx);
        int r;
        while ((r = step(&rx, sv[0])) == -EAGAIN)
                ;
        assert_int_equal(r, 1);
        assert_int_equal(rx.hdr.msg_id, 2);
        assert_int_equal(vfu_rx_payload_len(&rx), plen);
        assert_memory_equal(vfu_rx_payload(&rx), big + VFU_HDR_SIZE, plen);
        assert_int_equal(rx.nfds, 1);
        assert_int_equal(fd_size(rx.fds[0]), 4096);
        assert_int_equal(queued(sv[0]), nt); /* the next message is still in the socket */
        vfu_rx_reset(&rx);
        expect(&rx, sv[0], 3, "tail", 4);
        vfu_rx_done(&rx);
        close(sv[0]);
        close(sv[1]);
        close(f);
        free(big);
        assert_int_equal(open_fds(), before);
}

/* The peer closes after several messages: they come out first, then EOF (or a reset for a torso). */
static void test_eof_after_buffered(void **state) {
        uint8_t buf[256];
        size_t n = 0;
        n += build_id(buf + n, 1, "one", 3);
        n += build_id(buf + n, 2, "two", 3);
        size_t whole = n;
        n += build_id(buf + n, 3, "three", 5);

        for (int torso = 0; torso < 2; torso++) {
                int sv[2];
                struct vfu_rx rx;
                pair(sv, true);
                vfu_rx_init(&rx, 1024, 4, true);
                size_t len = torso ? n - 2 : n;
                assert_int_equal(write(sv[1], buf, len), (ssize_t) len);
                close(sv[1]);
                expect(&rx, sv[0], 1, "one", 3);
                vfu_rx_reset(&rx);
                expect(&rx, sv[0], 2, "two", 3);
                vfu_rx_reset(&rx);
                if (!torso) {
                        expect(&rx, sv[0], 3, "three", 5);
                        vfu_rx_reset(&rx);
                }
                assert_int_equal(step(&rx, sv[0]), torso ? -ECONNRESET : 0);
                (void) whole;
                vfu_rx_done(&rx);
                close(sv[0]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_byte_by_byte),        cmocka_unit_test(test_descriptors),
                cmocka_unit_test(test_framing_errors),      cmocka_unit_test(test_large_message),
                cmocka_unit_test(test_send_to_closed_peer), cmocka_unit_test(test_several_in_one_read),
                cmocka_unit_test(test_split_everywhere),    cmocka_unit_test(test_fds_on_their_message),
                cmocka_unit_test(test_larger_than_buffer),  cmocka_unit_test(test_eof_after_buffered),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
