/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl metrics`: the host's vGPU figures as metrics text, from one
 * GetManagedObjects call: capacity per GPU and type, instances per type and
 * state, configured and measured shares, and the engine's counters where the
 * daemon has them (a property this vgpud lacks gives no samples, not zeros).
 *
 * Two dialects that differ in two places: OpenMetrics 1.0 (the default: a
 * counter family is named without "_total", the text ends with "# EOF") and
 * the Prometheus text format 0.0.4 that node_exporter's textfile collector
 * parses (the family is named like its sample, no "# EOF"). `--output FILE`
 * replaces FILE atomically (hidden temp file, fsync, rename), so that a
 * collector never reads half a file.
 */
#include <getopt.h>

#include "objects.h"
#include "output.h"

typedef struct Metrics {
        FILE *f;
        bool openmetrics;
} Metrics;

/* Label values: backslash, double quote and newline are escaped (both dialects). */
static void put_label_value(FILE *f, const char *s) {
        for (; s && *s; s++)
                switch (*s) {
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                default:
                        fputc(*s, f);
                }
}

static void family(Metrics *m, const char *name, const char *type, const char *help) {
        bool counter = streq(type, "counter");
        fprintf(m->f, "# TYPE %s%s %s\n", name, counter && !m->openmetrics ? "_total" : "", type);
        fprintf(m->f, "# HELP %s%s %s\n", name, counter && !m->openmetrics ? "_total" : "", help);
}

/* One sample: labels are NULL-terminated name/value pairs. */
static void sample(Metrics *m, const char *name, const char *suffix, double value, ...) {
        va_list ap;
        const char *k;
        bool first = true;

        fprintf(m->f, "%s%s", name, suffix);
        va_start(ap, value);
        while ((k = va_arg(ap, const char *))) {
                const char *v = va_arg(ap, const char *);
                fprintf(m->f, "%s%s=\"", first ? "{" : ",", k);
                put_label_value(m->f, v);
                fputc('"', m->f);
                first = false;
        }
        va_end(ap);
        if (!first)
                fputc('}', m->f);
        if (value > -1e15 && value < 1e15 && value == (double) (int64_t) value)
                fprintf(m->f, " %.0f\n", value);
        else
                fprintf(m->f, " %.9g\n", value);
}

static const char *type_label(const TypeInfo *t) {
        return isempty(t->name) ? t->id : t->name;
}

static const char *instance_type_label(const InstanceInfo *i) {
        return isempty(i->type_name) ? i->type : i->type_name;
}

static void write_gpus(Metrics *m, const Objects *o) {
        family(m, "vgpu_gpu_info", "gauge",
               "A physical GPU vgpud manages (always 1; the labels carry the facts).");
        for (size_t i = 0; i < o->n_gpus; i++) {
                const GpuInfo *g = &o->gpus[i];
                sample(m, "vgpu_gpu_info", "", 1, "gpu", g->address, "name", g->name, "vendor", g->vendor,
                       "driver", g->driver, "hosted_type", g->hosted_type, NULL);
        }
        family(m, "vgpu_gpu_present", "gauge", "1 while the GPU is on the host, 0 after hot-removal.");
        for (size_t i = 0; i < o->n_gpus; i++)
                sample(m, "vgpu_gpu_present", "", o->gpus[i].present, "gpu", o->gpus[i].address, NULL);
}

static void write_types(Metrics *m, const Objects *o) {
        family(m, "vgpu_type_available", "gauge", "Instances of the type the GPU can still create now.");
        for (size_t i = 0; i < o->n_types; i++) {
                const TypeInfo *t = &o->types[i];
                sample(m, "vgpu_type_available", "", t->available, "gpu", t->gpu_address, "type", t->id,
                       "name", type_label(t), "backend", t->backend, NULL);
        }
        family(m, "vgpu_type_max_instances", "gauge", "Instances of the type an empty GPU can hold.");
        for (size_t i = 0; i < o->n_types; i++) {
                const TypeInfo *t = &o->types[i];
                sample(m, "vgpu_type_max_instances", "", t->max_instances, "gpu", t->gpu_address, "type",
                       t->id, "name", type_label(t), "backend", t->backend, NULL);
        }
}

/* Instances per (GPU, type, state): the objects are sorted by GPU, then UUID, so count by scanning. */
static void write_instance_counts(Metrics *m, const Objects *o) {
        _cleanup_free_ bool *done = calloc(o->n_instances + 1, sizeof(bool));
        if (!done)
                return;
        family(m, "vgpu_instances", "gauge", "vGPU instances per GPU, type and state.");
        for (size_t i = 0; i < o->n_instances; i++) {
                if (done[i])
                        continue;
                const InstanceInfo *a = &o->instances[i];
                size_t n = 0;
                for (size_t k = i; k < o->n_instances; k++) {
                        const InstanceInfo *b = &o->instances[k];
                        if (!done[k] && streq_ptr(a->gpu_address, b->gpu_address) &&
                            streq_ptr(a->type, b->type) && streq_ptr(a->state, b->state)) {
                                done[k] = true;
                                n++;
                        }
                }
                sample(m, "vgpu_instances", "", (double) n, "gpu", strempty(a->gpu_address), "type",
                       strempty(a->type), "name", instance_type_label(a), "state", strempty(a->state), NULL);
        }
}

static void write_instances(Metrics *m, const Objects *o) {
        static const struct {
                const char *counter; /* the Counters key */
                const char *metric;
                double scale;
                const char *help;
        } counters[] = {
                {"busy_ns", "vgpu_instance_engine_busy_seconds", 1e-9, "Engine time spent on the instance."},
                {"commands", "vgpu_instance_commands", 1, "Commands the engine executed for the instance."},
                {"bytes", "vgpu_instance_bytes", 1, "Bytes of command data the engine processed."},
                {"violations", "vgpu_instance_violations", 1, "Commands the engine refused as invalid."},
                {"fences", "vgpu_instance_fences", 1, "Fences the engine signalled."},
                {"protocol_errors", "vgpu_instance_protocol_errors", 1,
                 "Malformed vfio-user messages from the instance's client."},
        };

        family(m, "vgpu_instance_info", "gauge", "A vGPU instance (always 1; the labels carry the facts).");
        for (size_t i = 0; i < o->n_instances; i++) {
                const InstanceInfo *in = &o->instances[i];
                sample(m, "vgpu_instance_info", "", 1, "uuid", in->uuid, "gpu", strempty(in->gpu_address),
                       "type", in->type, "name", instance_type_label(in), "backend", in->backend, "state",
                       in->state, "owner", strempty(in->owner), NULL);
        }
        family(m, "vgpu_instance_share_percent", "gauge",
               "The configured share of engine time (fixed, or what the policy works out to).");
        for (size_t i = 0; i < o->n_instances; i++)
                if (o->instances[i].configured_share >= 0)
                        sample(m, "vgpu_instance_share_percent", "", o->instances[i].configured_share,
                               "uuid", o->instances[i].uuid, NULL);
        family(m, "vgpu_instance_weight", "gauge", "The configured scheduling weight.");
        for (size_t i = 0; i < o->n_instances; i++)
                if (o->instances[i].weight > 0)
                        sample(m, "vgpu_instance_weight", "", o->instances[i].weight, "uuid",
                               o->instances[i].uuid, NULL);
        family(m, "vgpu_instance_measured_share_ratio", "gauge",
               "The share of engine time the instance used, as measured (0..1).");
        for (size_t i = 0; i < o->n_instances; i++)
                if (o->instances[i].measured_share >= 0)
                        sample(m, "vgpu_instance_measured_share_ratio", "",
                               o->instances[i].measured_share / 100.0, "uuid", o->instances[i].uuid, NULL);
        for (size_t c = 0; c < ELEMENTSOF(counters); c++) {
                family(m, counters[c].metric, "counter", counters[c].help);
                for (size_t i = 0; i < o->n_instances; i++) {
                        uint64_t v;
                        if (instance_counter(&o->instances[i], counters[c].counter, &v))
                                sample(m, counters[c].metric, "_total", (double) v * counters[c].scale,
                                       "uuid", o->instances[i].uuid, NULL);
                }
        }
}

static int metrics_render(const Objects *o, bool openmetrics, char **ret, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        Metrics m = {.f = open_memstream(&buf, &len), .openmetrics = openmetrics};

        if (!m.f)
                return -ENOMEM;
        write_gpus(&m, o);
        write_types(&m, o);
        write_instance_counts(&m, o);
        write_instances(&m, o);
        if (openmetrics)
                fputs("# EOF\n", m.f);
        if (fclose(m.f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

int cmd_metrics(Cli *c, int argc, char *argv[]) {
        enum { ARG_FORMAT = 0x100 };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"output", required_argument, NULL, 'o'},
                {"format", required_argument, NULL, ARG_FORMAT},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        _cleanup_free_ char *text = NULL;
        const char *output = NULL;
        bool openmetrics = true;
        size_t len;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "ho:", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("metrics");
                case 'o':
                        output = optarg;
                        break;
                case ARG_FORMAT:
                        if (streq(optarg, "openmetrics"))
                                openmetrics = true;
                        else if (streq(optarg, "prometheus"))
                                openmetrics = false;
                        else
                                return cli_usage_error(c, "metrics",
                                                       "--format is openmetrics or prometheus, not '%s'",
                                                       optarg);
                        break;
                default:
                        return cli_usage_error(c, "metrics", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "metrics", "unexpected argument '%s'", argv[optind]);
        if (c->json)
                return cli_usage_error(c, "metrics", "--json does not apply: the output is metrics text");

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        /* On failure nothing is written: a collector keeps the last good file (and its mtime shows age). */
        r = objects_fetch(bus, &error, &o);
        if (r < 0)
                return cli_report_error(c, "cannot read vgpud's objects", &error, r);
        r = metrics_render(&o, openmetrics, &text, &len);
        if (r < 0)
                return cli_report_error(c, "out of memory", NULL, r);
        return output_emit(c, output, text, len);
}
