/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of libvirt-xml.c: every form of the device and the domain,
 * every refusal, and editing real domain definitions (add, remove). The
 * output is also read back with domain-xml.c, so both sides must agree. */
#include "unit.h"

#include "domain-xml.h"
#include "libvirt-xml.h"

#define UUID "c2177883-f1bb-47f0-914d-32a22e3a8804"
#define SOCK "/run/vgpud/rpc/" UUID ".sock"

static const struct libvirt_vgpu mdev = {
        .backend = VGPU_BACKEND_MDEV, .uuid = UUID, .device_api = "vfio-pci"};
static const struct libvirt_vgpu vf = {.backend = VGPU_BACKEND_VF, .pci_address = "0000:3b:00.4"};
static const struct libvirt_vgpu nvfio = {.backend = VGPU_BACKEND_NVIDIA_VFIO,
                                          .pci_address = "0000:af:01.7"};
static const struct libvirt_vgpu rpc = {.backend = VGPU_BACKEND_RPC, .uuid = UUID, .socket_path = SOCK};

/* The kind and device a generated document references, read back by the parser. */
static void assert_references(const char *xml, enum vgpu_device_kind kind, const char *device) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        _cleanup_free_ char *error = NULL;

        if (domain_xml_parse_vgpus(xml, strlen(xml), &d, &error) < 0)
                fail_msg("%s", error);
        assert_int_equal(d->n_vgpus, 1);
        assert_int_equal(d->vgpus[0].kind, kind);
        assert_string_equal(d->vgpus[0].device, device);
}

static char *xml_of(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o) {
        char *out = NULL, *error = NULL;

        if (libvirt_vgpu_xml(v, o, &out, &error) < 0)
                fail_msg("%s", error);
        assert_null(error);
        return out;
}

static void test_backend_names(void **state) {
        for (int b = 0; b < _VGPU_BACKEND_MAX; b++)
                assert_int_equal(backend_kind_from_string(backend_kind_to_string(b)), b);
        assert_string_equal(backend_kind_to_string(VGPU_BACKEND_NVIDIA_VFIO), "nvidia-vfio");
        assert_int_equal(backend_kind_from_string("pci"), -EINVAL);
        assert_int_equal(backend_kind_from_string(NULL), -EINVAL);
        assert_null(backend_kind_to_string(_VGPU_BACKEND_MAX));
}

static void test_mdev_forms(void **state) {
        struct libvirt_xml_options o = {};
        struct libvirt_vgpu ccw = mdev;
        char *s;

        s = xml_of(&mdev, &o);
        assert_string_equal(s, "<hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\">\n"
                               "  <source>\n"
                               "    <address uuid=\"" UUID "\"/>\n"
                               "  </source>\n"
                               "</hostdev>\n");
        free(s);

        o.display = LIBVIRT_SWITCH_ON, o.ramfb = true;
        s = xml_of(&mdev, &o);
        assert_non_null(strstr(s,
                               "<hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\" display=\"on\" "
                               "ramfb=\"on\">"));
        free(s);
        o.display = LIBVIRT_SWITCH_OFF, o.ramfb = false;
        s = xml_of(&mdev, &o);
        assert_non_null(strstr(s, "display=\"off\">"));
        free(s);

        /* The model is the type's device_api; UUIDs come out in lower case. */
        ccw.device_api = "vfio-ccw";
        ccw.uuid = "C2177883-F1BB-47F0-914D-32A22E3A8804";
        s = xml_of(&ccw, NULL);
        assert_non_null(strstr(s, "model=\"vfio-ccw\""));
        assert_non_null(strstr(s, "uuid=\"" UUID "\""));
        free(s);
        ccw.device_api = NULL;
        s = xml_of(&ccw, NULL);
        assert_non_null(strstr(s, "model=\"vfio-pci\""));
        free(s);

        /* The domain around it: display on brings a graphics device. */
        o = (struct libvirt_xml_options){
                .domain_name = "vm1", .display = LIBVIRT_SWITCH_ON, .memory_mib = 2048};
        s = xml_of(&mdev, &o);
        assert_string_equal(
                s, "<domain type=\"kvm\">\n"
                   "  <name>vm1</name>\n"
                   "  <memory unit=\"MiB\">2048</memory>\n"
                   "  <os>\n"
                   "    <type>hvm</type>\n"
                   "  </os>\n"
                   "  <features>\n"
                   "    <acpi/>\n"
                   "  </features>\n"
                   "  <devices>\n"
                   "    <graphics type=\"vnc\"/>\n"
                   "    <hostdev mode=\"subsystem\" type=\"mdev\" model=\"vfio-pci\" display=\"on\">\n"
                   "      <source>\n"
                   "        <address uuid=\"" UUID "\"/>\n"
                   "      </source>\n"
                   "    </hostdev>\n"
                   "  </devices>\n"
                   "</domain>\n");
        assert_references(s, VGPU_DEVICE_MDEV, UUID);
        free(s);
}

static void test_pci_forms(void **state) {
        struct libvirt_xml_options o = {.domain_name = "vm1"};
        char *s;

        s = xml_of(&vf, NULL);
        assert_string_equal(s,
                            "<hostdev mode=\"subsystem\" type=\"pci\" managed=\"no\">\n"
                            "  <driver name=\"vfio\"/>\n"
                            "  <source>\n"
                            "    <address domain=\"0x0000\" bus=\"0x3b\" slot=\"0x00\" function=\"0x4\"/>\n"
                            "  </source>\n"
                            "</hostdev>\n");
        free(s);
        s = xml_of(&nvfio, NULL);
        assert_non_null(strstr(s, "managed=\"no\""));
        assert_non_null(
                strstr(s, "<address domain=\"0x0000\" bus=\"0xaf\" slot=\"0x01\" function=\"0x7\"/>"));
        free(s);

        s = xml_of(&vf, &o);
        assert_non_null(strstr(s, "<memory unit=\"MiB\">1024</memory>"));
        assert_null(strstr(s, "graphics"));
        assert_references(s, VGPU_DEVICE_PCI, "0000:3b:00.4");
        free(s);
        s = xml_of(&nvfio, &o);
        assert_references(s, VGPU_DEVICE_PCI, "0000:af:01.7");
        free(s);
}

static void test_rpc_forms(void **state) {
        struct libvirt_xml_options o = {};
        char *s, *error = NULL;

        s = xml_of(&rpc, &o);
        assert_true(strncmp(s, "<!--", 4) == 0);
        assert_non_null(strstr(s, "<memoryBacking>\n"
                                  "  <source type=\"memfd\"/>\n"
                                  "  <access mode=\"shared\"/>\n"
                                  "</memoryBacking>\n"));
        assert_non_null(strstr(
                s, "<qemu:commandline xmlns:qemu=\"" LIBVIRT_QEMU_NS_URI "\">\n"
                   "  <qemu:arg value=\"-device\"/>\n"
                   "  <qemu:arg value=\"{&quot;driver&quot;:&quot;vfio-user-pci&quot;,&quot;id&quot;:&quot;"
                   "vgpud-" UUID "&quot;,&quot;socket&quot;:{&quot;path&quot;:&quot;" SOCK
                   "&quot;,&quot;type&quot;:&quot;unix&quot;}}\"/>\n"
                   "</qemu:commandline>\n"));
        free(s);

        o.memory_source = LIBVIRT_MEMORY_FILE;
        s = xml_of(&rpc, &o);
        assert_non_null(strstr(s, "<source type=\"file\"/>"));
        free(s);

        o = (struct libvirt_xml_options){.domain_name = "rpc-vm"};
        s = xml_of(&rpc, &o);
        assert_non_null(strstr(s, "<domain xmlns:qemu=\"" LIBVIRT_QEMU_NS_URI "\" type=\"kvm\">"));
        assert_non_null(strstr(s, "  <qemu:commandline>\n"));
        assert_references(s, VGPU_DEVICE_VFIO_USER, SOCK);
        free(s);

        /* A path with quotes, backslashes and markup survives both layers of quoting. */
        struct libvirt_vgpu odd = rpc;
        odd.socket_path = "/tmp/a \"b\" <c> & \\d',e.sock";
        s = xml_of(&odd, &o);
        assert_references(s, VGPU_DEVICE_VFIO_USER, odd.socket_path);
        free(s);

        /* libvirt has no device element for it: no attach-device XML. */
        s = NULL;
        assert_int_equal(libvirt_vgpu_device_xml(&rpc, NULL, &s, &error), -EOPNOTSUPP);
        assert_non_null(strstr(error, "vfio-user"));
        assert_null(s);
        free(error);
}

static void test_device_xml(void **state) {
        struct libvirt_xml_options o = {.domain_name = "ignored", .display = LIBVIRT_SWITCH_ON};
        char *s = NULL, *error = NULL;

        assert_int_equal(libvirt_vgpu_device_xml(&mdev, &o, &s, &error), 0);
        assert_true(strncmp(s, "<hostdev ", 9) == 0);
        free(s);
        assert_int_equal(libvirt_vgpu_device_xml(&vf, NULL, &s, NULL), 0);
        assert_true(strncmp(s, "<hostdev ", 9) == 0);
        free(s);
}

static void expect_refusal(const struct libvirt_vgpu *v, const struct libvirt_xml_options *o,
                           const char *needle) {
        char *s = NULL, *error = NULL;

        assert_int_equal(libvirt_vgpu_xml(v, o, &s, &error), -EINVAL);
        assert_null(s);
        assert_non_null(error);
        if (!strstr(error, needle))
                fail_msg("\"%s\" does not mention \"%s\"", error, needle);
        free(error);
}

static void test_refusals(void **state) {
        struct libvirt_xml_options o = {};
        struct libvirt_vgpu v;
        char long_path[120];

        v = mdev, v.uuid = "c2177883-f1bb-47f0-914d-32a22e3a880";
        expect_refusal(&v, &o, "UUID");
        v = mdev, v.uuid = "c2177883_f1bb-47f0-914d-32a22e3a8804";
        expect_refusal(&v, &o, "UUID");
        v = mdev, v.uuid = NULL;
        expect_refusal(&v, &o, "UUID");
        v = mdev, v.device_api = "vfio-mdev";
        expect_refusal(&v, &o, "vfio-pci, vfio-ccw or vfio-ap");
        v = mdev, v.device_api = "vfio-ap";
        o.display = LIBVIRT_SWITCH_OFF;
        expect_refusal(&v, &o, "model vfio-pci");
        o = (struct libvirt_xml_options){.ramfb = true};
        expect_refusal(&mdev, &o, "ramfb needs display on");
        o = (struct libvirt_xml_options){.display = LIBVIRT_SWITCH_ON};
        expect_refusal(&vf, &o, "mdev");
        expect_refusal(&rpc, &o, "mdev");

        o = (struct libvirt_xml_options){};
        static const char *const bad_addresses[] = {
                "3b:00.4",      "0000:3b:00.8", "0000:3b:20.0",  "0000:3b:00.4 ",
                "+000:3b:00.4", "0000-3b-00.4", "00000:3b:00.4", "",
                "0000:3b:0g.4",
        };
        for (size_t k = 0; k < ELEMENTSOF(bad_addresses); k++) {
                v = vf, v.pci_address = bad_addresses[k];
                expect_refusal(&v, &o, "dddd:bb:ss.f");
        }
        v = nvfio, v.pci_address = NULL;
        expect_refusal(&v, &o, "dddd:bb:ss.f");

        v = rpc, v.socket_path = "run/x.sock";
        expect_refusal(&v, &o, "absolute path");
        v = rpc, v.socket_path = "/run/x\n.sock";
        expect_refusal(&v, &o, "control characters");
        v = rpc, v.socket_path = "/run/\xff\xfe.sock";
        expect_refusal(&v, &o, "UTF-8");
        memset(long_path, 'a', sizeof(long_path));
        long_path[0] = '/', long_path[108] = 0; /* 108 bytes: no room for the NUL in sun_path */
        v = rpc, v.socket_path = long_path;
        expect_refusal(&v, &o, "at most 107 bytes");
        long_path[107] = 0;
        char *s = xml_of(&v, &o);
        free(s);

        v = vf, v.backend = 17;
        expect_refusal(&v, &o, "backend");

        static const char *const bad_names[] = {"", "a/b", "tab\there", "\x01", "\xc3\x28"};
        for (size_t k = 0; k < ELEMENTSOF(bad_names); k++) {
                o = (struct libvirt_xml_options){.domain_name = bad_names[k]};
                expect_refusal(&vf, &o, "domain name");
        }
        o = (struct libvirt_xml_options){.memory_source = 5};
        expect_refusal(&rpc, &o, "memory source");
}

static const char base_domain[] =
        "<domain type='kvm'>\n"
        "  <name>vm1</name>\n"
        "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
        "  <memory unit='KiB'>1048576</memory>\n"
        "  <os><type arch='x86_64'>hvm</type></os>\n"
        "  <devices>\n"
        "    <disk type='file' device='disk'><source file='/x.img'/><target dev='vda'/></disk>\n"
        "  </devices>\n"
        "</domain>\n";

static char *add(const char *xml, const struct libvirt_vgpu *v, const struct libvirt_xml_options *o) {
        char *out = NULL, *error = NULL;

        if (libvirt_domain_add_vgpu(xml, strlen(xml), v, o, &out, &error) < 0)
                fail_msg("%s", error);
        return out;
}

static char *del(const char *xml, const struct libvirt_vgpu *v) {
        char *out = NULL, *error = NULL;

        if (libvirt_domain_remove_vgpu(xml, strlen(xml), v, &out, &error) < 0)
                fail_msg("%s", error);
        return out;
}

static void test_add_remove_all(void **state) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        _cleanup_free_ char *a1 = NULL, *a2 = NULL, *a3 = NULL, *a4 = NULL, *r1 = NULL, *r2 = NULL,
                            *r3 = NULL, *r4 = NULL, *error = NULL, *out = NULL;
        struct libvirt_vgpu upper = mdev;

        a1 = add(base_domain, &mdev, NULL);
        a2 = add(a1, &vf, NULL);
        a3 = add(a2, &nvfio, NULL);
        a4 = add(a3, &rpc, NULL);
        assert_int_equal(domain_xml_parse_vgpus(a4, strlen(a4), &d, NULL), 0);
        assert_string_equal(d->name, "vm1");
        assert_int_equal(d->n_vgpus, 4);
        assert_string_equal(d->vgpus[0].device, UUID);
        assert_string_equal(d->vgpus[1].device, "0000:3b:00.4");
        assert_string_equal(d->vgpus[2].device, "0000:af:01.7");
        assert_string_equal(d->vgpus[3].device, SOCK);
        /* What was there stays. */
        assert_non_null(strstr(a4, "<source file=\"/x.img\"/>"));
        assert_non_null(strstr(a4, "<access mode=\"shared\"/>"));

        /* Twice is refused, whatever the spelling of the UUID. */
        upper.uuid = "C2177883-F1BB-47F0-914D-32A22E3A8804";
        assert_int_equal(libvirt_domain_add_vgpu(a4, strlen(a4), &upper, NULL, &out, &error), -EEXIST);
        assert_non_null(strstr(error, "vm1 already uses " UUID));
        assert_null(out);
        free(error);
        error = NULL;
        assert_int_equal(libvirt_domain_add_vgpu(a4, strlen(a4), &rpc, NULL, &out, &error), -EEXIST);
        free(error);
        error = NULL;

        r1 = del(a4, &rpc);
        assert_null(strstr(r1, "commandline"));                   /* left empty: gone */
        assert_non_null(strstr(r1, "<access mode=\"shared\"/>")); /* left as it is */
        r2 = del(r1, &upper);
        r3 = del(r2, &vf);
        r4 = del(r3, &nvfio);
        assert_null(strstr(r4, "hostdev"));
        assert_int_equal(libvirt_domain_remove_vgpu(r4, strlen(r4), &vf, &out, &error), -ENOENT);
        assert_non_null(strstr(error, "vm1 does not use 0000:3b:00.4"));
        assert_null(out);
}

static void test_add_rpc_memory(void **state) {
        struct libvirt_xml_options file = {.memory_source = LIBVIRT_MEMORY_FILE};
        char *out = NULL, *error = NULL;

        /* Existing backing: access made shared, source added. */
        static const char partial[] = "<domain type='kvm'><name>p</name><memory>1024</memory>"
                                      "<memoryBacking><locked/></memoryBacking><devices/></domain>";
        out = add(partial, &rpc, &file);
        assert_non_null(strstr(out, "<locked/>"));
        assert_non_null(strstr(out, "<access mode=\"shared\"/>"));
        assert_non_null(strstr(out, "<source type=\"file\"/>"));
        free(out);

        /* Hugepages are file-backed already: no source of ours. */
        static const char huge[] =
                "<domain type='kvm'><name>h</name><memoryBacking><hugepages/></memoryBacking>"
                "<devices/></domain>";
        out = add(huge, &rpc, NULL);
        assert_null(strstr(out, "<source type="));
        assert_non_null(strstr(out, "<access mode=\"shared\"/>"));
        free(out);
        out = NULL;

        /* An explicit opposite choice is refused, not overridden. */
        static const char private[] =
                "<domain type='kvm'><name>p</name><memoryBacking><access mode='private'/>"
                "</memoryBacking></domain>";
        assert_int_equal(libvirt_domain_add_vgpu(private, strlen(private), &rpc, NULL, &out, &error),
                         -EINVAL);
        assert_non_null(strstr(error, "mode='private'"));
        free(error);
        error = NULL;
        static const char anon[] =
                "<domain type='kvm'><name>a</name><memoryBacking><source type='anonymous'/>"
                "</memoryBacking></domain>";
        assert_int_equal(libvirt_domain_add_vgpu(anon, strlen(anon), &rpc, NULL, &out, &error), -EINVAL);
        assert_non_null(strstr(error, "anonymous"));
        free(error);
        assert_null(out);
}

static void test_add_rpc_namespaces(void **state) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        struct libvirt_vgpu second = rpc;
        char *out;

        /* An existing commandline under another prefix is reused; its args stay. */
        static const char other_prefix[] =
                "<domain type='kvm' xmlns:q='" LIBVIRT_QEMU_NS_URI "'><name>n</name>"
                "<q:commandline><q:arg value='-S'/></q:commandline></domain>";
        out = add(other_prefix, &rpc, NULL);
        assert_non_null(strstr(out, "<q:arg value=\"-S\"/>"));
        assert_non_null(strstr(out, "<q:arg value=\"-device\"/>"));
        assert_null(strstr(out, "xmlns:qemu"));
        second.uuid = NULL, second.socket_path = "/run/second.sock";
        char *two = add(out, &second, NULL);
        assert_int_equal(domain_xml_parse_vgpus(two, strlen(two), &d, NULL), 0);
        assert_int_equal(d->n_vgpus, 2);
        char *back = del(two, &rpc);
        assert_non_null(strstr(back, "<q:arg value=\"-S\"/>"));
        assert_non_null(strstr(back, "/run/second.sock"));
        assert_null(strstr(back, SOCK));
        free(back);
        free(two);
        free(out);

        /* "qemu" already names another namespace: another prefix. */
        static const char taken[] = "<domain type='kvm' xmlns:qemu='urn:other'><name>n</name></domain>";
        out = add(taken, &rpc, NULL);
        assert_non_null(strstr(out, "xmlns:vgpud-qemu=\"" LIBVIRT_QEMU_NS_URI "\""));
        assert_non_null(strstr(out, "<vgpud-qemu:commandline>"));
        assert_references(out, VGPU_DEVICE_VFIO_USER, SOCK);
        free(out);
}

static void test_add_refusals(void **state) {
        struct libvirt_xml_options o = {.display = LIBVIRT_SWITCH_ON};
        char *out = NULL, *error = NULL;

        assert_int_equal(libvirt_domain_add_vgpu(base_domain, strlen(base_domain), &mdev, &o, &out, &error),
                         -EINVAL);
        assert_non_null(strstr(error, "graphics"));
        free(error);
        error = NULL;
        static const char with_vnc[] =
                "<domain type='kvm'><name>g</name><devices><graphics type='vnc'/></devices>"
                "</domain>";
        out = add(with_vnc, &mdev, &o);
        assert_non_null(strstr(out, "display=\"on\""));
        free(out);
        out = NULL;
        /* No <devices> yet: made. */
        static const char bare[] = "<domain type='kvm'><name>b</name></domain>";
        out = add(bare, &vf, NULL);
        assert_references(out, VGPU_DEVICE_PCI, "0000:3b:00.4");
        free(out);
        out = NULL;

        assert_int_equal(libvirt_domain_add_vgpu("<domain>", 8, &vf, NULL, &out, &error), -EBADMSG);
        free(error);
        error = NULL;
        assert_int_equal(libvirt_domain_add_vgpu("<network/>", 10, &vf, NULL, &out, &error), -EINVAL);
        free(error);
        error = NULL;
        o = (struct libvirt_xml_options){.domain_name = "x"};
        assert_int_equal(libvirt_domain_add_vgpu(bare, strlen(bare), &vf, &o, &out, &error), -EINVAL);
        free(error);
        assert_int_equal(libvirt_domain_remove_vgpu("", 0, &vf, &out, NULL), -EBADMSG);
        assert_null(out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_backend_names),      cmocka_unit_test(test_mdev_forms),
                cmocka_unit_test(test_pci_forms),          cmocka_unit_test(test_rpc_forms),
                cmocka_unit_test(test_device_xml),         cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_add_remove_all),     cmocka_unit_test(test_add_rpc_memory),
                cmocka_unit_test(test_add_rpc_namespaces), cmocka_unit_test(test_add_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
