/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: JSON definitions read from disk. The input is one file:
 * an mdevctl definition (/etc/mdevctl.d/<parent>/<uuid>, mdevctl_parse) and,
 * the same bytes, a record of vgpud's state directory (record_from_json),
 * the two JSON forms vgpud imports. What parses must write back (mdevctl_format,
 * record_to_json) to text that parses again to the same text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mdevctl.h"
#include "record.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("fuzz-mdevctl");
        log_set_max_level(LOG_CRIT);
        return 0;
}

#define PARENT "0000:3b:00.0"
#define UUID   "1f0c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"

static void fail(const char *what, const char *text) {
        fprintf(stderr, "%s\n---\n%s\n---\n", what, text ?: "(null)");
        abort();
}

static void mdevctl_round(const char *text, size_t len) {
        struct vgpu_record *r = NULL, *r2 = NULL;
        char *why = NULL, *out = NULL, *again = NULL;

        if (mdevctl_parse(text, len, PARENT, UUID, &r, &why) < 0) {
                free(why);
                return;
        }
        if (mdevctl_format(r, &out) < 0)
                fail("mdevctl_format failed on a parsed definition", text);
        if (mdevctl_parse(out, strlen(out), PARENT, UUID, &r2, &why) < 0)
                fail(why, out);
        if (mdevctl_format(r2, &again) < 0 || strcmp(out, again) != 0)
                fail("mdevctl definition changed on a round trip", again);
        free(out);
        free(again);
        record_free(r);
        record_free(r2);
}

static void record_round(const char *text, size_t len) {
        struct vgpu_record *r = NULL, *r2 = NULL;
        char *why = NULL, *out = NULL, *again = NULL;

        if (record_from_json(text, len, &r, &why) < 0) {
                free(why);
                return;
        }
        char *problem = NULL;
        if (record_check(r, &problem) >= 0 && problem)
                fail(problem, text); /* record_from_json validates: what it returns is valid */
        if (record_to_json(r, &out) < 0)
                fail("record_to_json failed on a parsed record", text);
        if (record_from_json(out, strlen(out), &r2, &why) < 0)
                fail(why, out);
        if (record_to_json(r2, &again) < 0 || strcmp(out, again) != 0)
                fail("record changed on a round trip", again);
        free(out);
        free(again);
        record_free(r);
        record_free(r2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > MDEVCTL_FILE_MAX)
                return 0;
        /* The loaders read a file into a NUL-terminated buffer and pass its length. */
        char *text = malloc(size + 1);
        if (!text)
                abort();
        memcpy(text, data, size);
        text[size] = 0;
        mdevctl_round(text, size);
        record_round(text, size);
        free(text);
        return 0;
}
