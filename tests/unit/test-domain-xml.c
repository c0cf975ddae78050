/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of domain-xml.c: what the hook reads from a domain's XML, and
 * how it copes with everything a domain XML should not be. */
#include "unit.h"

#include "domain-xml.h"

static struct domain_vgpus *parse_ok(const char *xml) {
        struct domain_vgpus *d = NULL;
        char *error = NULL;

        if (domain_xml_parse_vgpus(xml, strlen(xml), &d, &error) < 0)
                fail_msg("%s", error);
        assert_null(error);
        return d;
}

static void parse_fails(const char *xml, size_t len, int expected, const char *needle) {
        struct domain_vgpus *d = NULL;
        char *error = NULL;
        int r;

        r = domain_xml_parse_vgpus(xml, len, &d, &error);
        if (r != expected)
                fail_msg("got %d (%s), expected %d", r, strna(error), expected);
        assert_null(d);
        assert_non_null(error);
        if (needle && !strstr(error, needle))
                fail_msg("\"%s\" does not mention \"%s\"", error, needle);
        free(error);
}

static void test_several_kinds(void **state) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = parse_ok(
                "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
                "  <name>vm-ä</name>\n"
                "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>\n"
                "  <metadata><hostdev mode='subsystem' type='mdev'><source><address "
                "uuid='99999999-9999-4999-8999-999999999999'/></source></hostdev></metadata>\n"
                "  <devices>\n"
                "    <hostdev mode='subsystem' type='mdev' model='vfio-pci' display='on'>\n"
                "      <source><address uuid='C2177883-F1BB-47F0-914D-32A22E3A8804'/></source>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
                "    </hostdev>\n"
                "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
                "      <driver name='vfio'/>\n"
                "      <source><address domain='0x0000' bus='0x3b' slot='0x00' function='0x4'/></source>\n"
                "      <address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/>\n"
                "    </hostdev>\n"
                "    <hostdev mode='subsystem' type='pci'>\n"
                "      <source><address bus='175' slot='1' function='07'/></source>\n"
                "    </hostdev>\n"
                "    <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product "
                "id='0xbeef'/>"
                "</source></hostdev>\n"
                "    <hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source>"
                "</hostdev>\n"
                "    <hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
                "      <source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source>\n"
                "    </hostdev>\n"
                "  </devices>\n"
                "  <qemu:commandline>\n"
                "    <qemu:arg value='-device'/>\n"
                "    <qemu:arg value='{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"/run/a.sock\","
                "\"type\":\"unix\"}}'/>\n"
                "    <qemu:arg value='-device'/>\n"
                "    <qemu:arg value='virtio-rng-pci'/>\n"
                "    <qemu:arg value='--device'/>\n"
                "    <qemu:arg value='vfio-user-pci,socket.path=/run/b,,c.sock'/>\n"
                "    <qemu:arg value='-device'/>\n"
                "    <qemu:arg value='{not json'/>\n"
                "    <qemu:env name='X' value='1'/>\n"
                "    <qemu:arg value='-device'/>\n"
                "  </qemu:commandline>\n"
                "</domain>\n");

        assert_string_equal(d->name, "vm-ä");
        assert_string_equal(d->uuid, "6695eb01-f6a4-8304-79aa-97f2502e193f");
        assert_int_equal(d->n_vgpus, 5); /* the mdev twice counts once; metadata never */
        assert_int_equal(d->vgpus[0].kind, VGPU_DEVICE_MDEV);
        assert_string_equal(d->vgpus[0].device, "c2177883-f1bb-47f0-914d-32a22e3a8804");
        assert_string_equal(d->vgpus[0].model, "vfio-pci");
        assert_int_equal(d->vgpus[1].kind, VGPU_DEVICE_PCI);
        assert_string_equal(d->vgpus[1].device, "0000:3b:00.4");
        assert_true(d->vgpus[1].managed);
        assert_string_equal(d->vgpus[2].device, "0000:af:01.7"); /* decimal, default domain, octal */
        assert_false(d->vgpus[2].managed);
        assert_int_equal(d->vgpus[3].kind, VGPU_DEVICE_VFIO_USER);
        assert_string_equal(d->vgpus[3].device, "/run/a.sock");
        assert_string_equal(d->vgpus[4].device, "/run/b,c.sock");
        assert_string_equal(vgpu_device_kind_to_string(d->vgpus[4].kind), "vfio-user");
        assert_null(vgpu_device_kind_to_string(_VGPU_DEVICE_KIND_MAX));
}

static void test_none(void **state) {
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *a = parse_ok("<domain type='kvm'/>");
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *b =
                parse_ok("<?xml version='1.0' encoding='UTF-8'?><domain><name>x</name><devices>"
                         "<disk type='file'/></devices><!-- hostdev --></domain>");

        assert_int_equal(a->n_vgpus, 0);
        assert_null(a->name);
        assert_null(a->vgpus);
        assert_int_equal(b->n_vgpus, 0);
        assert_string_equal(b->name, "x");
        assert_null(domain_vgpus_free(NULL));
}

static void test_namespaces(void **state) {
        /* Any prefix bound to libvirt's QEMU namespace counts ... */
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *a =
                parse_ok("<domain><q:commandline xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>"
                         "<q:arg value='-device'/><q:arg value='vfio-user-pci,socket.path=/s'/>"
                         "</q:commandline></domain>");
        /* ... another namespace does not, nor do unprefixed look-alikes. */
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *b =
                parse_ok("<domain xmlns:qemu='http://example.com/not-qemu'><qemu:commandline>"
                         "<qemu:arg value='-device'/><qemu:arg value='vfio-user-pci,socket.path=/s'/>"
                         "</qemu:commandline><commandline><arg value='-device'/>"
                         "<arg value='vfio-user-pci,socket.path=/t'/></commandline>"
                         "<devices><x:hostdev xmlns:x='urn:x' type='pci'/></devices></domain>");

        assert_int_equal(a->n_vgpus, 1);
        assert_string_equal(a->vgpus[0].device, "/s");
        assert_int_equal(b->n_vgpus, 0);

        /* A default namespace makes it something other than a libvirt domain. */
        static const char default_ns[] = "<domain xmlns='urn:x'/>";
        parse_fails(default_ns, strlen(default_ns), -EINVAL, "not a libvirt domain");
}

static void test_malformed_references(void **state) {
        static const struct {
                const char *xml, *needle;
        } bad[] = {
                {"<domain><devices><hostdev mode='subsystem'/></devices></domain>", "no type"},
                {"<domain><devices><hostdev type='mdev'/></devices></domain>", "no <source><address uuid"},
                {"<domain><devices><hostdev type='mdev'><source><address "
                 "uuid='x'/></source></hostdev></devices>"
                 "</domain>",
                 "malformed UUID"},
                {"<domain><devices><hostdev type='pci'><source/></hostdev></devices></domain>",
                 "no <source><address"},
                {"<domain><devices><hostdev type='pci'><source><address bus='0x3b' "
                 "slot='0'/></source></hostdev>"
                 "</devices></domain>",
                 "malformed address"},
                {"<domain><devices><hostdev type='pci'><source><address bus='256' slot='0' function='0'/>"
                 "</source></hostdev></devices></domain>",
                 "malformed address"},
                {"<domain><devices><hostdev type='pci'><source><address bus='1' slot='0x20' function='0'/>"
                 "</source></hostdev></devices></domain>",
                 "malformed address"},
                {"<domain><devices><hostdev type='pci'><source><address bus='-1' slot='0' function='0'/>"
                 "</source></hostdev></devices></domain>",
                 "malformed address"},
                {"<domain><devices><hostdev type='pci'><source><address bus=' 1' slot='0' function='0'/>"
                 "</source></hostdev></devices></domain>",
                 "malformed address"},
                {"<domain><devices><hostdev type='pci'><source><address domain='0x10000' bus='1' slot='0' "
                 "function='0'/></source></hostdev></devices></domain>",
                 "malformed address"},
                {"<domain><devices><hostdev type='pci'><source><address bus='1x' slot='0' function='0'/>"
                 "</source></hostdev></devices></domain>",
                 "#1 (line 1)"},
                {"<domain><commandline xmlns='http://libvirt.org/schemas/domain/qemu/1.0'><arg "
                 "value='-device'/>"
                 "<arg value='vfio-user-pci,id=x'/></commandline></domain>",
                 "no unix socket path"},
                {"<domain><commandline xmlns='http://libvirt.org/schemas/domain/qemu/1.0'><arg "
                 "value='-device'/>"
                 "<arg value='{\"driver\":\"vfio-user-pci\",\"socket\":{\"type\":\"fd\",\"str\":\"3\"}}'/>"
                 "</commandline></domain>",
                 "no unix socket path"},
        };

        for (size_t k = 0; k < ELEMENTSOF(bad); k++)
                parse_fails(bad[k].xml, strlen(bad[k].xml), -EINVAL, bad[k].needle);
}

static void test_not_xml(void **state) {
        static const char doc[] =
                "<domain><name>x</name><devices><hostdev type='mdev'><source><address "
                "uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev></devices></domain>";

        parse_fails("", 0, -EBADMSG, "empty");
        parse_fails(NULL, 5, -EBADMSG, "empty");
        parse_fails("<domain>", 8, -EBADMSG, "line 1");
        static const char line2[] = "<domain>\n<name a='1' a='2'/>\n</domain>";
        parse_fails(line2, strlen(line2), -EBADMSG, "line 2: Attribute a redefined");
        parse_fails("hello", 5, -EBADMSG, "not well-formed");
        parse_fails("<domain/><domain/>", 18, -EBADMSG, NULL);
        parse_fails("<domain a='1' a='2'/>", 21, -EBADMSG, NULL);
        parse_fails("<network/>", 10, -EINVAL, "<network>");
        parse_fails("<domain>\x01</domain>", 18, -EBADMSG, NULL);
        parse_fails("<domain>\xff\xfe</domain>", 19, -EBADMSG, NULL);

        /* Every truncation of a good document: an error, never a crash or a read past len. */
        for (size_t len = 1; len < strlen(doc); len++) {
                _cleanup_free_ char *copy = malloc(len); /* no NUL: len is the only bound */
                struct domain_vgpus *d = NULL;
                char *error = NULL;
                assert_non_null(copy);
                memcpy(copy, doc, len);
                assert_true(domain_xml_parse_vgpus(copy, len, &d, &error) < 0);
                assert_null(d);
                free(error);
        }
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *whole = parse_ok(doc);
        assert_int_equal(whole->n_vgpus, 1);
}

static void test_entities_and_doctype(void **state) {
        /* The billion laughs: refused by libxml2's limits or for the DOCTYPE, either way quickly. */
        static const char laughs[] =
                "<!DOCTYPE domain [<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">"
                "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
                "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
                "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
                "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
                "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
                "<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>"
                "<domain><name a='&g;'>&g;</name></domain>";
        static const char external[] = "<!DOCTYPE domain [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                                       "<domain><name>&x;</name></domain>";
        static const char plain_doctype[] = "<!DOCTYPE domain><domain/>";
        struct domain_vgpus *d = NULL;
        char *error = NULL;

        assert_true(domain_xml_parse_vgpus(laughs, strlen(laughs), &d, &error) < 0);
        assert_null(d);
        free(error);
        error = NULL;
        parse_fails(external, strlen(external), -EINVAL, "DOCTYPE");
        parse_fails(plain_doctype, strlen(plain_doctype), -EINVAL, "DOCTYPE");
}

static void test_limits(void **state) {
        const char head[] = "<domain><devices>", tail[] = "</devices></domain>";
        const char hostdev[] =
                "<hostdev type='pci'><source><address bus='%u' slot='%u' function='%u'/></source>"
                "</hostdev>";
        _cleanup_free_ char *big = NULL, *many = NULL, *deep = NULL;
        size_t n = 0, cap = 200 * (DOMAIN_VGPUS_MAX + 1) + 64;
        unsigned k;

        /* Above 16 MiB: not read. */
        big = malloc(DOMAIN_XML_MAX_BYTES + 1);
        assert_non_null(big);
        memset(big, ' ', DOMAIN_XML_MAX_BYTES + 1);
        memcpy(big, "<domain/>", 9);
        parse_fails(big, DOMAIN_XML_MAX_BYTES + 1, -EFBIG, "16777216");

        /* More than 1024 distinct references. */
        many = malloc(cap);
        assert_non_null(many);
        n += (size_t) snprintf(many + n, cap - n, "%s", head);
        for (k = 0; k <= DOMAIN_VGPUS_MAX; k++)
                n += (size_t) snprintf(many + n, cap - n, hostdev, k / 256, (k / 8) % 32, k % 8);
        n += (size_t) snprintf(many + n, cap - n, "%s", tail);
        assert_true(n < cap);
        parse_fails(many, n, -E2BIG, "1024");

        /* Nesting far deeper than any domain: libxml2's depth limit refuses it. */
        const size_t depth = 100000;
        deep = malloc(depth * 7 + 32);
        assert_non_null(deep);
        n = (size_t) sprintf(deep, "<domain>");
        for (size_t i = 0; i < depth; i++)
                n += (size_t) sprintf(deep + n, "<a>");
        for (size_t i = 0; i < depth; i++)
                n += (size_t) sprintf(deep + n, "</a>");
        n += (size_t) sprintf(deep + n, "</domain>");
        parse_fails(deep, n, -EBADMSG, NULL);
}

/* Deterministic mutations of a real domain: whatever comes out, no crash, no
 * leak (ASan watches), and a reason with every refusal. */
static void test_mutations(void **state) {
        static const char doc[] =
                "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>m</name>"
                "<devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address "
                "uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev><hostdev mode='subsystem' "
                "type='pci' managed='no'><source><address domain='0x0000' bus='0x3b' slot='0x00' "
                "function='0x4'/></source></hostdev></devices><qemu:commandline><qemu:arg value='-device'/>"
                "<qemu:arg "
                "value='{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\"/s\",\"type\":\"unix\"}}'/>"
                "</qemu:commandline></domain>";
        static const char alphabet[] = "<>/='\"&;:{},.-0x9aZ \n\x01\x80\xff";
        uint32_t seed = 12345;
        size_t len = strlen(doc);
        unsigned ok = 0, refused = 0;

        for (unsigned round = 0; round < 3000; round++) {
                _cleanup_free_ char *m = malloc(len);
                struct domain_vgpus *d = NULL;
                char *error = NULL;
                int r;

                assert_non_null(m);
                memcpy(m, doc, len);
                for (unsigned flips = 1 + round % 4; flips > 0; flips--) {
                        seed = seed * 1103515245u + 12345u;
                        size_t at = (seed >> 8) % len;
                        seed = seed * 1103515245u + 12345u;
                        m[at] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
                }
                r = domain_xml_parse_vgpus(m, len, &d, &error);
                if (r >= 0) {
                        assert_non_null(d);
                        assert_true(d->n_vgpus <= 3);
                        ok++;
                } else {
                        assert_true(r == -EBADMSG || r == -EINVAL);
                        assert_non_null(error);
                        refused++;
                }
                domain_vgpus_free(d);
                free(error);
        }
        /* Both outcomes happen: the mutations reach past the tokenizer. */
        assert_true(ok > 0);
        assert_true(refused > 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_several_kinds), cmocka_unit_test(test_none),
                cmocka_unit_test(test_namespaces),    cmocka_unit_test(test_malformed_references),
                cmocka_unit_test(test_not_xml),       cmocka_unit_test(test_entities_and_doctype),
                cmocka_unit_test(test_limits),        cmocka_unit_test(test_mutations),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
