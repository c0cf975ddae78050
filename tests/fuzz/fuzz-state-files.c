/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: vgpud's JSON state files, each read by the codec
 * (json-codec.h) from its own table. The input is one file, given to every
 * state file's reader: an instance record (record_from_json), a binding note
 * (binding_from_json), an SR-IOV configuration (sriov_config_from_json), a
 * GPU's scheduler settings (sched_store_parse) and the domain assignments
 * (assignments_from_json). A refusal has a reason; what a reader accepts
 * passes the table's own check where there is one (record_check) and writes
 * back to text that reads again to the same text. (mdevctl's definitions,
 * the codec's lenient table, are fuzz-mdevctl's.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assignment.h"
#include "binding.h"
#include "log.h"
#include "record.h"
#include "sched-store.h"
#include "sriov-config.h"
#include "store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("fuzz-state-files");
        log_set_max_level(LOG_CRIT);
        return 0;
}

static void fail(const char *what, const char *text) {
        fprintf(stderr, "%s\n---\n%s\n---\n", what, text ?: "(null)");
        abort();
}

/* A refusal names what is wrong; an acceptance leaves no message behind. */
static bool accepted(int r, char *why, const char *text) {
        if (r == -ENOMEM)
                abort();
        if (r < 0 && (r != -EINVAL || !why || !*why))
                fail("a refusal without a reason, or not -EINVAL", text);
        if (r >= 0 && why)
                fail(why, text); /* a message with success */
        free(why);
        return r >= 0;
}

/* out was written from what text parsed to; again is out parsed and written once more. */
static void same(const char *out, const char *again, const char *what) {
        if (!again || strcmp(out, again) != 0)
                fail(what, again);
}

static void record_round(const char *text, size_t len) {
        struct vgpu_record *r = NULL, *r2 = NULL;
        char *why = NULL, *out = NULL, *again = NULL, *problem = NULL;

        if (!accepted(record_from_json(text, len, &r, &why), why, text))
                return;
        if (record_check(r, &problem) < 0 || problem)
                fail(problem, text); /* what is read passes what is saved */
        if (record_to_json(r, &out) < 0)
                fail("record_to_json failed on a parsed record", text);
        why = NULL;
        if (record_from_json(out, strlen(out), &r2, &why) < 0)
                fail(why, out);
        if (record_to_json(r2, &again) < 0)
                fail("record_to_json failed on a re-read record", out);
        same(out, again, "record changed on a round trip");
        free(out);
        free(again);
        record_free(r);
        record_free(r2);
}

static void binding_round(const char *text, size_t len) {
        struct vgpu_binding *b = NULL, *b2 = NULL;
        char *why = NULL, *out = NULL, *again = NULL;

        if (!accepted(binding_from_json(text, len, &b, &why), why, text))
                return;
        if (binding_to_json(b, &out) < 0)
                fail("binding_to_json failed on a parsed note", text);
        why = NULL;
        if (binding_from_json(out, strlen(out), &b2, &why) < 0)
                fail(why, out);
        if (binding_to_json(b2, &again) < 0)
                fail("binding_to_json failed on a re-read note", out);
        same(out, again, "binding note changed on a round trip");
        free(out);
        free(again);
        binding_free(b);
        binding_free(b2);
}

static void sriov_round(const char *text, size_t len) {
        struct vgpu_sriov_config *c = NULL, *c2 = NULL;
        char *why = NULL, *out = NULL, *again = NULL;

        if (!accepted(sriov_config_from_json(text, len, &c, &why), why, text))
                return;
        if (sriov_config_to_json(c, &out) < 0)
                fail("sriov_config_to_json failed on a parsed configuration", text);
        why = NULL;
        if (sriov_config_from_json(out, strlen(out), &c2, &why) < 0)
                fail(why, out);
        if (sriov_config_to_json(c2, &again) < 0)
                fail("sriov_config_to_json failed on a re-read configuration", out);
        same(out, again, "SR-IOV configuration changed on a round trip");
        free(out);
        free(again);
        sriov_config_free(c);
        sriov_config_free(c2);
}

static void sched_round(const char *text, size_t len) {
        struct sched_store_entry e, e2;
        char *why = NULL, *out = NULL, *again = NULL;

        if (!accepted(sched_store_parse(text, len, &e, &why), why, text))
                return;
        if (sched_store_format(e.address, &e.settings, &out) < 0)
                fail("sched_store_format failed on parsed settings", text);
        why = NULL;
        if (sched_store_parse(out, strlen(out), &e2, &why) < 0)
                fail(why, out);
        if (sched_store_format(e2.address, &e2.settings, &again) < 0)
                fail("sched_store_format failed on re-read settings", out);
        same(out, again, "scheduler settings changed on a round trip");
        free(out);
        free(again);
}

static void assignments_round(const char *text, size_t len) {
        struct assignment *v = NULL, *v2 = NULL;
        size_t n = 0, n2 = 0;
        char *why = NULL, *out = NULL, *again = NULL;

        if (!accepted(assignments_from_json(text, len, &v, &n, &why), why, text))
                return;
        for (size_t i = 0; i < n; i++)
                if (!domain_name_is_valid(v[i].domain))
                        fail("an assignment to an invalid domain name was accepted", text);
        if (assignments_to_json(v, n, &out) < 0)
                fail("assignments_to_json failed on parsed assignments", text);
        why = NULL;
        if (assignments_from_json(out, strlen(out), &v2, &n2, &why) < 0)
                fail(why, out);
        if (n2 != n || assignments_to_json(v2, n2, &again) < 0)
                fail("assignments changed in number, or assignments_to_json failed, on a round trip", out);
        same(out, again, "assignments changed on a round trip");
        free(out);
        free(again);
        assignments_free(v, n);
        assignments_free(v2, n2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > STORE_RECORD_MAX)
                return 0;
        /* The loaders read a file into a NUL-terminated buffer and pass its length. */
        char *text = malloc(size + 1);
        if (!text)
                abort();
        memcpy(text, data, size);
        text[size] = 0;
        record_round(text, size);
        binding_round(text, size);
        sriov_round(text, size);
        sched_round(text, size);
        assignments_round(text, size);
        free(text);
        return 0;
}
