/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests of src/vfio-user/transport.c over real socketpairs: messages
 * that arrive a byte at a time, descriptors with their message, too many
 * descriptors, EOF at and inside a message, unframeable and oversized headers.
 */

#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

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

static void test_byte_by_byte(void **state) {
        int sv[2];
        struct vfu_rx rx;
        uint8_t msg[64];
        size_t n = build(msg, VFU_CMD_REGION_READ, "0123456789abcdef", 16);

        pair(sv, true);
        vfu_rx_init(&rx, 1024, 4);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(vfu_rx_step(&rx, sv[0]), -EAGAIN);
                assert_int_equal(write(sv[1], msg + i, 1), 1);
        }
        assert_int_equal(vfu_rx_step(&rx, sv[0]), 1);
        assert_int_equal(rx.hdr.command, VFU_CMD_REGION_READ);
        assert_int_equal(vfu_rx_payload_len(&rx), 16);
        assert_memory_equal(vfu_rx_payload(&rx), "0123456789abcdef", 16);
        vfu_rx_reset(&rx);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), -EAGAIN);
        close(sv[1]);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), 0); /* EOF between messages */
        close(sv[0]);
}

static void test_descriptors(void **state) {
        int sv[2], fds[20];
        struct vfu_rx rx;
        uint8_t msg[64];
        unsigned before = open_fds();

        pair(sv, true);
        for (int i = 0; i < 20; i++)
                fds[i] = eventfd(0, EFD_CLOEXEC);
        size_t n = build(msg, VFU_CMD_DEVICE_SET_IRQS, "xxxxxxxxxxxxxxxxxxxx", 20);

        vfu_rx_init(&rx, 1024, 4);
        struct iovec iov = {msg, n};
        assert_int_equal(vfu_send_iov(sv[1], &iov, 1, fds, 3), (ssize_t) n);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), 1);
        assert_int_equal(rx.nfds, 3);
        assert_false(rx.fds_dropped);
        vfu_rx_reset(&rx); /* closes what nobody took */

        /* More than allowed: the extra ones are closed at once and the message says so. */
        assert_int_equal(vfu_send_iov(sv[1], &iov, 1, fds, 16), (ssize_t) n);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), 1);
        assert_int_equal(rx.nfds, 4);
        assert_true(rx.fds_dropped);
        vfu_rx_reset(&rx);
        assert_int_equal(vfu_send_iov(sv[1], &iov, 1, fds, 17), -EINVAL); /* the sender's own limit */

        /* Descriptors on a message that stops half-way: closed with it. */
        assert_int_equal(vfu_send_iov(sv[1], &(struct iovec){msg, 20}, 1, fds, 2), 20);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), -EAGAIN);
        assert_int_equal(rx.nfds, 2);
        close(sv[1]);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), -ECONNRESET);
        vfu_rx_reset(&rx);
        close(sv[0]);
        for (int i = 0; i < 20; i++)
                close(fds[i]);
        assert_int_equal(open_fds(), before);
}

static void test_framing_errors(void **state) {
        int sv[2];
        struct vfu_rx rx;
        uint8_t msg[64];

        pair(sv, true);
        vfu_rx_init(&rx, 64, 1);
        struct vfu_hdr h = {.msg_id = 3, .command = 4, .size = 15};
        vfu_hdr_encode(msg, &h);
        assert_int_equal(write(sv[1], msg, 16), 16);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), -EBADMSG);
        vfu_rx_reset(&rx);

        h.size = 65;
        vfu_hdr_encode(msg, &h);
        assert_int_equal(write(sv[1], msg, 16), 16);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), -E2BIG);
        assert_int_equal(rx.hdr.msg_id, 3); /* enough to address an error reply */
        vfu_rx_reset(&rx);

        /* EOF inside a header */
        assert_int_equal(write(sv[1], msg, 5), 5);
        close(sv[1]);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), -ECONNRESET);
        vfu_rx_reset(&rx);
        close(sv[0]);
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
static void test_large_message(void **state) {
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
        vfu_rx_init(&rx, 2 << 20, 1);
        assert_int_equal(pthread_create(&t, NULL, write_big, &w), 0);
        assert_int_equal(vfu_rx_step(&rx, sv[0]), 1);
        pthread_join(t, &ret);
        assert_int_equal((intptr_t) ret, 0);
        assert_int_equal(vfu_rx_payload_len(&rx), w.len);
        assert_memory_equal(vfu_rx_payload(&rx), w.payload, w.len);
        vfu_rx_reset(&rx);
        free(w.payload);
        close(sv[0]);
        close(sv[1]);
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_byte_by_byte),        cmocka_unit_test(test_descriptors),
                cmocka_unit_test(test_framing_errors),      cmocka_unit_test(test_large_message),
                cmocka_unit_test(test_send_to_closed_peer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
