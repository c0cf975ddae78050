/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: the desired-state files of vgpuctl apply
 * (desired-state.c over libyaml). The input is the file's text. A refusal
 * must say where (fuzz.yaml:LINE:COLUMN: ...). A file that parses must
 * survive a round trip: written again as YAML (every value quoted or plain as
 * its kind needs), it parses to the same configurations, entries, devices,
 * types and settings; and desired_state_select() finds each configuration by
 * its name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desired-state.h"
#include "strutil.h"

static void quoted(struct strbuf *b, const char *s) {
        strbuf_append(b, "\"");
        for (; *s; s++) {
                char c[3] = {'\\', *s, 0};
                strbuf_append(b, *s == '"' || *s == '\\' ? c : c + 1);
        }
        strbuf_append(b, "\"");
}

static char *write_state(const struct desired_state *s) {
        struct strbuf b = {};
        strbuf_append(&b, "version: v1\nvgpu-configs:\n");
        for (size_t i = 0; i < s->n_configs; i++) {
                const struct desired_config *c = &s->configs[i];
                strbuf_append(&b, "  ");
                quoted(&b, c->name);
                strbuf_append(&b, ":\n");
                for (size_t k = 0; k < c->n_entries; k++) {
                        const struct desired_entry *e = &c->entries[k];
                        if (e->all_devices)
                                strbuf_append(&b, "    - devices: all\n");
                        else {
                                strbuf_append(&b, "    - devices: [");
                                for (size_t d = 0; d < e->n_devices; d++) {
                                        if (d)
                                                strbuf_append(&b, ", ");
                                        if (e->devices[d].is_index)
                                                strbuf_appendf(&b, "%u", e->devices[d].index);
                                        else
                                                quoted(&b, e->devices[d].name);
                                }
                                strbuf_append(&b, "]\n");
                        }
                        if (e->device_filter) {
                                strbuf_append(&b, "      device-filter: [");
                                for (char **f = e->device_filter; *f; f++) {
                                        if (f != e->device_filter)
                                                strbuf_append(&b, ", ");
                                        quoted(&b, *f);
                                }
                                strbuf_append(&b, "]\n");
                        }
                        if (e->model) {
                                strbuf_append(&b, "      model: ");
                                quoted(&b, e->model);
                                strbuf_append(&b, "\n");
                        }
                        if (e->sriov_vfs >= 0)
                                strbuf_appendf(&b, "      sriov-vfs: %d\n", e->sriov_vfs);
                        if (e->persistent >= 0)
                                strbuf_appendf(&b, "      persistent: %s\n",
                                               e->persistent ? "true" : "false");
                        if (e->autostart >= 0)
                                strbuf_appendf(&b, "      autostart: %s\n", e->autostart ? "yes" : "no");
                        if (e->share > 0)
                                strbuf_appendf(&b, "      quota: {share: %u}\n", e->share);
                        if (e->weight > 0)
                                strbuf_appendf(&b, "      quota: {weight: %u}\n", e->weight);
                        strbuf_append(&b, "      vgpu-devices:");
                        if (e->n_types == 0)
                                strbuf_append(&b, " {}");
                        strbuf_append(&b, "\n");
                        for (size_t t = 0; t < e->n_types; t++) {
                                strbuf_append(&b, "        ");
                                quoted(&b, e->types[t].name);
                                strbuf_appendf(&b, ": %u\n", e->types[t].count);
                        }
                }
        }
        return strbuf_steal(&b);
}

static bool same_strv(char **a, char **b) {
        for (; a && *a && b && *b; a++, b++)
                if (strcmp(*a, *b) != 0)
                        return false;
        return !(a && *a) && !(b && *b);
}

static bool same_entry(const struct desired_entry *a, const struct desired_entry *b) {
        if (a->all_devices != b->all_devices || a->n_devices != b->n_devices || a->n_types != b->n_types ||
            a->sriov_vfs != b->sriov_vfs || a->persistent != b->persistent || a->autostart != b->autostart ||
            a->share != b->share || a->weight != b->weight ||
            !same_strv(a->device_filter, b->device_filter) || !streq_ptr(a->model, b->model))
                return false;
        for (size_t d = 0; d < a->n_devices; d++)
                if (a->devices[d].is_index != b->devices[d].is_index ||
                    (a->devices[d].is_index ? a->devices[d].index != b->devices[d].index
                                            : strcmp(a->devices[d].name, b->devices[d].name) != 0))
                        return false;
        for (size_t t = 0; t < a->n_types; t++)
                if (strcmp(a->types[t].name, b->types[t].name) != 0 ||
                    a->types[t].count != b->types[t].count)
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct desired_state *s = NULL, *s2 = NULL;
        char *why = NULL, *why2 = NULL, *text = NULL;
        int r;

        if (size > 64 * 1024)
                return 0;
        r = desired_state_parse("fuzz.yaml", (const char *) data, size, &s, &why);
        if (r < 0) {
                /* A refusal says where. */
                if (r != -ENOMEM && (!why || strncmp(why, "fuzz.yaml:", 10) != 0)) {
                        fprintf(stderr, "refused (%d) without a position: %s\n", r, why ?: "(no message)");
                        abort();
                }
                free(why);
                return 0;
        }
        if (why || s->n_configs == 0)
                abort();
        for (size_t i = 0; i < s->n_configs; i++) {
                const struct desired_config *c = NULL;
                char *w = NULL;
                if (s->configs[i].n_entries == 0)
                        abort();
                for (size_t k = 0; k < s->configs[i].n_entries; k++) {
                        const struct desired_entry *e = &s->configs[i].entries[k];
                        if (!e->all_devices && e->n_devices == 0)
                                abort();
                }
                if (desired_state_select(s, s->configs[i].name, &c, &w) < 0 || c != &s->configs[i])
                        abort();
                free(w);
        }
        text = write_state(s);
        if (!text)
                abort();
        r = desired_state_parse("again.yaml", text, strlen(text), &s2, &why2);
        if (r < 0) {
                fprintf(stderr, "written again, it does not parse: %s\n---\n%s---\n", why2 ?: "?", text);
                abort();
        }
        if (s2->n_configs != s->n_configs)
                abort();
        for (size_t i = 0; i < s->n_configs; i++) {
                if (strcmp(s->configs[i].name, s2->configs[i].name) != 0 ||
                    s->configs[i].n_entries != s2->configs[i].n_entries)
                        abort();
                for (size_t k = 0; k < s->configs[i].n_entries; k++)
                        if (!same_entry(&s->configs[i].entries[k], &s2->configs[i].entries[k])) {
                                fprintf(stderr, "the round trip changed an entry:\n%s---\n", text);
                                abort();
                        }
        }
        free(text);
        desired_state_free(s);
        desired_state_free(s2);
        return 0;
}
