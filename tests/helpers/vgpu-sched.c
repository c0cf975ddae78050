/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpu-sched: quota.c from the command line, to see the rules and the
 * rendering without a daemon (and for the bats suite). Not installed;
 * `vgpuctl policy` / `vgpuctl quota` replace it in use.
 *
 *   vgpu-sched render GPU SETTINGS [INSTANCE...]
 *   vgpu-sched admit  GPU SETTINGS [INSTANCE...] [--change INSTANCE]
 *   vgpu-sched shares GPU SETTINGS [INSTANCE...]
 * GPU:      --vendor nvidia|gvtg|amd|rpc|generic --address ADDR
 * SETTINGS: --policy P [--slice MS] [--averaging N] [--frequency HZ]
 * INSTANCE: --instance UUID,TYPE_ID,FRAMEBUFFER_MIB,MAX_INSTANCES[,share=N|,weight=N|,mig]
 * Exit status: 0, 1 refused (the reason on stderr), 2 usage.
 */
#include <getopt.h>

#include "quota.h"

#define INSTANCES_MAX 64

struct instance_arg {
        struct quota_type type;
        struct quota_instance inst;
};

static _noreturn_ void usage(void) {
        fprintf(stderr,
                "usage: vgpu-sched render|admit|shares --vendor V --address A --policy P [--slice MS] "
                "[--averaging N] [--frequency HZ] [--instance "
                "UUID,TYPE,FB_MIB,MAX[,share=N|,weight=N|,mig]]... "
                "[--change INSTANCE]\n");
        exit(2);
}

static unsigned number(const char *s) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v > UINT32_MAX)
                usage();
        return (unsigned) v;
}

/* UUID,TYPE_ID,FB,MAX[,share=N|,weight=N|,mig]; the strings point into arg. */
static void parse_instance(char *arg, struct instance_arg *ret) {
        char *field[5] = {}, *save = NULL;
        size_t n = 0;

        for (char *t = strtok_r(arg, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (n == ELEMENTSOF(field))
                        usage();
                field[n++] = t;
        }
        if (n < 4)
                usage();
        *ret = (struct instance_arg){};
        ret->type.id = field[1];
        ret->type.framebuffer_mib = number(field[2]);
        ret->type.max_instances = number(field[3]);
        if (field[4]) {
                if (strncmp(field[4], "share=", 6) == 0)
                        ret->inst.quota.share = number(field[4] + 6);
                else if (strncmp(field[4], "weight=", 7) == 0)
                        ret->inst.quota.weight = number(field[4] + 7);
                else if (streq(field[4], "mig"))
                        ret->type.mig = true;
                else
                        usage();
        }
        ret->inst.uuid = field[0];
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                {"vendor", required_argument, NULL, 'v'},
                {"address", required_argument, NULL, 'a'},
                {"policy", required_argument, NULL, 'p'},
                {"slice", required_argument, NULL, 's'},
                {"averaging", required_argument, NULL, 'A'},
                {"frequency", required_argument, NULL, 'f'},
                {"instance", required_argument, NULL, 'i'},
                {"change", required_argument, NULL, 'c'},
                {},
        };
        static struct instance_arg args[INSTANCES_MAX], change;
        struct quota_instance inst[INSTANCES_MAX];
        struct quota_gpu g = {.vendor = _SCHED_VENDOR_INVALID};
        struct sched_settings s = {.policy = _SCHED_POLICY_INVALID};
        _cleanup_free_ char *reason = NULL;
        bool have_change = false;
        size_t n = 0;
        const char *cmd;
        int c, r;

        if (argc < 2)
                usage();
        cmd = argv[1];
        optind = 2;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'v':
                        g.vendor = sched_vendor_from_string(optarg);
                        break;
                case 'a':
                        g.address = optarg;
                        break;
                case 'p':
                        s.policy = sched_policy_from_string(optarg);
                        break;
                case 's':
                        s.time_slice_ms = number(optarg);
                        break;
                case 'A':
                        s.averaging_factor = number(optarg);
                        break;
                case 'f':
                        s.frequency_hz = number(optarg);
                        break;
                case 'i':
                        if (n == INSTANCES_MAX)
                                usage();
                        parse_instance(optarg, &args[n++]);
                        break;
                case 'c':
                        parse_instance(optarg, &change);
                        have_change = true;
                        break;
                default:
                        usage();
                }
        }
        if (optind != argc || g.vendor < 0 || s.policy < 0)
                usage();
        for (size_t k = 0; k < n; k++) {
                inst[k] = args[k].inst;
                inst[k].type = &args[k].type;
        }
        g.instances = inst, g.n_instances = n;
        change.inst.type = &change.type;

        if (streq(cmd, "render")) {
                struct quota_rendering out = {};
                r = quota_render(&g, &s, &out, &reason);
                if (r >= 0) {
                        printf("setting: %s\n", strna(out.setting));
                        if (out.config_line)
                                printf("config: %s\n", out.config_line);
                        fputs(strempty(out.note), stdout);
                }
                quota_rendering_done(&out);
        } else if (streq(cmd, "admit")) {
                r = quota_admit(&g, &s, have_change ? &change.inst : NULL, &reason);
                if (r >= 0)
                        printf("admitted\n");
        } else if (streq(cmd, "shares")) {
                printf("time slice: %u ms\n", quota_time_slice_ms(&g, &s));
                r = 0;
                for (size_t k = 0; k < n && r >= 0; k++) {
                        char buf[16];
                        double share;
                        r = quota_configured_share(&g, &s, inst[k].uuid, &share);
                        if (r >= 0)
                                printf("%s configured %s measured %s\n", inst[k].uuid,
                                       quota_format_share(share, buf),
                                       g.vendor == SCHED_VENDOR_RPC ? "(from the engine)" : "n/a");
                }
        } else
                usage();
        if (r < 0) {
                fprintf(stderr, "vgpu-sched: %s\n", reason ?: strerror(-r));
                return 1;
        }
        return 0;
}
