/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A test host for the mediation engine: it does what vgpud will do with the
 * engine API, driven by one command per line on stdin, so that the
 * integration tests and benchmarks can run real instances on temporary
 * sockets and read their counters. Replies are one line: "ok ..." or
 * "error <errno name>".
 *
 *   engine-test-server [--policy P] [--slice-us N] [--sensitive LIST]
 *                      [--stall-ms N] [--max-dma-maps N] [--max-instances N]
 *   add UUID VRAM_MIB SOCKET [SHARE [WEIGHT]]
 *   remove UUID
 *   policy POLICY SLICE_US
 *   quota UUID SHARE WEIGHT
 *   stats UUID     -> ok state=.. connected=.. busy_ns=.. commands=.. ...
 *   events         -> ok N   (state-change notifications seen so far)
 *   quit
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "log.h"
#include "macro.h"

static void reply(int r) {
        if (r < 0)
                printf("error %s\n", strerrorname_np(-r) ?: "EUNKNOWN");
        else
                printf("ok\n");
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                {"policy", required_argument, NULL, 'p'},
                {"slice-us", required_argument, NULL, 's'},
                {"sensitive", required_argument, NULL, 'S'},
                {"stall-ms", required_argument, NULL, 't'},
                {"max-dma-maps", required_argument, NULL, 'm'},
                {"max-instances", required_argument, NULL, 'i'},
                {},
        };
        struct engine_params params = {.name = "test"};
        struct engine *e;
        char line[4096];
        uint64_t events = 0;
        int c, r;

        log_setup("engine-test-server");
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        if (engine_policy_from_string(optarg, &params.policy) < 0) {
                                fprintf(stderr, "unknown policy %s\n", optarg);
                                return 2;
                        }
                        break;
                case 's':
                        params.slice_us = (uint32_t) strtoul(optarg, NULL, 10);
                        break;
                case 'S':
                        params.sensitive = optarg;
                        break;
                case 't':
                        params.stall_timeout_ms = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'm':
                        params.max_dma_maps = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'i':
                        params.max_instances = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        }

        r = engine_new(&params, &e);
        if (r < 0) {
                log_error_errno(r, "Failed to start the engine: %m");
                return 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("ready\n");

        while (fgets(line, sizeof(line), stdin)) {
                char *argv2[8] = {};
                int n = 0;
                for (char *tok = strtok(line, " \t\n"); tok && n < 8; tok = strtok(NULL, " \t\n"))
                        argv2[n++] = tok;
                if (n == 0)
                        continue;

                /* Count the engine's notifications as the daemon would see them. */
                uint64_t v;
                if (read(engine_event_fd(e), &v, sizeof(v)) == sizeof(v))
                        events += v;

                if (streq(argv2[0], "add") && n >= 4) {
                        struct engine_instance_params p = {
                                .uuid = argv2[1],
                                .vram_size = strtoull(argv2[2], NULL, 10) << 20,
                                .socket_path = argv2[3],
                                .share = n > 4 ? (unsigned) strtoul(argv2[4], NULL, 10) : 0,
                                .weight = n > 5 ? (unsigned) strtoul(argv2[5], NULL, 10) : 0,
                                .vram_no_mmap = n > 6 && streq(argv2[6], "vram-no-mmap"),
                                .socket_mode = 0600,
                                .socket_uid = (uid_t) -1,
                                .socket_gid = (gid_t) -1,
                        };
                        reply(engine_add_instance(e, &p));
                } else if (streq(argv2[0], "remove") && n == 2)
                        reply(engine_remove_instance(e, argv2[1]));
                else if (streq(argv2[0], "policy") && n == 3) {
                        enum engine_policy pol;
                        r = engine_policy_from_string(argv2[1], &pol);
                        reply(r < 0 ? r : engine_set_policy(e, pol, (uint32_t) strtoul(argv2[2], NULL, 10)));
                } else if (streq(argv2[0], "quota") && n == 4)
                        reply(engine_set_quota(e, argv2[1], (unsigned) strtoul(argv2[2], NULL, 10),
                                               (unsigned) strtoul(argv2[3], NULL, 10)));
                else if (streq(argv2[0], "stats") && n == 2) {
                        struct engine_instance_stats s;
                        r = engine_get_stats(e, argv2[1], &s);
                        if (r < 0)
                                reply(r);
                        else
                                printf("ok state=%s connected=%d busy_ns=%llu commands=%llu bytes=%llu "
                                       "fences=%llu "
                                       "violations=%llu connections=%llu protocol_errors=%llu "
                                       "mmio_throttled=%llu error=%u "
                                       "share_ppm=%u entitled_ppm=%u dma_maps=%u dma_remote_maps=%u "
                                       "dma_messages=%llu dma_refused=%llu posted_writes=%llu "
                                       "write_multi=%llu\n",
                                       engine_instance_state_to_string(s.state), s.connected,
                                       (unsigned long long) s.busy_ns, (unsigned long long) s.commands,
                                       (unsigned long long) s.bytes, (unsigned long long) s.fences,
                                       (unsigned long long) s.violations, (unsigned long long) s.connections,
                                       (unsigned long long) s.protocol_errors,
                                       (unsigned long long) s.mmio_throttled, s.error_status, s.share_ppm,
                                       s.entitled_ppm, s.dma_maps, s.dma_remote_maps,
                                       (unsigned long long) s.dma_messages,
                                       (unsigned long long) s.dma_refused,
                                       (unsigned long long) s.posted_writes,
                                       (unsigned long long) s.write_multi);
                } else if (streq(argv2[0], "events") && n == 1)
                        printf("ok %llu\n", (unsigned long long) events);
                else if (streq(argv2[0], "quit"))
                        break;
                else
                        reply(-EINVAL);
        }

        engine_free(e);
        return 0;
}
