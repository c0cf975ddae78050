/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt domain XML for a vGPU instance, built with libxml2 (never pasted
 * together from strings): the <hostdev> `vgpuctl xml` prints and `vgpuctl
 * attach` hands to virDomainAttachDeviceFlags(), a minimal complete domain
 * around it (`--domain NAME`, for validation), and the edit of an existing
 * domain definition that adds or removes a vGPU (the only way to attach an
 * RPC-mode instance, which libvirt knows no device element for).
 *
 * The forms, by backend:
 *   mdev         <hostdev mode='subsystem' type='mdev' model='<device_api>'
 *                 [display='on|off'] [ramfb='on']><source><address uuid=.../>
 *   vf           <hostdev mode='subsystem' type='pci' managed='no'>
 *   nvidia-vfio    <driver name='vfio'/><source><address domain=.. bus=.. slot=.. function=../>
 *   rpc          QEMU >= 10.1's vfio-user-pci device through libvirt's QEMU
 *                namespace, <qemu:commandline><qemu:arg value='-device'/>
 *                <qemu:arg value='{"driver":"vfio-user-pci",...}'/>, plus the
 *                guest memory vgpud must be able to map: <memoryBacking>
 *                <source type='memfd'/> (or 'file') <access mode='shared'/>.
 * Why managed='no' for both PCI backends is explained in libvirt-xml.c.
 *
 * Inputs are checked before any XML exists (a UUID, a PCI address, a socket
 * path that fits a unix socket address, a domain name libvirt accepts) and a
 * refusal says which and why: -EINVAL with *ret_error.
 */
#pragma once

#include "backend-kind.h"
#include "macro.h"

#define LIBVIRT_QEMU_NS_URI "http://libvirt.org/schemas/domain/qemu/1.0"

/* An instance as the XML needs it. */
struct libvirt_vgpu {
        enum vgpu_backend_kind backend; /* the XML follows what the backend gives a VM (backend.h) */
        const char *uuid; /* the instance's UUID: mdev address; rpc: names the QEMU device (may be NULL) */
        const char *pci_address; /* vf, nvidia-vfio: the VF, "0000:3b:00.4" */
        const char *device_api;  /* mdev: the type's device_api; NULL means "vfio-pci" */
        const char *socket_path; /* rpc: the vfio-user socket, "/run/vgpud/rpc/<uuid>.sock" */
};

enum libvirt_switch {
        LIBVIRT_SWITCH_ABSENT, /* leave libvirt's default */
        LIBVIRT_SWITCH_ON,
        LIBVIRT_SWITCH_OFF,
};

/* Where an RPC instance's guest RAM comes from: it must be an fd vgpud can map. */
enum libvirt_memory_source {
        LIBVIRT_MEMORY_MEMFD, /* <source type='memfd'/> */
        LIBVIRT_MEMORY_FILE,  /* <source type='file'/> (qemu.conf memory_backing_dir) */
        _LIBVIRT_MEMORY_SOURCE_MAX,
};

struct libvirt_xml_options {
        enum libvirt_switch display;              /* mdev with model vfio-pci only */
        bool ramfb;                               /* mdev: boot display through ramfb; needs display on */
        enum libvirt_memory_source memory_source; /* rpc */
        const char *domain_name; /* libvirt_vgpu_xml(): wrap in a complete domain of this name */
        unsigned memory_mib;     /* that domain's memory; 0: 1024 */
};

/* What `vgpuctl xml` prints: with o->domain_name NULL, the device (for rpc
 * the <memoryBacking> and <qemu:commandline> elements to merge into the
 * domain, after a comment saying so); else a minimal complete domain that
 * libvirt 9.0's schema and its test driver accept. */
int libvirt_vgpu_xml(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret,
                     char **ret_error);

/* The one element virDomainAttachDeviceFlags() takes: the <hostdev>.
 * -EOPNOTSUPP for rpc (use libvirt_domain_add_vgpu() and redefine). */
int libvirt_vgpu_device_xml(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret,
                            char **ret_error);

/* Edit a domain definition (virDomainGetXMLDescription(..., VIR_DOMAIN_XML_INACTIVE))
 * to reference v, and return the new XML for virDomainDefineXML(). For rpc
 * this makes guest memory shared and fd-backed (an explicit <access
 * mode='private'/> or <source type='anonymous'/> is refused rather than
 * overridden). -EEXIST if the domain already references v; -EBADMSG if the
 * XML is not well-formed, -EINVAL if it is not a domain. */
int libvirt_domain_add_vgpu(const char *domain_xml, size_t len, const struct libvirt_vgpu *v,
                            const struct libvirt_xml_options *o, char **ret_xml, char **ret_error);

/* Remove every reference to v (the <hostdev>, or the -device pair; shared
 * memory is left as it is, other devices may rely on it). -ENOENT if the
 * domain does not reference v. */
int libvirt_domain_remove_vgpu(const char *domain_xml, size_t len, const struct libvirt_vgpu *v,
                               char **ret_xml, char **ret_error);

/* Helpers shared with domain-xml.c. */

/* Valid UTF-8 without control characters, at most max bytes: safe as XML text. */
bool libvirt_xml_text_is_valid(const char *s, size_t max);
