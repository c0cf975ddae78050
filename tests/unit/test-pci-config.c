/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of daemon/engine/pci-config.c and irq.c: identity, write masks, BAR sizing, VFIO irq rules. */

#include "unit.h"

#include <fcntl.h>
#include <sys/eventfd.h>

#include "irq.h"
#include "macro.h"
#include "pci-config.h"

static uint32_t rd32(struct pci_config *c, unsigned off) {
        uint32_t v;
        assert_int_equal(pci_config_read(c, off, &v, 4), 0);
        return v;
}

static void wr32(struct pci_config *c, unsigned off, uint32_t v) {
        assert_int_equal(pci_config_write(c, off, &v, 4), 0);
}

static void test_identity_and_caps(void **state) {
        struct pci_config c;
        pci_config_init(&c, 256u << 20, NULL);

        assert_int_equal(rd32(&c, 0), RPCGPU_VENDOR_ID | RPCGPU_DEVICE_ID << 16);
        assert_int_equal(rd32(&c, 8) >> 8, RPCGPU_CLASS_CODE);
        assert_int_equal(rd32(&c, 0x2c), RPCGPU_SUBSYS_VENDOR_ID | RPCGPU_SUBSYS_ID << 16);
        assert_int_equal(c.data[0x34], PCI_CFG_CAP_MSI);
        assert_int_equal(c.data[PCI_CFG_CAP_MSI], 0x05);
        assert_int_equal(c.data[PCI_CFG_CAP_MSI + 1], PCI_CFG_CAP_MSIX);
        assert_int_equal(c.data[PCI_CFG_CAP_MSIX], 0x11);
        assert_int_equal(c.data[PCI_CFG_CAP_MSIX + 1], PCI_CFG_CAP_AF);
        assert_int_equal(c.data[PCI_CFG_CAP_AF], 0x13);     /* Advanced Features */
        assert_int_equal(c.data[PCI_CFG_CAP_AF + 1], 0);    /* the last one */
        assert_int_equal(c.data[PCI_CFG_CAP_AF + 2], 6);    /* length */
        assert_int_equal(c.data[PCI_CFG_CAP_AF + 3], 0x03); /* TP and FLR */
        /* Initiating an FLR is seen; the bit reads back 0. */
        uint8_t flr = PCI_CFG_AF_CTRL_FLR;
        assert_true(pci_config_flr_requested(PCI_CFG_AF_CTRL, &flr, 1));
        assert_true(pci_config_flr_requested(PCI_CFG_CAP_AF, (uint8_t[]){0, 0, 0, 0, 1, 0}, 6));
        assert_false(pci_config_flr_requested(PCI_CFG_CAP_AF, (uint8_t[]){0, 0, 0, 0}, 4));
        assert_false(pci_config_flr_requested(PCI_CFG_AF_CTRL, (uint8_t[]){0}, 1));
        pci_config_write(&c, PCI_CFG_AF_CTRL, &flr, 1);
        assert_int_equal(c.data[PCI_CFG_AF_CTRL], 0);
        assert_int_equal(rd32(&c, PCI_CFG_CAP_MSIX + 4), RPCGPU_MSIX_TABLE_OFFSET);
        assert_int_equal(rd32(&c, PCI_CFG_CAP_MSIX + 8), RPCGPU_MSIX_PBA_OFFSET);
        assert_int_equal(c.data[0x3d], 1);

        /* A type's own identity ([rpc-type] vendor_id, ...): read-only like the default one. */
        const struct pci_identity id = {.vendor = 0x1d0f,
                                        .device = 0x1234,
                                        .subsys_vendor = 0x1d0f,
                                        .subsys = 0,
                                        .class_code = 0x030000};
        pci_config_init(&c, 256u << 20, &id);
        assert_int_equal(rd32(&c, 0), 0x1d0fu | 0x1234u << 16);
        assert_int_equal(rd32(&c, 8) >> 8, 0x030000);
        assert_int_equal(rd32(&c, 0x2c), 0x1d0f);
        wr32(&c, 0, 0);
        wr32(&c, 8, 0);
        assert_int_equal(rd32(&c, 0), 0x1d0fu | 0x1234u << 16);
        assert_int_equal(rd32(&c, 8) >> 8, 0x030000);
}

static void test_write_masks(void **state) {
        struct pci_config c;
        pci_config_init(&c, 256u << 20, NULL);

        wr32(&c, 0, 0);
        assert_int_equal(rd32(&c, 0), RPCGPU_VENDOR_ID | RPCGPU_DEVICE_ID << 16);
        wr32(&c, 4, 0xffffffff);
        assert_int_equal(pci_config_command(&c), 0x0546);
        assert_int_equal(rd32(&c, 4) >> 16, 0x0010); /* status untouched */
        /* BAR sizing */
        wr32(&c, 0x10, 0xffffffff);
        assert_int_equal(rd32(&c, 0x10), ~(RPCGPU_BAR0_SIZE - 1));
        wr32(&c, 0x18, 0xffffffff);
        wr32(&c, 0x1c, 0xffffffff);
        assert_int_equal(rd32(&c, 0x18), ~((256u << 20) - 1) | 0xc);
        assert_int_equal(rd32(&c, 0x1c), 0xffffffff);
        wr32(&c, 0x14, 0xffffffff);
        assert_int_equal(rd32(&c, 0x14), 0); /* BAR1 does not exist */
        wr32(&c, 0x30, 0xffffffff);
        assert_int_equal(rd32(&c, 0x30), 0); /* no ROM */
        /* A VRAM above 4 GiB: the low dword has no address bits to size. */
        pci_config_init(&c, 8ull << 30, NULL);
        wr32(&c, 0x18, 0xffffffff);
        wr32(&c, 0x1c, 0xffffffff);
        assert_int_equal(rd32(&c, 0x18), 0xc);
        assert_int_equal(rd32(&c, 0x1c), 0xfffffffe);
        /* MSI-X enable and function mask are writable; the table size is not. */
        uint16_t v = 0xffff;
        assert_int_equal(pci_config_write(&c, PCI_CFG_MSIX_FLAGS, &v, 2), 0);
        assert_int_equal(pci_config_read(&c, PCI_CFG_MSIX_FLAGS, &v, 2), 0);
        assert_int_equal(v, 0xc000 | (RPCGPU_MSIX_VECTORS - 1));
        /* bounds */
        uint8_t b[8];
        assert_int_equal(pci_config_read(&c, 252, b, 4), 0);
        assert_int_equal(pci_config_read(&c, 253, b, 4), -EINVAL);
        assert_int_equal(pci_config_write(&c, 256, b, 1), -EINVAL);
        assert_int_equal(pci_config_read(&c, UINT64_MAX, b, 2), -EINVAL);
}

static uint64_t drain(int fd) {
        uint64_t v = 0;
        if (read(fd, &v, 8) != 8)
                return 0;
        return v;
}

static void test_irq_rules(void **state) {
        struct irq_state s;
        struct vfu_irq_info info;
        int e0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int p[2];
        const uint32_t assign = VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_TRIGGER;

        irq_init(&s);
        assert_int_equal(irq_info(VFU_PCI_MSIX_IRQ, &info), 0);
        assert_int_equal(info.count, RPCGPU_MSIX_VECTORS);
        assert_int_equal(irq_info(VFU_PCI_NUM_IRQS, &info), -EINVAL);

        /* Not an eventfd: refused, and the descriptor stays the caller's. */
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        struct vfu_irq_set req = {.flags = assign, .index = VFU_PCI_MSI_IRQ, .count = 1};
        int fds[2] = {p[1], -1};
        assert_int_equal(irq_set(&s, &req, NULL, fds, 1), -EINVAL);
        assert_int_equal(fds[0], p[1]);

        fds[0] = dup(e0);
        assert_int_equal(irq_set(&s, &req, NULL, fds, 1), 0);
        assert_int_equal(fds[0], -1); /* taken */
        assert_int_equal(s.active, VFU_PCI_MSI_IRQ);
        irq_edge(&s, 1); /* MSI has one vector for every cause */
        assert_int_equal(drain(e0), 1);

        /* MSI-X while MSI is in use: no. */
        struct vfu_irq_set x = {.flags = assign, .index = VFU_PCI_MSIX_IRQ, .count = 2};
        fds[0] = dup(e0);
        fds[1] = dup(e1);
        assert_int_equal(irq_set(&s, &x, NULL, fds, 2), -EINVAL);
        close(fds[0]);
        close(fds[1]);
        struct vfu_irq_set off = {.flags = VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_TRIGGER,
                                  .index = VFU_PCI_MSI_IRQ};
        assert_int_equal(irq_set(&s, &off, NULL, NULL, 0), 0);
        assert_int_equal(s.active, -1);
        fds[0] = dup(e0);
        fds[1] = dup(e1);
        assert_int_equal(irq_set(&s, &x, NULL, fds, 2), 0);
        irq_edge(&s, 1);
        assert_int_equal(drain(e1), 1);
        assert_int_equal(drain(e0), 0);
        irq_done(&s);

        /* INTx: fires on assertion, automasks, unmask re-fires while the line is high. */
        irq_init(&s);
        struct vfu_irq_set ix = {.flags = assign, .index = VFU_PCI_INTX_IRQ, .count = 1};
        fds[0] = dup(e0);
        assert_int_equal(irq_set(&s, &ix, NULL, fds, 1), 0);
        irq_set_intx_level(&s, true);
        assert_int_equal(drain(e0), 1);
        irq_set_intx_level(&s, false);
        irq_set_intx_level(&s, true);
        assert_int_equal(drain(e0), 0); /* still masked */
        struct vfu_irq_set um = {.flags = VFU_IRQ_SET_DATA_NONE | VFU_IRQ_SET_ACTION_UNMASK,
                                 .index = VFU_PCI_INTX_IRQ,
                                 .count = 1};
        assert_int_equal(irq_set(&s, &um, NULL, NULL, 0), 0);
        assert_int_equal(drain(e0), 1);
        struct vfu_irq_set um_fd = {.flags = VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_UNMASK,
                                    .index = VFU_PCI_INTX_IRQ,
                                    .count = 1};
        /* QEMU's unmask (resample) eventfd: taken, and its teardown (no descriptor) too. */
        int ufd[1] = {dup(e1)};
        assert_int_equal(irq_set(&s, &um_fd, NULL, ufd, 1), 0);
        assert_int_equal(ufd[0], -1); /* kept */
        assert_true(s.intx_unmask_fd >= 0);
        assert_int_equal(irq_set(&s, &um_fd, NULL, NULL, 0), 0);
        assert_int_equal(s.intx_unmask_fd, -1);
        struct vfu_irq_set mask_fd = {.flags = VFU_IRQ_SET_DATA_EVENTFD | VFU_IRQ_SET_ACTION_MASK,
                                      .index = VFU_PCI_INTX_IRQ,
                                      .count = 1};
        assert_int_equal(irq_set(&s, &mask_fd, NULL, NULL, 0), -EINVAL); /* no mask eventfds in VFIO */
        struct vfu_irq_set range = {.flags = assign, .index = VFU_PCI_INTX_IRQ, .start = 1, .count = 1};
        assert_int_equal(irq_set(&s, &range, NULL, NULL, 0), -EINVAL);
        /* ERR has one vector (QEMU's error recovery); it never takes INTx's place. */
        assert_int_equal(irq_info(VFU_PCI_ERR_IRQ, &info), 0);
        assert_int_equal(info.count, 1);
        struct vfu_irq_set err = {.flags = assign, .index = VFU_PCI_ERR_IRQ, .count = 1};
        int efd[1] = {dup(e1)};
        int active = s.active;
        assert_int_equal(irq_set(&s, &err, NULL, efd, 1), 0);
        assert_int_equal(s.active, active);
        assert_int_equal(irq_set(&s, &err, NULL, NULL, 0), 0);
        assert_int_equal(s.err_fd, -1);
        irq_done(&s);

        close(p[0]);
        close(p[1]);
        close(e0);
        close(e1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identity_and_caps),
                cmocka_unit_test(test_write_masks),
                cmocka_unit_test(test_irq_rules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
