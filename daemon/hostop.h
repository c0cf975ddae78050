/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Host operations (sysfs writes: create, remove, attributes, bind) run here,
 * on worker threads, so that a write the kernel takes seconds to answer does
 * not stop the main loop from answering reads. Operations with the same key
 * (the physical GPU's address) never overlap and run in submission order;
 * operations on different GPUs run side by side. The run function sees only
 * what it was handed (paths and values copied out of the model); its result
 * comes back to the main thread through an eventfd on the sd-event loop,
 * where the done function may touch the model and reply on the bus.
 */
#pragma once

#include <systemd/sd-event.h>

#include "macro.h"

typedef struct HostOps HostOps;

/* On a worker thread: do the host operation, return >= 0 or -errno. */
typedef int (*hostop_run_t)(void *userdata);
/* On the main thread: the result of run, or -ECANCELED if it never ran. */
typedef void (*hostop_done_t)(int result, void *userdata);

/* On the main thread, after the completions one wake-up of the loop ran (or those of hostops_free()). */
typedef void (*hostop_batch_done_t)(void *userdata);

int hostops_new(sd_event *event, unsigned n_threads, HostOps **ret);
/* Call batch_done after each batch of completions: what every completion would otherwise repeat (the sync
 * of the bus objects, at 64 calls in flight) is then done once for all of them. */
void hostops_set_batch_done(HostOps *h, hostop_batch_done_t batch_done, void *userdata);
/* Waits for running operations, cancels queued ones (done(-ECANCELED)), joins the threads. */
HostOps *hostops_free(HostOps *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(HostOps *, hostops_free)

/* Queue run(userdata) behind every earlier operation with the same key. */
int hostops_submit(HostOps *h, const char *key, hostop_run_t run, hostop_done_t done, void *userdata);

/* Operations queued or running (not yet completed on the main thread) with this key; all keys if NULL. */
size_t hostops_pending(HostOps *h, const char *key);
