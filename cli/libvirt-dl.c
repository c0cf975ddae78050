/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of libvirt-dl.h. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "libvirt-dl.h"
#include "macro.h"

#define LIBVIRT_DL_DEFINE(name) typeof(name) *sym_##name;
LIBVIRT_DL_SYMBOLS(LIBVIRT_DL_DEFINE)
#undef LIBVIRT_DL_DEFINE

int libvirt_dl_load(const char **ret_why) {
        static void *handle;
        static char why[512];
        void *h;

        if (handle)
                return 0;
        h = dlopen(LIBVIRT_DL_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                snprintf(why, sizeof(why), "%s", strna(dlerror()));
                *ret_why = why;
                return -ELIBACC;
        }
        /* All or none: a libvirt without one of them leaves every pointer NULL. */
        bool ok = true;
#define LIBVIRT_DL_RESOLVE(name)                                                                            \
        if (ok && !(sym_##name = (typeof(name) *) dlsym(h, #name))) {                                       \
                snprintf(why, sizeof(why), "%s has no %s", LIBVIRT_DL_SONAME, #name);                       \
                ok = false;                                                                                 \
        }
        LIBVIRT_DL_SYMBOLS(LIBVIRT_DL_RESOLVE)
#undef LIBVIRT_DL_RESOLVE
        if (!ok) {
#define LIBVIRT_DL_CLEAR(name) sym_##name = NULL;
                LIBVIRT_DL_SYMBOLS(LIBVIRT_DL_CLEAR)
#undef LIBVIRT_DL_CLEAR
                dlclose(h);
                *ret_why = why;
                return -ELIBBAD;
        }
        handle = h;
        return 0;
}
