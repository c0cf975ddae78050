/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl nfd`: the host's vGPU capacity as a Node Feature Discovery
 * feature file (the local source of nfd-worker reads every file in
 * /etc/kubernetes/node-feature-discovery/features.d/, one `name=value` per
 * line, `#` comments, files starting with "." ignored), so that Kubernetes
 * and KubeVirt can schedule VMs onto hosts that can still create a type.
 *
 * Names carry the full feature.node.kubernetes.io/ prefix, so they are kept
 * whether or not nfd-master adds the prefix itself (DisableAutoPrefix). Both
 * the name after the prefix and the value obey Kubernetes' label syntax (at
 * most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends); type
 * names are folded to it ("GRID T4-2Q" -> "grid-t4-2q").
 */
#include <getopt.h>
#include <time.h>

#include "objects.h"
#include "output.h"

#define NFD_PREFIX    "feature.node.kubernetes.io/"
#define NFD_LABEL_MAX 63

/* Fold s into label syntax: lower case, runs of other characters become one '-', trimmed. */
static void label_fold(const char *s, char *buf, size_t size) {
        size_t n = 0;
        bool dash = false;

        for (; s && *s && n + 1 < size; s++) {
                char ch = *s;
                if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_') {
                        if (dash && n > 0)
                                buf[n++] = '-';
                        if (n + 1 < size)
                                buf[n++] = ch;
                        dash = false;
                } else if (ch >= 'A' && ch <= 'Z') {
                        if (dash && n > 0)
                                buf[n++] = '-';
                        if (n + 1 < size)
                                buf[n++] = (char) (ch - 'A' + 'a');
                        dash = false;
                } else
                        dash = true;
        }
        while (n > 0 &&
               !((buf[n - 1] >= 'a' && buf[n - 1] <= 'z') || (buf[n - 1] >= '0' && buf[n - 1] <= '9')))
                n--;
        buf[n] = 0;
}

typedef struct TypeTotal {
        char label[NFD_LABEL_MAX + 1];
        unsigned available, gpus;
        uint64_t framebuffer_mib;
} TypeTotal;

static void put(FILE *f, const char *name, const char *fmt, ...) _printf_(3, 4);
static void put(FILE *f, const char *name, const char *fmt, ...) {
        va_list ap;
        /* A name over the limit would be rejected by nfd-master: leave it out rather than truncate into
         * another type's name. */
        if (strlen(name) > NFD_LABEL_MAX)
                return;
        fprintf(f, NFD_PREFIX "%s=", name);
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
        fputc('\n', f);
}

static int nfd_render(const Objects *o, unsigned expiry_sec, char **ret, size_t *ret_len) {
        _cleanup_free_ TypeTotal *totals = calloc(o->n_types + 1, sizeof(TypeTotal));
        size_t n_totals = 0;
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        if (!totals)
                return -ENOMEM;
        for (size_t i = 0; i < o->n_types; i++) {
                const TypeInfo *t = &o->types[i];
                char label[NFD_LABEL_MAX + 1];
                label_fold(isempty(t->name) ? t->id : t->name, label, sizeof(label));
                if (!*label)
                        continue;
                TypeTotal *tt = NULL;
                for (size_t k = 0; k < n_totals && !tt; k++)
                        if (streq(totals[k].label, label))
                                tt = &totals[k];
                if (!tt) {
                        tt = &totals[n_totals++];
                        memcpy(tt->label, label, sizeof(label));
                        tt->framebuffer_mib = t->framebuffer_mib;
                }
                tt->available += t->available;
                tt->gpus++;
        }

        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# vGPU capacity of this host, written by vgpuctl nfd (vgpuctl(8)).\n");
        if (expiry_sec > 0) {
                /* nfd-worker ignores the file's features after this time: a stale file must not keep a
                 * host schedulable when the timer that rewrites it stops. */
                time_t t = time(NULL) + expiry_sec;
                struct tm tm;
                char when[32];
                gmtime_r(&t, &tm);
                strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
                fprintf(f, "# +expiry-time=%s\n", when);
        }

        unsigned n_instances = 0, n_present = 0;
        for (size_t i = 0; i < o->n_instances; i++)
                n_instances += !streq_ptr(o->instances[i].state, "defined");
        for (size_t i = 0; i < o->n_gpus; i++)
                n_present += o->gpus[i].present;

        put(f, "vgpu.present", "%s", n_present > 0 ? "true" : "false");
        put(f, "vgpu.gpus", "%u", n_present);
        put(f, "vgpu.instances", "%u", n_instances);
        for (size_t i = 0; i < o->n_gpus; i++)
                for (size_t b = 0; o->gpus[i].backends && o->gpus[i].backends[b]; b++) {
                        char backend[NFD_LABEL_MAX + 1], name[128];
                        label_fold(o->gpus[i].backends[b], backend, sizeof(backend));
                        snprintf(name, sizeof(name), "vgpu.backend.%s", backend);
                        /* Once per backend: only the first GPU that has it writes the line. */
                        bool seen = false;
                        for (size_t j = 0; j < i && !seen; j++)
                                for (size_t c = 0; o->gpus[j].backends && o->gpus[j].backends[c]; c++)
                                        seen = seen || streq(o->gpus[j].backends[c], o->gpus[i].backends[b]);
                        if (!seen && *backend)
                                put(f, name, "true");
                }
        for (size_t i = 0; i < n_totals; i++) {
                char name[128];
                snprintf(name, sizeof(name), "vgpu.type.%s.available", totals[i].label);
                put(f, name, "%u", totals[i].available);
                if (totals[i].framebuffer_mib > 0) {
                        snprintf(name, sizeof(name), "vgpu.type.%s.framebuffer-mib", totals[i].label);
                        put(f, name, "%" PRIu64, totals[i].framebuffer_mib);
                }
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

int cmd_nfd(Cli *c, int argc, char *argv[]) {
        enum { ARG_EXPIRY = 0x100 };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"output", required_argument, NULL, 'o'},
                {"expiry", required_argument, NULL, ARG_EXPIRY},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        _cleanup_free_ char *text = NULL;
        const char *output = NULL;
        unsigned expiry = 0;
        size_t len;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("nfd");
                case 'o':
                        output = optarg;
                        break;
                case ARG_EXPIRY: {
                        char *end;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || end == optarg || *end || v == 0 || v > 366UL * 24 * 3600 ||
                            optarg[0] == '-')
                                return cli_usage_error(c, "nfd",
                                                       "--expiry takes seconds (1 to 31622400), not '%s'",
                                                       optarg);
                        expiry = (unsigned) v;
                        break;
                }
                default:
                        return cli_usage_error(c, "nfd", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "nfd", "unexpected argument '%s'", argv[optind]);
        if (c->json)
                return cli_usage_error(c, "nfd", "--json does not apply: the output is an NFD feature file");

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = objects_fetch(bus, &error, &o);
        if (r < 0)
                return cli_report_error(c, "cannot read vgpud's objects", &error, r);
        r = nfd_render(&o, expiry, &text, &len);
        if (r < 0)
                return cli_report_error(c, "out of memory", NULL, r);
        return output_emit(c, output, text, len);
}
