/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of config-file.h: vgpud.conf, read with one table of keys (name, section, kind,
 * bounds, where the value goes) and one validator per kind of value. It is over 800 lines because it is
 * one concept, the file's grammar: every key of every section is a row of the table here, which
 * tests/unit/test-config.c checks against vgpud.conf(5); splitting the rows by section would spread that
 * one table over files.
 */
#include <ctype.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>

#include "config-file.h"
#include "log.h"
#include "parse-util.h"
#include "pci.h"
#include "quota.h"

/* The longest line inih hands over from a buffer of INI_MAX_LINE (see reader()). */
#define CONFIG_LINE_MAX (INI_MAX_LINE - 3)
#include "strutil.h"

enum value_kind {
        V_PATH,   /* absolute path */
        V_GROUP,  /* group name or empty */
        V_USER,   /* user name or empty (the same syntax) */
        V_STRING, /* printable, non-empty */
        V_BOOL,
        V_LOG_LEVEL,
        V_POLICY,
        V_DURATION, /* µs */
        V_DECIMAL,  /* × 1000 */
        V_UNSIGNED,
        V_SIZE,         /* bytes */
        V_HEX,          /* a whole number in hexadecimal, 0x optional (PCI ids); stored as unsigned */
        V_SCHED_POLICY, /* best-effort, equal-share, fixed-share, weighted */
        V_PCI_IDS,      /* "vendor:device" list (struct pci_id_list) */
};

struct key_def {
        const char *section;
        const char *key;
        enum value_kind kind;
        size_t offset; /* into struct vgpu_config, struct vgpu_rpc_type ("rpc-type"), struct vgpu_gpu_config
                          ("gpu") */
        const char *default_value;
        uint64_t min, max; /* V_UNSIGNED, V_DURATION, V_DECIMAL, V_SIZE */
};

#define C(f) offsetof(struct vgpu_config, f)
#define T(f) offsetof(struct vgpu_rpc_type, f)
#define G(f) offsetof(struct vgpu_gpu_config, f)

static const struct key_def keys[] = {
        {"vgpud", "state_dir", V_PATH, C(state_dir), "/var/lib/vgpud", 0, 0},
        {"vgpud", "admin_group", V_GROUP, C(admin_group), "vgpu", 0, 0},
        {"vgpud", "log_level", V_LOG_LEVEL, C(log_level), "info", 0, 0},
        {"vgpud", "pci_ids", V_PCI_IDS, C(pci_ids), "", 0, 0},
        {"placement", "policy", V_POLICY, C(placement_policy), "pack", 0, 0},
        {"mdevctl", "config_dir", V_PATH, C(mdevctl_dir), "/etc/mdevctl.d", 0, 0},
        {"mdevctl", "read_definitions", V_BOOL, C(mdevctl_read), "yes", 0, 0},
        {"mdevctl", "write_definitions", V_BOOL, C(mdevctl_write), "no", 0, 0},
        {"vfio", "driverctl_dir", V_PATH, C(driverctl_dir), "/etc/driverctl.d", 0, 0},
        {"autostart", "initial_delay", V_DURATION, C(autostart_initial_delay_usec), "1s", USEC_PER_MSEC,
         3600 * USEC_PER_SEC},
        {"autostart", "max_delay", V_DURATION, C(autostart_max_delay_usec), "1min", USEC_PER_MSEC,
         24 * 3600 * USEC_PER_SEC},
        {"autostart", "backoff", V_DECIMAL, C(autostart_backoff_milli), "2", 1000, 10000},
        {"autostart", "give_up_after", V_DURATION, C(autostart_give_up_usec), "0", 0,
         30 * 24 * 3600 * USEC_PER_SEC},
        {"rpc", "enabled", V_BOOL, C(rpc.enabled), "no", 0, 0},
        {"rpc", "socket_dir", V_PATH, C(rpc.socket_dir), "/run/vgpud/rpc", 0, 0},
        {"rpc", "gpus", V_UNSIGNED, C(rpc.gpus), "1", 1, 64},
        {"rpc", "policy", V_STRING, C(rpc.policy), "best-effort", 0, 0},
        {"rpc", "time_slice", V_DURATION, C(rpc.time_slice_usec), "0", 0, 100 * USEC_PER_MSEC},
        {"rpc", "socket_group", V_GROUP, C(rpc.socket_group), RPC_SOCKET_GROUP_DEFAULT, 0, 0},
        {"rpc-type", "name", V_STRING, T(name), NULL, 0, 0},
        {"rpc-type", "vram", V_SIZE, T(vram_bytes), NULL, UINT64_C(1) << 20, UINT64_C(16) << 30},
        {"rpc-type", "share", V_UNSIGNED, T(share), "0", 0, 100},
        {"rpc-type", "max_instances", V_UNSIGNED, T(max_instances), "1", 1, 64},
        {"rpc-type", "weight", V_UNSIGNED, T(weight), "1", 1, 100},
        {"rpc-type", "vendor_id", V_HEX, T(vendor_id), "0x1af4", 0x0001, 0xfffe},
        {"rpc-type", "device_id", V_HEX, T(device_id), "0x10f0", 0x0000, 0xffff},
        {"rpc-type", "subsystem_vendor_id", V_HEX, T(subsystem_vendor_id), "0x1af4", 0x0000, 0xffff},
        {"rpc-type", "subsystem_id", V_HEX, T(subsystem_id), "0x0001", 0x0000, 0xffff},
        {"rpc-type", "class", V_HEX, T(class_code), "0x038000", 0x000001, 0xffffff},
        {"rpc-type", "vram_mmap", V_BOOL, T(vram_mmap), "yes", 0, 0},
        {"libvirt", "uri", V_STRING, C(libvirt_uri), "qemu:///system", 0, 0},
        {"libvirt", "refresh_interval", V_DURATION, C(libvirt_refresh_usec), "30s", 0, 3600 * USEC_PER_SEC},
        {"libvirt", "watch_user", V_USER, C(libvirt_watch_user), "nobody", 0, 0},
        {"gpu", "scheduler", V_SCHED_POLICY, G(scheduler), NULL, 0, 0},
        {"gpu", "time_slice", V_DURATION, G(time_slice_usec), "0", 0, USEC_PER_SEC},
        {"gpu", "averaging_factor", V_UNSIGNED, G(averaging_factor), "0", 0, 255},
        {"gpu", "frequency", V_UNSIGNED, G(frequency_hz), "0", 0, 100000},
};

#define RPC_TYPE_PREFIX "rpc-type "
#define GPU_PREFIX      "gpu "

/* Sections that exist once per name ([rpc-type NAME], [gpu ADDRESS]) rather than once. */
static bool named_section(const char *section) {
        return streq(section, "rpc-type") || streq(section, "gpu");
}

const struct config_key_info *config_key_info(size_t *ret_n) {
        static struct config_key_info info[ELEMENTSOF(keys)];
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                info[i] = (struct config_key_info){keys[i].section, keys[i].key, keys[i].default_value};
        *ret_n = ELEMENTSOF(keys);
        return info;
}

/* ---- values ---- */

static bool valid_group_name(const char *s) {
        if (!*s)
                return true;
        if (strlen(s) > 32 || !(islower((unsigned char) s[0]) || s[0] == '_'))
                return false;
        for (const char *p = s; *p; p++)
                if (!(islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '_' || *p == '-'))
                        return false;
        return true;
}

static bool printable(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

/* Parse value into the field at base + d->offset. On failure *why is a phrase. */
static int parse_value(const struct key_def *d, const char *value, void *base, const char **why) {
        void *field = (char *) base + d->offset;
        uint64_t u;
        int r;

        switch (d->kind) {
        case V_PATH:
        case V_GROUP:
        case V_USER:
        case V_STRING: {
                if (d->kind == V_PATH && (value[0] != '/' || !printable(value))) {
                        *why = "must be an absolute path";
                        return -EINVAL;
                }
                if (d->kind == V_GROUP && !valid_group_name(value)) {
                        *why = "must be a group name (lower-case letters, digits, '_', '-') or empty";
                        return -EINVAL;
                }
                if (d->kind == V_USER && !valid_group_name(value)) {
                        *why = "must be a user name (lower-case letters, digits, '_', '-') or empty";
                        return -EINVAL;
                }
                if (d->kind == V_STRING && (!*value || !printable(value))) {
                        *why = "must be a non-empty printable string";
                        return -EINVAL;
                }
                char *s = strdup(value);
                if (!s)
                        return -ENOMEM;
                free(*(char **) field);
                *(char **) field = s;
                return 0;
        }
        case V_BOOL:
                r = parse_boolean(value);
                if (r < 0) {
                        *why = "must be yes or no";
                        return -EINVAL;
                }
                *(bool *) field = r;
                return 0;
        case V_LOG_LEVEL:
                r = log_parse_level(value);
                if (r < 0) {
                        *why = "must be one of emerg, alert, crit, err, warning, notice, info, debug";
                        return -EINVAL;
                }
                *(int *) field = r;
                return 0;
        case V_POLICY: {
                enum placement_policy p = placement_policy_from_string(value);
                if (p < 0) {
                        *why = "must be pack or spread";
                        return -EINVAL;
                }
                *(enum placement_policy *) field = p;
                return 0;
        }
        case V_PCI_IDS: {
                struct pci_id_list *l = field;
                _cleanup_free_ uint32_t *ids = calloc(PCI_ID_LIST_MAX, sizeof(*ids));
                _cleanup_free_ char *copy = strdup(value);
                char *save = NULL;
                size_t n = 0;

                if (!ids || !copy)
                        return -ENOMEM;
                for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
                        if (n == PCI_ID_LIST_MAX) {
                                *why = "lists more than 64 vendor:device pairs";
                                return -ERANGE;
                        }
                        if (pci_id_parse(w, &ids[n++]) < 0) {
                                *why = "must be vendor:device pairs in hex, such as 10de:1eb8, separated by "
                                       "commas or spaces";
                                return -EINVAL;
                        }
                }
                free(l->ids);
                l->ids = n > 0 ? TAKE_PTR(ids) : NULL;
                l->n = n;
                return 0;
        }
        case V_SCHED_POLICY: {
                enum sched_policy p = sched_policy_from_string(value);
                if (p < 0) {
                        *why = "must be best-effort, equal-share, fixed-share or weighted";
                        return -EINVAL;
                }
                *(enum sched_policy *) field = p;
                return 0;
        }
        case V_DURATION:
                r = parse_duration(value, &u);
                if (r < 0) {
                        *why = "must be a duration such as 500ms, 2s, 5min or 1h";
                        return -EINVAL;
                }
                break;
        case V_DECIMAL:
                r = parse_decimal_milli(value, &u);
                if (r < 0) {
                        *why = "must be a number such as 2 or 1.5";
                        return -EINVAL;
                }
                break;
        case V_UNSIGNED:
                r = safe_atou64(value, &u);
                if (r < 0) {
                        *why = "must be a whole number";
                        return -EINVAL;
                }
                break;
        case V_SIZE:
                r = parse_size(value, &u);
                if (r < 0) {
                        *why = "must be a size such as 512M or 2G";
                        return -EINVAL;
                }
                break;
        case V_HEX: {
                const char *h = value;
                char *end;
                if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
                        h += 2;
                errno = 0;
                u = strtoull(h, &end, 16);
                if (!*h || *end || errno || !isxdigit((unsigned char) *h)) {
                        *why = "must be a hexadecimal number such as 0x1af4";
                        return -EINVAL;
                }
                break;
        }
        default:
                return -EINVAL;
        }
        if (u < d->min || u > d->max) {
                *why = "is out of range";
                return -ERANGE;
        }
        if (d->kind == V_UNSIGNED || d->kind == V_HEX)
                *(unsigned *) field = (unsigned) u;
        else
                *(uint64_t *) field = u;
        return 0;
}

/* ---- parsing state ---- */

struct parser {
        struct vgpu_config *c;
        const char *name; /* file name for messages */
        FILE *f;
        char *buf; /* getline's buffer */
        size_t bufsize;
        unsigned line;
        /* the first error, by line */
        unsigned err_line;
        char *err;
        int err_code;
        /* seen keys and sections: "section\nkey" -> line */
        char **seen;
        unsigned *seen_line;
        size_t n_seen;
};

static void error_at(struct parser *p, unsigned line, int code, const char *fmt, ...) _printf_(4, 5);
static void error_at(struct parser *p, unsigned line, int code, const char *fmt, ...) {
        va_list ap;
        char *msg;

        if (p->err && p->err_line <= line)
                return;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        free(p->err);
        p->err = msg;
        p->err_line = line;
        p->err_code = msg ? code : -ENOMEM;
}

/* Remember name; 0 if new, else the line where it was first seen. */
static unsigned seen_before(struct parser *p, const char *name) {
        for (size_t i = 0; i < p->n_seen; i++)
                if (streq(p->seen[i], name))
                        return p->seen_line[i];
        char **ns = realloc(p->seen, (p->n_seen + 1) * sizeof(char *));
        if (ns)
                p->seen = ns;
        unsigned *nl = realloc(p->seen_line, (p->n_seen + 1) * sizeof(unsigned));
        if (nl)
                p->seen_line = nl;
        char *copy = strdup(name);
        if (!ns || !nl || !copy) {
                free(copy);
                error_at(p, p->line, -ENOMEM, "out of memory");
                return 0;
        }
        p->seen[p->n_seen] = copy;
        p->seen_line[p->n_seen++] = p->line;
        return 0;
}

static bool valid_type_id(const char *s) {
        if (!*s || strlen(s) > 64 || !(islower((unsigned char) s[0]) || isdigit((unsigned char) s[0])))
                return false;
        for (; *s; s++)
                if (!(islower((unsigned char) *s) || isdigit((unsigned char) *s) || *s == '-' || *s == '_' ||
                      *s == '.'))
                        return false;
        return true;
}

static bool known_section(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(keys[i].section, s) && !named_section(s))
                        return true;
        return false;
}

static struct vgpu_rpc_type *rpc_type_for(struct parser *p, const char *id);
static struct vgpu_gpu_config *gpu_config_for(struct parser *p, const char *address);

/* The address of a [gpu ADDRESS] header, normalized; -EINVAL if it is not a PCI address. */
static int gpu_section_address(const char *section, char out[static PCI_BDF_MAX]) {
        const char *a = section + STRLEN(GPU_PREFIX);
        while (*a == ' ')
                a++;
        return pci_bdf_normalize(a, out);
}

/* A section header, seen by the reader (inih tells the handler only about keys). */
static void section_header(struct parser *p, const char *line) {
        const char *start = line + 1, *end = strchr(start, ']');
        _cleanup_free_ char *name = NULL;

        if (!end)
                return; /* inih reports the syntax error */
        name = strndup(start, (size_t) (end - start));
        if (!name) {
                error_at(p, p->line, -ENOMEM, "out of memory");
                return;
        }
        /* inih strips blanks around the name */
        char *s = name;
        while (isspace((unsigned char) *s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                s[--n] = 0;

        if (startswith(s, RPC_TYPE_PREFIX)) {
                const char *id = s + STRLEN(RPC_TYPE_PREFIX);
                while (*id == ' ')
                        id++;
                if (!valid_type_id(id)) {
                        error_at(p, p->line, -EINVAL,
                                 "[%s]: the type id must be lower-case letters, digits, '-', '_' or '.'", s);
                        return;
                }
                /* made here, so that an empty section is checked too and knows its line */
                if (!rpc_type_for(p, id)) {
                        error_at(p, p->line, -ENOMEM, "out of memory");
                        return;
                }
        } else if (startswith(s, GPU_PREFIX)) {
                char address[PCI_BDF_MAX];
                if (gpu_section_address(s, address) < 0) {
                        error_at(p, p->line, -EINVAL, "[%s]: expected a PCI address such as 0000:3b:00.0",
                                 s);
                        return;
                }
                if (!gpu_config_for(p, address)) {
                        error_at(p, p->line, -ENOMEM, "out of memory");
                        return;
                }
                /* "3b:00.0" and "0000:3b:00.0" are one GPU: the duplicate check sees the normalized form */
                free(name);
                if (asprintf(&name, GPU_PREFIX "%s", address) < 0) {
                        name = NULL;
                        error_at(p, p->line, -ENOMEM, "out of memory");
                        return;
                }
                s = name;
        } else if (!known_section(s)) {
                error_at(
                        p, p->line, -EINVAL,
                        "unknown section [%s] (known: [vgpud], [placement], [mdevctl], [vfio], [autostart], "
                        "[rpc], [rpc-type NAME], [libvirt], [gpu ADDRESS])",
                        s);
                return;
        }
        _cleanup_free_ char *tag = NULL;
        if (asprintf(&tag, "[%s]", s) < 0) {
                error_at(p, p->line, -ENOMEM, "out of memory");
                return;
        }
        unsigned first = seen_before(p, tag);
        if (first)
                error_at(p, p->line, -EINVAL, "section [%s] appears twice (first on line %u)", s, first);
}

/* inih's reader: one line per call, so p->line is the line the handler sees. */
static char *reader(char *str, int num, void *stream) {
        struct parser *p = stream;
        ssize_t k = getline(&p->buf, &p->bufsize, p->f);

        if (k < 0)
                return NULL;
        p->line++;
        size_t len = (size_t) k;
        while (len > 0 && (p->buf[len - 1] == '\n' || p->buf[len - 1] == '\r'))
                len--;
        if (memchr(p->buf, 0, len))
                error_at(p, p->line, -EINVAL, "contains a NUL byte");
        if (len + 3 > (size_t) num) { /* num is INI_MAX_LINE: room for the newline inih wants and a NUL */
                error_at(p, p->line, -EINVAL, "line too long (at most %d characters)", CONFIG_LINE_MAX);
                len = 0;
        }
        memcpy(str, p->buf, len);
        str[len] = '\n';
        str[len + 1] = 0;

        const char *s = str;
        while (*s == ' ' || *s == '\t')
                s++;
        if (*s == '[')
                section_header(p, s);
        return str;
}

static struct vgpu_rpc_type *rpc_type_for(struct parser *p, const char *id) {
        struct vgpu_rpc_config *rpc = &p->c->rpc;

        for (size_t i = 0; i < rpc->n_types; i++)
                if (streq(rpc->types[i].id, id))
                        return &rpc->types[i];
        struct vgpu_rpc_type *n = realloc(rpc->types, (rpc->n_types + 1) * sizeof(*n));
        if (!n)
                return NULL;
        rpc->types = n;
        struct vgpu_rpc_type *t = &rpc->types[rpc->n_types];
        *t = (struct vgpu_rpc_type){.line = p->line};
        t->id = strdup(id);
        if (!t->id)
                return NULL;
        /* the defaults of the keys that have one */
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *why;
                if (streq(keys[i].section, "rpc-type") && keys[i].default_value &&
                    parse_value(&keys[i], keys[i].default_value, t, &why) < 0) {
                        free(t->id);
                        return NULL;
                }
        }
        rpc->n_types++;
        return t;
}

static struct vgpu_gpu_config *gpu_config_for(struct parser *p, const char *address) {
        struct vgpu_config *c = p->c;

        for (size_t i = 0; i < c->n_gpus; i++)
                if (streq(c->gpus[i].address, address))
                        return &c->gpus[i];
        struct vgpu_gpu_config *n = realloc(c->gpus, (c->n_gpus + 1) * sizeof(*n));
        if (!n)
                return NULL;
        c->gpus = n;
        struct vgpu_gpu_config *g = &c->gpus[c->n_gpus];
        *g = (struct vgpu_gpu_config){.scheduler = _SCHED_POLICY_INVALID, .line = p->line};
        snprintf(g->address, sizeof(g->address), "%s", address);
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *why;
                if (streq(keys[i].section, "gpu") && keys[i].default_value &&
                    parse_value(&keys[i], keys[i].default_value, g, &why) < 0)
                        return NULL;
        }
        c->n_gpus++;
        return g;
}

static char *format_bound(const struct key_def *d, uint64_t v);

static int handler(void *user, const char *section, const char *key, const char *value) {
        struct parser *p = user;
        const char *sec = section, *id = NULL, *why = NULL;
        void *base = p->c;
        int r;

        /* config_format() (vgpud --dump-config) writes "key = value": what parses must fit the line
         * limit in that form too, or the dump would not load again. */
        if (strlen(key) + STRLEN(" = ") + strlen(value) > CONFIG_LINE_MAX) {
                error_at(p, p->line, -EINVAL,
                         "\"%s\" is too long (\"%s = VALUE\" must fit in %d characters)", key, key,
                         CONFIG_LINE_MAX);
                return 1;
        }
        /* After "= " a ';' starts a comment (inih's inline comments), so "key =;x" would come back from
         * config_format() as "key = ;x", an empty value. */
        if (value[0] == ';') {
                error_at(p, p->line, -EINVAL,
                         "\"%s\" begins with ';', which reads as a comment after \"= \"", key);
                return 1;
        }
        if (!*section) {
                error_at(p, p->line, -EINVAL, "\"%s\" is not in a section; put it under [vgpud] or another",
                         key);
                return 1;
        }
        if (startswith(section, RPC_TYPE_PREFIX)) {
                id = section + STRLEN(RPC_TYPE_PREFIX);
                while (*id == ' ')
                        id++;
                if (!valid_type_id(id))
                        return 1; /* reported at the header */
                sec = "rpc-type";
                base = rpc_type_for(p, id);
                if (!base) {
                        error_at(p, p->line, -ENOMEM, "out of memory");
                        return 1;
                }
        } else if (startswith(section, GPU_PREFIX)) {
                char address[PCI_BDF_MAX];
                if (gpu_section_address(section, address) < 0)
                        return 1; /* reported at the header */
                sec = "gpu";
                base = gpu_config_for(p, address);
                if (!base) {
                        error_at(p, p->line, -ENOMEM, "out of memory");
                        return 1;
                }
        } else if (!known_section(section))
                return 1; /* reported at the header */

        const struct key_def *d = NULL;
        for (size_t i = 0; i < ELEMENTSOF(keys) && !d; i++)
                if (streq(keys[i].section, sec) && streq(keys[i].key, key))
                        d = &keys[i];
        if (!d) {
                error_at(p, p->line, -EINVAL, "unknown key \"%s\" in [%s]", key, section);
                return 1;
        }

        _cleanup_free_ char *tag = NULL;
        if (asprintf(&tag, "%s\n%s", section, key) < 0) {
                error_at(p, p->line, -ENOMEM, "out of memory");
                return 1;
        }
        unsigned first = seen_before(p, tag);
        if (first) {
                error_at(p, p->line, -EINVAL, "\"%s\" in [%s] is set twice (first on line %u)", key, section,
                         first);
                return 1;
        }
        if (!*value && d->kind != V_GROUP && d->kind != V_USER && d->kind != V_PCI_IDS) {
                error_at(p, p->line, -EINVAL, "\"%s\" has no value", key);
                return 1;
        }
        r = parse_value(d, value, base, &why);
        if (r == -ENOMEM) {
                error_at(p, p->line, r, "out of memory");
                return 1;
        }
        if (r >= 0)
                return 1;
        _cleanup_free_ char *shown = str_escape(value);
        if (r == -ERANGE) {
                _cleanup_free_ char *lo = format_bound(d, d->min), *hi = format_bound(d, d->max);
                error_at(p, p->line, -EINVAL, "%s = %s: must be between %s and %s", key, strna(shown),
                         strna(lo), strna(hi));
        } else
                error_at(p, p->line, -EINVAL, "%s = %s: %s", key, strna(shown), why);
        return 1;
}

/* Line of key in section, 0 when it was not set. */
static unsigned line_of(struct parser *p, const char *section, const char *key) {
        _cleanup_free_ char *tag = NULL;
        if (asprintf(&tag, "%s\n%s", section, key) < 0)
                return 0;
        for (size_t i = 0; i < p->n_seen; i++)
                if (streq(p->seen[i], tag))
                        return p->seen_line[i];
        return 0;
}

/* Rules between keys, checked after the whole file is read. */
static void check_consistency(struct parser *p) {
        struct vgpu_config *c = p->c;

        if (c->autostart_max_delay_usec < c->autostart_initial_delay_usec) {
                unsigned l =
                        line_of(p, "autostart", "max_delay") ?: line_of(p, "autostart", "initial_delay");
                error_at(p, l, -EINVAL, "max_delay is shorter than initial_delay");
        }
        if (c->rpc.policy && sched_policy_from_string(c->rpc.policy) < 0)
                error_at(
                        p, line_of(p, "rpc", "policy"), -EINVAL,
                        "[rpc] policy must be best-effort, equal-share, fixed-share or weighted, not \"%s\"",
                        c->rpc.policy);
        for (size_t i = 0; i < c->rpc.n_types; i++) {
                struct vgpu_rpc_type *t = &c->rpc.types[i];
                _cleanup_free_ char *sec = NULL;
                if (asprintf(&sec, RPC_TYPE_PREFIX "%s", t->id) < 0)
                        return;
                if (t->vram_bytes == 0)
                        error_at(p, t->line, -EINVAL, "[rpc-type %s] needs \"vram\"", t->id);
                else if ((t->vram_bytes & (t->vram_bytes - 1)) != 0)
                        error_at(p, line_of(p, sec, "vram"), -EINVAL,
                                 "[rpc-type %s]: vram must be a power of two (it is a PCI BAR)", t->id);
                if (t->share > 0 && (uint64_t) t->share * t->max_instances > 100)
                        error_at(p, line_of(p, sec, "share") ?: t->line, -EINVAL,
                                 "[rpc-type %s]: %u instances of %u%% each exceed 100%% of a GPU", t->id,
                                 t->max_instances, t->share);
                if (!t->name && !(t->name = strdup(t->id)))
                        error_at(p, t->line, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < c->n_gpus; i++) {
                struct vgpu_gpu_config *g = &c->gpus[i];
                _cleanup_free_ char *sec = NULL;
                unsigned l;
                if (asprintf(&sec, GPU_PREFIX "%s", g->address) < 0)
                        return;
                /* the section as written may differ ("3b:00.0"): fall back to its header line */
                l = line_of(p, sec, "time_slice") ?: g->line;
                if (g->time_slice_usec % USEC_PER_MSEC != 0)
                        error_at(p, l, -EINVAL,
                                 "[gpu %s]: time_slice must be a whole number of milliseconds", g->address);
                if (g->time_slice_usec > 0 && g->scheduler == _SCHED_POLICY_INVALID)
                        error_at(p, l, -EINVAL, "[gpu %s]: a time_slice needs a scheduler policy",
                                 g->address);
        }
}

/* ---- entry points ---- */

int config_new_defaults(struct vgpu_config **ret) {
        _cleanup_(config_freep) struct vgpu_config *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *why;
                if (named_section(keys[i].section))
                        continue;
                int r = parse_value(&keys[i], keys[i].default_value, c, &why);
                if (r < 0)
                        return r; /* a default that does not parse is a bug the unit test catches */
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static int parse_file(FILE *f, const char *name, struct vgpu_config **ret, struct vgpu_error *err) {
        _cleanup_(config_freep) struct vgpu_config *c = NULL;
        struct parser p = {.name = name, .f = f};
        int r, line;

        r = config_new_defaults(&c);
        if (r < 0)
                return r;
        p.c = c;

        /* vgpud.conf has no continuation lines: an indented line is a key of its own */
        bool multiline = ini_allow_multiline;
        ini_allow_multiline = false;
        line = ini_parse_stream(reader, &p, handler, &p);
        ini_allow_multiline = multiline;

        if (line > 0)
                error_at(&p, (unsigned) line, -EINVAL,
                         "syntax error: expected \"[section]\", \"key = value\" or a comment");
        else if (line < 0)
                error_at(&p, 0, -ENOMEM, "out of memory");
        if (!p.err)
                check_consistency(&p);

        free(p.buf);
        for (size_t i = 0; i < p.n_seen; i++)
                free(p.seen[i]);
        free(p.seen);
        free(p.seen_line);

        if (p.err || p.err_code) {
                int code = p.err_code ?: -EINVAL;
                if (code == -ENOMEM) {
                        free(p.err);
                        return -ENOMEM;
                }
                r = vgpu_error_set(err, code, name, "%s:%u: %s", name, p.err_line, p.err);
                free(p.err);
                return r;
        }
        c->path = strdup(name);
        if (!c->path)
                return -ENOMEM;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, struct vgpu_config **ret, struct vgpu_error *err) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");

        if (!f)
                return vgpu_error_set(err, errno, path, "%s: cannot open: %s", path, strerror(errno));
        return parse_file(f, path, ret, err);
}

int config_parse_string(const char *text, const char *name, struct vgpu_config **ret,
                        struct vgpu_error *err) {
        _cleanup_fclose_ FILE *f = fmemopen((void *) text, strlen(text), "r");

        if (!f) {
                /* fmemopen() refuses an empty buffer on some libcs; an empty file is all defaults */
                if (!*text) {
                        int r = config_new_defaults(ret);
                        if (r >= 0 && !((*ret)->path = strdup(name))) {
                                config_free(*ret);
                                return -ENOMEM;
                        }
                        return r;
                }
                return negative_errno();
        }
        return parse_file(f, name, ret, err);
}

void config_free(struct vgpu_config *c) {
        if (!c)
                return;
        free(c->path);
        free(c->state_dir);
        free(c->admin_group);
        free(c->pci_ids.ids);
        free(c->mdevctl_dir);
        free(c->driverctl_dir);
        free(c->rpc.socket_dir);
        free(c->rpc.policy);
        free(c->rpc.socket_group);
        for (size_t i = 0; i < c->rpc.n_types; i++) {
                free(c->rpc.types[i].id);
                free(c->rpc.types[i].name);
        }
        free(c->rpc.types);
        free(c->libvirt_uri);
        free(c->libvirt_watch_user);
        free(c->gpus);
        free(c);
}

const struct vgpu_gpu_config *config_find_gpu(const struct vgpu_config *c, const char *address) {
        char bdf[PCI_BDF_MAX];

        if (!c || !address || pci_bdf_normalize(address, bdf) < 0)
                return NULL;
        for (size_t i = 0; i < c->n_gpus; i++)
                if (streq(c->gpus[i].address, bdf))
                        return &c->gpus[i];
        return NULL;
}

void gpu_config_apply(const struct vgpu_gpu_config *g, struct sched_settings *s) {
        if (!g)
                return;
        if (g->scheduler != _SCHED_POLICY_INVALID)
                s->policy = g->scheduler;
        if (g->time_slice_usec > 0)
                s->time_slice_ms = (unsigned) (g->time_slice_usec / USEC_PER_MSEC);
        if (g->averaging_factor > 0)
                s->averaging_factor = g->averaging_factor;
        if (g->frequency_hz > 0)
                s->frequency_hz = g->frequency_hz;
}

/* ---- printing ---- */

static void format_value(struct strbuf *b, const struct key_def *d, const void *base) {
        const void *field = (const char *) base + d->offset;
        static const char *const levels[] = {"emerg",   "alert",  "crit", "err",
                                             "warning", "notice", "info", "debug"};
        uint64_t u;

        switch (d->kind) {
        case V_PATH:
        case V_GROUP:
        case V_USER:
        case V_STRING:
                strbuf_append(b, strempty(*(char *const *) field));
                return;
        case V_BOOL:
                strbuf_append(b, *(const bool *) field ? "yes" : "no");
                return;
        case V_LOG_LEVEL: {
                int l = *(const int *) field;
                strbuf_append(b, l >= 0 && l < (int) ELEMENTSOF(levels) ? levels[l] : "info");
                return;
        }
        case V_POLICY:
                strbuf_append(b, strna(placement_policy_to_string(*(const enum placement_policy *) field)));
                return;
        case V_SCHED_POLICY:
                strbuf_append(b, strempty(sched_policy_to_string(*(const enum sched_policy *) field)));
                return;
        case V_PCI_IDS: {
                const struct pci_id_list *l = field;
                for (size_t i = 0; i < l->n; i++)
                        strbuf_appendf(b, "%s%04x:%04x", i ? "," : "", l->ids[i] >> 16, l->ids[i] & 0xffff);
                return;
        }
        case V_DURATION:
                u = *(const uint64_t *) field;
                if (u % USEC_PER_SEC == 0)
                        strbuf_appendf(b, "%" PRIu64 "s", u / USEC_PER_SEC);
                else if (u % USEC_PER_MSEC == 0)
                        strbuf_appendf(b, "%" PRIu64 "ms", u / USEC_PER_MSEC);
                else
                        strbuf_appendf(b, "%" PRIu64 "us", u);
                return;
        case V_DECIMAL:
                u = *(const uint64_t *) field;
                if (u % 1000 == 0)
                        strbuf_appendf(b, "%" PRIu64, u / 1000);
                else
                        strbuf_appendf(b, "%" PRIu64 ".%03" PRIu64, u / 1000, u % 1000);
                return;
        case V_UNSIGNED:
                strbuf_appendf(b, "%u", *(const unsigned *) field);
                return;
        case V_HEX:
                strbuf_appendf(b, "0x%04x", *(const unsigned *) field);
                return;
        case V_SIZE:
                u = *(const uint64_t *) field;
                if (u % (UINT64_C(1) << 30) == 0)
                        strbuf_appendf(b, "%" PRIu64 "G", u >> 30);
                else if (u % (UINT64_C(1) << 20) == 0)
                        strbuf_appendf(b, "%" PRIu64 "M", u >> 20);
                else
                        strbuf_appendf(b, "%" PRIu64, u);
                return;
        }
}

/* A range limit of d, written the way the file would write it. */
static char *format_bound(const struct key_def *d, uint64_t v) {
        struct key_def at0 = *d;
        struct strbuf b = {};
        union {
                uint64_t u64;
                unsigned u;
        } x;

        at0.offset = 0;
        if (d->kind == V_UNSIGNED)
                x.u = (unsigned) v;
        else
                x.u64 = v;
        format_value(&b, &at0, &x);
        return strbuf_steal(&b);
}

int config_format(const struct vgpu_config *c, char **ret) {
        struct strbuf b = {};
        const char *section = NULL;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (named_section(keys[i].section))
                        continue;
                if (!section || !streq(section, keys[i].section)) {
                        section = keys[i].section;
                        strbuf_appendf(&b, "%s[%s]\n", b.len > 0 ? "\n" : "", section);
                }
                strbuf_appendf(&b, "%s = ", keys[i].key);
                format_value(&b, &keys[i], c);
                strbuf_append(&b, "\n");
        }
        for (size_t t = 0; t < c->rpc.n_types; t++) {
                strbuf_appendf(&b, "\n[" RPC_TYPE_PREFIX "%s]\n", c->rpc.types[t].id);
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        if (!streq(keys[i].section, "rpc-type"))
                                continue;
                        strbuf_appendf(&b, "%s = ", keys[i].key);
                        format_value(&b, &keys[i], &c->rpc.types[t]);
                        strbuf_append(&b, "\n");
                }
        }
        for (size_t g = 0; g < c->n_gpus; g++) {
                strbuf_appendf(&b, "\n[" GPU_PREFIX "%s]\n", c->gpus[g].address);
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        /* an unset policy has no value to write: the key is left out */
                        if (!streq(keys[i].section, "gpu") ||
                            (keys[i].kind == V_SCHED_POLICY &&
                             c->gpus[g].scheduler == _SCHED_POLICY_INVALID))
                                continue;
                        strbuf_appendf(&b, "%s = ", keys[i].key);
                        format_value(&b, &keys[i], &c->gpus[g]);
                        strbuf_append(&b, "\n");
                }
        }
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}
