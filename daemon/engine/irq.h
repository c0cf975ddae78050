/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interrupt delivery of one device through the eventfds the client gave with
 * DEVICE_SET_IRQS, with VFIO's semantics: one index (INTx, MSI or MSI-X) is
 * in use at a time; INTx is level-triggered and masks itself when it fires
 * until the client unmasks it (with DATA_NONE/BOOL, or by signalling the
 * unmask eventfd it gave, as QEMU does with KVM's resampling irqfd); MSI
 * and MSI-X are edges. ERR and REQ have one vector each, as QEMU expects
 * (it warns "Could not enable error recovery" otherwise): their eventfds are
 * kept and never signalled (there is no AER to report, and removing an
 * instance disconnects its client at once instead of asking). Descriptors must be
 * eventfds and are switched to non-blocking mode: a client must not be able
 * to make the engine thread wait in write().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "vfio-user/protocol.h"
#include "vfio-user/rpc-gpu.h"

struct irq_state {
        int active; /* -1, VFU_PCI_INTX_IRQ, VFU_PCI_MSI_IRQ or VFU_PCI_MSIX_IRQ */
        int intx_fd;
        bool intx_masked;
        bool intx_level;
        int msi_fd;
        int msix_fd[RPCGPU_MSIX_VECTORS];
        int intx_unmask_fd; /* signalled by the client to unmask INTx, or -1 */
        int err_fd, req_fd;
        uint64_t signalled; /* eventfd writes done (statistics, tests) */
};

void irq_init(struct irq_state *s);
/* Close every descriptor; back to no index in use. */
void irq_done(struct irq_state *s);

/* DEVICE_GET_IRQ_INFO for index: -EINVAL for an index out of range. */
int irq_info(uint32_t index, struct vfu_irq_info *ret);
/*
 * DEVICE_SET_IRQS. Takes the descriptors it keeps (setting them to -1 in fds);
 * the caller closes the rest. -EINVAL for any request VFIO would refuse.
 */
int irq_set(struct irq_state *s, const struct vfu_irq_set *req, const uint8_t *bools, int *fds,
            unsigned nfds);

/* An edge on MSI-X vector `vector` (or MSI, whose one vector stands for all). */
void irq_edge(struct irq_state *s, unsigned vector);
/* INTx unmask (the client's unmask eventfd fired). */
void irq_intx_unmask(struct irq_state *s);
/* The device's INTx line; fires on assertion unless masked. */
void irq_set_intx_level(struct irq_state *s, bool level);
