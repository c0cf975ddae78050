/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of pipeline.h: sd_bus_call_async under a window, and an sd_bus_process/sd_bus_wait loop. */
#include <stdint.h>

#include "pipeline.h"

struct PipelineRun {
        size_t pending;
        size_t failed;
};

int pipeline_batch_init(PipelineBatch *b, size_t n) {
        PipelineCall *calls = calloc(n ?: 1, sizeof(PipelineCall));

        if (!calls)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                calls[i].error = SD_BUS_ERROR_NULL;
        *b = (PipelineBatch){.calls = calls, .n = n};
        return 0;
}

void pipeline_batch_done(PipelineBatch *b) {
        if (!b->calls)
                return;
        for (size_t i = 0; i < b->n; i++) {
                /* Unreferencing the slot of a pending call cancels it. */
                sd_bus_slot_unref(b->calls[i].slot);
                sd_bus_message_unref(b->calls[i].request);
                sd_bus_message_unref(b->calls[i].reply);
                sd_bus_error_free(&b->calls[i].error);
        }
        free(b->calls);
        *b = (PipelineBatch){};
}

void pipeline_call_fail(PipelineCall *call, int r) {
        sd_bus_error_free(&call->error);
        call->r = sd_bus_error_set_errno(&call->error, r < 0 ? r : -EIO);
        if (call->r >= 0) /* a failure is never recorded as 0 */
                call->r = -EIO;
        call->state = PIPELINE_CALL_DONE;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        PipelineCall *call = userdata;
        PipelineRun *run = call->run;

        run->pending--;
        call->state = PIPELINE_CALL_DONE;
        if (sd_bus_message_is_method_error(m, NULL)) {
                call->r = sd_bus_error_copy(&call->error, sd_bus_message_get_error(m));
                if (call->r >= 0)
                        call->r = -EIO;
                run->failed++;
                return 0;
        }
        call->r = 0;
        call->reply = sd_bus_message_ref(m);
        return 0;
}

int pipeline_run(sd_bus *bus, PipelineBatch *b, size_t window, PipelineFlags flags) {
        PipelineRun run = {};
        size_t next = 0;
        int r = 0;

        if (window == 0)
                return -EINVAL;
        for (size_t i = 0; i < b->n; i++)
                if (b->calls[i].state == PIPELINE_CALL_DONE && b->calls[i].r < 0)
                        run.failed++;
        for (;;) {
                bool stopped = (flags & PIPELINE_STOP_ON_FAILURE) && run.failed > 0;
                while (next < b->n && b->calls[next].state != PIPELINE_CALL_UNSENT)
                        next++;
                if (next < b->n && run.pending < window && !stopped) {
                        PipelineCall *call = &b->calls[next++];
                        call->run = &run;
                        r = sd_bus_call_async(bus, &call->slot, call->request, on_reply, call, 0);
                        if (r < 0) {
                                pipeline_call_fail(call, r);
                                run.failed++;
                        } else {
                                call->state = PIPELINE_CALL_PENDING;
                                run.pending++;
                        }
                        continue;
                }
                if (run.pending == 0)
                        break;
                /* The window is full, or nothing is left to send: take the replies as they come. */
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0)
                        break;
        }
        if (r < 0 && run.pending > 0)
                /* The connection failed. sd-bus answers pending calls with an error once it notices; what it
                 * has not answered, and what was never sent, failed with the connection. */
                for (size_t i = 0; i < b->n; i++) {
                        PipelineCall *call = &b->calls[i];
                        if (call->state == PIPELINE_CALL_DONE)
                                continue;
                        call->slot = sd_bus_slot_unref(call->slot);
                        pipeline_call_fail(call, r);
                        run.failed++;
                }
        for (size_t i = 0; i < b->n; i++)
                b->calls[i].run = NULL;
        return (int) MIN(run.failed, (size_t) INT32_MAX);
}

size_t pipeline_first_failure(const PipelineBatch *b) {
        for (size_t i = 0; i < b->n; i++)
                if (b->calls[i].state == PIPELINE_CALL_DONE && b->calls[i].r < 0)
                        return i;
        return b->n;
}
