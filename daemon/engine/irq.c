/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interrupt delivery through client eventfds (see irq.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "irq.h"
#include "macro.h"

static const struct {
        uint32_t flags;
        uint32_t count;
} irq_indices[VFU_PCI_NUM_IRQS] = {
        [VFU_PCI_INTX_IRQ] = {VFU_IRQ_INFO_EVENTFD | VFU_IRQ_INFO_MASKABLE | VFU_IRQ_INFO_AUTOMASKED, 1},
        [VFU_PCI_MSI_IRQ] = {VFU_IRQ_INFO_EVENTFD | VFU_IRQ_INFO_NORESIZE, 1},
        [VFU_PCI_MSIX_IRQ] = {VFU_IRQ_INFO_EVENTFD | VFU_IRQ_INFO_NORESIZE, RPCGPU_MSIX_VECTORS},
        [VFU_PCI_ERR_IRQ] = {VFU_IRQ_INFO_EVENTFD, 1},
        [VFU_PCI_REQ_IRQ] = {VFU_IRQ_INFO_EVENTFD, 1},
};

void irq_init(struct irq_state *s) {
        *s = (struct irq_state){
                .active = -1, .intx_fd = -1, .msi_fd = -1, .intx_unmask_fd = -1, .err_fd = -1, .req_fd = -1};
        for (unsigned i = 0; i < RPCGPU_MSIX_VECTORS; i++)
                s->msix_fd[i] = -1;
}

static int *slot(struct irq_state *s, uint32_t index, uint32_t i) {
        switch (index) {
        case VFU_PCI_INTX_IRQ:
                return &s->intx_fd;
        case VFU_PCI_MSI_IRQ:
                return &s->msi_fd;
        case VFU_PCI_MSIX_IRQ:
                return &s->msix_fd[i];
        case VFU_PCI_ERR_IRQ:
                return &s->err_fd;
        case VFU_PCI_REQ_IRQ:
                return &s->req_fd;
        default:
                return NULL;
        }
}

static void close_slot(int *fd) {
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static bool index_has_fds(struct irq_state *s, uint32_t index) {
        for (uint32_t i = 0; i < irq_indices[index].count; i++)
                if (*slot(s, index, i) >= 0)
                        return true;
        return false;
}

static void disable_index(struct irq_state *s, uint32_t index) {
        for (uint32_t i = 0; i < irq_indices[index].count; i++)
                close_slot(slot(s, index, i));
        if (index == VFU_PCI_INTX_IRQ) {
                s->intx_masked = false;
                close_slot(&s->intx_unmask_fd);
        }
        if (s->active == (int) index)
                s->active = -1;
}

void irq_done(struct irq_state *s) {
        for (uint32_t i = 0; i < VFU_PCI_NUM_IRQS; i++)
                if (irq_indices[i].count)
                        disable_index(s, i);
        s->active = -1;
}

int irq_info(uint32_t index, struct vfu_irq_info *ret) {
        if (index >= VFU_PCI_NUM_IRQS)
                return -EINVAL;
        *ret = (struct vfu_irq_info){
                .argsz = VFU_IRQ_INFO_SIZE,
                .flags = irq_indices[index].flags,
                .index = index,
                .count = irq_indices[index].count,
        };
        return 0;
}

/* Only eventfds: anything else could be a pipe or a file on a filesystem the client serves. */
static int check_eventfd(int fd) {
        char path[64], line[128];
        bool is_eventfd = false;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -EINVAL;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "eventfd-count:", 14) == 0)
                        is_eventfd = true;
        if (!is_eventfd)
                return -EINVAL;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
                return -EINVAL;
        return 0;
}

static void signal_fd(struct irq_state *s, int fd) {
        uint64_t one = 1;
        if (fd < 0)
                return;
        /* Non-blocking: a counter the client pushed to its limit costs it the interrupt, not us a stall. */
        if (write(fd, &one, sizeof(one)) == sizeof(one))
                s->signalled++;
}

static void intx_fire(struct irq_state *s) {
        if (s->active != VFU_PCI_INTX_IRQ || s->intx_masked || !s->intx_level)
                return;
        signal_fd(s, s->intx_fd);
        s->intx_masked = true; /* automasked until the client unmasks */
}

/* ERR and REQ are side channels: they never take the place of INTx, MSI or MSI-X. */
static bool side_channel(uint32_t index) {
        return index == VFU_PCI_ERR_IRQ || index == VFU_PCI_REQ_IRQ;
}

static bool selected(const uint8_t *bools, uint32_t i) {
        return !bools || bools[i];
}

int irq_set(struct irq_state *s, const struct vfu_irq_set *req, const uint8_t *bools, int *fds,
            unsigned nfds) {
        uint32_t index = req->index;
        uint32_t action = req->flags & VFU_IRQ_SET_ACTION_MASK_ALL;
        uint32_t data = req->flags & VFU_IRQ_SET_DATA_MASK;

        if (index >= VFU_PCI_NUM_IRQS || irq_indices[index].count == 0)
                return -EINVAL;
        if (data != VFU_IRQ_SET_DATA_EVENTFD && nfds > 0)
                return -EINVAL;

        /* count 0 with DATA_NONE and TRIGGER: switch the whole index off. */
        if (req->count == 0) {
                if (action != VFU_IRQ_SET_ACTION_TRIGGER || data != VFU_IRQ_SET_DATA_NONE || req->start != 0)
                        return -EINVAL;
                disable_index(s, index);
                return 0;
        }
        if (req->start >= irq_indices[index].count || req->count > irq_indices[index].count - req->start)
                return -EINVAL;

        if (action != VFU_IRQ_SET_ACTION_TRIGGER) {
                /* Masking exists for INTx only, as in vfio-pci. */
                if (index != VFU_PCI_INTX_IRQ)
                        return -EINVAL;
                if (data == VFU_IRQ_SET_DATA_EVENTFD) {
                        /* An unmask eventfd (QEMU with KVM's resampling irqfd), or none (-1: teardown). */
                        if (action != VFU_IRQ_SET_ACTION_UNMASK || nfds > 1)
                                return -EINVAL;
                        if (nfds) {
                                int r = check_eventfd(fds[0]);
                                if (r < 0)
                                        return r;
                        }
                        close_slot(&s->intx_unmask_fd);
                        if (nfds) {
                                s->intx_unmask_fd = fds[0];
                                fds[0] = -1;
                        }
                        return 0;
                }
                if (!selected(bools, 0))
                        return 0;
                if (action == VFU_IRQ_SET_ACTION_MASK)
                        s->intx_masked = true;
                else {
                        s->intx_masked = false;
                        intx_fire(s);
                }
                return 0;
        }

        if (data != VFU_IRQ_SET_DATA_EVENTFD) {
                /* A software trigger: signal what is assigned. */
                for (uint32_t i = 0; i < req->count; i++)
                        if (selected(bools, i))
                                signal_fd(s, *slot(s, index, req->start + i));
                return 0;
        }

        if (nfds != 0 && nfds != req->count)
                return -EINVAL;
        if (nfds != 0 && !side_channel(index) && s->active >= 0 && s->active != (int) index)
                return -EINVAL; /* one index at a time: the client disables the other first */
        for (unsigned i = 0; i < nfds; i++) {
                int r = check_eventfd(fds[i]);
                if (r < 0)
                        return r;
        }
        for (uint32_t i = 0; i < req->count; i++) {
                int *sl = slot(s, index, req->start + i);
                close_slot(sl);
                if (nfds) {
                        *sl = fds[i];
                        fds[i] = -1;
                }
        }
        if (side_channel(index))
                return 0;
        if (index_has_fds(s, index)) {
                s->active = (int) index;
                if (index == VFU_PCI_INTX_IRQ)
                        intx_fire(s);
        } else if (s->active == (int) index)
                s->active = -1;
        return 0;
}

void irq_edge(struct irq_state *s, unsigned vector) {
        if (s->active == VFU_PCI_MSIX_IRQ && vector < RPCGPU_MSIX_VECTORS)
                signal_fd(s, s->msix_fd[vector]);
        else if (s->active == VFU_PCI_MSI_IRQ)
                signal_fd(s, s->msi_fd);
}

void irq_intx_unmask(struct irq_state *s) {
        s->intx_masked = false;
        intx_fire(s);
}

void irq_set_intx_level(struct irq_state *s, bool level) {
        bool rising = level && !s->intx_level;
        s->intx_level = level;
        if (rising)
                intx_fire(s);
}
