/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt, loaded only by the commands that talk to it (attach, detach).
 * Linking it made every vgpuctl start load libvirt and its ~50 libraries
 * (gnutls, libnl, libnuma, ...), which cost more than the rest of a `vgpuctl
 * create` together; the other commands never call it. The headers still
 * give the types and constants; the calls go through these pointers.
 */
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define LIBVIRT_DL_SONAME "libvirt.so.0"

/* The functions vgpuctl uses, X-macro style: one line here is one symbol loaded. */
#define LIBVIRT_DL_SYMBOLS(X)                                                                               \
        X(virConnectClose)                                                                                  \
        X(virConnectGetURI)                                                                                 \
        X(virConnectOpen)                                                                                   \
        X(virDomainAttachDeviceFlags)                                                                       \
        X(virDomainDefineXML)                                                                               \
        X(virDomainDetachDeviceFlags)                                                                       \
        X(virDomainFree)                                                                                    \
        X(virDomainGetXMLDesc)                                                                              \
        X(virDomainIsActive)                                                                                \
        X(virDomainLookupByName)                                                                            \
        X(virGetLastError)                                                                                  \
        X(virSetErrorFunc)

#define LIBVIRT_DL_DECLARE(name) extern typeof(name) *sym_##name;
LIBVIRT_DL_SYMBOLS(LIBVIRT_DL_DECLARE)
#undef LIBVIRT_DL_DECLARE

/* Load libvirt once (later calls return at once): 0, or -errno with the loader's words in *ret_why
 * (static storage) and nothing loaded. */
int libvirt_dl_load(const char **ret_why);
