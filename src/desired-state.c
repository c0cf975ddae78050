/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of desired-state.h with libyaml's document loader: the whole
 * file becomes a node graph first (so a syntax error anywhere changes nothing),
 * then one walk checks it against the format and builds the tree, naming the
 * node's position in every message. Aliases make the graph a DAG whose walk
 * could be exponential in the file's size; the walk counts the nodes it visits
 * and gives up past DESIRED_STATE_MAX_NODES.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "desired-state.h"
#include "strutil.h"

typedef struct Walk {
        yaml_document_t *doc;
        const char *source;
        unsigned visits;
        char *error;
        struct desired_state *state;
} Walk;

static struct desired_pos node_pos(const yaml_node_t *n) {
        return (struct desired_pos){n->start_mark.line + 1, n->start_mark.column + 1};
}

static int fail(Walk *w, const yaml_node_t *n, const char *fmt, ...) _printf_(3, 4);
static int fail(Walk *w, const yaml_node_t *n, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        struct desired_pos p = n ? node_pos(n) : (struct desired_pos){1, 1};
        va_list ap;

        if (w->error)
                return -EINVAL; /* the first error is the one reported */
        va_start(ap, fmt);
        if (vasprintf(&what, fmt, ap) < 0)
                what = NULL;
        va_end(ap);
        if (!what || asprintf(&w->error, "%s:%u:%u: %s", w->source, p.line, p.column, what) < 0) {
                w->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

static yaml_node_t *node(Walk *w, int id) {
        w->visits++;
        return yaml_document_get_node(w->doc, id);
}

static bool too_many(Walk *w) {
        return w->visits > DESIRED_STATE_MAX_NODES;
}

static const char *kind_name(const yaml_node_t *n) {
        switch (n->type) {
        case YAML_SCALAR_NODE:
                return "a scalar";
        case YAML_SEQUENCE_NODE:
                return "a list";
        case YAML_MAPPING_NODE:
                return "a mapping";
        default:
                return "nothing";
        }
}

static const char *scalar(const yaml_node_t *n) {
        return n && n->type == YAML_SCALAR_NODE ? (const char *) n->data.scalar.value : NULL;
}

/* A scalar with an embedded NUL cannot be a name, a number or a word of this format. */
static bool scalar_is_clean(const yaml_node_t *n) {
        return strlen((const char *) n->data.scalar.value) == n->data.scalar.length;
}

/* A plain (unquoted) scalar of decimal digits, as YAML 1.2's core schema reads an integer. */
static bool scalar_is_plain_int(const yaml_node_t *n) {
        const char *s = scalar(n);
        if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || !*s)
                return false;
        if (*s == '+')
                s++;
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isdigit((unsigned char) *s))
                        return false;
        return true;
}

static int read_uint(Walk *w, const yaml_node_t *n, const char *what, unsigned max, unsigned *ret) {
        const char *s = scalar(n);
        unsigned long v;
        char *end;

        if (!s || !scalar_is_plain_int(n))
                return fail(w, n, "%s must be a whole number, not %s%s%s", what, s ? "'" : kind_name(n),
                            s ? s : "", s ? "'" : "");
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return fail(w, n, "%s %s is out of range (0 to %u)", what, s, max);
        *ret = (unsigned) v;
        return 0;
}

static int read_bool(Walk *w, const yaml_node_t *n, const char *what, int *ret) {
        const char *s = scalar(n);
        static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
        static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};

        if (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                        if (streq(s, yes[i])) {
                                *ret = 1;
                                return 0;
                        }
                        if (streq(s, no[i])) {
                                *ret = 0;
                                return 0;
                        }
                }
        }
        return fail(w, n, "%s must be true or false", what);
}

/* A non-empty string scalar, copied. */
static int read_string(Walk *w, const yaml_node_t *n, const char *what, char **ret) {
        const char *s = scalar(n);

        if (!s)
                return fail(w, n, "%s must be a string, not %s", what, kind_name(n));
        if (!*s || !scalar_is_clean(n))
                return fail(w, n, "%s must not be empty", what);
        if (strlen(s) > 255)
                return fail(w, n, "%s is longer than 255 characters", what);
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return fail(w, n, "%s contains a control character", what);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

/* Walk a mapping's pairs with keys that are scalars, each key at most once. */
typedef int (*pair_fn)(Walk *w, const yaml_node_t *key, const char *k, const yaml_node_t *value,
                       void *userdata);

static int walk_mapping(Walk *w, const yaml_node_t *map, const char *what, pair_fn fn, void *userdata) {
        if (map->type != YAML_MAPPING_NODE)
                return fail(w, map, "%s must be a mapping, not %s", what, kind_name(map));
        for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
                yaml_node_t *key = node(w, p->key), *value = node(w, p->value);
                const char *k = scalar(key);
                int r;

                if (too_many(w))
                        return fail(w, map, "the document is too large (more than %u nodes)",
                                    DESIRED_STATE_MAX_NODES);
                if (!key || !value)
                        return fail(w, map, "%s has an empty pair", what);
                if (!k || !scalar_is_clean(key))
                        return fail(w, key, "a key in %s must be a string, not %s", what, kind_name(key));
                for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
                        const char *other = scalar(yaml_document_get_node(w->doc, q->key));
                        if (other && streq(other, k))
                                return fail(w, key, "'%s' appears twice in %s", k, what);
                }
                r = fn(w, key, k, value, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- an entry ----------------------------------------------------------------------------------------- */

static int read_devices(Walk *w, const yaml_node_t *n, struct desired_entry *e) {
        const char *s = scalar(n);

        if (s) {
                if (!streq(s, "all"))
                        return fail(w, n,
                                    "devices must be 'all' or a list of GPU indices (or, for vgpud, PCI "
                                    "addresses and GPU ids), not '%s'",
                                    s);
                e->all_devices = true;
                return 0;
        }
        if (n->type != YAML_SEQUENCE_NODE)
                return fail(w, n, "devices must be 'all' or a list, not %s", kind_name(n));
        size_t len = n->data.sequence.items.top - n->data.sequence.items.start;
        if (len == 0)
                return fail(w, n, "devices is an empty list: name at least one GPU, or 'all'");
        e->devices = calloc(len, sizeof(*e->devices));
        if (!e->devices)
                return -ENOMEM;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
                yaml_node_t *item = node(w, *it);
                struct desired_device *d = &e->devices[e->n_devices];
                int r;

                if (!item || too_many(w))
                        return fail(w, n, "the device list is too large");
                d->pos = node_pos(item);
                if (scalar_is_plain_int(item)) {
                        r = read_uint(w, item, "a device index", 65535, &d->index);
                        if (r < 0)
                                return r;
                        d->is_index = true;
                } else {
                        r = read_string(w, item, "a device", &d->name);
                        if (r < 0)
                                return r;
                        w->state->uses_vgpud_keys = true;
                }
                for (size_t k = 0; k < e->n_devices; k++) {
                        const struct desired_device *o = &e->devices[k];
                        if (o->is_index == d->is_index &&
                            (d->is_index ? o->index == d->index : streq(o->name, d->name))) {
                                free(d->name);
                                d->name = NULL;
                                return fail(w, item, "this device is listed twice");
                        }
                }
                e->n_devices++;
        }
        return 0;
}

int desired_device_id_parse(const char *s, uint16_t *ret_vendor, uint16_t *ret_device) {
        unsigned long v;
        char *end;

        if (!s)
                return -EINVAL;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
                s += 2;
        if (strlen(s) != 8)
                return -EINVAL;
        for (const char *p = s; *p; p++)
                if (!isxdigit((unsigned char) *p))
                        return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 16);
        if (errno || *end)
                return -EINVAL;
        *ret_device = (uint16_t) (v >> 16);
        *ret_vendor = (uint16_t) (v & 0xffff);
        return 0;
}

static int read_filter_item(Walk *w, const yaml_node_t *n, struct desired_entry *e) {
        _cleanup_free_ char *s = NULL;
        uint16_t vendor, device;
        int r;

        r = read_string(w, n, "a device-filter", &s);
        if (r < 0)
                return r;
        if (desired_device_id_parse(s, &vendor, &device) < 0)
                return fail(w, n,
                            "device-filter '%s' is not a PCI device id such as 0x25B610DE (device, then "
                            "vendor, in hexadecimal)",
                            s);
        return strv_consume(&e->device_filter, TAKE_PTR(s));
}

static int read_device_filter(Walk *w, const yaml_node_t *n, struct desired_entry *e) {
        if (n->type == YAML_SCALAR_NODE)
                return read_filter_item(w, n, e);
        if (n->type != YAML_SEQUENCE_NODE)
                return fail(w, n, "device-filter must be a device id or a list of them, not %s",
                            kind_name(n));
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
                yaml_node_t *item = node(w, *it);
                int r;
                if (!item || too_many(w))
                        return fail(w, n, "the device-filter list is too large");
                r = read_filter_item(w, item, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int vgpu_device_pair(Walk *w, const yaml_node_t *key, const char *k, const yaml_node_t *value,
                            void *userdata) {
        struct desired_entry *e = userdata;
        struct desired_type *t, *v;
        int r;

        v = realloc(e->types, (e->n_types + 1) * sizeof(*e->types));
        if (!v)
                return -ENOMEM;
        e->types = v;
        t = &e->types[e->n_types];
        *t = (struct desired_type){.pos = node_pos(key)};
        r = read_string(w, key, "a vGPU type name", &t->name);
        if (r < 0)
                return r;
        r = read_uint(w, value, "the number of vGPUs", DESIRED_STATE_MAX_COUNT, &t->count);
        if (r < 0) {
                free(t->name);
                return r;
        }
        e->n_types++;
        return 0;
}

static int quota_pair(Walk *w, const yaml_node_t *key, const char *k, const yaml_node_t *value,
                      void *userdata) {
        struct desired_entry *e = userdata;
        int r;

        if (streq(k, "share")) {
                r = read_uint(w, value, "quota share", 100, &e->share);
                if (r >= 0 && e->share == 0)
                        return fail(w, value, "quota share is a percentage from 1 to 100");
                return r;
        }
        if (streq(k, "weight")) {
                r = read_uint(w, value, "quota weight", 1000000, &e->weight);
                if (r >= 0 && e->weight == 0)
                        return fail(w, value, "quota weight must be at least 1");
                return r;
        }
        return fail(w, key, "unknown quota key '%s': use share (percent) or weight", k);
}

typedef struct EntryWalk {
        struct desired_entry *e;
        const yaml_node_t *devices, *vgpu_devices;
} EntryWalk;

static int entry_pair(Walk *w, const yaml_node_t *key, const char *k, const yaml_node_t *value,
                      void *userdata) {
        EntryWalk *ew = userdata;
        struct desired_entry *e = ew->e;
        int r;

        if (streq(k, "devices")) {
                ew->devices = value;
                return read_devices(w, value, e);
        }
        if (streq(k, "device-filter"))
                return read_device_filter(w, value, e);
        if (streq(k, "vgpu-devices")) {
                ew->vgpu_devices = value;
                if (value->type == YAML_SCALAR_NODE && isempty(scalar(value)) &&
                    value->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
                        return 0; /* "vgpu-devices:" with nothing: no vGPUs on these GPUs */
                return walk_mapping(w, value, "vgpu-devices", vgpu_device_pair, e);
        }
        /* vgpud's keys */
        w->state->uses_vgpud_keys = true;
        if (streq(k, "model"))
                return read_string(w, value, "model", &e->model);
        if (streq(k, "sriov-vfs")) {
                unsigned n;
                r = read_uint(w, value, "sriov-vfs", 256, &n);
                if (r < 0)
                        return r;
                e->sriov_vfs = (int) n;
                return 0;
        }
        if (streq(k, "persistent"))
                return read_bool(w, value, "persistent", &e->persistent);
        if (streq(k, "autostart"))
                return read_bool(w, value, "autostart", &e->autostart);
        if (streq(k, "quota")) {
                r = walk_mapping(w, value, "quota", quota_pair, e);
                if (r >= 0 && e->share > 0 && e->weight > 0)
                        return fail(w, value, "give a share or a weight, not both");
                return r;
        }
        return fail(w, key,
                    "unknown key '%s' in an entry: expected devices, device-filter, vgpu-devices (or "
                    "vgpud's model, sriov-vfs, persistent, autostart, quota)",
                    k);
}

static void entry_done(struct desired_entry *e) {
        for (size_t i = 0; i < e->n_devices; i++)
                free(e->devices[i].name);
        free(e->devices);
        strv_free(e->device_filter);
        free(e->model);
        for (size_t i = 0; i < e->n_types; i++)
                free(e->types[i].name);
        free(e->types);
}

static int read_entry(Walk *w, const yaml_node_t *n, struct desired_entry *e) {
        EntryWalk ew = {.e = e};
        int r;

        *e = (struct desired_entry){.pos = node_pos(n), .sriov_vfs = -1, .persistent = -1, .autostart = -1};
        if (n->type == YAML_SCALAR_NODE)
                return fail(w, n,
                            "an entry must be a mapping with devices and vgpu-devices, not '%s' (the "
                            "older list-of-type-names form is not read)",
                            scalar(n));
        r = walk_mapping(w, n, "an entry", entry_pair, &ew);
        if (r < 0)
                return r;
        if (!ew.devices)
                return fail(w, n, "this entry has no 'devices' (all, or a list of GPUs)");
        if (!ew.vgpu_devices)
                return fail(w, n, "this entry has no 'vgpu-devices' (a mapping of vGPU type to count)");
        return 0;
}

/* ---- the document ------------------------------------------------------------------------------------- */

static int config_pair(Walk *w, const yaml_node_t *key, const char *k, const yaml_node_t *value,
                       void *userdata) {
        struct desired_state *s = w->state;
        struct desired_config *c, *v;
        int r;

        v = realloc(s->configs, (s->n_configs + 1) * sizeof(*s->configs));
        if (!v)
                return -ENOMEM;
        s->configs = v;
        c = &s->configs[s->n_configs];
        *c = (struct desired_config){.pos = node_pos(key)};
        r = read_string(w, key, "a configuration name", &c->name);
        if (r < 0)
                return r;
        s->n_configs++;
        if (value->type != YAML_SEQUENCE_NODE)
                return fail(w, value, "configuration '%s' must be a list of entries, not %s", k,
                            kind_name(value));
        size_t len = value->data.sequence.items.top - value->data.sequence.items.start;
        if (len == 0)
                return fail(w, value, "configuration '%s' has no entries", k);
        c->entries = calloc(len, sizeof(*c->entries));
        if (!c->entries)
                return -ENOMEM;
        for (yaml_node_item_t *it = value->data.sequence.items.start; it < value->data.sequence.items.top;
             it++) {
                yaml_node_t *item = node(w, *it);
                if (!item || too_many(w))
                        return fail(w, value, "configuration '%s' is too large", k);
                r = read_entry(w, item, &c->entries[c->n_entries]);
                c->n_entries++; /* freed whole, also when half read */
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct TopWalk {
        const yaml_node_t *version, *configs;
} TopWalk;

static int top_pair(Walk *w, const yaml_node_t *key, const char *k, const yaml_node_t *value,
                    void *userdata) {
        TopWalk *tw = userdata;

        if (streq(k, "version")) {
                const char *v = scalar(value);
                if (!v || !streq(v, "v1"))
                        return fail(w, value, "unknown version%s%s%s: this reader knows v1", v ? " '" : "",
                                    strempty(v), v ? "'" : "");
                tw->version = value;
                return 0;
        }
        if (streq(k, "vgpu-configs")) {
                tw->configs = value;
                return walk_mapping(w, value, "vgpu-configs", config_pair, NULL);
        }
        return fail(w, key, "unknown key '%s': expected version and vgpu-configs", k);
}

static const char *yaml_problem(const yaml_parser_t *p) {
        return p->problem ?: "the YAML is malformed";
}

int desired_state_parse(const char *source, const char *data, size_t size, struct desired_state **ret,
                        char **ret_error) {
        _cleanup_(desired_state_freep) struct desired_state *s = NULL;
        yaml_parser_t parser;
        yaml_document_t doc;
        Walk w = {.source = source};
        TopWalk tw = {};
        int r;

        *ret_error = NULL;
        if (size > DESIRED_STATE_MAX_BYTES) {
                if (asprintf(ret_error, "%s: the file is larger than %u bytes", source,
                             DESIRED_STATE_MAX_BYTES) < 0)
                        *ret_error = NULL;
                return -E2BIG;
        }
        s = calloc(1, sizeof(*s));
        if (!s || !(s->source = strdup(source)))
                return -ENOMEM;
        w.state = s;

        if (!yaml_parser_initialize(&parser))
                return -ENOMEM;
        yaml_parser_set_input_string(&parser, (const unsigned char *) data, size);
        if (!yaml_parser_load(&parser, &doc)) {
                const yaml_mark_t *m = parser.problem ? &parser.problem_mark : &parser.context_mark;
                r = asprintf(ret_error, "%s:%zu:%zu: %s%s%s", source, m->line + 1, m->column + 1,
                             yaml_problem(&parser), parser.context ? " " : "", strempty(parser.context));
                if (r < 0)
                        *ret_error = NULL;
                yaml_parser_delete(&parser);
                return parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
        }
        w.doc = &doc;
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root)
                r = fail(&w, NULL, "the file is empty: expected version: v1 and vgpu-configs");
        else
                r = walk_mapping(&w, root, "the document", top_pair, &tw);
        if (r >= 0) {
                /* A second document in the stream is not read: say so rather than ignore it. */
                yaml_document_t next;
                if (yaml_parser_load(&parser, &next)) {
                        yaml_node_t *nr = yaml_document_get_root_node(&next);
                        if (nr)
                                r = fail(&w, nr, "a second YAML document; put everything in one");
                        yaml_document_delete(&next);
                }
        }
        if (r >= 0 && !tw.version)
                r = fail(&w, root, "version is missing: write 'version: v1'");
        if (r >= 0 && !tw.configs)
                r = fail(&w, root, "vgpu-configs is missing: it names the configurations");
        if (r >= 0 && s->n_configs == 0)
                r = fail(&w, tw.configs, "vgpu-configs has no configurations");
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        if (r < 0) {
                *ret_error = TAKE_PTR(w.error);
                return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

void desired_state_free(struct desired_state *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_configs; i++) {
                for (size_t k = 0; k < s->configs[i].n_entries; k++)
                        entry_done(&s->configs[i].entries[k]);
                free(s->configs[i].entries);
                free(s->configs[i].name);
        }
        free(s->configs);
        free(s->source);
        free(s);
}

int desired_state_select(const struct desired_state *s, const char *name, const struct desired_config **ret,
                         char **ret_error) {
        struct strbuf names = {};
        const char *want = name;

        *ret_error = NULL;
        if (!want && s->n_configs == 1) {
                *ret = &s->configs[0];
                return 0;
        }
        if (!want)
                want = "default";
        for (size_t i = 0; i < s->n_configs; i++)
                if (streq(s->configs[i].name, want)) {
                        *ret = &s->configs[i];
                        return 0;
                }
        for (size_t i = 0; i < s->n_configs; i++)
                strbuf_appendf(&names, "%s%s", i ? ", " : "", s->configs[i].name);
        _cleanup_free_ char *list = strbuf_steal(&names);
        if (!list)
                return -ENOMEM;
        if (name)
                (void) asprintf(ret_error, "%s has no configuration '%s'; it has: %s", s->source, name,
                                list);
        else
                (void) asprintf(ret_error,
                                "%s has several configurations and none called 'default': choose one with "
                                "--config NAME (%s)",
                                s->source, list);
        return -ENOENT;
}
