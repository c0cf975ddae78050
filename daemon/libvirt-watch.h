/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What vgpud-libvirt-watch (the helper that reads libvirt's running domains,
 * daemon/vgpud-libvirt-watch.c) tells vgpud (daemon/libvirt-watch.c): one line
 * of JSON per round on its stdout,
 *     {"reachable": true, "refs": [{"domain": "vm1", "kind": "mdev", "device": "<uuid>"}, ...]}
 *     {"reachable": false, "error": "cannot connect to qemu:///system: ..."}
 * The helper is another process so that libvirt's client library (and all it
 * loads: TLS, netlink, ICU...) stays out of vgpud's address space; vgpud
 * treats what it reads like any other input from outside: a line that is
 * longer than LIBVIRT_WATCH_LINE_MAX or does not have this shape is refused.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domains.h"

/* Longest line, newline excluded. The helper reports a longer list as an error instead. */
#define LIBVIRT_WATCH_LINE_MAX (1024u * 1024)

/* The helper's name in $(pkglibexecdir); the environment variable VGPUD_LIBVIRT_WATCH overrides the path. */
#define LIBVIRT_WATCH_PROGRAM "vgpud-libvirt-watch"

/* Parse one line (without its newline). On success *ret_reachable says which form it was: refs for a
 * reachable libvirt (may be empty), *ret_error for an unreachable one. -EBADMSG with *ret_error saying what
 * is wrong for anything else. */
int libvirt_watch_parse_line(const char *line, size_t len, bool *ret_reachable,
                             struct libvirt_reference **ret_refs, size_t *ret_n, char **ret_error);

void libvirt_references_free(struct libvirt_reference *refs, size_t n);
