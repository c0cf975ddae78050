/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: everything that parses text read from sysfs. The input
 * is one attribute's content; every parser sees it: the NVIDIA type name and
 * description grammars, creatable_vgpu_types and current_vgpu_type, the
 * GVT-g description, the alias normalizer, PCI address parsing and UUID
 * normalization, the board name of a PCI model string, the numeric helpers,
 * and a whole vgpu_type built from it (as mdev.c does for each type
 * directory: vendor rules and aliases). Results are checked where a parser
 * promises something (normalized output is stable, NUL-terminated names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "log.h"
#include "parse-util.h"
#include "pci.h"
#include "strutil.h"
#include "type.h"
#include "uuid.h"
#include "vendor-gvtg.h"
#include "vendor-nvidia.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
        log_setup("fuzz-sysfs-attr");
        log_set_max_level(LOG_CRIT);
        return 0;
}

static void check(bool ok, const char *what) {
        if (!ok) {
                fprintf(stderr, "%s\n", what);
                abort();
        }
}

static void whole_type(const char *id, const char *name, const char *desc) {
        struct vgpu_type *t = NULL;
        if (type_new(id, VGPU_BACKEND_MDEV, &t) < 0)
                abort();
        if (type_set_info(t, name, desc, "vfio-pci") < 0)
                abort();
        for (char **a = t->aliases; a && *a; a++) {
                char *again = alias_normalize(*a);
                check(again && strcmp(again, *a) == 0, "an alias is not stable under alias_normalize");
                free(again);
        }
        type_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 8192) /* a sysfs attribute is at most a page */
                return 0;
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = 0;

        struct nvidia_type_name name;
        if (nvidia_parse_name(s, &name) >= 0) {
                check(memchr(name.prefix, 0, sizeof(name.prefix)) &&
                              memchr(name.board, 0, sizeof(name.board)),
                      "nvidia_parse_name left an unterminated field");
                (void) nvidia_series_to_string(name.series);
        }
        struct nvidia_description nd;
        (void) nvidia_parse_description(s, &nd);
        struct nvidia_vfio_type *types = NULL;
        size_t n_types = 0;
        if (nvidia_parse_creatable_types(s, &types, &n_types) >= 0) {
                for (size_t i = 0; i < n_types; i++)
                        check(types[i].id != 0 && memchr(types[i].name, 0, sizeof(types[i].name)),
                              "nvidia_parse_creatable_types returned a bad entry");
        }
        free(types);
        unsigned cur;
        (void) nvidia_parse_current_type(s, &cur);
        struct gvtg_description gd;
        (void) gvtg_parse_description(s, &gd);

        char *a = alias_normalize(s);
        check(a != NULL, "alias_normalize failed");
        char *a2 = alias_normalize(a);
        check(a2 && strcmp(a, a2) == 0, "alias_normalize is not idempotent");
        free(a);
        free(a2);

        char bdf[PCI_BDF_MAX], bdf2[PCI_BDF_MAX];
        if (pci_bdf_normalize(s, bdf) >= 0) {
                check(pci_bdf_normalize(bdf, bdf2) >= 0 && strcmp(bdf, bdf2) == 0,
                      "pci_bdf_normalize is not idempotent");
        }
        unsigned dom, bus, slot, fn;
        if (pci_address_parse(s, &dom, &bus, &slot, &fn) >= 0)
                check(slot < 32 && fn < 8 && bus < 256, "pci_address_parse returned an impossible address");
        char u[UUID_STRING_MAX], u2[UUID_STRING_MAX];
        if (uuid_normalize(s, u) >= 0) {
                check(uuid_is_valid(u) && uuid_normalize(u, u2) >= 0 && strcmp(u, u2) == 0,
                      "uuid_normalize is not idempotent");
        }
        free(pci_board_name(s));

        uint64_t v;
        unsigned x;
        (void) safe_atou64(s, &v);
        (void) safe_atou(s, &x);
        (void) safe_atou_n(s, size, &x);
        (void) parse_size(s, &v);
        (void) parse_duration(s, &v);
        (void) parse_decimal_milli(s, &v);
        (void) parse_boolean(s);
        (void) attr_name_is_valid(s);
        struct vgpu_attr at = {};
        if (attr_parse_assignment(s, &at) >= 0) {
                free(at.name);
                free(at.value);
        }

        /* The input as the name and as the description of a type of each vendor; a
         * newline splits it into name and description. */
        char *nl = strchr(s, '\n');
        const char *nm = s, *desc = s;
        if (nl) {
                *nl = 0;
                desc = nl + 1;
        }
        whole_type("nvidia-222", nm, desc);
        whole_type("i915-GVTg_V5_4", nm, desc);
        whole_type("amd-mxgpu-1", nm, desc);
        free(s);
        return 0;
}
