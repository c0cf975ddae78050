/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of config-file.c: defaults, a full file, every error path with file:line, and the man page. */
#include <fcntl.h>

#include "unit.h"

#include "config-file.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"

static void test_defaults(void **state) {
        _cleanup_(config_freep) struct vgpu_config *c = NULL;

        assert_int_equal(config_new_defaults(&c), 0);
        assert_string_equal(c->state_dir, "/var/lib/vgpud");
        assert_string_equal(c->admin_group, "vgpu");
        assert_string_equal(c->libvirt_watch_user, "nobody");
        assert_int_equal(c->log_level, LOG_INFO);
        assert_int_equal(c->placement_policy, PLACEMENT_PACK);
        assert_string_equal(c->mdevctl_dir, "/etc/mdevctl.d");
        assert_true(c->mdevctl_read);
        assert_false(c->mdevctl_write);
        assert_int_equal(c->autostart_initial_delay_usec, 1000000);
        assert_int_equal(c->autostart_max_delay_usec, 60000000);
        assert_int_equal(c->autostart_backoff_milli, 2000);
        assert_int_equal(c->autostart_give_up_usec, 0);
        assert_false(c->rpc.enabled);
        assert_string_equal(c->rpc.socket_dir, "/run/vgpud/rpc");
        assert_string_equal(c->rpc.socket_group, "libvirt-qemu");
        assert_int_equal(c->rpc.gpus, 1);
        assert_int_equal(c->rpc.n_types, 0);
        assert_null(c->path);

        /* an empty file is the defaults */
        _cleanup_(config_freep) struct vgpu_config *e = NULL;
        assert_int_equal(config_parse_string("", "empty.conf", &e, NULL), 0);
        assert_string_equal(e->state_dir, "/var/lib/vgpud");
}

static const char full[] = "# a comment\n"
                           "; another\n"
                           "[vgpud]\n"
                           "state_dir = /tmp/state   ; inline comment\n"
                           "admin_group =\n"
                           "log_level = debug\n"
                           "\n"
                           "[placement]\n"
                           "policy=spread\n"
                           "[mdevctl]\n"
                           "  config_dir = /tmp/mdevctl.d\n"
                           "write_definitions = yes\n"
                           "read_definitions = off\n"
                           "[autostart]\n"
                           "initial_delay = 250ms\n"
                           "max_delay = 1.5min\n"
                           "backoff = 1.5\n"
                           "give_up_after = 1h\n"
                           "[rpc]\n"
                           "enabled = true\n"
                           "socket_dir = /tmp/rpc\n"
                           "gpus = 2\n"
                           "socket_group =\n"
                           "[rpc-type rpc-1g]\n"
                           "name = VGPUD RPC-1G\n"
                           "vram = 1G\n"
                           "share = 25\n"
                           "max_instances = 4\n"
                           "vendor_id = 0x1d0f\n"
                           "device_id = 1234\n"
                           "subsystem_id = 0x0000\n"
                           "class = 0x030000\n"
                           "[rpc-type rpc-256m]\n"
                           "vram = 256M\n";

static void test_full_file(void **state) {
        _cleanup_(config_freep) struct vgpu_config *c = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL, *text2 = NULL;
        struct vgpu_error e = {};

        assert_int_equal(config_parse_string(full, "full.conf", &c, &e), 0);
        assert_string_equal(c->path, "full.conf");
        assert_string_equal(c->state_dir, "/tmp/state");
        assert_string_equal(c->admin_group, "");
        assert_int_equal(c->log_level, LOG_DEBUG);
        assert_int_equal(c->placement_policy, PLACEMENT_SPREAD);
        assert_string_equal(c->mdevctl_dir, "/tmp/mdevctl.d");
        assert_true(c->mdevctl_write);
        assert_false(c->mdevctl_read);
        assert_int_equal(c->autostart_initial_delay_usec, 250000);
        assert_int_equal(c->autostart_max_delay_usec, 90000000);
        assert_int_equal(c->autostart_backoff_milli, 1500);
        assert_int_equal(c->autostart_give_up_usec, 3600000000ull);
        assert_true(c->rpc.enabled);
        assert_string_equal(c->rpc.socket_dir, "/tmp/rpc");
        assert_string_equal(c->rpc.socket_group, ""); /* explicitly empty: vgpud's own group */
        assert_int_equal(c->rpc.gpus, 2);
        assert_int_equal(c->rpc.n_types, 2);
        assert_string_equal(c->rpc.types[0].id, "rpc-1g");
        assert_string_equal(c->rpc.types[0].name, "VGPUD RPC-1G");
        assert_int_equal(c->rpc.types[0].vram_bytes, 1ull << 30);
        assert_int_equal(c->rpc.types[0].share, 25);
        assert_int_equal(c->rpc.types[0].max_instances, 4);
        assert_int_equal(c->rpc.types[0].line, 24);
        assert_int_equal(c->rpc.types[0].vendor_id, 0x1d0f);
        assert_int_equal(c->rpc.types[0].device_id, 0x1234); /* hexadecimal, 0x or not */
        assert_int_equal(c->rpc.types[0].subsystem_vendor_id, 0x1af4);
        assert_int_equal(c->rpc.types[0].subsystem_id, 0);
        assert_int_equal(c->rpc.types[0].class_code, 0x030000);
        assert_int_equal(c->rpc.types[1].vendor_id, 0x1af4); /* the engine's defaults */
        assert_int_equal(c->rpc.types[1].device_id, 0x10f0);
        assert_int_equal(c->rpc.types[1].subsystem_id, 0x0001);
        assert_int_equal(c->rpc.types[1].class_code, 0x038000);
        assert_string_equal(c->rpc.types[1].name, "rpc-256m"); /* defaults to the id */
        assert_int_equal(c->rpc.types[1].max_instances, 1);
        assert_int_equal(c->rpc.types[1].share, 0);

        /* the effective configuration prints as a file that reads back the same */
        assert_int_equal(config_format(c, &text), 0);
        assert_int_equal(config_parse_string(text, "printed.conf", &again, &e), 0);
        assert_int_equal(config_format(again, &text2), 0);
        assert_string_equal(text, text2);
        assert_non_null(strstr(text, "max_delay = 90s\n"));
        assert_non_null(strstr(text, "backoff = 1.500\n"));
        assert_non_null(strstr(text, "[rpc-type rpc-1g]\nname = VGPUD RPC-1G\nvram = 1G\n"));
}

static void test_errors(void **state) {
        static const struct {
                const char *text, *message;
        } cases[] = {
                {"[vgpud]\nstate_dir = relative\n",
                 "t.conf:2: state_dir = relative: must be an absolute path"},
                {"[vgpud]\n\n[foo]\n", "t.conf:3: unknown section [foo]"},
                {"[vgpud]\nstate_directory = /x\n", "t.conf:2: unknown key \"state_directory\" in [vgpud]"},
                {"log_level = info\n", "t.conf:1: \"log_level\" is not in a section"},
                {"[vgpud]\nlog_level = info\nlog_level = debug\n",
                 "t.conf:3: \"log_level\" in [vgpud] is set twice (first on line 2)"},
                {"[vgpud]\n[placement]\n[vgpud]\n",
                 "t.conf:3: section [vgpud] appears twice (first on line 1)"},
                {"[vgpud]\nthis is not a key\n", "t.conf:2: syntax error"},
                {"[vgpud]\nlog_level = info\n    continued\n", "t.conf:3: syntax error"},
                {"[vgpud\n", "t.conf:1: syntax error"},
                {"[vgpud]\nlog_level =\n", "t.conf:2: \"log_level\" has no value"},
                {"[vgpud]\nlog_level = loud\n", "t.conf:2: log_level = loud: must be one of emerg"},
                {"[vgpud]\nadmin_group = Wheel Group\n",
                 "t.conf:2: admin_group = Wheel Group: must be a group name"},
                {"[placement]\npolicy = random\n", "t.conf:2: policy = random: must be pack or spread"},
                {"[mdevctl]\nwrite_definitions = maybe\n",
                 "t.conf:2: write_definitions = maybe: must be yes or no"},
                {"[autostart]\ninitial_delay = soon\n",
                 "t.conf:2: initial_delay = soon: must be a duration"},
                {"[autostart]\ninitial_delay = 2h\n",
                 "t.conf:2: initial_delay = 2h: must be between 1ms and 3600s"},
                {"[autostart]\nbackoff = 0.5\n", "t.conf:2: backoff = 0.5: must be between 1 and 10"},
                {"[autostart]\nbackoff = two\n", "t.conf:2: backoff = two: must be a number"},
                {"[autostart]\ninitial_delay = 10s\n\nmax_delay = 5s\n",
                 "t.conf:4: max_delay is shorter than initial_delay"},
                {"[autostart]\ninitial_delay = 2min\n", "t.conf:2: max_delay is shorter than initial_delay"},
                {"[rpc]\ngpus = 0\n", "t.conf:2: gpus = 0: must be between 1 and 64"},
                {"[rpc]\ngpus = -1\n", "t.conf:2: gpus = -1: must be a whole number"},
                {"[rpc]\nsocket_dir = run/rpc\n",
                 "t.conf:2: socket_dir = run/rpc: must be an absolute path"},
                {"[rpc-type Big]\nvram = 1G\n", "t.conf:1: [rpc-type Big]: the type id must be"},
                {"[rpc-type]\nvram = 1G\n", "t.conf:1: unknown section [rpc-type]"},
                {"[rpc-type a]\nvram = 1G\nvendor_id = 0xffff\n",
                 "t.conf:3: vendor_id = 0xffff: must be between 0x0001 and 0xfffe"},
                {"[rpc-type a]\nvram = 1G\nclass = 0x1000000\n",
                 "t.conf:3: class = 0x1000000: must be between"},
                {"[rpc-type a]\nvram = 1G\ndevice_id = 0xg1\n",
                 "t.conf:3: device_id = 0xg1: must be a hexadecimal number such as 0x1af4"},
                {"[rpc]\n\n[rpc-type a]\nname = A\n", "t.conf:3: [rpc-type a] needs \"vram\""},
                {"[rpc-type a]\nvram = 1048577\n", "t.conf:2: [rpc-type a]: vram must be a power of two"},
                {"[rpc-type a]\nvram = 3M\n", "t.conf:2: [rpc-type a]: vram must be a power of two"},
                {"[rpc]\npolicy = fastest\n", "t.conf:2: [rpc] policy must be best-effort, equal-share"},
                {"[rpc-type a]\nvram = 1M\nweight = 0\n", "t.conf:3: "},
                {"[rpc-type a]\nvram = 128G\n", "t.conf:2: vram = 128G: must be between 1M and 16G"},
                {"[gpu nowhere]\nscheduler = equal-share\n",
                 "t.conf:1: [gpu nowhere]: expected a PCI address"},
                {"[gpu 3b:00.0]\nscheduler = round-robin\n",
                 "t.conf:2: scheduler = round-robin: must be best-effort, equal-share, fixed-share or "
                 "weighted"},
                {"[gpu 3b:00.0]\ntime_slice = 3ms\n",
                 "t.conf:1: [gpu 0000:3b:00.0]: a time_slice needs a scheduler"},
                {"[gpu 3b:00.0]\nscheduler = equal-share\ntime_slice = 1500us\n",
                 "t.conf:1: [gpu 0000:3b:00.0]: time_slice must be a whole number of milliseconds"},
                {"[gpu 3b:00.0]\n[gpu 0000:3b:00.0]\n",
                 "t.conf:2: section [gpu 0000:3b:00.0] appears twice"},
                {"[libvirt]\nrefresh_interval = 2h\n", "t.conf:2: refresh_interval = 2h: must be between"},
                {"[libvirt]\nwatch_user = Nobody Else\n",
                 "t.conf:2: watch_user = Nobody Else: must be a user name"},
                {"[rpc-type a]\nvram = 1G\nshare = 30\nmax_instances = 4\n",
                 "t.conf:3: [rpc-type a]: 4 instances of 30% each exceed 100% of a GPU"},
                {"[rpc-type a]\nvram = 1G\ncolour = red\n",
                 "t.conf:3: unknown key \"colour\" in [rpc-type a]"},
                {"[rpc-type a]\nvram = 1G\n[rpc-type a]\n", "t.conf:3: section [rpc-type a] appears twice"},
                {"[rpc-type a]\nname = \x01\n",
                 "t.conf:2: name = \\x01: must be a non-empty printable string"},
                /* the first error wins, also when a later line has a syntax error */
                {"[vgpud]\nlog_level = loud\n???\n", "t.conf:2: log_level = loud"},
                {"[vgpud]\n???\nlog_level = loud\n", "t.conf:2: syntax error"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct vgpu_config *c = NULL;
                struct vgpu_error e = {};
                int r = config_parse_string(cases[i].text, "t.conf", &c, &e);
                if (r >= 0 || !e.message || !startswith(e.message, cases[i].message))
                        fail_msg("case %zu: r=%d message \"%s\", wanted \"%s...\"", i, r, strna(e.message),
                                 cases[i].message);
                assert_int_equal(r, -EINVAL);
                assert_string_equal(e.path, "t.conf");
                assert_null(c);
                vgpu_error_clear(&e);
        }
}

static void test_file_errors(void **state) {
        char dir[] = "/tmp/test-config-XXXXXX", path[128], line[400];
        struct vgpu_config *c = NULL;
        struct vgpu_error e = {};

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/vgpud.conf", dir);

        /* a missing file */
        assert_int_equal(config_load(path, &c, &e), -ENOENT);
        assert_string_equal(e.path, path);
        assert_non_null(strstr(e.message, "cannot open"));

        /* a line longer than the parser takes */
        memset(line, 'x', sizeof(line));
        memcpy(line, "[vgpud]\nstate_dir = /", 21);
        line[sizeof(line) - 2] = '\n';
        line[sizeof(line) - 1] = 0;
        assert_int_equal(write_file_atomic(path, line, strlen(line), 0644), 0);
        assert_int_equal(config_load(path, &c, &e), -EINVAL);
        assert_non_null(strstr(e.message, ":2: line too long"));
        assert_true(startswith(e.message, path));

        /* a line that fits only without the spaces around '=': config_format() would write it too long */
        memset(line, 'x', sizeof(line));
        int n = snprintf(line, sizeof(line), "[vgpud]\nstate_dir=/");
        line[n] = 'x';                                      /* over snprintf's NUL */
        line[n + 197 - (int) strlen("state_dir=/")] = '\n'; /* the second line is exactly 197 characters */
        line[n + 197 - (int) strlen("state_dir=/") + 1] = 0;
        assert_int_equal(write_file_atomic(path, line, strlen(line), 0644), 0);
        assert_int_equal(config_load(path, &c, &e), -EINVAL);
        assert_non_null(strstr(e.message, ":2: \"state_dir\" is too long"));
        /* and with the spaces, at the limit, it loads */
        snprintf(line, sizeof(line), "[vgpud]\nstate_dir = /%0*d\n", 197 - (int) strlen("state_dir = /"), 0);
        assert_int_equal(write_file_atomic(path, line, strlen(line), 0644), 0);
        assert_int_equal(config_load(path, &c, &e), 0);
        config_free(c);
        c = NULL;
        vgpu_error_clear(&e);

        /* a value that begins with ';' (only without a space after '='): it would not survive
         * config_format() */
        assert_int_equal(write_file_atomic(path, "[vgpud]\nadmin_group =;vgpu\n", 27, 0644), 0);
        assert_int_equal(config_load(path, &c, &e), -EINVAL);
        assert_non_null(strstr(e.message, ":2: \"admin_group\" begins with ';'"));

        /* a NUL byte in the file */
        assert_int_equal(write_file_atomic(path, "[vgpud]\nlog_level = in\0fo\n", 26, 0644), 0);
        assert_int_equal(config_load(path, &c, &e), -EINVAL);
        assert_non_null(strstr(e.message, ":2: contains a NUL byte"));

        /* and a good one */
        assert_int_equal(write_file_atomic(path, full, strlen(full), 0644), 0);
        assert_int_equal(config_load(path, &c, &e), 0);
        assert_string_equal(c->path, path);
        config_free(c);
        vgpu_error_clear(&e);

        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

/* Every key and its default is in vgpud.conf(5). */
static void test_man_page_documents_every_key(void **state) {
        const char *src = getenv("VGPU_TEST_SRCDIR");
        _cleanup_free_ char *path = NULL, *man = NULL;
        const struct config_key_info *k;
        size_t n;

        assert_non_null(src);
        assert_true(asprintf(&path, "%s/man/vgpud.conf.5", src) > 0);
        assert_int_equal(read_full_file(path, 1 << 20, &man, NULL), 0);
        k = config_key_info(&n);
        assert_true(n > 10);
        for (size_t i = 0; i < n; i++) {
                char section[64], entry[128];
                snprintf(section, sizeof(section), ".SH \"[%s%s]\"", k[i].section,
                         streq(k[i].section, "rpc-type") ? " NAME"
                         : streq(k[i].section, "gpu")    ? " ADDRESS"
                                                         : "");
                if (k[i].default_value && *k[i].default_value)
                        snprintf(entry, sizeof(entry), ".B %s = %s\n", k[i].key, k[i].default_value);
                else
                        snprintf(entry, sizeof(entry), ".B %s =\n", k[i].key);
                const char *s = strstr(man, section);
                if (!s)
                        fail_msg("vgpud.conf.5 has no section %s", section);
                const char *e = strstr(s, entry), *next = strstr(s + 1, ".SH ");
                if (!e || (next && e > next))
                        fail_msg("vgpud.conf.5 does not document \"%s\" under %s", entry, section);
        }
}

static void test_gpu_sections(void **state) {
        _cleanup_(config_freep) struct vgpu_config *c = NULL;
        struct vgpu_error e = {};
        const char *text =
                "[gpu 3b:00.0]\nscheduler = fixed-share\ntime_slice = 24ms\n\n"
                "[gpu 0000:d8:00.0]\nscheduler = equal-share\naveraging_factor = 60\nfrequency = 960\n\n"
                "[libvirt]\nuri = test:///default\nrefresh_interval = 0\nwatch_user =\n";

        assert_int_equal(config_parse_string(text, "gpu.conf", &c, &e), 0);
        assert_int_equal(c->n_gpus, 2);
        assert_string_equal(c->libvirt_uri, "test:///default");
        assert_int_equal(c->libvirt_refresh_usec, 0);
        assert_string_equal(c->libvirt_watch_user, ""); /* the domain reader stays root */
        const struct vgpu_gpu_config *g = config_find_gpu(c, "0000:3b:00.0");
        assert_non_null(g);
        struct sched_settings s = {.policy = SCHED_POLICY_BEST_EFFORT};
        gpu_config_apply(g, &s);
        assert_int_equal(s.policy, SCHED_POLICY_FIXED_SHARE);
        assert_int_equal(s.time_slice_ms, 24);
        g = config_find_gpu(c, "d8:00.0");
        assert_non_null(g);
        assert_int_equal(g->frequency_hz, 960);
        assert_null(config_find_gpu(c, "0000:00:02.0"));
        /* an unset policy leaves the vendor's default */
        s = (struct sched_settings){.policy = SCHED_POLICY_WEIGHTED};
        gpu_config_apply(NULL, &s);
        assert_int_equal(s.policy, SCHED_POLICY_WEIGHTED);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_full_file),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_file_errors),
                cmocka_unit_test(test_man_page_documents_every_key),
                cmocka_unit_test(test_gpu_sections),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
