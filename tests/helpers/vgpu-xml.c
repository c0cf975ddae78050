/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgpu-xml: libvirt-xml.c and domain-xml.c from the command line, so that
 * bats suites can feed their output to the unmodified libvirt tools
 * (virt-xml-validate, virsh's test driver) and their input from real domain
 * XML files. Not installed; `vgpuctl xml` and the hook replace it in use.
 *
 *   vgpu-xml xml    VGPU [--display on|off] [--ramfb] [--domain NAME] [--memory-mib N] [--memory-source
 * memfd|file] vgpu-xml device VGPU [--display on|off] [--ramfb] vgpu-xml add    FILE VGPU [...]      the
 * domain in FILE with the vGPU added vgpu-xml remove FILE VGPU            ... removed vgpu-xml refs   [FILE]
 * the vGPUs a domain uses (stdin without FILE) where VGPU is --backend mdev|vf|nvidia-vfio|rpc with --uuid
 * U, --pci ADDR,
 * --device-api API, --socket PATH as the backend needs.
 * Exit status: 0, 1 refused (the reason on stderr), 2 usage.
 */
#include <getopt.h>

#include "domain-xml.h"
#include "fileio.h"
#include "libvirt-xml.h"

static _noreturn_ void usage(void) {
        fprintf(stderr,
                "usage: vgpu-xml xml|device|add FILE|remove FILE|refs [FILE] [--backend B] [--uuid U] "
                "[--pci ADDR] [--device-api API] [--socket PATH] [--display on|off] [--ramfb] "
                "[--domain NAME] [--memory-mib N] [--memory-source memfd|file]\n");
        exit(2);
}

static int refused(int r, const char *reason) {
        fprintf(stderr, "vgpu-xml: %s\n", reason ?: strerror(-r));
        return 1;
}

static int read_input(const char *path, char **ret, size_t *ret_len) {
        /* One byte more than the parser takes, so that it reports the limit. */
        int r = read_full_file(path ?: "/dev/stdin", DOMAIN_XML_MAX_BYTES + 1, ret, ret_len);
        if (r < 0)
                fprintf(stderr, "vgpu-xml: cannot read %s: %s\n", path ?: "stdin", strerror(-r));
        return r;
}

static int do_refs(const char *path) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        _cleanup_free_ char *xml = NULL, *reason = NULL;
        size_t len;
        int r;

        if (read_input(path, &xml, &len) < 0)
                return 1;
        r = domain_xml_parse_vgpus(xml, len, &d, &reason);
        if (r < 0)
                return refused(r, reason);
        printf("name %s\n", strna(d->name));
        for (size_t k = 0; k < d->n_vgpus; k++)
                printf("%s %s%s\n", vgpu_device_kind_to_string(d->vgpus[k].kind), d->vgpus[k].device,
                       d->vgpus[k].managed ? " managed" : "");
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                {"backend", required_argument, NULL, 'b'},
                {"uuid", required_argument, NULL, 'u'},
                {"pci", required_argument, NULL, 'p'},
                {"device-api", required_argument, NULL, 'a'},
                {"socket", required_argument, NULL, 's'},
                {"display", required_argument, NULL, 'd'},
                {"ramfb", no_argument, NULL, 'r'},
                {"domain", required_argument, NULL, 'n'},
                {"memory-mib", required_argument, NULL, 'm'},
                {"memory-source", required_argument, NULL, 'M'},
                {},
        };
        struct libvirt_vgpu v = {.backend = _VGPU_BACKEND_INVALID};
        struct libvirt_xml_options o = {};
        _cleanup_free_ char *out = NULL, *reason = NULL, *xml = NULL;
        const char *cmd, *file = NULL;
        size_t len;
        int c, r;

        if (argc < 2)
                usage();
        cmd = argv[1];
        optind = 2;
        if ((streq(cmd, "add") || streq(cmd, "remove")) && argc > 2 && argv[2][0] != '-') {
                file = argv[2];
                optind = 3;
        } else if (streq(cmd, "refs"))
                return do_refs(argc > 2 ? argv[2] : NULL);

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'b':
                        v.backend = backend_kind_from_string(optarg);
                        if (v.backend < 0)
                                usage();
                        break;
                case 'u':
                        v.uuid = optarg;
                        break;
                case 'p':
                        v.pci_address = optarg;
                        break;
                case 'a':
                        v.device_api = optarg;
                        break;
                case 's':
                        v.socket_path = optarg;
                        break;
                case 'd':
                        if (streq(optarg, "on"))
                                o.display = LIBVIRT_SWITCH_ON;
                        else if (streq(optarg, "off"))
                                o.display = LIBVIRT_SWITCH_OFF;
                        else
                                usage();
                        break;
                case 'r':
                        o.ramfb = true;
                        break;
                case 'n':
                        o.domain_name = optarg;
                        break;
                case 'm':
                        o.memory_mib = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'M':
                        if (streq(optarg, "memfd"))
                                o.memory_source = LIBVIRT_MEMORY_MEMFD;
                        else if (streq(optarg, "file"))
                                o.memory_source = LIBVIRT_MEMORY_FILE;
                        else
                                usage();
                        break;
                default:
                        usage();
                }
        }
        if (optind != argc || v.backend < 0)
                usage();

        if (streq(cmd, "xml"))
                r = libvirt_vgpu_xml(&v, &o, &out, &reason);
        else if (streq(cmd, "device"))
                r = libvirt_vgpu_device_xml(&v, &o, &out, &reason);
        else if (streq(cmd, "add") || streq(cmd, "remove")) {
                if (!file)
                        usage();
                if (read_input(file, &xml, &len) < 0)
                        return 1;
                r = streq(cmd, "add") ? libvirt_domain_add_vgpu(xml, len, &v, &o, &out, &reason)
                                      : libvirt_domain_remove_vgpu(xml, len, &v, &out, &reason);
        } else
                usage();
        if (r < 0)
                return refused(r, reason);
        fputs(out, stdout);
        return 0;
}
