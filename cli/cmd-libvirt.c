/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl xml`, `attach` and `detach`: an instance in libvirt's terms. The
 * XML comes from libvirt-xml.c (libxml2, never pasted strings); attach and
 * detach talk to libvirt directly, loaded when needed (libvirt-dl.h; vgpud itself never calls libvirt from
 * its main loop, and the hook must not: that is libvirt calling itself). The instance's facts (backend,
 * device, the type's device_api) come from vgpud.
 *
 * An RPC-mode instance has no device element in libvirt: it is attached by
 * editing the persistent definition (virDomainDefineXML) and only with
 * --config; everything else goes through virDomainAttachDeviceFlags().
 */
#include "bus-names.h"
#include "domain-xml.h"
#include "libvirt-dl.h"
#include "libvirt-xml.h"
#include "objects.h"
#include "output.h"
#include <getopt.h>

/* What libvirt-xml.c needs of an instance, read from vgpud; owns its strings. */
typedef struct VgpuFacts {
        InstanceInfo info;
        char *device_api;
        struct libvirt_vgpu v;
} VgpuFacts;

static void vgpu_facts_done(VgpuFacts *f) {
        instance_info_done(&f->info);
        free(f->device_api);
}

static int vgpu_facts_fetch(Cli *c, const char *uuid, VgpuFacts *f) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(objects_done) Objects o = {};
        _cleanup_free_ char *path = NULL;
        sd_bus *bus;
        int r;

        f->info = (InstanceInfo){.iommu_group = -1, .configured_share = -1, .measured_share = -1};
        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return r;
        r = cli_get_instance(c, uuid, &path);
        if (r != EXIT_OK)
                return r;
        r = instance_fetch(bus, path, &error, &f->info);
        if (r < 0)
                return cli_report_error(c, uuid, &error, r);

        f->v.backend = backend_kind_from_string(strempty(f->info.backend));
        if (f->v.backend < 0) {
                fprintf(stderr, "%s: backend '%s' has no libvirt form.\n", uuid, strempty(f->info.backend));
                return EXIT_FAILED;
        }
        f->v.uuid = f->info.uuid;
        switch (backend_device_kind(f->v.backend)) {
        case VGPU_DEVICE_MDEV:
                /* the model is the type's device_api (vfio-pci for every GPU type seen so far) */
                r = objects_fetch(bus, &error, &o);
                if (r < 0)
                        return cli_report_error(c, uuid, &error, r);
                for (size_t k = 0; k < o.n_types; k++)
                        if (streq_ptr(o.types[k].gpu, f->info.gpu) &&
                            streq_ptr(o.types[k].id, f->info.type) && !isempty(o.types[k].device_api)) {
                                f->device_api = strdup(o.types[k].device_api);
                                if (!f->device_api)
                                        return cli_report_error(c, "out of memory", NULL, -ENOMEM);
                                break;
                        }
                f->v.device_api = f->device_api;
                break;
        case VGPU_DEVICE_PCI:
                /* the VF: the device once it is set up, the parent it is defined on before */
                f->v.pci_address = !isempty(f->info.device) ? f->info.device : f->info.parent;
                if (isempty(f->v.pci_address)) {
                        fprintf(stderr, "%s: no PCI function is known for it yet; start it first.\n", uuid);
                        return EXIT_REFUSED;
                }
                break;
        case VGPU_DEVICE_VFIO_USER:
                f->v.socket_path = f->info.device;
                if (isempty(f->v.socket_path)) {
                        fprintf(stderr,
                                "%s: it has no vfio-user socket while it is not created; start it first.\n",
                                uuid);
                        return EXIT_REFUSED;
                }
                break;
        default:
                break;
        }
        return EXIT_OK;
}

/* --display, --ramfb, --domain, --connect, --config, --live: what the three commands take. */
typedef struct XmlArgs {
        struct libvirt_xml_options o;
        const char *uri;
        unsigned flags; /* VIR_DOMAIN_AFFECT_* */
        const char *uuid;
} XmlArgs;

static int parse_xml_args(Cli *c, const char *cmd, int argc, char *argv[], XmlArgs *a) {
        enum { ARG_DISPLAY = 0x100, ARG_RAMFB, ARG_DOMAIN, ARG_CONNECT, ARG_CONFIG, ARG_LIVE };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"display", required_argument, NULL, ARG_DISPLAY},
                {"ramfb", no_argument, NULL, ARG_RAMFB},
                {"domain", required_argument, NULL, ARG_DOMAIN},
                {"connect", required_argument, NULL, ARG_CONNECT},
                {"config", no_argument, NULL, ARG_CONFIG},
                {"live", no_argument, NULL, ARG_LIVE},
                {},
        };
        bool is_xml = streq(cmd, "xml");
        int opt;

        *a = (XmlArgs){.flags = VIR_DOMAIN_AFFECT_CURRENT};
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        (void) command_help(cmd);
                        return -1;
                case 'J':
                        c->json = true;
                        break;
                case ARG_DISPLAY:
                        if (streq(optarg, "on"))
                                a->o.display = LIBVIRT_SWITCH_ON;
                        else if (streq(optarg, "off"))
                                a->o.display = LIBVIRT_SWITCH_OFF;
                        else
                                return cli_usage_error(c, cmd, "invalid --display '%s': use on or off",
                                                       optarg);
                        break;
                case ARG_RAMFB:
                        a->o.ramfb = true;
                        break;
                case ARG_DOMAIN:
                        a->o.domain_name = optarg;
                        break;
                case ARG_CONNECT:
                        if (is_xml)
                                return cli_usage_error(c, cmd, "--connect goes with attach and detach");
                        a->uri = optarg;
                        break;
                case ARG_CONFIG:
                case ARG_LIVE:
                        if (is_xml)
                                return cli_usage_error(c, cmd,
                                                       "--config and --live go with attach and detach");
                        if (a->flags != VIR_DOMAIN_AFFECT_CURRENT)
                                return cli_usage_error(c, cmd, "give --config or --live, not both");
                        a->flags = opt == ARG_CONFIG ? VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_LIVE;
                        break;
                default:
                        return cli_usage_error(c, cmd, "unknown option");
                }
        if (argc - optind != 1)
                return cli_usage_error(c, cmd, "expected one UUID");
        if (!is_xml && !a->o.domain_name)
                return cli_usage_error(c, cmd, "--domain NAME is required");
        if (a->o.ramfb && a->o.display != LIBVIRT_SWITCH_ON)
                return cli_usage_error(c, cmd, "--ramfb needs --display on");
        a->uuid = argv[optind];
        return EXIT_OK;
}

int cmd_xml(Cli *c, int argc, char *argv[]) {
        _cleanup_(vgpu_facts_done) VgpuFacts f = {};
        _cleanup_free_ char *xml = NULL, *why = NULL;
        XmlArgs a;
        int r;

        r = parse_xml_args(c, "xml", argc, argv, &a);
        if (r != EXIT_OK)
                return r < 0 ? EXIT_OK : r;
        r = vgpu_facts_fetch(c, a.uuid, &f);
        if (r != EXIT_OK)
                return r;
        r = libvirt_vgpu_xml(&f.v, &a.o, &xml, &why);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", a.uuid, why ?: strerror(-r));
                return r == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
        }
        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "uuid", json_string(f.info.uuid));
                json_object_object_add(j, "xml", json_string(xml));
                return json_print(j);
        }
        fputs(xml, stdout);
        return EXIT_OK;
}

/* libvirt's errors go through this, not to stderr on their own. */
static void libvirt_quiet(void *userdata, virErrorPtr e) {
}

static int libvirt_failed(const char *what) {
        const virError *e = sym_virGetLastError();
        int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;

        fprintf(stderr, "%s: %s\n", what, e && e->message ? e->message : "unknown libvirt error");
        switch (code) {
        case VIR_ERR_NO_DOMAIN:
                return EXIT_NOT_FOUND;
        case VIR_ERR_OPERATION_INVALID:
        case VIR_ERR_OPERATION_UNSUPPORTED:
        case VIR_ERR_CONFIG_UNSUPPORTED:
        case VIR_ERR_NO_SUPPORT:
                return EXIT_REFUSED;
        case VIR_ERR_AUTH_FAILED:
        case VIR_ERR_ACCESS_DENIED:
                return EXIT_DENIED;
        default:
                return EXIT_FAILED;
        }
}

typedef struct Libvirt {
        virConnectPtr conn;
        virDomainPtr dom;
} Libvirt;

static void libvirt_done(Libvirt *l) {
        if (l->dom)
                sym_virDomainFree(l->dom);
        if (l->conn)
                sym_virConnectClose(l->conn);
}

static int libvirt_open(const XmlArgs *a, Libvirt *l) {
        const char *why;
        int r = libvirt_dl_load(&why);
        if (r < 0) {
                fprintf(stderr,
                        "Cannot load libvirt's client library (%s): %s\n"
                        "Install it (Debian: apt-get install libvirt0) to attach and detach.\n",
                        LIBVIRT_DL_SONAME, why);
                return EXIT_FAILED;
        }
        sym_virSetErrorFunc(NULL, libvirt_quiet);
        l->conn = sym_virConnectOpen(a->uri);
        if (!l->conn) {
                const virError *e = sym_virGetLastError();
                fprintf(stderr, "Cannot reach libvirt at %s: %s\n", a->uri ?: "its default URI",
                        e && e->message ? e->message : "unknown error");
                return EXIT_UNREACHABLE;
        }
        l->dom = sym_virDomainLookupByName(l->conn, a->o.domain_name);
        if (!l->dom) {
                const virError *e = sym_virGetLastError();
                if (e && e->code == VIR_ERR_NO_DOMAIN) {
                        _cleanup_free_ char *uri = sym_virConnectGetURI(l->conn);
                        fprintf(stderr,
                                "No libvirt domain named '%s' at %s ('virsh list --all' lists them).\n",
                                a->o.domain_name, uri ?: "libvirt");
                        return EXIT_NOT_FOUND;
                }
                return libvirt_failed(a->o.domain_name);
        }
        return EXIT_OK;
}

/* The XML of the domain that the change affects: the persistent one, or the running one. */
static int domain_xml(const XmlArgs *a, Libvirt *l, char **ret) {
        unsigned flags = 0;
        int active = sym_virDomainIsActive(l->dom);

        if (a->flags == VIR_DOMAIN_AFFECT_CONFIG || (a->flags == VIR_DOMAIN_AFFECT_CURRENT && active == 0))
                flags = VIR_DOMAIN_XML_INACTIVE;
        *ret = sym_virDomainGetXMLDesc(l->dom, flags);
        return *ret ? EXIT_OK : libvirt_failed(a->o.domain_name);
}

/* Does the domain reference the instance? 1 yes, 0 no, or -exit code. */
static int references(const XmlArgs *a, const char *xml, const struct libvirt_vgpu *v) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        _cleanup_free_ char *why = NULL;
        const char *device = backend_device_kind(v->backend) == VGPU_DEVICE_MDEV        ? v->uuid
                             : backend_device_kind(v->backend) == VGPU_DEVICE_VFIO_USER ? v->socket_path
                                                                                        : v->pci_address;
        int r;

        r = domain_xml_parse_vgpus(xml, strlen(xml), &d, &why);
        if (r < 0) {
                fprintf(stderr, "Cannot read the XML of domain %s: %s\n", a->o.domain_name,
                        why ?: strerror(-r));
                return -EXIT_FAILED;
        }
        for (size_t k = 0; k < d->n_vgpus; k++)
                if (strcaseeq(d->vgpus[k].device, device))
                        return 1;
        return 0;
}

static int attach_or_detach(Cli *c, bool attach, int argc, char *argv[]) {
        const char *cmd = attach ? "attach" : "detach";
        _cleanup_(vgpu_facts_done) VgpuFacts f = {};
        _cleanup_(libvirt_done) Libvirt l = {};
        _cleanup_free_ char *dom_xml = NULL, *dev_xml = NULL, *new_xml = NULL, *why = NULL;
        XmlArgs a;
        int r;

        r = parse_xml_args(c, cmd, argc, argv, &a);
        if (r != EXIT_OK)
                return r < 0 ? EXIT_OK : r;
        r = vgpu_facts_fetch(c, a.uuid, &f);
        if (r != EXIT_OK)
                return r;
        if (backend_device_kind(f.v.backend) == VGPU_DEVICE_VFIO_USER && a.flags == VIR_DOMAIN_AFFECT_LIVE) {
                fprintf(stderr,
                        "%s: an RPC-mode vGPU is a QEMU command-line device; it can only be %s with "
                        "--config (it "
                        "takes effect when the domain next starts).\n",
                        a.uuid, attach ? "attached" : "detached");
                return EXIT_REFUSED;
        }
        r = libvirt_open(&a, &l);
        if (r != EXIT_OK)
                return r;
        if (backend_device_kind(f.v.backend) == VGPU_DEVICE_VFIO_USER)
                a.flags = VIR_DOMAIN_AFFECT_CONFIG;
        r = domain_xml(&a, &l, &dom_xml);
        if (r != EXIT_OK)
                return r;
        r = references(&a, dom_xml, &f.v);
        if (r < 0)
                return -r;
        if (attach && r > 0) {
                fprintf(stderr, "%s is already attached to domain %s.\n", a.uuid, a.o.domain_name);
                return EXIT_REFUSED;
        }
        if (!attach && r == 0) {
                fprintf(stderr, "%s is not attached to domain %s.\n", a.uuid, a.o.domain_name);
                return EXIT_REFUSED;
        }

        if (backend_device_kind(f.v.backend) == VGPU_DEVICE_VFIO_USER) {
                /* Edit the definition and define it again. --domain names the domain to edit, not
                 * one to wrap the device in (libvirt_domain_add_vgpu refuses a name). */
                struct libvirt_xml_options o = a.o;
                o.domain_name = NULL;
                r = attach ? libvirt_domain_add_vgpu(dom_xml, strlen(dom_xml), &f.v, &o, &new_xml, &why)
                           : libvirt_domain_remove_vgpu(dom_xml, strlen(dom_xml), &f.v, &new_xml, &why);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", a.o.domain_name, why ?: strerror(-r));
                        return EXIT_REFUSED;
                }
                virDomainPtr d = sym_virDomainDefineXML(l.conn, new_xml);
                if (!d)
                        return libvirt_failed(a.o.domain_name);
                sym_virDomainFree(d);
        } else {
                struct libvirt_xml_options o = a.o;
                o.domain_name = NULL;
                r = libvirt_vgpu_device_xml(&f.v, &o, &dev_xml, &why);
                if (r < 0) {
                        fprintf(stderr, "%s: %s\n", a.uuid, why ?: strerror(-r));
                        return EXIT_FAILED;
                }
                r = attach ? sym_virDomainAttachDeviceFlags(l.dom, dev_xml, a.flags)
                           : sym_virDomainDetachDeviceFlags(l.dom, dev_xml, a.flags);
                if (r < 0)
                        return libvirt_failed(a.o.domain_name);
        }
        if (c->json) {
                _cleanup_(json_object_putp) json_object *j = json_object_new_object();
                json_object_object_add(j, "uuid", json_string(f.info.uuid));
                json_object_object_add(j, "domain", json_string(a.o.domain_name));
                json_object_object_add(j, "result", json_string(attach ? "attached" : "detached"));
                return json_print(j);
        }
        printf("%s %s %sdomain %s.\n", f.info.uuid, attach ? "attached to" : "detached from",
               a.flags == VIR_DOMAIN_AFFECT_CONFIG ? "the definition of "
               : a.flags == VIR_DOMAIN_AFFECT_LIVE ? "the running "
                                                   : "",
               a.o.domain_name);
        return EXIT_OK;
}

int cmd_attach(Cli *c, int argc, char *argv[]) {
        return attach_or_detach(c, true, argc, argv);
}

int cmd_detach(Cli *c, int argc, char *argv[]) {
        return attach_or_detach(c, false, argc, argv);
}
