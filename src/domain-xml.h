/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which vGPUs a libvirt domain uses, read from its XML with libxml2: the
 * libvirt hook gets the whole domain on stdin at `prepare begin` and must
 * start every vGPU it references before QEMU opens them. References are
 *   - mdev hostdevs: /domain/devices/hostdev[@type='mdev']/source/address/@uuid
 *   - PCI hostdevs:  /domain/devices/hostdev[@type='pci']/source/address
 *                    (domain, bus, slot, function; decimal or 0x-hex, as libvirt reads them)
 *   - vfio-user:     -device arguments for vfio-user-pci in the domain's
 *                    <commandline> of libvirt's QEMU namespace (any prefix)
 * Nothing elsewhere counts (a hostdev inside <metadata> is just text). Every
 * PCI hostdev is reported, a NIC's VF as much as a vGPU's: which of them are
 * vgpud's instances is vgpud's to decide (<interface type='hostdev'> is a
 * network device and never read).
 *
 * The input comes from outside and will be fuzzed: no network, no DTD, no
 * entity expansion; input above 16 MiB, more than 1024 references, or
 * anything malformed is refused with a sentence saying where (-EBADMSG for
 * XML that is not well-formed, -EINVAL for a well-formed document that is
 * not a usable domain, -EFBIG / -E2BIG for the limits). Work is linear in
 * the input.
 */
#pragma once

#include "backend-kind.h"
#include "macro.h"

#define DOMAIN_XML_MAX_BYTES (16u * 1024 * 1024)
#define DOMAIN_VGPUS_MAX     1024u

struct _xmlDoc;
struct _xmlNode;

struct domain_vgpu {
        /* MDEV: device is the mdev UUID, lower case; PCI: the address, "0000:3b:00.4"; VFIO_USER: the
         * socket path */
        enum vgpu_device_kind kind;
        char *device; /* what the hook hands to vgpud (Manager.AcquireForDomain's devices) */
        bool managed; /* PCI: libvirt's managed='yes' */
        char *model;  /* mdev: the model attribute ("vfio-pci") */
        /* Where it was found, valid while the document lives (domain_xml_vgpus_from_doc()):
         * the <hostdev>, or the "-device" <qemu:arg> and the one with its value. */
        struct _xmlNode *nodes[2];
};

struct domain_vgpus {
        char *name; /* <name>, NULL if absent */
        char *uuid; /* <uuid>, NULL if absent */
        struct domain_vgpu *vgpus;
        size_t n_vgpus; /* in document order, each device once */
};

/* Parse len bytes of domain XML (need not be NUL-terminated). */
int domain_xml_parse_vgpus(const char *xml, size_t len, struct domain_vgpus **ret, char **ret_error);

/* The same from a document libvirt-xml.c has parsed already. */
int domain_xml_vgpus_from_doc(struct _xmlDoc *doc, struct domain_vgpus **ret, char **ret_error);

/* Parse with the options and limits above; *ret_error says what is wrong. */
int domain_xml_read(const char *xml, size_t len, int extra_options, struct _xmlDoc **ret, char **ret_error);

struct domain_vgpus *domain_vgpus_free(struct domain_vgpus *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct domain_vgpus *, domain_vgpus_free)
