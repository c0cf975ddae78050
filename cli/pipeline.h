/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Many method calls on one bus connection with a bounded number in flight:
 * the bulk forms of create and destroy. vgpud works on different GPUs side by
 * side, so a client that waits for each reply before sending the next call
 * leaves it idle; a window keeps up to `window` calls outstanding instead.
 * dbus-daemon refuses pending replies past max_replies_per_connection (128 by
 * default), hence PIPELINE_WINDOW. Every call keeps its own reply or error, in
 * the order the calls were given, whatever order the replies arrive in.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "macro.h"

#define PIPELINE_WINDOW 64

typedef enum PipelineCallState {
        PIPELINE_CALL_UNSENT, /* not sent (PIPELINE_STOP_ON_FAILURE stopped the batch first) */
        PIPELINE_CALL_PENDING,
        PIPELINE_CALL_DONE, /* answered, or failed without an answer (r, error) */
} PipelineCallState;

typedef struct PipelineRun PipelineRun;

typedef struct PipelineCall {
        sd_bus_message *request; /* built by the caller (sd_bus_message_new_method_call) */
        sd_bus_message *reply;   /* the method return when r == 0 */
        sd_bus_error error;      /* the error reply, or the local failure, when r < 0 */
        int r;                   /* 0 answered with a method return; < 0 -errno of the failure */
        PipelineCallState state;
        /* Private to pipeline.c. */
        sd_bus_slot *slot;
        PipelineRun *run;
} PipelineCall;

typedef enum PipelineFlags {
        /* Send no further call once one has failed (those in flight are still awaited): all-or-nothing
         * batches that will be undone anyway. */
        PIPELINE_STOP_ON_FAILURE = 1 << 0,
} PipelineFlags;

/* The calls of one batch, in the order given. */
typedef struct PipelineBatch {
        PipelineCall *calls;
        size_t n;
} PipelineBatch;

/* n calls, all unsent with an empty error; -ENOMEM. */
int pipeline_batch_init(PipelineBatch *b, size_t n);
/* Cancels what is still pending (a late reply finds no callback) and frees the messages. */
void pipeline_batch_done(PipelineBatch *b);

/* Record a call as failed before it is sent (its request could not be built): it is not sent. */
void pipeline_call_fail(PipelineCall *call, int r);

/* Send the batch's unsent calls on bus, in order, with at most window (>= 1) in flight, and wait until
 * every call sent is answered. A call that cannot be sent, or whose reply is lost because the
 * connection failed, fails with that errno. Returns the number of failed calls (>= 0), or -EINVAL for a
 * window of 0. */
int pipeline_run(sd_bus *bus, PipelineBatch *b, size_t window, PipelineFlags flags);

/* Index of the first failed call in the order given, or b->n when none failed. */
size_t pipeline_first_failure(const PipelineBatch *b);
