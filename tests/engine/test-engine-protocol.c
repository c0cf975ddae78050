/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Integration: every vfio-user command against a real engine, as QEMU 10.1's
 * vfio-user-pci sends it, and the refusals the protocol requires. One
 * engine-test-server for the file; each test has its own instance.
 */
#include "common.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static struct test_server server;

static int setup(void **state) {
        return test_server_start(&server, NULL);
}

static int teardown(void **state) {
        return test_server_stop(&server) == 0 ? 0 : -1;
}

/* Whatever a test left behind (a failed assertion skips its own clean-up) goes here. */
static int cleanup(void **state) {
        (void) test_server_cmd(&server, NULL, 0, "remove %s", UUID_A);
        (void) test_server_cmd(&server, NULL, 0, "remove %s", UUID_B);
        return 0;
}

static const char *add(const char *uuid) {
        const char *sock = test_server_add(&server, uuid, 4, 0, 0);
        assert_non_null(sock);
        return sock;
}

static void del(const char *uuid) {
        assert_int_equal(test_server_cmd(&server, NULL, 0, "remove %s", uuid), 0);
}

/* VERSION exactly as QEMU 10.1 sends it; the reply must pass QEMU's own checks. */
static void test_negotiate_like_qemu(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = NULL;
        static const char proposal[] = VFU_QEMU_PROPOSAL;
        uint8_t buf[VFU_VERSION_SIZE + sizeof(proposal)];
        struct vfu_version v = {0, 0}, got;
        struct vfu_reply reply;
        const char *json;
        size_t json_len;
        struct vfu_caps caps;

        assert_int_equal(vfu_client_connect(sock, &c), 0);
        vfu_put(buf, v);
        memcpy(buf + VFU_VERSION_SIZE, proposal, sizeof(proposal));
        assert_int_equal(vfu_client_request(c, VFU_CMD_VERSION, 0, buf, sizeof(buf), NULL, 0, &reply), 0);
        assert_int_equal(vfu_decode_version(reply.payload, reply.len, &got, &json, &json_len), 0);
        assert_int_equal(got.major, 0);
        assert_int_equal(got.minor, 0);
        assert_non_null(json);
        assert_int_equal(vfu_caps_parse(json, json_len, &caps), 0);
        assert_int_equal(vfu_caps_check_server_reply(&caps), 0);
        assert_int_equal(caps.max_msg_fds, 8);
        assert_int_equal(caps.max_data_xfer_size, 1 << 20);
        assert_int_equal(caps.pgsizes, 4096);
        assert_int_equal(caps.max_dma_maps, 512);
        assert_true(caps.write_multiple);
        assert_false(caps.migration); /* we do not offer what we do not do */
        vfu_reply_done(&reply);
        del(UUID_A);
}

static int raw_version(struct vfu_client *c, uint16_t major, const char *json, bool nul) {
        uint8_t buf[512];
        struct vfu_version v = {major, 0};
        size_t n = VFU_VERSION_SIZE;
        vfu_put(buf, v);
        if (json) {
                memcpy(buf + n, json, strlen(json));
                n += strlen(json);
                if (nul)
                        buf[n++] = 0;
        }
        struct vfu_reply reply;
        int r = vfu_client_request(c, VFU_CMD_VERSION, 0, buf, n, NULL, 0, &reply);
        if (r >= 0)
                vfu_reply_done(&reply);
        return r;
}

static void test_version_refusals(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = NULL;
        struct vfu_device_info info;

        assert_int_equal(vfu_client_connect(sock, &c), 0);
        /* Anything before VERSION is refused, and the connection stays usable. */
        assert_int_equal(vfu_client_device_info(c, &info), -EINVAL);
        assert_int_equal(raw_version(c, 1, "{}", true), -ENOTSUP);
        assert_int_equal(raw_version(c, 0, "{\"capabilities\":", true), -EINVAL);
        assert_int_equal(raw_version(c, 0, "{}", false), -EINVAL);                   /* no NUL */
        assert_int_equal(raw_version(c, 0, "{\"capabilities\":[]}", true), -EINVAL); /* not an object */
        assert_int_equal(raw_version(c, 0, "{\"capabilities\":{\"max_msg_fds\":-1}}", true), -EINVAL);
        assert_int_equal(raw_version(c, 0, "{\"a\":1,\"a\":2}", true), -EINVAL); /* duplicate key */
        assert_int_equal(raw_version(c, 0, NULL, false), 0);      /* no capabilities at all: defaults */
        assert_int_equal(raw_version(c, 0, "{}", true), -EINVAL); /* only once per connection */
        assert_int_equal(vfu_client_device_info(c, &info), 0);
        del(UUID_A);
}

static void test_device_and_irq_info(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        struct vfu_device_info info;
        struct vfu_irq_info irq;

        assert_int_equal(vfu_client_device_info(c, &info), 0);
        assert_int_equal(info.argsz, 16);
        assert_int_equal(info.flags, VFU_DEVICE_FLAG_RESET | VFU_DEVICE_FLAG_PCI);
        assert_int_equal(info.num_regions, 9);
        assert_int_equal(info.num_irqs, 5);

        /* ERR and REQ have one vector each: QEMU warns "Could not enable error recovery" otherwise. */
        static const uint32_t counts[] = {1, 1, RPCGPU_MSIX_VECTORS, 1, 1};
        for (uint32_t i = 0; i < 5; i++) {
                assert_int_equal(vfu_client_irq_info(c, i, &irq), 0);
                assert_int_equal(irq.count, counts[i]);
        }
        assert_int_equal(vfu_client_irq_info(c, 0, &irq), 0);
        assert_int_equal(irq.flags, VFU_IRQ_INFO_EVENTFD | VFU_IRQ_INFO_MASKABLE | VFU_IRQ_INFO_AUTOMASKED);
        assert_int_equal(vfu_client_irq_info(c, 5, &irq), -EINVAL);

        /* argsz smaller than the struct, or a payload of the wrong size */
        struct vfu_device_info small = {.argsz = 8};
        uint8_t buf[20] = {};
        vfu_put(buf, small);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_GET_INFO, 0, buf, 16, NULL, 0, NULL), -EINVAL);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_GET_INFO, 0, buf, 20, NULL, 0, NULL), -EINVAL);
        del(UUID_A);
}

static void test_region_info(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        static const uint64_t sizes[9] = {RPCGPU_BAR0_SIZE, 0, 4 << 20, 0, 0, 0, 0, 256, 0};
        struct vfu_region_info ri;
        _cleanup_free_ uint8_t *raw = NULL;
        size_t raw_len;
        int fd;

        for (uint32_t i = 0; i < 9; i++) {
                assert_int_equal(vfu_client_region_info(c, i, &ri, &fd, NULL, NULL), 0);
                assert_int_equal(ri.size, sizes[i]);
                assert_int_equal(ri.index, i);
                assert_int_equal(fd >= 0, i == VFU_PCI_BAR2_REGION);
                if (fd >= 0)
                        close(fd);
        }
        assert_int_equal(vfu_client_region_info(c, 9, &ri, &fd, NULL, NULL), -EINVAL);

        /* BAR2: mmap-able VRAM with a sparse-mmap capability and the region fd. */
        assert_int_equal(vfu_client_region_info(c, VFU_PCI_BAR2_REGION, &ri, &fd, &raw, &raw_len), 0);
        assert_int_equal(ri.flags, VFU_REGION_FLAG_READ | VFU_REGION_FLAG_WRITE | VFU_REGION_FLAG_MMAP |
                                           VFU_REGION_FLAG_CAPS);
        assert_int_equal(ri.argsz, raw_len);
        uint32_t nr;
        const uint8_t *areas;
        struct vfu_sparse_area area;
        assert_int_equal(vfu_find_sparse_mmap(raw, raw_len, &nr, &areas), 0);
        assert_int_equal(nr, 1);
        vfu_sparse_area_get(areas, 0, &area);
        assert_int_equal(area.offset, 0);
        assert_int_equal(area.size, 4 << 20);
        struct stat st;
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 4 << 20);
        close(fd);

        /* Too little room for the capabilities: argsz says how much, no caps, no fd; the client asks again.
         */
        struct vfu_region_info q = {.argsz = 32, .index = VFU_PCI_BAR2_REGION};
        uint8_t buf[32];
        struct vfu_reply reply;
        vfu_put(buf, q);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_GET_REGION_INFO, 0, buf, 32, NULL, 0, &reply),
                         0);
        assert_int_equal(reply.len, 32);
        assert_int_equal(reply.nfds, 0);
        memcpy(&ri, reply.payload, 32);
        assert_int_equal(ri.argsz, 32 + 32);
        assert_int_equal(ri.cap_offset, 0);
        /* No CAPS flag without caps: QEMU refuses CAPS with a cap_offset inside the struct. */
        assert_int_equal(ri.flags & VFU_REGION_FLAG_CAPS, 0);
        assert_int_equal(vfu_decode_region_info_reply(reply.payload, reply.len, &ri), 0);
        vfu_reply_done(&reply);
        del(UUID_A);
}

static void test_config_space(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        uint8_t cfg[256];
        uint32_t v;

        /* QEMU reads the whole config space in one message. */
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 0, cfg, 256), 0);
        assert_int_equal(cfg[0] | cfg[1] << 8, RPCGPU_VENDOR_ID);
        assert_int_equal(cfg[2] | cfg[3] << 8, RPCGPU_DEVICE_ID);
        assert_int_equal(cfg[9] | cfg[10] << 8 | cfg[11] << 16, RPCGPU_CLASS_CODE);
        assert_int_equal(cfg[0x06] & 0x10, 0x10); /* capability list */
        assert_int_equal(cfg[0x34], 0x40);
        assert_int_equal(cfg[0x40], 0x05); /* MSI */
        assert_int_equal(cfg[0x41], 0x50);
        assert_int_equal(cfg[0x50], 0x11); /* MSI-X */
        assert_int_equal((cfg[0x52] | cfg[0x53] << 8) & 0x7ff, RPCGPU_MSIX_VECTORS - 1);

        /* BAR sizing: write all ones, read the size mask back. */
        v = 0xffffffff;
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_CONFIG_REGION, 0x10, &v, 4, false), 0);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 0x10, &v, 4), 0);
        assert_int_equal(v, ~(RPCGPU_BAR0_SIZE - 1));
        v = 0xffffffff;
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_CONFIG_REGION, 0x18, &v, 4, false), 0);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 0x18, &v, 4), 0);
        assert_int_equal(v, (uint32_t) ~((4u << 20) - 1) | 0x0c); /* 64-bit prefetchable */

        /* Read-only fields stay, out-of-range accesses are refused. */
        v = 0;
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_CONFIG_REGION, 0, &v, 4, false), 0);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 0, &v, 4), 0);
        assert_int_equal(v, RPCGPU_VENDOR_ID | RPCGPU_DEVICE_ID << 16);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 254, &v, 4), -EINVAL);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 1ull << 40, &v, 4), -EINVAL);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 0, &v, 0), -EINVAL);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR1_REGION, 0, &v, 4), -EINVAL);
        assert_int_equal(vfu_client_region_read(c, 77, 0, &v, 4), -EINVAL);
        del(UUID_A);
}

static void test_bar0_registers(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        uint64_t v64;
        uint16_t v16;
        uint32_t v;

        assert_int_equal(bar0_read32(c, RPCGPU_REG_ID), RPCGPU_ID_MAGIC);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_VERSION), RPCGPU_VERSION);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_CAPS), RPCGPU_CAPS_ALL);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, RPCGPU_REG_VRAM_SIZE_LO, &v64, 8),
                         0);
        assert_int_equal(v64, 4 << 20);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, RPCGPU_REG_ID + 2, &v16, 2), 0);
        assert_int_equal(v16, RPCGPU_ID_MAGIC >> 16);

        bar0_write32(c, RPCGPU_REG_RING_SIZE, 8192);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_RING_SIZE), 8192);
        bar0_write32(c, RPCGPU_REG_ID, 0); /* read-only */
        assert_int_equal(bar0_read32(c, RPCGPU_REG_ID), RPCGPU_ID_MAGIC);

        /* Misaligned or odd-sized register accesses are refused. */
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, 2, &v, 4), -EINVAL);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, 0, &v, 3), -EINVAL);
        v16 = 1;
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_BAR0_REGION, 0x28, &v16, 2, false), -EINVAL);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, RPCGPU_BAR0_SIZE, &v, 4), -EINVAL);

        /* The MSI-X table lives in BAR0 and is plain storage; vector control starts masked. */
        assert_int_equal(bar0_read32(c, RPCGPU_MSIX_TABLE_OFFSET + 12), 1);
        bar0_write32(c, RPCGPU_MSIX_TABLE_OFFSET, 0xfee00000);
        assert_int_equal(bar0_read32(c, RPCGPU_MSIX_TABLE_OFFSET), 0xfee00000);
        del(UUID_A);
}

/*
 * Requests pipelined in one sendmsg(): the engine reads them in one go and answers each, also those
 * left in its buffer when one wake-up's share is done or while a large reply waits for the client;
 * no more bytes arrive to wake it for them.
 */
static void test_pipelined_requests(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        uint8_t buf[100 * 32];

        /* 100 reads in 3,200 bytes: more than the 32 messages one wake-up takes. */
        for (int i = 0; i < 100; i++)
                put_bar0_read(buf + i * 32, (uint16_t) (1000 + i),
                              i % 2 ? RPCGPU_REG_VERSION : RPCGPU_REG_ID);
        send_raw(c, buf, sizeof(buf), NULL, 0);
        for (int i = 0; i < 100; i++)
                expect_read_reply(c, (uint16_t) (1000 + i), i % 2 ? RPCGPU_VERSION : RPCGPU_ID_MAGIC);

        /* A read of 1 MiB of VRAM, whose reply cannot fit the socket, then three register reads. */
        struct vfu_hdr h = make_hdr(7, VFU_CMD_REGION_READ, 32, 0);
        struct vfu_region_rw rw = {.offset = 0, .region = VFU_PCI_BAR2_REGION, .count = 1 << 20};
        vfu_hdr_encode(buf, &h);
        vfu_put(buf + 16, rw);
        for (int i = 1; i <= 3; i++)
                put_bar0_read(buf + i * 32, (uint16_t) (7 + i), RPCGPU_REG_ID);
        send_raw(c, buf, 4 * 32, NULL, 0);
        struct vfu_reply r;
        assert_int_equal(vfu_client_recv(c, &r), 0);
        assert_int_equal(r.hdr.msg_id, 7);
        assert_int_equal(r.hdr.flags & VFU_FLAG_ERROR, 0);
        assert_int_equal(r.len, VFU_REGION_RW_SIZE + (1 << 20));
        vfu_reply_done(&r);
        for (int i = 1; i <= 3; i++)
                expect_read_reply(c, (uint16_t) (7 + i), RPCGPU_ID_MAGIC);

        /* Descriptors on the second of two requests sent back to back: DMA_MAP gets its memfd, the
         * read before it none (a read with a descriptor would be refused). */
        _cleanup_close_ int fd = new_memfd(1 << 16);
        struct vfu_dma_map m = {.argsz = VFU_DMA_MAP_SIZE,
                                .flags = VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE,
                                .addr = 0x100000,
                                .size = 1 << 16};
        uint8_t map[16 + VFU_DMA_MAP_SIZE];
        h = make_hdr(21, VFU_CMD_DMA_MAP, sizeof(map), 0);
        vfu_hdr_encode(map, &h);
        vfu_put(map + 16, m);
        put_bar0_read(buf, 20, RPCGPU_REG_ID);
        send_raw(c, buf, 32, NULL, 0);
        send_raw(c, map, sizeof(map), &fd, 1);
        expect_read_reply(c, 20, RPCGPU_ID_MAGIC);
        assert_int_equal(vfu_client_recv(c, &r), 0);
        assert_int_equal(r.hdr.msg_id, 21);
        assert_int_equal(r.hdr.flags & VFU_FLAG_ERROR, 0);
        vfu_reply_done(&r);
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_maps"), 1);
        assert_int_equal(test_server_stat(&server, UUID_A, "protocol_errors"), 0);
        del(UUID_A);
}

/* Posted writes (NO_REPLY) and REGION_WRITE_MULTI are applied in order before a later read. */
static void test_posted_and_multi_writes(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        uint32_t v = 16384;

        assert_int_equal(vfu_client_region_write(c, VFU_PCI_BAR0_REGION, RPCGPU_REG_RING_SIZE, &v, 4, true),
                         0);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_RING_SIZE), 16384);

        uint8_t buf[8 + 3 * VFU_WRITE_ONE_SIZE] = {};
        uint64_t n = 3;
        memcpy(buf, &n, 8);
        struct vfu_write_one w[3] = {
                {.offset = RPCGPU_REG_RING_BASE_LO, .region = 0, .count = 4},
                {.offset = RPCGPU_REG_RING_BASE_HI, .region = 0, .count = 4},
                {.offset = RPCGPU_REG_RING_SIZE, .region = 0, .count = 4},
        };
        uint32_t vals[3] = {0x1000, 0x2, 4096};
        for (int i = 0; i < 3; i++) {
                memcpy(w[i].data, &vals[i], 4);
                memcpy(buf + 8 + i * VFU_WRITE_ONE_SIZE, &w[i], VFU_WRITE_ONE_SIZE);
        }
        assert_int_equal(vfu_client_request(c, VFU_CMD_REGION_WRITE_MULTI, VFU_FLAG_NO_REPLY, buf,
                                            sizeof(buf), NULL, 0, NULL),
                         0);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_RING_BASE_LO), 0x1000);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_RING_BASE_HI), 2);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_RING_SIZE), 4096);

        /* With a reply, and malformed: count 0, count past the data, an entry of 9 bytes. */
        assert_int_equal(
                vfu_client_request(c, VFU_CMD_REGION_WRITE_MULTI, 0, buf, sizeof(buf), NULL, 0, NULL), 0);
        n = 0;
        memcpy(buf, &n, 8);
        assert_int_equal(vfu_client_request(c, VFU_CMD_REGION_WRITE_MULTI, 0, buf, 8, NULL, 0, NULL),
                         -EINVAL);
        n = 4;
        memcpy(buf, &n, 8);
        assert_int_equal(
                vfu_client_request(c, VFU_CMD_REGION_WRITE_MULTI, 0, buf, sizeof(buf), NULL, 0, NULL),
                -EINVAL);
        n = 3;
        memcpy(buf, &n, 8);
        w[1].count = 9;
        memcpy(buf + 8 + VFU_WRITE_ONE_SIZE, &w[1], VFU_WRITE_ONE_SIZE);
        assert_int_equal(
                vfu_client_request(c, VFU_CMD_REGION_WRITE_MULTI, 0, buf, sizeof(buf), NULL, 0, NULL),
                -EINVAL);
        del(UUID_A);
}

static void test_vram_region(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        void *vram;
        size_t size;
        uint8_t buf[4096];

        assert_int_equal(vfu_client_mmap_region(c, VFU_PCI_BAR2_REGION, &vram, &size), 0);
        assert_int_equal(size, 4 << 20);
        memset((uint8_t *) vram + 4096, 0x5a, 4096);
        /* The same bytes through REGION_READ: the mapping and the messages see one VRAM. */
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_BAR2_REGION, 4096, buf, sizeof(buf)), 0);
        for (size_t i = 0; i < sizeof(buf); i++)
                assert_int_equal(buf[i], 0x5a);
        memset(buf, 0xa5, sizeof(buf));
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_BAR2_REGION, size - 4096, buf, 4096, false), 0);
        assert_int_equal(((uint8_t *) vram)[size - 1], 0xa5);
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_BAR2_REGION, size - 4095, buf, 4096, false),
                         -EINVAL);
        /* A count above max_data_xfer_size is refused before anything is read. */
        struct vfu_region_rw rw = {.offset = 0, .region = VFU_PCI_BAR2_REGION, .count = (1u << 20) + 1};
        uint8_t req[16];
        vfu_put(req, rw);
        assert_int_equal(vfu_client_request(c, VFU_CMD_REGION_READ, 0, req, 16, NULL, 0, NULL), -E2BIG);
        munmap(vram, size);
        del(UUID_A);
}

static void test_dma_map_unmap(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        _cleanup_close_ int fd = new_memfd(1 << 20);
        int pipefd[2];
        const uint32_t rw = VFU_DMA_FLAG_READ | VFU_DMA_FLAG_WRITE;

        assert_int_equal(vfu_client_dma_map(c, fd, 0, 0x10000, 0x10000, rw), 0);
        assert_int_equal(vfu_client_dma_map(c, fd, 0x10000, 0x20000, 0x10000, VFU_DMA_FLAG_READ), 0);
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_maps"), 2);
        /* Overlap, misalignment, no permission, past the end of the file, not a memory file. */
        assert_int_equal(vfu_client_dma_map(c, fd, 0, 0x1f000, 0x2000, rw), -EEXIST);
        assert_int_equal(vfu_client_dma_map(c, fd, 0, 0x40800, 0x1000, rw), -EINVAL);
        assert_int_equal(vfu_client_dma_map(c, fd, 0, 0x40000, 0x1000, 0), -EINVAL);
        assert_int_equal(vfu_client_dma_map(c, fd, 0, 0x40000, 2 << 20, rw), -EINVAL);
        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        assert_int_equal(vfu_client_dma_map(c, pipefd[0], 0, 0x40000, 0x1000, rw), -EINVAL);
        close(pipefd[0]);
        close(pipefd[1]);
        /* Each refusal is counted for `vgpuctl show` (and logged with its reason). */
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_refused"), 5);
        /* A range without an fd is a remote mapping (reached through DMA_READ/DMA_WRITE); it blocks
         * overlaps. */
        assert_int_equal(vfu_client_dma_map(c, -1, 0, 0x80000, 0x1000, rw), 0);
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_remote_maps"), 1);
        assert_int_equal(vfu_client_dma_map(c, fd, 0, 0x80000, 0x1000, rw), -EEXIST);

        /* Unmap takes whole mappings, as the kernel's type1 IOMMU: a range with none is fine (QEMU behind
         * a guest vIOMMU unmaps the whole space in chunks), one that would cut a mapping is not. */
        assert_int_equal(vfu_client_dma_unmap(c, 0x90000, 0x1000, 0), 0);
        assert_int_equal(vfu_client_dma_unmap(c, 0x10000, 0x1000, 0), -EINVAL);
        assert_int_equal(vfu_client_dma_unmap(c, 0x10000, 0x10000, 0), 0);
        assert_int_equal(vfu_client_dma_unmap(c, 0x10000, 0x10000, 0), 0);
        assert_int_equal(vfu_client_dma_map(c, fd, 0, 0x10000, 0x1000, rw), 0);
        assert_int_equal(vfu_client_dma_unmap(c, 0, 0x80000, 0), 0); /* around one, next to another */
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_maps"), 1);
        assert_int_equal(vfu_client_dma_unmap(c, 0, 0, VFU_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP), -ENOTSUP);
        assert_int_equal(vfu_client_dma_unmap(c, 0, 0, VFU_DMA_UNMAP_FLAG_ALL), 0);
        assert_int_equal(test_server_stat(&server, UUID_A, "dma_maps"), 0);
        del(UUID_A);
}

static void test_irqs(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        _cleanup_close_ int e0 = eventfd(0, EFD_CLOEXEC), e1 = eventfd(0, EFD_CLOEXEC);
        const uint32_t assign = VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_TRIGGER;
        const uint32_t trigger = VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_TRIGGER;
        int fds[2] = {e0, e1};
        uint64_t v;

        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ, assign, 0, 2, fds, 2, NULL), 0);
        /* A software trigger signals the assigned eventfds. */
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ, trigger, 1, 1, NULL, 0, NULL), 0);
        assert_int_equal(read(e1, &v, 8), 8);
        uint8_t bools[2] = {1, 0};
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ,
                                             VFU_IRQ_SET_DATA_BOOL | VFU_IRQ_SET_ACTION_TRIGGER, 0, 2, NULL,
                                             0, bools),
                         0);
        assert_int_equal(read(e0, &v, 8), 8);
        /* One index at a time; MSI can't be masked; ranges are checked; fd counts must match. */
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSI_IRQ, assign, 0, 1, &e0, 1, NULL), -EINVAL);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ,
                                             VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_MASK, 0, 1, NULL, 0,
                                             NULL),
                         -EINVAL);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ, assign, 1, 2, fds, 2, NULL), -EINVAL);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ, assign, 0, 2, fds, 1, NULL), -EINVAL);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_ERR_IRQ, assign, 0, 2, fds, 2, NULL), -EINVAL);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ, assign | VFU_IRQ_SET_DATA_NONE, 0, 1, NULL,
                                             0, NULL),
                         -EINVAL);
        /* Disable MSI-X (count 0), then MSI may be used. */
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSIX_IRQ, trigger, 0, 0, NULL, 0, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSI_IRQ, assign, 0, 1, &e0, 1, NULL), 0);
        /* De-assign with DATA_EVENTFD and no fds. */
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSI_IRQ, assign, 0, 1, NULL, 0, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_INTX_IRQ, assign, 0, 1, &e0, 1, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_INTX_IRQ,
                                             VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_UNMASK, 0, 1, NULL,
                                             0, NULL),
                         0);
        /*
         * What QEMU does at start-up: an eventfd on ERR and on REQ (side channels, whatever index is in
         * use), an INTx unmask eventfd and its teardown (DATA_EVENTFD without fd). None is a protocol error.
         */
        uint64_t errors = test_server_stat(&server, UUID_A, "protocol_errors");
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_ERR_IRQ, assign, 0, 1, &e1, 1, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_REQ_IRQ, assign, 0, 1, &e1, 1, NULL), 0);
        const uint32_t unmask_fd = VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_UNMASK;
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_INTX_IRQ, unmask_fd, 0, 1, &e1, 1, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_INTX_IRQ, unmask_fd, 0, 1, NULL, 0, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_ERR_IRQ, assign, 0, 1, NULL, 0, NULL), 0);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_REQ_IRQ, trigger, 0, 0, NULL, 0, NULL), 0);
        assert_int_equal(test_server_stat(&server, UUID_A, "protocol_errors"), errors);
        /* Still refused: a mask eventfd, an unmask eventfd for MSI, two unmask eventfds. */
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_INTX_IRQ,
                                             VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_MASK, 0, 1, &e1,
                                             1, NULL),
                         -EINVAL);
        assert_int_equal(vfu_client_set_irqs(c, VFU_PCI_MSI_IRQ, unmask_fd, 0, 1, &e1, 1, NULL), -EINVAL);
        del(UUID_A);
}

static void test_io_fds_reset_and_unsupported(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        struct vfu_region_io_fds q = {.argsz = 16, .index = 0};
        struct vfu_reply reply;
        uint8_t buf[32] = {};

        vfu_put(buf, q);
        assert_int_equal(
                vfu_client_request(c, VFU_CMD_DEVICE_GET_REGION_IO_FDS, 0, buf, 16, NULL, 0, &reply), 0);
        assert_int_equal(reply.len, 16);
        memcpy(&q, reply.payload, 16);
        assert_int_equal(q.count, 0);
        vfu_reply_done(&reply);

        /* DEVICE_RESET puts registers and config space back to their power-on state. */
        uint16_t cmd = 0x6;
        assert_int_equal(vfu_client_region_write(c, VFU_PCI_CONFIG_REGION, 4, &cmd, 2, false), 0);
        bar0_write32(c, RPCGPU_REG_RING_SIZE, 8192);
        assert_int_equal(vfu_client_reset(c), 0);
        assert_int_equal(bar0_read32(c, RPCGPU_REG_RING_SIZE), 0);
        assert_int_equal(vfu_client_region_read(c, VFU_PCI_CONFIG_REGION, 4, &cmd, 2), 0);
        assert_int_equal(cmd, 0);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_RESET, 0, buf, 4, NULL, 0, NULL), -EINVAL);

        /* Not offered, wrong direction, unknown. */
        assert_int_equal(vfu_client_request(c, VFU_CMD_DEVICE_FEATURE, 0, buf, 8, NULL, 0, NULL), -ENOTSUP);
        assert_int_equal(vfu_client_request(c, VFU_CMD_MIG_DATA_READ, 0, buf, 8, NULL, 0, NULL), -ENOTSUP);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DIRTY_PAGES, 0, buf, 8, NULL, 0, NULL), -ENOTSUP);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DMA_READ, 0, buf, 16, NULL, 0, NULL), -EINVAL);
        assert_int_equal(vfu_client_request(c, VFU_CMD_DMA_WRITE, 0, buf, 16, NULL, 0, NULL), -EINVAL);
        assert_int_equal(vfu_client_request(c, 0, 0, NULL, 0, NULL, 0, NULL), -ENOSYS);
        assert_int_equal(vfu_client_request(c, 999, 0, NULL, 0, NULL, 0, NULL), -ENOSYS);
        del(UUID_A);
}

/* A client that goes away leaves nothing behind; the next one gets a fresh device. */
static void test_reconnect(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_close_ int fd = new_memfd(1 << 20);
        void *vram;
        size_t size;

        for (int round = 0; round < 3; round++) {
                _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
                assert_int_equal(vfu_client_mmap_region(c, VFU_PCI_BAR2_REGION, &vram, &size), 0);
                /* What the previous client wrote is gone: VRAM is per connection. */
                assert_int_equal(((uint8_t *) vram)[100], 0);
                ((uint8_t *) vram)[100] = 0x77;
                munmap(vram, size);
                assert_int_equal(vfu_client_dma_map(c, fd, 0, 0, 1 << 20, VFU_DMA_FLAG_READ), 0);
                bar0_write32(c, RPCGPU_REG_RING_SIZE, 4096);
                assert_int_equal(test_server_stat(&server, UUID_A, "dma_maps"), 1);
                assert_int_equal(test_server_stat(&server, UUID_A, "connected"), 1);
                vfu_client_free(TAKE_PTR(c));
                assert_int_equal(test_server_wait_stat(&server, UUID_A, "connected", 0, 2000), 0);
                assert_int_equal(test_server_stat(&server, UUID_A, "dma_maps"), 0);
        }
        assert_int_equal(test_server_stat(&server, UUID_A, "connections"), 3);
        /* Each connect and disconnect was a state change the daemon hears about through the event fd. */
        char buf[64];
        assert_int_equal(test_server_cmd(&server, buf, sizeof(buf), "events"), 0);
        assert_true(strtoull(buf + 3, NULL, 10) >= 6);
        del(UUID_A);
}

static void test_second_client_refused(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *first = raw_client(sock);
        _cleanup_(vfu_client_freep) struct vfu_client *second = NULL;

        assert_int_equal(vfu_client_connect(sock, &second), 0);
        int r = vfu_client_negotiate(second);
        assert_true(r == -ECONNRESET || r == -EPIPE);
        assert_int_equal(bar0_read32(first, RPCGPU_REG_ID), RPCGPU_ID_MAGIC);
        del(UUID_A);
}

static void test_remove_disconnects(void **state) {
        const char *sock = add(UUID_A);
        _cleanup_(vfu_client_freep) struct vfu_client *c = raw_client(sock);
        struct stat st;
        uint32_t v;

        del(UUID_A);
        assert_true(vfu_client_region_read(c, VFU_PCI_BAR0_REGION, 0, &v, 4) < 0);
        assert_int_equal(stat(sock, &st), -1);
        assert_int_equal(test_server_cmd(&server, NULL, 0, "stats %s", UUID_A), -1);
}

static void test_add_refusals(void **state) {
        char buf[256];
        const char *sock = test_server_socket(&server, UUID_A);

        assert_non_null(add(UUID_A));
        assert_int_equal(test_server_cmd(&server, buf, sizeof(buf), "add %s 4 %s.2", UUID_A, sock), -1);
        assert_string_equal(buf, "error EEXIST");
        /* The live socket of UUID_A can't be taken over by another instance. */
        assert_int_equal(test_server_cmd(&server, buf, sizeof(buf), "add %s 4 %s", UUID_B, sock), -1);
        assert_string_equal(buf, "error EADDRINUSE");
        assert_int_equal(test_server_cmd(&server, buf, sizeof(buf), "add NOT-A-UUID 4 %s.3", sock), -1);
        assert_string_equal(buf, "error EINVAL");
        assert_int_equal(test_server_cmd(&server, buf, sizeof(buf), "add %s 3 %s.4", UUID_B, sock), -1);
        assert_string_equal(buf, "error EINVAL"); /* VRAM not a power of two */
        /* Never clobber a file that is not a socket. */
        char path[512];
        snprintf(path, sizeof(path), "%s/plain-file", server.dir);
        FILE *f = fopen(path, "w");
        fclose(f);
        assert_int_equal(test_server_cmd(&server, buf, sizeof(buf), "add %s 4 %s", UUID_B, path), -1);
        assert_string_equal(buf, "error EEXIST");
        assert_int_equal(test_server_cmd(&server, buf, sizeof(buf), "remove %s", UUID_B), -1);
        assert_string_equal(buf, "error ENOENT");
        del(UUID_A);
        /* A stale socket file (nobody serving) is replaced. */
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
        assert_int_equal(bind(s, (struct sockaddr *) &sa, sizeof(sa)), 0);
        close(s);
        assert_non_null(add(UUID_A));
        del(UUID_A);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_negotiate_like_qemu, cleanup),
                cmocka_unit_test_teardown(test_version_refusals, cleanup),
                cmocka_unit_test_teardown(test_device_and_irq_info, cleanup),
                cmocka_unit_test_teardown(test_region_info, cleanup),
                cmocka_unit_test_teardown(test_config_space, cleanup),
                cmocka_unit_test_teardown(test_bar0_registers, cleanup),
                cmocka_unit_test_teardown(test_pipelined_requests, cleanup),
                cmocka_unit_test_teardown(test_posted_and_multi_writes, cleanup),
                cmocka_unit_test_teardown(test_vram_region, cleanup),
                cmocka_unit_test_teardown(test_dma_map_unmap, cleanup),
                cmocka_unit_test_teardown(test_irqs, cleanup),
                cmocka_unit_test_teardown(test_io_fds_reset_and_unsupported, cleanup),
                cmocka_unit_test_teardown(test_reconnect, cleanup),
                cmocka_unit_test_teardown(test_second_client_refused, cleanup),
                cmocka_unit_test_teardown(test_remove_disconnects, cleanup),
                cmocka_unit_test_teardown(test_add_refusals, cleanup),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
