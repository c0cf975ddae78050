/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt QEMU hook, installed as /etc/libvirt/hooks/qemu.d/vgpud.
 * libvirt runs it as `vgpud DOMAIN OPERATION SUB-OPERATION EXTRA` with the
 * domain's XML on stdin, and waits for it. It talks only to vgpud over
 * D-Bus, never to libvirt: libvirtd is blocked on this hook, so calling it
 * back would deadlock.
 *
 *  - `prepare begin`: read the vGPUs the XML references (domain-xml.c) and
 *    ask vgpud to start them and record the domain as their owner
 *    (Manager.AcquireForDomain; vgpud starts all or none). A failure is one
 *    line on stderr naming the vGPU and why, and a non-zero exit: libvirt
 *    shows the line and does not start the VM. A domain without vGPUs does
 *    not need vgpud at all.
 *  - `release end`: Manager.ReleaseDomain (vgpud stops what it started for
 *    the domain and forgets the owner).
 *  - every other operation: exit 0 at once, reading nothing.
 * Malformed XML is refused before vgpud is asked anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus-names.h"
#include "domain-xml.h"
#include "macro.h"

/* Starting several vGPUs can take a while (a VF to bind, a driver to load): more than sd-bus's 25 s. */
#define HOOK_CALL_TIMEOUT_USEC (120ULL * 1000 * 1000)

static const char *program = "vgpud hook";

static int open_bus(const char *domain, sd_bus **ret) {
        int r = sd_bus_open_system(ret);
        if (r < 0) {
                fprintf(stderr, "%s: domain %s: cannot reach the system bus to ask vgpud: %s\n", program,
                        domain, strerror(-r));
                return r;
        }
        (void) sd_bus_set_method_call_timeout(*ret, HOOK_CALL_TIMEOUT_USEC);
        return 0;
}

/* One line for libvirt: vgpud's sentence, or why vgpud could not be asked. */
static void report(const char *domain, const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e) &&
            (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
             sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)))
                fprintf(stderr, "%s: domain %s: vgpud is not running (systemctl start vgpud)\n", program,
                        domain);
        else if (e && sd_bus_error_is_set(e))
                fprintf(stderr, "%s: %s\n", program, e->message ?: e->name);
        else
                fprintf(stderr, "%s: domain %s: %s\n", program, domain, strerror(-r));
}

/* All of stdin, refusing more than max bytes (-EFBIG). */
static int read_stdin(size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                if (len == cap) {
                        size_t ncap = cap ? cap * 2 : 64 * 1024;
                        if (cap > max)
                                return -EFBIG;
                        char *n = realloc(buf, ncap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(STDIN_FILENO, buf + len, cap - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

static int prepare(const char *domain) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(domain_vgpus_freep) struct domain_vgpus *d = NULL;
        _cleanup_free_ char *xml = NULL, *why = NULL;
        size_t len = 0;
        int r;

        r = read_stdin(DOMAIN_XML_MAX_BYTES, &xml, &len);
        if (r < 0) {
                fprintf(stderr, "%s: domain %s: cannot read the domain XML on stdin: %s\n", program, domain,
                        r == -EFBIG ? "larger than 16 MiB" : strerror(-r));
                return 1;
        }
        r = domain_xml_parse_vgpus(xml, len, &d, &why);
        if (r < 0) {
                fprintf(stderr, "%s: domain %s: %s\n", program, domain, why ?: strerror(-r));
                return 1;
        }
        if (d->name && !streq(d->name, domain)) {
                fprintf(stderr, "%s: the XML on stdin is domain %s's, not %s's\n", program, d->name, domain);
                return 1;
        }
        if (d->n_vgpus == 0)
                return 0;

        if (open_bus(domain, &bus) < 0)
                return 1;
        r = sd_bus_message_new_method_call(bus, &m, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE,
                                           "AcquireForDomain");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", domain);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t k = 0; r >= 0 && k < d->n_vgpus; k++)
                r = sd_bus_message_append(m, "s", d->vgpus[k].device);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0) {
                report(domain, NULL, r);
                return 1;
        }
        r = sd_bus_call(bus, m, HOOK_CALL_TIMEOUT_USEC, &error, &reply);
        if (r < 0) {
                report(domain, &error, r);
                return 1;
        }
        return 0;
}

static int release(const char *domain) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        if (open_bus(domain, &bus) < 0)
                return 1;
        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, "ReleaseDomain",
                               &error, &reply, "sa{sv}", domain, 0);
        if (r < 0) {
                /* A domain without vGPUs ends the same way with vgpud down: nothing to release. */
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        return 0;
                report(domain, &error, r);
                return 1;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc < 3) {
                fprintf(stderr,
                        "Usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA] (run by libvirt, domain XML on "
                        "stdin)\n",
                        argv[0]);
                return 2;
        }
        const char *domain = argv[1], *op = argv[2], *sub = argc > 3 ? argv[3] : "-";

        if (streq(op, "prepare") && streq(sub, "begin"))
                return prepare(domain);
        if (streq(op, "release") && streq(sub, "end"))
                return release(domain);
        return 0;
}
