/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: vgpud.conf parsing (config-file.c over inih). The input
 * is the file's text. A file that parses must also survive the round trip the
 * daemon's `vgpud --dump-config` promises: config_format() of it parses
 * again, to the same formatted text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-file.h"
#include "log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("fuzz-config");
        log_set_max_level(LOG_CRIT);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 64 * 1024)
                return 0;
        char *text = malloc(size + 1);
        if (!text)
                abort();
        memcpy(text, data, size);
        text[size] = 0;

        struct vgpu_config *c = NULL;
        struct vgpu_error err = {};
        int r = config_parse_string(text, "fuzz.conf", &c, &err);
        if (r < 0) {
                /* A refusal names the problem. */
                if (r != -ENOMEM && !err.message) {
                        fprintf(stderr, "config_parse_string failed (%d) without a message\n", r);
                        abort();
                }
        } else {
                char *out = NULL, *again = NULL;
                struct vgpu_config *c2 = NULL;
                struct vgpu_error err2 = {};
                if (config_format(c, &out) < 0)
                        abort();
                if (config_parse_string(out, "formatted.conf", &c2, &err2) < 0) {
                        fprintf(stderr, "formatted configuration does not parse: %s\n---\n%s---\n",
                                err2.message ?: "?", out);
                        abort();
                }
                if (config_format(c2, &again) < 0)
                        abort();
                if (strcmp(out, again) != 0) {
                        fprintf(stderr, "round trip changed the configuration:\n%s---\n%s---\n", out, again);
                        abort();
                }
                free(out);
                free(again);
                config_free(c2);
                vgpu_error_clear(&err2);
        }
        config_free(c);
        vgpu_error_clear(&err);
        free(text);
        return 0;
}
