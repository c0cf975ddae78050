/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Implementation of libvirt-xml.h.
 *
 * managed='no' for both PCI backends, because vgpud, not libvirt, owns the
 * VF's driver binding:
 *   - vf: vgpud binds the VF to vfio-pci (BindDevice, or the hook at
 *     `prepare begin`) and records that binding as the instance's state.
 *     With managed='yes' libvirt would detach it itself at start and, at
 *     stop, rebind it to the host driver, undoing vgpud's binding behind its
 *     back (the instance would silently leave the "created" state) and racing
 *     vgpud's own bind at start.
 *   - nvidia-vfio: the VF must stay on NVIDIA's driver, which provides its
 *     VFIO device and holds the vGPU (nvidia/current_vgpu_type). libvirt 9.0
 *     in managed mode would unbind it and bind vfio-pci, destroying the vGPU.
 * <driver name='vfio'/> is written for both: it is libvirt's only
 * assignment method on current hosts, and it says so to the reader.
 */
#include <ctype.h>
#include <libxml/xmlsave.h>
#include <stdarg.h>
#include <sys/un.h>

#include "domain-xml.h"
#include "error.h"
#include "libvirt-xml.h"
#include "pci.h"
#include "qemu-device-arg.h"
#include "string-table.h"
#include "uuid.h"
#include "xml-util.h"

#define DOMAIN_NAME_MAX       255 /* bytes; libvirt keeps names in file names */
#define DEFAULT_MEMORY_MIB    1024u
#define QEMU_DEVICE_ID_PREFIX "vgpud-"
#define QEMU_NS_PREFIX        "qemu"

bool libvirt_xml_text_is_valid(const char *s, size_t max) {
        size_t n;

        if (isempty(s))
                return false;
        n = strlen(s);
        if (n > max || !xmlCheckUTF8(BAD_CAST s))
                return false;
        /* XML 1.0 cannot carry most control characters at all; none belongs in a name or path. */
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

static const char *switch_to_string(enum libvirt_switch s) {
        return s == LIBVIRT_SWITCH_ON ? "on" : "off";
}

/* Everything about the inputs that can be wrong, before any XML exists. */
static int check_input(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret_error) {
        const char *backend = backend_kind_to_string(v->backend);
        unsigned d, b, s, f;

        if (!backend)
                return reason_set(ret_error, -EINVAL, "Unknown vGPU backend %d.", (int) v->backend);
        if (v->uuid && !uuid_is_valid(v->uuid))
                return reason_set(ret_error, -EINVAL, "Malformed instance UUID \"%s\".",
                                  libvirt_xml_text_is_valid(v->uuid, 64) ? v->uuid : "(unprintable)");
        if (o->display != LIBVIRT_SWITCH_ABSENT || o->ramfb) {
                if (backend_device_kind(v->backend) != VGPU_DEVICE_MDEV)
                        return reason_set(
                                ret_error, -EINVAL,
                                "display and ramfb are options of mdev devices; a %s instance has no "
                                "display "
                                "libvirt can show.",
                                backend);
                if (o->ramfb && o->display != LIBVIRT_SWITCH_ON)
                        return reason_set(
                                ret_error, -EINVAL,
                                "ramfb needs display on: QEMU shows the boot framebuffer through the vGPU's "
                                "display.");
        }
        if (o->memory_source >= _LIBVIRT_MEMORY_SOURCE_MAX)
                return reason_set(ret_error, -EINVAL, "Unknown memory source %d.", (int) o->memory_source);
        if (o->domain_name &&
            (!libvirt_xml_text_is_valid(o->domain_name, DOMAIN_NAME_MAX) || strchr(o->domain_name, '/')))
                return reason_set(
                        ret_error, -EINVAL,
                        "A domain name must be 1 to %d bytes of UTF-8 without '/' or control characters.",
                        DOMAIN_NAME_MAX);

        switch (backend_device_kind(v->backend)) {
        case VGPU_DEVICE_MDEV: {
                const char *api = v->device_api ?: "vfio-pci";
                if (!v->uuid)
                        return reason_set(ret_error, -EINVAL, "An mdev instance needs its UUID.");
                if (!streq(api, "vfio-pci") && !streq(api, "vfio-ccw") && !streq(api, "vfio-ap"))
                        return reason_set(
                                ret_error, -EINVAL,
                                "libvirt's mdev model is vfio-pci, vfio-ccw or vfio-ap; the type's "
                                "device_api \"%s\" is none of them.",
                                libvirt_xml_text_is_valid(api, 64) ? api : "(unprintable)");
                if (!streq(api, "vfio-pci") && (o->display != LIBVIRT_SWITCH_ABSENT || o->ramfb))
                        return reason_set(ret_error, -EINVAL,
                                          "display and ramfb need model vfio-pci, not %s.", api);
                return 0;
        }
        case VGPU_DEVICE_PCI:
                if (pci_address_parse(v->pci_address, &d, &b, &s, &f) < 0)
                        return reason_set(
                                ret_error, -EINVAL,
                                "A %s instance needs the VF's PCI address as dddd:bb:ss.f, not \"%s\".",
                                backend,
                                libvirt_xml_text_is_valid(v->pci_address, 64) ? v->pci_address
                                                                              : "(unprintable)");
                return 0;
        case VGPU_DEVICE_VFIO_USER:
                /* QEMU connects to it: it must fit sockaddr_un.sun_path with its NUL. */
                if (!libvirt_xml_text_is_valid(v->socket_path,
                                               sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1) ||
                    v->socket_path[0] != '/')
                        return reason_set(
                                ret_error, -EINVAL,
                                "An rpc instance needs its vfio-user socket as an absolute path of at "
                                "most %zu "
                                "bytes of UTF-8 without control characters.",
                                sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1);
                return 0;
        default:
                return -EINVAL;
        }
}

/* UUIDs are written in lower case, as sysfs names mdevs and libvirt prints them. */
static char *uuid_lower(const char *uuid) {
        char *s = strdup(uuid);

        for (char *p = s; p && *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return s;
}

static int set_prop(xmlNodePtr n, const char *name, const char *value) {
        /* xmlNewProp stores the value as text: it is escaped on output, never parsed. */
        return xmlNewProp(n, BAD_CAST name, BAD_CAST value) ? 0 : -ENOMEM;
}

static int add_child(xmlNodePtr parent, xmlNsPtr ns, const char *name, xmlNodePtr *ret) {
        xmlNodePtr c = xmlNewChild(parent, ns, BAD_CAST name, NULL);

        if (!c)
                return -ENOMEM;
        if (ret)
                *ret = c;
        return 0;
}

static int add_text_child(xmlNodePtr parent, const char *name, const char *text, xmlNodePtr *ret) {
        /* xmlNewTextChild escapes; xmlNewChild would parse entity references in text. */
        xmlNodePtr c = xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);

        if (!c)
                return -ENOMEM;
        if (ret)
                *ret = c;
        return 0;
}

static int new_hostdev(xmlDocPtr doc, const struct libvirt_vgpu *v, const struct libvirt_xml_options *o,
                       xmlNodePtr *ret) {
        _cleanup_(xmlFreeNodep) xmlNodePtr h = NULL;
        xmlNodePtr source, address, driver;
        unsigned d, b, s, f;
        char buf[4][8];
        int r;

        h = xmlNewDocNode(doc, NULL, BAD_CAST "hostdev", NULL);
        if (!h)
                return -ENOMEM;
        if ((r = set_prop(h, "mode", "subsystem")) < 0)
                return r;

        if (backend_device_kind(v->backend) == VGPU_DEVICE_MDEV) {
                _cleanup_free_ char *uuid = uuid_lower(v->uuid);
                if (!uuid)
                        return -ENOMEM;
                if ((r = set_prop(h, "type", "mdev")) < 0 ||
                    (r = set_prop(h, "model", v->device_api ?: "vfio-pci")) < 0)
                        return r;
                if (o->display != LIBVIRT_SWITCH_ABSENT &&
                    (r = set_prop(h, "display", switch_to_string(o->display))) < 0)
                        return r;
                if (o->ramfb && (r = set_prop(h, "ramfb", "on")) < 0)
                        return r;
                if ((r = add_child(h, NULL, "source", &source)) < 0 ||
                    (r = add_child(source, NULL, "address", &address)) < 0 ||
                    (r = set_prop(address, "uuid", uuid)) < 0)
                        return r;
        } else {
                /* managed='no': see the top of this file. */
                if ((r = set_prop(h, "type", "pci")) < 0 || (r = set_prop(h, "managed", "no")) < 0 ||
                    (r = add_child(h, NULL, "driver", &driver)) < 0 ||
                    (r = set_prop(driver, "name", "vfio")) < 0)
                        return r;
                if (pci_address_parse(v->pci_address, &d, &b, &s, &f) < 0)
                        return -EINVAL;
                snprintf(buf[0], sizeof(buf[0]), "0x%04x", d);
                snprintf(buf[1], sizeof(buf[1]), "0x%02x", b);
                snprintf(buf[2], sizeof(buf[2]), "0x%02x", s);
                snprintf(buf[3], sizeof(buf[3]), "0x%x", f);
                if ((r = add_child(h, NULL, "source", &source)) < 0 ||
                    (r = add_child(source, NULL, "address", &address)) < 0 ||
                    (r = set_prop(address, "domain", buf[0])) < 0 ||
                    (r = set_prop(address, "bus", buf[1])) < 0 ||
                    (r = set_prop(address, "slot", buf[2])) < 0 ||
                    (r = set_prop(address, "function", buf[3])) < 0)
                        return r;
        }
        *ret = TAKE_PTR(h);
        return 0;
}

static const char *memory_source_to_string(enum libvirt_memory_source s) {
        return s == LIBVIRT_MEMORY_FILE ? "file" : "memfd";
}

/* <memoryBacking><source type='memfd|file'/><access mode='shared'/></memoryBacking> */
static int new_memory_backing(xmlDocPtr doc, enum libvirt_memory_source source, xmlNodePtr *ret) {
        _cleanup_(xmlFreeNodep) xmlNodePtr mb = NULL;
        xmlNodePtr c;
        int r;

        mb = xmlNewDocNode(doc, NULL, BAD_CAST "memoryBacking", NULL);
        if (!mb)
                return -ENOMEM;
        if ((r = add_child(mb, NULL, "source", &c)) < 0 ||
            (r = set_prop(c, "type", memory_source_to_string(source))) < 0 ||
            (r = add_child(mb, NULL, "access", &c)) < 0 || (r = set_prop(c, "mode", "shared")) < 0)
                return r;
        *ret = TAKE_PTR(mb);
        return 0;
}

static int new_comment(xmlDocPtr doc, const char *text, xmlNodePtr *ret) {
        /* Fixed text only: a comment cannot escape "--". */
        xmlNodePtr c = xmlNewDocComment(doc, BAD_CAST text);

        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

/* The two <qemu:arg/> of the vfio-user device, appended to cmdline (in namespace ns). */
static int add_device_args(xmlNodePtr cmdline, xmlNsPtr ns, const struct libvirt_vgpu *v) {
        _cleanup_free_ char *json = NULL, *id = NULL, *uuid = NULL;
        xmlNodePtr arg;
        int r;

        if (v->uuid) {
                uuid = uuid_lower(v->uuid);
                if (!uuid || asprintf(&id, QEMU_DEVICE_ID_PREFIX "%s", uuid) < 0) {
                        id = NULL;
                        return -ENOMEM;
                }
        }
        r = qemu_device_arg_vfio_user(v->socket_path, id, &json);
        if (r < 0)
                return r;
        if ((r = add_child(cmdline, ns, "arg", &arg)) < 0 || (r = set_prop(arg, "value", "-device")) < 0 ||
            (r = add_child(cmdline, ns, "arg", &arg)) < 0 || (r = set_prop(arg, "value", json)) < 0)
                return r;
        return 0;
}

/* A <qemu:commandline> with the device's arguments; the namespace is declared
 * on decl_on (the domain root), or on the element itself when decl_on is NULL. */
static int new_qemu_commandline(xmlDocPtr doc, xmlNodePtr decl_on, const struct libvirt_vgpu *v,
                                xmlNodePtr *ret) {
        _cleanup_(xmlFreeNodep) xmlNodePtr cmd = NULL;
        xmlNsPtr ns;
        int r;

        cmd = xmlNewDocNode(doc, NULL, BAD_CAST "commandline", NULL);
        if (!cmd)
                return -ENOMEM;
        ns = xmlNewNs(decl_on ?: cmd, BAD_CAST LIBVIRT_QEMU_NS_URI, BAD_CAST QEMU_NS_PREFIX);
        if (!ns)
                return -ENOMEM;
        xmlSetNs(cmd, ns);
        r = add_device_args(cmd, ns, v);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(cmd);
        return 0;
}

/* Serialize nodes (each followed by a newline), or the whole document if nodes is NULL. */
static int dump(xmlDocPtr doc, xmlNodePtr *nodes, size_t n, char **ret) {
        _cleanup_(xmlBufferFreep) xmlBufferPtr buf = NULL;
        xmlSaveCtxtPtr save;
        long k = 0;
        char *s;

        xmlInitParser(); /* the encoder tables; idempotent */
        buf = xmlBufferCreate();
        if (!buf)
                return -ENOMEM;
        save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
        if (!save)
                return -ENOMEM;
        if (!nodes)
                k = xmlSaveDoc(save, doc);
        for (size_t i = 0; i < n && k >= 0; i++) {
                k = xmlSaveTree(save, nodes[i]);
                if (k >= 0)
                        k = xmlSaveFlush(save);
                if (k >= 0 && xmlBufferAdd(buf, BAD_CAST "\n", 1) != 0)
                        k = -1;
        }
        if (xmlSaveClose(save) < 0 || k < 0)
                return -ENOMEM;
        s = strdup((const char *) xmlBufferContent(buf));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static const char rpc_comment[] =
        " vfio-user device of an RPC-mode vGPU (QEMU 10.1 or later, through libvirt's QEMU namespace). "
        "vgpud maps the guest's RAM, so it must be shared and fd-backed: merge both elements into the "
        "domain. ";

/* The device for `vgpuctl xml UUID`: a <hostdev>, or for rpc a comment,
 * <memoryBacking> and a self-declaring <qemu:commandline>. */
static int device_fragment(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlNodePtr nodes[3] = {};
        size_t n = 0;
        int r;

        doc = xmlNewDoc(BAD_CAST "1.0");
        if (!doc)
                return -ENOMEM;
        /* Each node is linked into the document as soon as it exists, so that
         * freeing the document frees everything, whatever fails later. */
        if (backend_device_kind(v->backend) != VGPU_DEVICE_VFIO_USER) {
                r = new_hostdev(doc, v, o, &nodes[n]);
                if (r < 0)
                        return r;
                xmlAddChild((xmlNodePtr) doc, nodes[n++]);
        } else {
                r = new_comment(doc, rpc_comment, &nodes[n]);
                if (r < 0)
                        return r;
                xmlAddChild((xmlNodePtr) doc, nodes[n++]);
                r = new_memory_backing(doc, o->memory_source, &nodes[n]);
                if (r < 0)
                        return r;
                xmlAddChild((xmlNodePtr) doc, nodes[n++]);
                r = new_qemu_commandline(doc, NULL, v, &nodes[n]);
                if (r < 0)
                        return r;
                xmlAddChild((xmlNodePtr) doc, nodes[n++]);
        }
        return dump(doc, nodes, n, ret);
}

/* A minimal complete domain around the device. */
static int wrapped_domain(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlNodePtr root, mem, os, type, features, devices, n, g;
        char mib[16];
        int r;

        doc = xmlNewDoc(BAD_CAST "1.0");
        if (!doc)
                return -ENOMEM;
        root = xmlNewDocNode(doc, NULL, BAD_CAST "domain", NULL);
        if (!root)
                return -ENOMEM;
        xmlDocSetRootElement(doc, root);
        snprintf(mib, sizeof(mib), "%u", o->memory_mib ?: DEFAULT_MEMORY_MIB);

        if ((r = set_prop(root, "type", "kvm")) < 0 ||
            (r = add_text_child(root, "name", o->domain_name, NULL)) < 0 ||
            (r = add_text_child(root, "memory", mib, &mem)) < 0 || (r = set_prop(mem, "unit", "MiB")) < 0)
                return r;
        if (backend_device_kind(v->backend) == VGPU_DEVICE_VFIO_USER) {
                if ((r = new_comment(doc, rpc_comment, &n)) < 0)
                        return r;
                xmlAddChild(root, n);
                if ((r = new_memory_backing(doc, o->memory_source, &n)) < 0)
                        return r;
                xmlAddChild(root, n);
        }
        /* No arch or machine: libvirt picks the host's. ACPI: without it QEMU's pc machine takes no
         * hot-plugged PCI device, and attach --live needs one. */
        if ((r = add_child(root, NULL, "os", &os)) < 0 ||
            (r = add_text_child(os, "type", "hvm", &type)) < 0 ||
            (r = add_child(root, NULL, "features", &features)) < 0 ||
            (r = add_child(features, NULL, "acpi", NULL)) < 0 ||
            (r = add_child(root, NULL, "devices", &devices)) < 0)
                return r;
        if (backend_device_kind(v->backend) == VGPU_DEVICE_VFIO_USER) {
                if ((r = new_qemu_commandline(doc, root, v, &n)) < 0)
                        return r;
                xmlAddChild(root, n);
        } else {
                /* display='on' needs a graphics device to show it on. */
                if (o->display == LIBVIRT_SWITCH_ON && ((r = add_child(devices, NULL, "graphics", &g)) < 0 ||
                                                        (r = set_prop(g, "type", "vnc")) < 0))
                        return r;
                if ((r = new_hostdev(doc, v, o, &n)) < 0)
                        return r;
                xmlAddChild(devices, n);
        }
        return dump(doc, NULL, 0, ret);
}

int libvirt_vgpu_xml(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret,
                     char **ret_error) {
        static const struct libvirt_xml_options defaults = {};
        int r;

        if (!v || !ret)
                return -EINVAL;
        o = o ?: &defaults;
        r = check_input(v, o, ret_error);
        if (r < 0)
                return r;
        return o->domain_name ? wrapped_domain(v, o, ret) : device_fragment(v, o, ret);
}

int libvirt_vgpu_device_xml(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret,
                            char **ret_error) {
        struct libvirt_xml_options device_only = o ? *o : (struct libvirt_xml_options){};
        int r;

        if (!v || !ret)
                return -EINVAL;
        device_only.domain_name = NULL;
        r = check_input(v, &device_only, ret_error);
        if (r < 0)
                return r;
        if (backend_device_kind(v->backend) == VGPU_DEVICE_VFIO_USER)
                return reason_set(
                        ret_error, -EOPNOTSUPP,
                        "An rpc instance is a vfio-user device, which libvirt has no device element for: it "
                        "goes into the domain definition (qemu:commandline and shared memory), so it can be "
                        "added to a stopped domain's configuration only.");
        return device_fragment(v, &device_only, ret);
}

/* --- editing a domain --- */

static bool is_element(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && !n->ns && xmlStrEqual(n->name, BAD_CAST name);
}

static xmlNodePtr first_child(xmlNodePtr n, const char *name) {
        for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
                if (is_element(c, name))
                        return c;
        return NULL;
}

/* The reference v is in a parsed domain: kind and device string. */
static int vgpu_reference(const struct libvirt_vgpu *v, enum vgpu_device_kind *kind, char **device) {
        unsigned d, b, s, f;
        char *dev;

        switch (backend_device_kind(v->backend)) {
        case VGPU_DEVICE_MDEV:
                dev = uuid_lower(v->uuid);
                if (!dev)
                        return -ENOMEM;
                *kind = VGPU_DEVICE_MDEV;
                break;
        case VGPU_DEVICE_PCI:
                if (pci_address_parse(v->pci_address, &d, &b, &s, &f) < 0)
                        return -EINVAL;
                if (asprintf(&dev, "%04x:%02x:%02x.%x", d, b, s, f) < 0)
                        return -ENOMEM;
                *kind = VGPU_DEVICE_PCI;
                break;
        case VGPU_DEVICE_VFIO_USER:
                dev = strdup(v->socket_path);
                if (!dev)
                        return -ENOMEM;
                *kind = VGPU_DEVICE_VFIO_USER;
                break;
        default:
                return -EINVAL;
        }
        *device = dev;
        return 0;
}

/* The index in d of the reference to v, or -ENOENT. */
static int find_reference(const struct domain_vgpus *d, const struct libvirt_vgpu *v) {
        _cleanup_free_ char *device = NULL;
        enum vgpu_device_kind kind;
        int r;

        r = vgpu_reference(v, &kind, &device);
        if (r < 0)
                return r;
        for (size_t k = 0; k < d->n_vgpus; k++)
                if (d->vgpus[k].kind == kind && streq(d->vgpus[k].device, device))
                        return (int) k;
        return -ENOENT;
}

static const char *domain_label(const struct domain_vgpus *d) {
        return d->name ?: "(unnamed)";
}

/* Shared, fd-backed guest memory for vfio-user, refusing to override an explicit opposite choice. */
static int ensure_shared_memory(xmlDocPtr doc, xmlNodePtr root, const struct domain_vgpus *d,
                                enum libvirt_memory_source source, char **ret_error) {
        _cleanup_(xmlFreeNodep) xmlNodePtr fresh = NULL;
        xmlNodePtr mb = first_child(root, "memoryBacking"), access, src, c;
        int r;

        if (!mb) {
                r = new_memory_backing(doc, source, &fresh);
                if (r < 0)
                        return r;
                mb = TAKE_PTR(fresh);
                /* Next to <memory>, where people look for it (the schema does not mind the order). */
                c = first_child(root, "memory");
                if (c ? !xmlAddNextSibling(c, mb) : !xmlAddChild(root, mb)) {
                        xmlFreeNode(mb);
                        return -ENOMEM;
                }
                return 0;
        }

        access = first_child(mb, "access");
        if (access) {
                _cleanup_xml_free_ xmlChar *mode = xmlGetNoNsProp(access, BAD_CAST "mode");
                if (mode && xmlStrEqual(mode, BAD_CAST "private"))
                        return reason_set(
                                ret_error, -EINVAL,
                                "Domain %s has <memoryBacking><access mode='private'/>; a vfio-user vGPU "
                                "needs the guest's memory shared with vgpud. Change it to 'shared' first.",
                                domain_label(d));
                if (!xmlSetProp(access, BAD_CAST "mode", BAD_CAST "shared"))
                        return -ENOMEM;
        } else if ((r = add_child(mb, NULL, "access", &access)) < 0 ||
                   (r = set_prop(access, "mode", "shared")) < 0)
                return r;

        src = first_child(mb, "source");
        if (src) {
                _cleanup_xml_free_ xmlChar *type = xmlGetNoNsProp(src, BAD_CAST "type");
                if (type && xmlStrEqual(type, BAD_CAST "anonymous"))
                        return reason_set(
                                ret_error, -EINVAL,
                                "Domain %s has <memoryBacking><source type='anonymous'/>; a vfio-user vGPU "
                                "needs fd-backed memory (memfd or file). Change it first.",
                                domain_label(d));
        } else if (!first_child(mb, "hugepages")) { /* hugepages are hugetlbfs files already */
                if ((r = add_child(mb, NULL, "source", &src)) < 0 ||
                    (r = set_prop(src, "type", memory_source_to_string(source))) < 0)
                        return r;
        }
        return 0;
}

static int add_rpc(xmlDocPtr doc, xmlNodePtr root, const struct domain_vgpus *d,
                   const struct libvirt_vgpu *v, const struct libvirt_xml_options *o, char **ret_error) {
        xmlNodePtr cmdline = NULL, n;
        xmlNsPtr ns;
        int r;

        r = ensure_shared_memory(doc, root, d, o->memory_source, ret_error);
        if (r < 0)
                return r;
        for (xmlNodePtr c = root->children; c && !cmdline; c = c->next)
                if (c->type == XML_ELEMENT_NODE && c->ns &&
                    xmlStrEqual(c->ns->href, BAD_CAST LIBVIRT_QEMU_NS_URI) &&
                    xmlStrEqual(c->name, BAD_CAST "commandline"))
                        cmdline = c;
        if (cmdline)
                return add_device_args(cmdline, cmdline->ns, v);

        /* Reuse a declaration of the namespace on the root, else declare it
         * there, under a prefix nobody else uses. */
        ns = xmlSearchNsByHref(doc, root, BAD_CAST LIBVIRT_QEMU_NS_URI);
        if (!ns) {
                const char *prefix =
                        xmlSearchNs(doc, root, BAD_CAST QEMU_NS_PREFIX) ? "vgpud-qemu" : QEMU_NS_PREFIX;
                if (xmlSearchNs(doc, root, BAD_CAST prefix))
                        return reason_set(ret_error, -EINVAL,
                                          "Domain %s uses the XML prefixes qemu and vgpud-qemu for "
                                          "other namespaces.",
                                          domain_label(d));
                ns = xmlNewNs(root, BAD_CAST LIBVIRT_QEMU_NS_URI, BAD_CAST prefix);
                if (!ns)
                        return -ENOMEM;
        }
        n = xmlNewChild(root, ns, BAD_CAST "commandline", NULL);
        if (!n)
                return -ENOMEM;
        return add_device_args(n, ns, v);
}

int libvirt_domain_add_vgpu(const char *domain_xml, size_t len, const struct libvirt_vgpu *v,
                            const struct libvirt_xml_options *o, char **ret_xml, char **ret_error) {
        static const struct libvirt_xml_options defaults = {};
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        xmlNodePtr root, devices, hostdev;
        int r;

        if (!v || !ret_xml)
                return -EINVAL;
        o = o ?: &defaults;
        if (o->domain_name)
                return reason_set(ret_error, -EINVAL, "The domain to edit has its own name.");
        r = check_input(v, o, ret_error);
        if (r < 0)
                return r;
        /* Blanks are dropped so that the result is indented anew, evenly. */
        r = domain_xml_read(domain_xml, len, XML_PARSE_NOBLANKS, &doc, ret_error);
        if (r < 0)
                return r;
        r = domain_xml_vgpus_from_doc(doc, &d, ret_error);
        if (r < 0)
                return r;
        r = find_reference(d, v);
        if (r >= 0)
                return reason_set(ret_error, -EEXIST, "Domain %s already uses %s.", domain_label(d),
                                  d->vgpus[r].device);
        if (r != -ENOENT)
                return r;

        root = xmlDocGetRootElement(doc);
        if (backend_device_kind(v->backend) == VGPU_DEVICE_VFIO_USER)
                r = add_rpc(doc, root, d, v, o, ret_error);
        else {
                devices = first_child(root, "devices");
                if (o->display == LIBVIRT_SWITCH_ON && !first_child(devices, "graphics"))
                        return reason_set(
                                ret_error, -EINVAL,
                                "display='on' needs a graphics device in domain %s; add one (e.g. VNC) or "
                                "leave the display off.",
                                domain_label(d));
                if (!devices && add_child(root, NULL, "devices", &devices) < 0)
                        return -ENOMEM;
                r = new_hostdev(doc, v, o, &hostdev);
                if (r >= 0 && !xmlAddChild(devices, hostdev)) {
                        xmlFreeNode(hostdev);
                        r = -ENOMEM;
                }
        }
        if (r < 0)
                return r;
        return dump(doc, NULL, 0, ret_xml);
}

int libvirt_domain_remove_vgpu(const char *domain_xml, size_t len, const struct libvirt_vgpu *v,
                               char **ret_xml, char **ret_error) {
        static const struct libvirt_xml_options defaults = {};
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
        _cleanup_free_ char *name = NULL;
        unsigned removed = 0;
        int r;

        if (!v || !ret_xml)
                return -EINVAL;
        r = check_input(v, &defaults, ret_error);
        if (r < 0)
                return r;
        r = domain_xml_read(domain_xml, len, XML_PARSE_NOBLANKS, &doc, ret_error);
        if (r < 0)
                return r;

        /* One occurrence per pass: the parser reports each device once. */
        for (;;) {
                _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
                struct domain_vgpu *ref;
                xmlNodePtr parent;

                r = domain_xml_vgpus_from_doc(doc, &d, ret_error);
                if (r < 0)
                        return r;
                if (!name && d->name && !(name = strdup(d->name)))
                        return -ENOMEM;
                r = find_reference(d, v);
                if (r == -ENOENT)
                        break;
                if (r < 0)
                        return r;
                ref = &d->vgpus[r];
                parent = ref->nodes[0]->parent;
                for (size_t k = 0; k < ELEMENTSOF(ref->nodes); k++)
                        if (ref->nodes[k]) {
                                xmlUnlinkNode(ref->nodes[k]);
                                xmlFreeNode(ref->nodes[k]);
                        }
                /* A <qemu:commandline> left empty goes too. */
                if (ref->kind == VGPU_DEVICE_VFIO_USER && parent && !xmlFirstElementChild(parent)) {
                        xmlUnlinkNode(parent);
                        xmlFreeNode(parent);
                }
                removed++;
        }
        if (removed == 0) {
                _cleanup_free_ char *device = NULL;
                enum vgpu_device_kind kind;
                if (vgpu_reference(v, &kind, &device) < 0)
                        return -ENOMEM;
                return reason_set(ret_error, -ENOENT, "Domain %s does not use %s.", name ?: "(unnamed)",
                                  device);
        }
        return dump(doc, NULL, 0, ret_xml);
}
