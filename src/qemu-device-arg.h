/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The argument that follows QEMU's `-device`, as far as vgpud needs it: the
 * JSON form QEMU 10.1+ takes for a vfio-user device
 *     {"driver":"vfio-user-pci","id":"vgpud-<uuid>","socket":{"path":"/run/...sock","type":"unix"}}
 * built with json-c (a socket path with quotes or backslashes stays one
 * string), and the reverse: reading a `-device` argument that a domain's
 * qemu:commandline carries, in the JSON form or the older key=value form
 * (`vfio-user-pci,socket.path=/run/x.sock,socket.type=unix`, where ",,"
 * is a literal comma), so the libvirt hook finds the vfio-user sockets a
 * domain uses. Arguments come from domain XML, i.e. from outside: malformed
 * ones are -EINVAL, never a crash; work is linear in the argument's length.
 */
#pragma once

#include "macro.h"

#define VFIO_USER_PCI_DRIVER "vfio-user-pci"

/* What a -device argument says; strings are NULL when absent. */
struct qemu_device_arg {
        char *driver;      /* "vfio-user-pci", "virtio-net-pci", ... */
        char *id;          /* the device id, if any */
        char *socket_path; /* socket.path */
        char *socket_type; /* socket.type ("unix") */
};

/* The JSON argument for a vfio-user-pci device on the unix socket at path;
 * id may be NULL. -EINVAL for an empty path. */
int qemu_device_arg_vfio_user(const char *socket_path, const char *id, char **ret);

/* Parse a -device argument (JSON object if it starts with '{', else
 * key=value). -EINVAL if malformed or without a driver. */
int qemu_device_arg_parse(const char *arg, struct qemu_device_arg *ret);
void qemu_device_arg_done(struct qemu_device_arg *a);
