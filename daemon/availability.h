/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Availability refreshes, off the reply path. When an instance appears or
 * goes, the available_instances of every type on its physical GPU may change
 * (one type per GPU on NVIDIA, GVT-g's shared pool), and only the driver knows
 * the new numbers: on a T4 that is 16 files to read. The model names the
 * parents whose numbers are stale (host_set_availability_handler()), and the
 * refresher queues one read of them per GPU on the host-operation worker of
 * that GPU, behind the operations already queued there, so what it reads
 * includes what they did; the numbers are applied on the main thread.
 *
 * Coalesced: a request while that GPU's refresh is queued and has not started
 * is served by it; a request while it runs queues one more after it. While
 * any refresh is outstanding, placement must wait (refresher_pending()): it
 * never acts on numbers older than the host. If the model re-read a parent's
 * types whole while a refresh was out (a parent re-registered), the refresh's
 * numbers may be the older ones: they are dropped and read again.
 */
#pragma once

#include "hostop.h"
#include "macro.h"

struct vgpu_host;
struct vgpu_parent;

typedef struct Refresher Refresher;
/* Called on the main thread when the last outstanding refresh has been applied. */
typedef void (*refresher_idle_t)(void *userdata);

int refresher_new(HostOps *ops, struct vgpu_host *h, refresher_idle_t on_idle, void *userdata,
                  Refresher **ret);
/* Before hostops_free(): from now on nothing new is queued and on_idle is not called. */
void refresher_shutdown(Refresher *r);
/* After hostops_free(): cancelled refreshes complete through it. */
Refresher *refresher_free(Refresher *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(Refresher *, refresher_free)

/* The numbers of every parent on p's physical GPU (or of p alone) are stale. */
void refresher_request(Refresher *r, struct vgpu_parent *p);
/* May some numbers be stale: a refresh queued or running that refresher_flush() has not read since the
 * last change that asked for it? */
bool refresher_pending(Refresher *r);
/* For a reader that cannot wait (a property read, a placement that must answer now): read the numbers of
 * every GPU with a refresh outstanding here, on the main thread. A refresh no worker has taken yet is then
 * skipped by its worker (the numbers are not read twice); one already running still completes, and what
 * it reads is at least as new (it runs after the changes that asked for it). */
void refresher_flush(Refresher *r);
/* The hostops key of p's GPU: operations and refreshes on one GPU share it and never overlap. */
const char *refresher_key(const struct vgpu_parent *p);
/* Refreshes carried out (read and applied) so far. */
unsigned long refresher_runs(Refresher *r);
