/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The names of vgpud's D-Bus API (docs/dbus-api.md), shared by the daemon and
 * its clients so that a renamed interface or error cannot drift between them.
 * The "1" in every name is the API version: an incompatible change gets new
 * names, never a changed meaning under the old ones.
 */
#pragma once

#define VGPUD_BUS_NAME        "org.vgpud1"
#define VGPUD_ROOT_PATH       "/org/vgpud1"
#define VGPUD_GPU_PREFIX      "/org/vgpud1/gpu"
#define VGPUD_INSTANCE_PREFIX "/org/vgpud1/instance"

/* Root's direct connection to vgpud, without dbus-daemon (daemon/private-bus.c): <runtime-dir>/private of
 * a vgpud with the default runtime directory. */
#define VGPUD_PRIVATE_SOCKET "/run/vgpud/private"

#define VGPUD_MANAGER_IFACE  "org.vgpud1.Manager"
#define VGPUD_GPU_IFACE      "org.vgpud1.Gpu"
#define VGPUD_TYPE_IFACE     "org.vgpud1.Type"
#define VGPUD_INSTANCE_IFACE "org.vgpud1.Instance"

#define VGPUD_ERROR_NO_SUCH_GPU      "org.vgpud1.Error.NoSuchGpu"
#define VGPUD_ERROR_NO_SUCH_TYPE     "org.vgpud1.Error.NoSuchType"
#define VGPUD_ERROR_AMBIGUOUS_TYPE   "org.vgpud1.Error.AmbiguousType"
#define VGPUD_ERROR_NO_SUCH_INSTANCE "org.vgpud1.Error.NoSuchInstance"
#define VGPUD_ERROR_INSTANCE_EXISTS  "org.vgpud1.Error.InstanceExists"
#define VGPUD_ERROR_NO_CAPACITY      "org.vgpud1.Error.NoCapacity"
#define VGPUD_ERROR_IN_USE           "org.vgpud1.Error.InUse"
#define VGPUD_ERROR_BUSY             "org.vgpud1.Error.Busy"
#define VGPUD_ERROR_ADMISSION_DENIED "org.vgpud1.Error.AdmissionDenied"
#define VGPUD_ERROR_NOT_SUPPORTED    "org.vgpud1.Error.NotSupported"
#define VGPUD_ERROR_IO               "org.vgpud1.Error.IOError"

#define DBUS_ERROR_INVALID_ARGS  "org.freedesktop.DBus.Error.InvalidArgs"
#define DBUS_ERROR_ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"
