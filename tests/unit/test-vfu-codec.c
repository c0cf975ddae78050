/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of src/vfio-user/codec.c: every message type, every malformed form. */

#include "unit.h"

#include "macro.h"
#include "vfio-user/codec.h"

static void test_header(void **state) {
        struct vfu_hdr h = {.msg_id = 7, .command = VFU_CMD_DMA_MAP, .size = 48, .flags = 0};
        uint8_t buf[16];
        struct vfu_hdr back;

        vfu_hdr_encode(buf, &h);
        vfu_hdr_decode(buf, &back);
        assert_memory_equal(&h, &back, sizeof(h));
        assert_int_equal(vfu_hdr_check(&h, 1024), 0);
        h.size = 15;
        assert_int_equal(vfu_hdr_check(&h, 1024), -EINVAL);
        h.size = 1025;
        assert_int_equal(vfu_hdr_check(&h, 1024), -E2BIG);
        h.size = 16;
        h.flags = 0x40;
        assert_int_equal(vfu_hdr_check(&h, 1024), -EINVAL);
        h.flags = 2; /* neither command nor reply */
        assert_int_equal(vfu_hdr_check(&h, 1024), -EINVAL);
        h.flags = VFU_TYPE_REPLY | VFU_FLAG_ERROR | VFU_FLAG_NO_REPLY;
        assert_int_equal(vfu_hdr_check(&h, 1024), 0);
        assert_true(vfu_hdr_is_reply(&h));
        assert_string_equal(vfu_command_name(VFU_CMD_REGION_WRITE_MULTI), "REGION_WRITE_MULTI");
        assert_null(vfu_command_name(0));
        assert_null(vfu_command_name(VFU_CMD_MAX));
        assert_null(vfu_command_name(60000));
}

static void test_version(void **state) {
        uint8_t buf[64] = {0, 0, 2, 0};
        struct vfu_version v;
        const char *json;
        size_t len;

        assert_int_equal(vfu_decode_version(buf, 3, &v, &json, &len), -EINVAL);
        assert_int_equal(vfu_decode_version(buf, 4, &v, &json, &len), 0);
        assert_null(json);
        assert_int_equal(v.minor, 2);
        memcpy(buf + 4, "{}", 3);
        assert_int_equal(vfu_decode_version(buf, 7, &v, &json, &len), 0);
        assert_int_equal(len, 2);
        assert_memory_equal(json, "{}", 2);
        assert_int_equal(vfu_decode_version(buf, 6, &v, &json, &len), -EINVAL); /* no NUL */
        memcpy(buf + 4, "{\0}", 4);
        assert_int_equal(vfu_decode_version(buf, 8, &v, &json, &len), -EINVAL); /* NUL inside */
        buf[4] = 0;
        assert_int_equal(vfu_decode_version(buf, 5, &v, &json, &len),
                         0); /* empty string: the caps layer decides */
        assert_int_equal(len, 0);
}

static void test_dma_map(void **state) {
        struct vfu_dma_map m = {.argsz = 32, .flags = 3, .offset = 4096, .addr = 0x10000, .size = 0x1000},
                           out;
        uint8_t buf[40];

        vfu_put(buf, m);
        assert_int_equal(vfu_decode_dma_map(buf, 32, &out), 0);
        assert_memory_equal(&m, &out, sizeof(m));
        assert_int_equal(vfu_decode_dma_map(buf, 31, &out), -EINVAL);
        assert_int_equal(vfu_decode_dma_map(buf, 33, &out), -EINVAL);

        struct vfu_dma_map bad[] = {
                {.argsz = 24, .flags = 3, .size = 1},
                {.argsz = 40, .flags = 3, .size = 1},
                {.argsz = 32, .flags = 0, .size = 1},
                {.argsz = 32, .flags = 4, .size = 1},
                {.argsz = 32, .flags = 3, .size = 0},
                {.argsz = 32, .flags = 1, .addr = UINT64_MAX, .size = 2},
                {.argsz = 32, .flags = 1, .offset = UINT64_MAX - 10, .size = 12},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                vfu_put(buf, bad[i]);
                assert_int_equal(vfu_decode_dma_map(buf, 32, &out), -EINVAL);
        }
        struct vfu_dma_map edge = {.argsz = 32, .flags = 2, .addr = UINT64_MAX, .size = 1};
        vfu_put(buf, edge);
        assert_int_equal(vfu_decode_dma_map(buf, 32, &out), 0); /* the very last byte, no wrap */
}

static void test_dma_unmap(void **state) {
        struct vfu_dma_unmap u = {.argsz = 24, .addr = 0x1000, .size = 0x1000}, out;
        uint8_t buf[32];

        vfu_put(buf, u);
        assert_int_equal(vfu_decode_dma_unmap(buf, 24, &out), 0);
        assert_int_equal(vfu_decode_dma_unmap(buf, 23, &out), -EINVAL);
        struct {
                struct vfu_dma_unmap u;
                int err;
        } cases[] = {
                {{.argsz = 16, .size = 1}, -EINVAL},
                {{.argsz = 24, .flags = VFU_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, .size = 1}, -ENOTSUP},
                {{.argsz = 24, .flags = 4, .size = 1}, -EINVAL},
                {{.argsz = 24, .size = 0}, -EINVAL},
                {{.argsz = 24, .addr = UINT64_MAX, .size = 2}, -EINVAL},
                {{.argsz = 24, .flags = VFU_DMA_UNMAP_FLAG_ALL}, 0},
                {{.argsz = 24, .flags = VFU_DMA_UNMAP_FLAG_ALL, .addr = 5, .size = UINT64_MAX}, 0},
                {{.argsz = 64, .size = 1}, 0},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                vfu_put(buf, cases[i].u);
                assert_int_equal(vfu_decode_dma_unmap(buf, 24, &out), cases[i].err);
        }
}

static void test_queries(void **state) {
        uint8_t buf[64] = {};
        struct vfu_device_info di = {.argsz = 16};
        struct vfu_region_info ri = {.argsz = 32, .index = 2};
        struct vfu_region_io_fds io = {.argsz = 16};
        struct vfu_irq_info ii = {.argsz = 16};

        vfu_put(buf, di);
        assert_int_equal(vfu_decode_device_info(buf, 16, &di), 0);
        assert_int_equal(vfu_decode_device_info(buf, 17, &di), -EINVAL);
        di.argsz = 15;
        vfu_put(buf, di);
        assert_int_equal(vfu_decode_device_info(buf, 16, &di), -EINVAL);

        vfu_put(buf, ri);
        assert_int_equal(vfu_decode_region_info(buf, 32, &ri), 0);
        assert_int_equal(ri.index, 2);
        assert_int_equal(vfu_decode_region_info(buf, 16, &ri), -EINVAL);
        ri.argsz = 31;
        vfu_put(buf, ri);
        assert_int_equal(vfu_decode_region_info(buf, 32, &ri), -EINVAL);

        vfu_put(buf, io);
        assert_int_equal(vfu_decode_region_io_fds(buf, 16, &io), 0);
        io.flags = 1;
        vfu_put(buf, io);
        assert_int_equal(vfu_decode_region_io_fds(buf, 16, &io), -EINVAL);

        vfu_put(buf, ii);
        assert_int_equal(vfu_decode_irq_info(buf, 16, &ii), 0);
        assert_int_equal(vfu_decode_irq_info(buf, 20, &ii), -EINVAL);
}

static void test_irq_set(void **state) {
        uint8_t buf[64] = {};
        const uint8_t *bools;
        struct vfu_irq_set s = {.argsz = 20,
                                .flags = VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_TRIGGER,
                                .index = 2,
                                .start = 0,
                                .count = 2},
                           out;

        vfu_put(buf, s);
        assert_int_equal(vfu_decode_irq_set(buf, 20, &out, &bools), 0);
        assert_null(bools);
        assert_int_equal(vfu_decode_irq_set(buf, 19, &out, &bools), -EINVAL);
        assert_int_equal(vfu_decode_irq_set(buf, 21, &out, &bools), -EINVAL); /* argsz disagrees */

        uint32_t bad_flags[] = {
                VFU_IRQ_SET_DATA_EVENTFD,   /* no action */
                VFU_IRQ_SET_ACTION_TRIGGER, /* no data */
                VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_DATA_BOOL | VFU_IRQ_SET_ACTION_MASK,
                VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_MASK | VFU_IRQ_SET_ACTION_UNMASK,
                VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_TRIGGER | 0x40,
        };
        for (size_t i = 0; i < ELEMENTSOF(bad_flags); i++) {
                s.flags = bad_flags[i];
                vfu_put(buf, s);
                assert_int_equal(vfu_decode_irq_set(buf, 20, &out, &bools), -EINVAL);
        }
        s.flags = VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_TRIGGER;
        s.start = UINT32_MAX;
        vfu_put(buf, s);
        assert_int_equal(vfu_decode_irq_set(buf, 20, &out, &bools), -EINVAL); /* start + count wraps */

        /* DATA_BOOL: exactly count bytes follow. */
        s = (struct vfu_irq_set){.argsz = 22,
                                 .flags = VFU_IRQ_SET_DATA_BOOL | VFU_IRQ_SET_ACTION_TRIGGER,
                                 .index = 2,
                                 .count = 2};
        vfu_put(buf, s);
        buf[20] = 1;
        buf[21] = 0;
        assert_int_equal(vfu_decode_irq_set(buf, 22, &out, &bools), 0);
        assert_ptr_equal(bools, buf + 20);
        s.count = 3;
        vfu_put(buf, s);
        assert_int_equal(vfu_decode_irq_set(buf, 22, &out, &bools), -EINVAL);
        /* DATA_NONE with trailing bytes */
        s = (struct vfu_irq_set){.argsz = 22, .flags = VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_TRIGGER};
        vfu_put(buf, s);
        assert_int_equal(vfu_decode_irq_set(buf, 22, &out, &bools), -EINVAL);
}

static void test_region_rw(void **state) {
        uint8_t buf[64] = {};
        const uint8_t *data;
        struct vfu_region_rw rw = {.offset = 8, .region = 0, .count = 4}, out;

        vfu_put(buf, rw);
        assert_int_equal(vfu_decode_region_read(buf, 16, 1024, &out), 0);
        assert_int_equal(vfu_decode_region_read(buf, 20, 1024, &out), -EINVAL);
        assert_int_equal(vfu_decode_region_write(buf, 20, 1024, &out, &data), 0);
        assert_ptr_equal(data, buf + 16);
        assert_int_equal(vfu_decode_region_write(buf, 19, 1024, &out, &data), -EINVAL);
        assert_int_equal(vfu_decode_region_write(buf, 24, 1024, &out, &data), -EINVAL);
        assert_int_equal(vfu_decode_region_write(buf, 15, 1024, &out, &data), -EINVAL);
        rw.count = 1025;
        vfu_put(buf, rw);
        assert_int_equal(vfu_decode_region_read(buf, 16, 1024, &out), -E2BIG);
        assert_int_equal(vfu_decode_region_write(buf, 16 + 1025, 1024, &out, &data), -E2BIG);
        rw = (struct vfu_region_rw){.offset = UINT64_MAX - 2, .count = 4};
        vfu_put(buf, rw);
        assert_int_equal(vfu_decode_region_read(buf, 16, 1024, &out), -EINVAL);
        assert_int_equal(vfu_decode_region_write(buf, 20, 1024, &out, &data), -EINVAL);
}

static void put_multi(uint8_t *buf, uint64_t n, const struct vfu_write_one *w, size_t nw) {
        memcpy(buf, &n, 8);
        for (size_t i = 0; i < nw; i++)
                memcpy(buf + 8 + i * VFU_WRITE_ONE_SIZE, &w[i], VFU_WRITE_ONE_SIZE);
}

static void test_write_multi(void **state) {
        static uint8_t buf[8 + 201 * VFU_WRITE_ONE_SIZE];
        struct vfu_write_one w[2] = {{.offset = 0x28, .count = 4, .data = {1}},
                                     {.offset = 0x30, .region = 0, .count = 8}};
        const uint8_t *entries;
        struct vfu_write_one got;
        uint64_t n;

        put_multi(buf, 2, w, 2);
        assert_int_equal(vfu_decode_write_multi(buf, 8 + 2 * 24, &n, &entries), 0);
        assert_int_equal(n, 2);
        vfu_write_multi_entry(entries, 1, &got);
        assert_int_equal(got.offset, 0x30);
        assert_int_equal(vfu_decode_write_multi(buf, 7, &n, &entries), -EINVAL);
        assert_int_equal(vfu_decode_write_multi(buf, 8 + 2 * 24 + 1, &n, &entries), -EINVAL);
        put_multi(buf, 0, w, 0);
        assert_int_equal(vfu_decode_write_multi(buf, 8, &n, &entries), -EINVAL);
        put_multi(buf, 201, w, 0);
        assert_int_equal(vfu_decode_write_multi(buf, sizeof(buf), &n, &entries), -EINVAL);
        put_multi(buf, UINT64_MAX / 24 + 2, w, 0); /* count * 24 overflows */
        assert_int_equal(vfu_decode_write_multi(buf, 8 + 24, &n, &entries), -EINVAL);
        w[1].count = 0;
        put_multi(buf, 2, w, 2);
        assert_int_equal(vfu_decode_write_multi(buf, 8 + 2 * 24, &n, &entries), -EINVAL);
        w[1].count = 9;
        put_multi(buf, 2, w, 2);
        assert_int_equal(vfu_decode_write_multi(buf, 8 + 2 * 24, &n, &entries), -EINVAL);
}

static void test_replies(void **state) {
        uint8_t buf[128] = {};
        const uint8_t *data;
        struct vfu_region_rw rw = {.count = 4}, out;
        struct vfu_region_info ri = {.argsz = 32};
        struct vfu_device_info di;
        struct vfu_irq_info ii;

        assert_int_equal(vfu_decode_device_info_reply(buf, 16, &di), 0);
        assert_int_equal(vfu_decode_device_info_reply(buf, 12, &di), -EINVAL);
        assert_int_equal(vfu_decode_irq_info_reply(buf, 15, &ii), -EINVAL);

        vfu_put(buf, rw);
        assert_int_equal(vfu_decode_region_read_reply(buf, 20, 4, &out, &data), 0);
        assert_int_equal(vfu_decode_region_read_reply(buf, 20, 2, &out, &data),
                         -EINVAL); /* more than asked */
        assert_int_equal(vfu_decode_region_read_reply(buf, 24, 8, &out, &data), -EINVAL);

        vfu_put(buf, ri);
        assert_int_equal(vfu_decode_region_info_reply(buf, 32, &ri), 0);
        assert_int_equal(vfu_decode_region_info_reply(buf, 31, &ri), -EINVAL);
        ri = (struct vfu_region_info){.argsz = 64, .flags = VFU_REGION_FLAG_CAPS, .cap_offset = 8};
        vfu_put(buf, ri);
        assert_int_equal(vfu_decode_region_info_reply(buf, 64, &ri), -EINVAL); /* caps inside the struct */
}

/* Build a region info reply with a cap chain: [other cap] -> [sparse mmap with n areas]. */
static size_t build_caps(uint8_t *buf, uint32_t first_next, uint32_t nr_areas, uint16_t version) {
        struct vfu_region_info ri = {
                .argsz = 32 + 8 + 8 + 8 + 16, .flags = VFU_REGION_FLAG_CAPS, .cap_offset = 32};
        struct vfu_cap_header other = {.id = 99, .version = 1, .next = first_next};
        struct vfu_cap_header sparse = {.id = VFU_CAP_SPARSE_MMAP, .version = version, .next = 0};
        struct vfu_sparse_mmap sm = {.nr_areas = nr_areas};
        struct vfu_sparse_area a = {.offset = 0x1000, .size = 0x2000};
        vfu_put(buf, ri);
        vfu_put(buf + 32, other);
        vfu_put(buf + 40, sparse);
        vfu_put(buf + 48, sm);
        vfu_put(buf + 56, a);
        return 72;
}

static void test_sparse_mmap(void **state) {
        uint8_t buf[128] = {};
        const uint8_t *areas;
        uint32_t nr;
        struct vfu_sparse_area a;

        size_t len = build_caps(buf, 40, 1, 1);
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), 0);
        assert_int_equal(nr, 1);
        vfu_sparse_area_get(areas, 0, &a);
        assert_int_equal(a.offset, 0x1000);
        assert_int_equal(a.size, 0x2000);

        build_caps(buf, 40, 2, 1); /* claims two areas, carries one */
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), -EINVAL);
        build_caps(buf, 40, 1, 2); /* unknown version */
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), -EINVAL);
        build_caps(buf, 32, 1, 1); /* the first cap points at itself */
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), -EINVAL);
        build_caps(buf, 1000, 1, 1); /* next past the end */
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), -EINVAL);
        build_caps(buf, 8, 1, 1); /* next inside the struct */
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), -EINVAL);
        build_caps(buf, 0, 1, 1); /* chain ends before the sparse cap */
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), -ENOENT);
        build_caps(buf, 40, 1, 1);
        assert_int_equal(vfu_find_sparse_mmap(buf, 44, &nr, &areas), -EINVAL); /* truncated */
        buf[4] = 0;                                                            /* no CAPS flag */
        assert_int_equal(vfu_find_sparse_mmap(buf, len, &nr, &areas), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header),    cmocka_unit_test(test_version),
                cmocka_unit_test(test_dma_map),   cmocka_unit_test(test_dma_unmap),
                cmocka_unit_test(test_queries),   cmocka_unit_test(test_irq_set),
                cmocka_unit_test(test_region_rw), cmocka_unit_test(test_write_multi),
                cmocka_unit_test(test_replies),   cmocka_unit_test(test_sparse_mmap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
