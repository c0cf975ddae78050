/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of domain-xml.h. The document is walked by hand, element
 * by element, rather than with XPath: the walk visits each node of the
 * places that count once, and those places are few and fixed.
 */
#include <ctype.h>
#include <stdarg.h>

#include "domain-xml.h"
#include "error.h"
#include "libvirt-xml.h"
#include "pci.h"
#include "qemu-device-arg.h"
#include "string-table.h"
#include "uuid.h"
#include "xml-util.h"

#define ERROR_TEXT_MAX 200

/* libxml2's message, one line, printable, bounded: it may quote the input. */
static void sanitize_message(const char *in, char out[static ERROR_TEXT_MAX]) {
        size_t n = 0;

        for (const char *p = strempty(in); *p && n < ERROR_TEXT_MAX - 1; p++)
                out[n++] = (*p == '\n' || *p == '\r') ? ' ' : isprint((unsigned char) *p) ? *p : '?';
        while (n > 0 && out[n - 1] == ' ')
                n--;
        out[n] = 0;
}

int domain_xml_read(const char *xml, size_t len, int extra_options, xmlDoc **ret, char **ret_error) {
        _cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlNodePtr root;

        if (!xml || len == 0)
                return reason_set(ret_error, -EBADMSG, "The domain XML is empty.");
        if (len > DOMAIN_XML_MAX_BYTES)
                return reason_set(ret_error, -EFBIG,
                                  "The domain XML is %zu bytes long; at most %u are read.", len,
                                  DOMAIN_XML_MAX_BYTES);

        xmlInitParser();
        ctxt = xmlNewParserCtxt();
        if (!ctxt)
                return -ENOMEM;
        /* No network, no DTD loading, no entity substitution (XML_PARSE_NOENT
         * stays off), libxml2's size and depth limits on (no XML_PARSE_HUGE),
         * and errors into ctxt rather than onto stderr. */
        doc = xmlCtxtReadMemory(ctxt, xml, (int) len, "domain.xml", NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                        XML_PARSE_NOCDATA | extra_options);
        if (!doc || !ctxt->wellFormed) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                char msg[ERROR_TEXT_MAX];

                sanitize_message(e ? e->message : "unknown error", msg);
                return reason_set(ret_error, -EBADMSG, "The domain XML is not well-formed: line %d: %s.",
                                  e ? e->line : 0, msg);
        }
        /* libvirt never writes a DOCTYPE; one here can only declare entities. */
        if (doc->intSubset || doc->extSubset)
                return reason_set(ret_error, -EINVAL,
                                  "The domain XML has a DOCTYPE; libvirt domain XML has none.");
        root = xmlDocGetRootElement(doc);
        if (!root || root->ns || !xmlStrEqual(root->name, BAD_CAST "domain")) {
                char name[ERROR_TEXT_MAX];
                sanitize_message(root ? (const char *) root->name : "", name);
                return reason_set(ret_error, -EINVAL,
                                  "The XML is not a libvirt domain: its root element is <%s>.", name);
        }
        *ret = TAKE_PTR(doc);
        return 0;
}

struct domain_vgpus *domain_vgpus_free(struct domain_vgpus *d) {
        if (!d)
                return NULL;
        for (size_t k = 0; k < d->n_vgpus; k++) {
                free(d->vgpus[k].device);
                free(d->vgpus[k].model);
        }
        free(d->vgpus);
        free(d->name);
        free(d->uuid);
        free(d);
        return NULL;
}

static bool is_element(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST name);
}

static bool is_qemu_element(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
               xmlStrEqual(n->ns->href, BAD_CAST LIBVIRT_QEMU_NS_URI) && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNode *first_child(const xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (is_element(c, name))
                        return c;
        return NULL;
}

/* Add a reference, unless the same device is there already. Takes device and model. */
static int add_vgpu(struct domain_vgpus *d, enum vgpu_device_kind kind, char *device, bool managed,
                    char *model, xmlNode *node0, xmlNode *node1, char **ret_error) {
        _cleanup_free_ char *dev = device, *mod = model;
        struct domain_vgpu *n;

        for (size_t k = 0; k < d->n_vgpus; k++)
                if (d->vgpus[k].kind == kind && streq(d->vgpus[k].device, dev))
                        return 0;
        if (d->n_vgpus >= DOMAIN_VGPUS_MAX)
                return reason_set(ret_error, -E2BIG,
                                  "The domain references more than %u devices; vgpud reads at most %u.",
                                  DOMAIN_VGPUS_MAX, DOMAIN_VGPUS_MAX);
        n = reallocarray(d->vgpus, d->n_vgpus + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        d->vgpus = n;
        d->vgpus[d->n_vgpus++] = (struct domain_vgpu){
                .kind = kind,
                .device = TAKE_PTR(dev),
                .managed = managed,
                .model = TAKE_PTR(mod),
                .nodes = {node0, node1},
        };
        return 0;
}

/* An unsigned attribute as libvirt reads it: decimal, 0x-hex or 0-octal, nothing else. */
static int parse_number(const xmlChar *s, unsigned max, unsigned *ret) {
        const char *p = (const char *) s;
        unsigned long v;
        char *end;

        if (!p || !isdigit((unsigned char) *p))
                return -EINVAL;
        errno = 0;
        v = strtoul(p, &end, 0);
        if (errno != 0 || end == p || *end != 0 || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int read_mdev(struct domain_vgpus *d, xmlNode *hostdev, size_t index, char **ret_error) {
        xmlNode *address = first_child(first_child(hostdev, "source"), "address");
        _cleanup_xml_free_ xmlChar *uuid = NULL, *model = NULL;
        _cleanup_free_ char *device = NULL, *m = NULL;

        uuid = address ? xmlGetNoNsProp(address, BAD_CAST "uuid") : NULL;
        if (!uuid)
                return reason_set(ret_error, -EINVAL,
                                  "mdev <hostdev> #%zu (line %ld) has no <source><address uuid=.../>.",
                                  index, xmlGetLineNo(hostdev));
        if (!uuid_is_valid((const char *) uuid))
                return reason_set(ret_error, -EINVAL, "mdev <hostdev> #%zu (line %ld) has a malformed UUID.",
                                  index, xmlGetLineNo(hostdev));
        device = strdup((const char *) uuid);
        if (!device)
                return -ENOMEM;
        for (char *p = device; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        model = xmlGetNoNsProp(hostdev, BAD_CAST "model");
        if (model && !(m = strdup((const char *) model)))
                return -ENOMEM;
        return add_vgpu(d, VGPU_DEVICE_MDEV, TAKE_PTR(device), false, TAKE_PTR(m), hostdev, NULL, ret_error);
}

static int read_pci(struct domain_vgpus *d, xmlNode *hostdev, size_t index, char **ret_error) {
        xmlNode *address = first_child(first_child(hostdev, "source"), "address");
        _cleanup_xml_free_ xmlChar *dom = NULL, *bus = NULL, *slot = NULL, *fn = NULL, *managed = NULL;
        unsigned vdom = 0, vbus, vslot, vfn;
        char *device;

        if (!address)
                return reason_set(ret_error, -EINVAL,
                                  "PCI <hostdev> #%zu (line %ld) has no <source><address/>.", index,
                                  xmlGetLineNo(hostdev));
        dom = xmlGetNoNsProp(address, BAD_CAST "domain");
        bus = xmlGetNoNsProp(address, BAD_CAST "bus");
        slot = xmlGetNoNsProp(address, BAD_CAST "slot");
        fn = xmlGetNoNsProp(address, BAD_CAST "function");
        if ((dom && parse_number(dom, 0xffff, &vdom) < 0) || parse_number(bus, 0xff, &vbus) < 0 ||
            parse_number(slot, 0x1f, &vslot) < 0 || parse_number(fn, 7, &vfn) < 0)
                return reason_set(
                        ret_error, -EINVAL,
                        "PCI <hostdev> #%zu (line %ld) has a missing or malformed address (domain <= "
                        "0xffff, "
                        "bus <= 0xff, slot <= 0x1f, function <= 7).",
                        index, xmlGetLineNo(hostdev));
        if (asprintf(&device, "%04x:%02x:%02x.%x", vdom, vbus, vslot, vfn) < 0)
                return -ENOMEM;
        managed = xmlGetNoNsProp(hostdev, BAD_CAST "managed");
        return add_vgpu(d, VGPU_DEVICE_PCI, device, managed && xmlStrEqual(managed, BAD_CAST "yes"), NULL,
                        hostdev, NULL, ret_error);
}

static int read_devices(struct domain_vgpus *d, xmlNode *devices, size_t *index, char **ret_error) {
        for (xmlNode *c = devices->children; c; c = c->next) {
                _cleanup_xml_free_ xmlChar *mode = NULL, *type = NULL;
                int r = 0;

                if (!is_element(c, "hostdev"))
                        continue;
                (*index)++;
                mode = xmlGetNoNsProp(c, BAD_CAST "mode");
                if (mode && !xmlStrEqual(mode, BAD_CAST "subsystem"))
                        continue; /* mode='capabilities': storage, misc, net; never a vGPU */
                type = xmlGetNoNsProp(c, BAD_CAST "type");
                if (!type)
                        return reason_set(ret_error, -EINVAL, "<hostdev> #%zu (line %ld) has no type.",
                                          *index, xmlGetLineNo(c));
                if (xmlStrEqual(type, BAD_CAST "mdev"))
                        r = read_mdev(d, c, *index, ret_error);
                else if (xmlStrEqual(type, BAD_CAST "pci"))
                        r = read_pci(d, c, *index, ret_error);
                /* usb, scsi, scsi_host: not vGPUs */
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_commandline(struct domain_vgpus *d, xmlNode *cmdline, char **ret_error) {
        xmlNode *device_arg = NULL; /* the "-device" whose value comes next */

        for (xmlNode *c = cmdline->children; c; c = c->next) {
                _cleanup_xml_free_ xmlChar *value = NULL;
                struct qemu_device_arg arg = {};
                xmlNode *dev_arg;
                char *path;
                int r;

                if (!is_qemu_element(c, "arg"))
                        continue;
                value = xmlGetNoNsProp(c, BAD_CAST "value");
                if (!value)
                        continue;
                if (!device_arg) {
                        if (xmlStrEqual(value, BAD_CAST "-device") ||
                            xmlStrEqual(value, BAD_CAST "--device"))
                                device_arg = c;
                        continue;
                }
                dev_arg = TAKE_PTR(device_arg);
                /* Another device's argument that vgpud cannot read is not vgpud's business. */
                if (qemu_device_arg_parse((const char *) value, &arg) < 0)
                        continue;
                if (!streq(arg.driver, VFIO_USER_PCI_DRIVER)) {
                        qemu_device_arg_done(&arg);
                        continue;
                }
                if (isempty(arg.socket_path) || (arg.socket_type && !streq(arg.socket_type, "unix"))) {
                        qemu_device_arg_done(&arg);
                        return reason_set(
                                ret_error, -EINVAL,
                                "A %s device in <qemu:commandline> (line %ld) has no unix socket path.",
                                VFIO_USER_PCI_DRIVER, xmlGetLineNo(c));
                }
                path = TAKE_PTR(arg.socket_path);
                qemu_device_arg_done(&arg);
                r = add_vgpu(d, VGPU_DEVICE_VFIO_USER, path, false, NULL, dev_arg, c, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dup_content(xmlNode *n, char **ret) {
        _cleanup_xml_free_ xmlChar *s = NULL;

        if (*ret) /* the first one counts, as in libvirt */
                return 0;
        s = xmlNodeGetContent(n);
        if (!s)
                return -ENOMEM;
        *ret = strdup((const char *) s);
        return *ret ? 0 : -ENOMEM;
}

int domain_xml_vgpus_from_doc(xmlDoc *doc, struct domain_vgpus **ret, char **ret_error) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
        size_t index = 0;
        int r;

        if (!root || root->ns || !xmlStrEqual(root->name, BAD_CAST "domain"))
                return reason_set(ret_error, -EINVAL, "The XML is not a libvirt domain.");
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        for (xmlNode *c = root->children; c; c = c->next) {
                if (is_element(c, "name"))
                        r = dup_content(c, &d->name);
                else if (is_element(c, "uuid"))
                        r = dup_content(c, &d->uuid);
                else if (is_element(c, "devices"))
                        r = read_devices(d, c, &index, ret_error);
                else if (is_qemu_element(c, "commandline"))
                        r = read_commandline(d, c, ret_error);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(d);
        return 0;
}

int domain_xml_parse_vgpus(const char *xml, size_t len, struct domain_vgpus **ret, char **ret_error) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        int r;

        r = domain_xml_read(xml, len, 0, &doc, ret_error);
        if (r < 0)
                return r;
        return domain_xml_vgpus_from_doc(doc, ret, ret_error);
}
