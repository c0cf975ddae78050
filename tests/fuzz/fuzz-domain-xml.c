/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: the libvirt hook's input, a domain's XML as libvirt
 * writes it on the hook's stdin (domain-xml.c over libxml2, with the
 * network, entity and size protections of domain_xml_read). Every vGPU it
 * finds must be well-formed for the hook's D-Bus call: a non-empty device
 * string, a known kind, no duplicate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "domain-xml.h"
#include "log.h"

static void quiet(void *ctx, const char *msg, ...) {
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("fuzz-domain-xml");
        log_set_max_level(LOG_CRIT);
        xmlInitParser();
        xmlSetGenericErrorFunc(NULL, quiet);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct domain_vgpus *d = NULL;
        char *why = NULL;

        int r = domain_xml_parse_vgpus((const char *) data, size, &d, &why);
        if (r < 0) {
                if (r != -ENOMEM && !why) {
                        fprintf(stderr, "refused without a reason\n");
                        abort();
                }
                free(why);
                return 0;
        }
        for (size_t i = 0; i < d->n_vgpus; i++) {
                const struct domain_vgpu *v = &d->vgpus[i];
                if (v->kind >= _VGPU_DEVICE_KIND_MAX || !v->device || !v->device[0] ||
                    !vgpu_device_kind_to_string(v->kind))
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (strcmp(d->vgpus[j].device, v->device) == 0)
                                abort();
        }
        domain_vgpus_free(d);
        return 0;
}
