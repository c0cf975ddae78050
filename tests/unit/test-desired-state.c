/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of desired-state.c: NVIDIA's file as it is, vgpud's superset, the choice of configuration, and
 * every refusal with its file:line:column. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "desired-state.h"
#include "strutil.h"

static struct desired_state *parse_ok(const char *text) {
        struct desired_state *s = NULL;
        _cleanup_free_ char *why = NULL;
        int r = desired_state_parse("f.yaml", text, strlen(text), &s, &why);
        if (r < 0)
                fail_msg("parse failed: %s", why);
        assert_null(why);
        return s;
}

/* The message for text, which must be refused. */
static char *parse_error(const char *text) {
        struct desired_state *s = NULL;
        char *why = NULL;
        int r = desired_state_parse("f.yaml", text, strlen(text), &s, &why);
        assert_int_equal(r, -EINVAL);
        assert_null(s);
        assert_non_null(why);
        return why;
}

static void assert_error(const char *text, const char *expected) {
        _cleanup_free_ char *why = parse_error(text);
        if (!streq(why, expected))
                fail_msg("expected \"%s\", got \"%s\"", expected, why);
}

/* NVIDIA's examples/config-example.yaml style, and the device-filter of its spec. */
static void test_nvidia_format(void **state) {
        _cleanup_(desired_state_freep) struct desired_state *s =
                parse_ok("version: v1\n"
                         "vgpu-configs:\n"
                         "    A16-2Q:\n"
                         "        - devices: all\n"
                         "          vgpu-devices:\n"
                         "            A16-2Q: 8\n"
                         "    mixed:\n"
                         "        - devices: [0, 1]\n"
                         "          device-filter: \"0x25B610DE\"\n"
                         "          vgpu-devices:\n"
                         "            A16-1B: 16\n"
                         "        - devices:\n"
                         "            - 2\n"
                         "          device-filter: [\"0x25B610DE\", 0x20B010DE]\n"
                         "          vgpu-devices: {A16-4Q: 4, A16-2Q: 0}\n");
        assert_int_equal(s->n_configs, 2);
        assert_false(s->uses_vgpud_keys);
        const struct desired_config *c = &s->configs[0];
        assert_string_equal(c->name, "A16-2Q");
        assert_int_equal(c->pos.line, 3);
        assert_int_equal(c->pos.column, 5);
        assert_int_equal(c->n_entries, 1);
        assert_true(c->entries[0].all_devices);
        assert_int_equal(c->entries[0].n_types, 1);
        assert_string_equal(c->entries[0].types[0].name, "A16-2Q");
        assert_int_equal(c->entries[0].types[0].count, 8);
        assert_int_equal(c->entries[0].types[0].pos.line, 6);
        assert_int_equal(c->entries[0].types[0].pos.column, 13);
        assert_int_equal(c->entries[0].sriov_vfs, -1);
        assert_int_equal(c->entries[0].persistent, -1);

        c = &s->configs[1];
        assert_int_equal(c->n_entries, 2);
        assert_false(c->entries[0].all_devices);
        assert_int_equal(c->entries[0].n_devices, 2);
        assert_true(c->entries[0].devices[1].is_index);
        assert_int_equal(c->entries[0].devices[1].index, 1);
        assert_string_equal(c->entries[0].device_filter[0], "0x25B610DE");
        assert_null(c->entries[0].device_filter[1]);
        assert_int_equal(c->entries[1].devices[0].index, 2);
        assert_string_equal(c->entries[1].device_filter[1], "0x20B010DE");
        assert_int_equal(c->entries[1].n_types, 2);
        assert_int_equal(c->entries[1].types[1].count, 0);
        assert_int_equal(c->entries[1].pos.line, 12);
        assert_int_equal(c->entries[1].pos.column, 11);

        uint16_t vendor, device;
        assert_int_equal(desired_device_id_parse("0x25B610DE", &vendor, &device), 0);
        assert_int_equal(vendor, 0x10de);
        assert_int_equal(device, 0x25b6);
        assert_int_equal(desired_device_id_parse("25b610de", &vendor, &device), 0);
        assert_int_equal(desired_device_id_parse("0x25B610D", &vendor, &device), -EINVAL);
        assert_int_equal(desired_device_id_parse("0x25B610DG", &vendor, &device), -EINVAL);
        assert_int_equal(desired_device_id_parse("0x", &vendor, &device), -EINVAL);
}

static void test_vgpud_superset(void **state) {
        _cleanup_(desired_state_freep) struct desired_state *s =
                parse_ok("version: v1\n"
                         "vgpu-configs:\n"
                         "  default:\n"
                         "    - devices: [\"0000:41:00.0\", rpc0, 3]\n"
                         "      model: L40S\n"
                         "      sriov-vfs: 8\n"
                         "      persistent: yes\n"
                         "      autostart: false\n"
                         "      quota: {share: 25}\n"
                         "      vgpu-devices:\n"
                         "        \"L40S-4Q\": 8\n"
                         "    - devices: all\n"
                         "      quota:\n"
                         "        weight: 3\n"
                         "      vgpu-devices:\n");
        assert_true(s->uses_vgpud_keys);
        const struct desired_entry *e = &s->configs[0].entries[0];
        assert_int_equal(e->n_devices, 3);
        assert_false(e->devices[0].is_index);
        assert_string_equal(e->devices[0].name, "0000:41:00.0");
        assert_string_equal(e->devices[1].name, "rpc0");
        assert_true(e->devices[2].is_index);
        assert_int_equal(e->devices[2].index, 3);
        assert_string_equal(e->model, "L40S");
        assert_int_equal(e->sriov_vfs, 8);
        assert_int_equal(e->persistent, 1);
        assert_int_equal(e->autostart, 0);
        assert_int_equal(e->share, 25);
        assert_int_equal(e->weight, 0);
        assert_string_equal(e->types[0].name, "L40S-4Q");
        e = &s->configs[0].entries[1];
        assert_true(e->all_devices);
        assert_int_equal(e->weight, 3);
        assert_int_equal(e->n_types, 0); /* "vgpu-devices:" with nothing: none */
}

static void test_select(void **state) {
        _cleanup_(desired_state_freep) struct desired_state *one =
                parse_ok("version: v1\nvgpu-configs:\n  only:\n    - {devices: all, vgpu-devices: {}}\n");
        _cleanup_(desired_state_freep) struct desired_state *two =
                parse_ok("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {}}\n"
                         "  default:\n    - {devices: all, vgpu-devices: {}}\n");
        _cleanup_(desired_state_freep) struct desired_state *nodef =
                parse_ok("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {}}\n"
                         "  b:\n    - {devices: all, vgpu-devices: {}}\n");
        const struct desired_config *c;
        _cleanup_free_ char *why = NULL, *why2 = NULL;

        assert_int_equal(desired_state_select(one, NULL, &c, &why), 0);
        assert_string_equal(c->name, "only");
        assert_int_equal(desired_state_select(two, NULL, &c, &why), 0);
        assert_string_equal(c->name, "default");
        assert_int_equal(desired_state_select(two, "a", &c, &why), 0);
        assert_string_equal(c->name, "a");
        assert_int_equal(desired_state_select(two, "c", &c, &why), -ENOENT);
        assert_string_equal(why, "f.yaml has no configuration 'c'; it has: a, default");
        assert_int_equal(desired_state_select(nodef, NULL, &c, &why2), -ENOENT);
        assert_non_null(strstr(why2, "choose one with --config NAME (a, b)"));
}

static void test_errors(void **state) {
        assert_error("", "f.yaml:1:1: the file is empty: expected version: v1 and vgpu-configs");
        assert_error("vgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {}}\n",
                     "f.yaml:1:1: version is missing: write 'version: v1'");
        assert_error("version: v2\n", "f.yaml:1:10: unknown version 'v2': this reader knows v1");
        assert_error("version: v1\n", "f.yaml:1:1: vgpu-configs is missing: it names the configurations");
        assert_error("version: v1\nvgpu-configs: {}\n", "f.yaml:2:15: vgpu-configs has no configurations");
        assert_error("version: v1\nversion: v1\n", "f.yaml:2:1: 'version' appears twice in the document");
        assert_error("version: v1\nflavor: x\n",
                     "f.yaml:2:1: unknown key 'flavor': expected version and vgpu-configs");
        assert_error("- a\n", "f.yaml:1:1: the document must be a mapping, not a list");
        assert_error("version: v1\nvgpu-configs:\n  a: []\n",
                     "f.yaml:3:6: configuration 'a' has no entries");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - T4-8Q\n",
                     "f.yaml:4:7: an entry must be a mapping with devices and vgpu-devices, not 'T4-8Q' "
                     "(the older "
                     "list-of-type-names form is not read)");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - devices: all\n",
                     "f.yaml:4:7: this entry has no 'vgpu-devices' (a mapping of vGPU type to count)");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - vgpu-devices: {}\n",
                     "f.yaml:4:7: this entry has no 'devices' (all, or a list of GPUs)");
        assert_error(
                "version: v1\nvgpu-configs:\n  a:\n    - {devices: some, vgpu-devices: {}}\n",
                "f.yaml:4:17: devices must be 'all' or a list of GPU indices (or, for vgpud, PCI addresses "
                "and GPU ids), not 'some'");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: [], vgpu-devices: {}}\n",
                     "f.yaml:4:17: devices is an empty list: name at least one GPU, or 'all'");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: [1, 1], vgpu-devices: {}}\n",
                     "f.yaml:4:21: this device is listed twice");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {A16-2Q: -1}}\n",
                     "f.yaml:4:45: the number of vGPUs must be a whole number, not '-1'");
        assert_error(
                "version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {A16-2Q: 5000}}\n",
                "f.yaml:4:45: the number of vGPUs 5000 is out of range (0 to 4096)");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {A16-2Q: '4'}}\n",
                     "f.yaml:4:45: the number of vGPUs must be a whole number, not '4'");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {A: 1, A: 2}}\n",
                     "f.yaml:4:43: 'A' appears twice in vgpu-devices");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: [A16-2Q]}\n",
                     "f.yaml:4:36: vgpu-devices must be a mapping, not a list");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, device-filter: 0x25B6, "
                     "vgpu-devices: {}}\n",
                     "f.yaml:4:37: device-filter '0x25B6' is not a PCI device id such as 0x25B610DE "
                     "(device, then "
                     "vendor, in hexadecimal)");
        assert_error(
                "version: v1\nvgpu-configs:\n  a:\n    - {devices: all, colour: red, vgpu-devices: {}}\n",
                "f.yaml:4:22: unknown key 'colour' in an entry: expected devices, device-filter, "
                "vgpu-devices (or vgpud's model, sriov-vfs, persistent, autostart, quota)");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, persistent: maybe, "
                     "vgpu-devices: {}}\n",
                     "f.yaml:4:34: persistent must be true or false");
        assert_error(
                "version: v1\nvgpu-configs:\n  a:\n    - {devices: all, sriov-vfs: 300, vgpu-devices: {}}\n",
                "f.yaml:4:33: sriov-vfs 300 is out of range (0 to 256)");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, quota: {share: 0}, "
                     "vgpu-devices: {}}\n",
                     "f.yaml:4:37: quota share is a percentage from 1 to 100");
        assert_error("version: v1\nvgpu-configs:\n  a:\n"
                     "    - {devices: all, quota: {share: 5, weight: 2}, vgpu-devices: {}}\n",
                     "f.yaml:4:29: give a share or a weight, not both");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, quota: {size: 2}, "
                     "vgpu-devices: {}}\n",
                     "f.yaml:4:30: unknown quota key 'size': use share (percent) or weight");
        assert_error(
                "version: v1\nvgpu-configs:\n  a:\n    - {devices: all, model: \"\", vgpu-devices: {}}\n",
                "f.yaml:4:29: model must not be empty");
        assert_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: "
                     "{}}\n---\nversion: v1\n",
                     "f.yaml:6:1: a second YAML document; put everything in one");
        assert_error(
                "version: v1\nvgpu-configs:\n  a:\n    - {devices: all, vgpu-devices: {\"A\\0B\": 1}}\n",
                "f.yaml:4:37: a key in vgpu-devices must be a string, not a scalar");

        /* libyaml's own messages, with the position it found the problem at */
        _cleanup_free_ char *why = parse_error("version: v1\nvgpu-configs:\n  a:\n    - {devices: all\n");
        assert_true(strncmp(why, "f.yaml:5:1: ", 12) == 0);
        _cleanup_free_ char *why2 = parse_error("version: v1\n\tvgpu-configs:\n");
        assert_true(strncmp(why2, "f.yaml:2:1: ", 12) == 0);
        _cleanup_free_ char *why3 = parse_error("version: *nothing\n");
        assert_true(strncmp(why3, "f.yaml:1:10: ", 13) == 0);
}

/* Aliases make a small file a large graph: the walk stops, it does not take exponential time. */
static void test_alias_bomb(void **state) {
        const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                           "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                           "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                           "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                           "version: v1\n"
                           "vgpu-configs:\n"
                           "  x:\n"
                           "    - devices: all\n"
                           "      vgpu-devices: {}\n"
                           "      device-filter: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        _cleanup_free_ char *why = parse_error(bomb);
        assert_non_null(strstr(why, "unknown key 'a'"));

        /* the same graph where the format allows lists: refused for its size */
        struct strbuf b = {};
        strbuf_append(&b, "version: v1\nvgpu-configs:\n  x: &x\n    - {devices: all, vgpu-devices: {}}\n");
        strbuf_append(&b, "  y: &y [");
        for (int i = 0; i < 400; i++)
                strbuf_append(&b,
                              i ? ", {devices: all, vgpu-devices: {}}" : "{devices: all, vgpu-devices: {}}");
        strbuf_append(&b, "]\n");
        for (int i = 0; i < 400; i++)
                strbuf_appendf(&b, "  z%d: *y\n", i);
        _cleanup_free_ char *text = strbuf_steal(&b);
        _cleanup_free_ char *why2 = parse_error(text);
        assert_non_null(strstr(why2, "too large"));
}

static void test_too_big(void **state) {
        size_t n = DESIRED_STATE_MAX_BYTES + 1;
        _cleanup_free_ char *big = malloc(n);
        struct desired_state *s = NULL;
        _cleanup_free_ char *why = NULL;

        assert_non_null(big);
        memset(big, ' ', n);
        assert_int_equal(desired_state_parse("big.yaml", big, n, &s, &why), -E2BIG);
        assert_non_null(strstr(why, "big.yaml: the file is larger than"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nvidia_format), cmocka_unit_test(test_vgpud_superset),
                cmocka_unit_test(test_select),        cmocka_unit_test(test_errors),
                cmocka_unit_test(test_alias_bomb),    cmocka_unit_test(test_too_big),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
