/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `vgpuctl doctor`: what is wrong with this host for vGPUs, and how to fix
 * it. The host checks run in vgpud (Manager.Diagnose, docs/dbus-api.md): it
 * is the one that sees sysfs and its own records. What only the client can
 * tell — that vgpud does not answer — is a finding here. The exit status is
 * the worst finding (vgpuctl(8)): 0 nothing worse than a note, 1 a warning,
 * 7 an error, 6 vgpud unreachable.
 */
#include <getopt.h>

#include "bus-names.h"
#include "output.h"

typedef struct DoctorFinding {
        const char *severity, *check, *object, *message, *fix;
} DoctorFinding;

static int severity_rank(const char *s) {
        if (streq(s, "error"))
                return 2;
        if (streq(s, "warning"))
                return 1;
        return 0;
}

static int print_finding(const Cli *c, const DoctorFinding *f) {
        const char *color = !c->color                       ? ""
                            : streq(f->severity, "error")   ? "\033[31m"
                            : streq(f->severity, "warning") ? "\033[33m"
                                                            : "\033[36m";
        printf("%s%-7s%s [%s]%s%s\n", color, severity_rank(f->severity) == 0 ? "note" : f->severity,
               c->color ? "\033[0m" : "", f->check, isempty(f->object) ? "" : " ", strempty(f->object));
        printf("        %s\n", f->message);
        if (!isempty(f->fix))
                printf("   fix: %s\n", f->fix);
        return 0;
}

static json_object *finding_json(const DoctorFinding *f) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "severity", json_string(f->severity));
        json_object_object_add(j, "check", json_string(f->check));
        json_object_object_add(j, "object", json_string(f->object));
        json_object_object_add(j, "message", json_string(f->message));
        json_object_object_add(j, "fix", json_string(f->fix));
        return j;
}

/* vgpud does not answer: the host checks need it, so that is the finding (and exit 6). */
static int doctor_unreachable(Cli *c, json_object *all, const sd_bus_error *error) {
        _cleanup_free_ char *msg = NULL;
        bool why = error && sd_bus_error_is_set(error);

        if (asprintf(&msg, "vgpud does not answer on the system bus%s%s, so the host was not checked",
                     why ? ": " : "", why ? strempty(error->message) : "") < 0)
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);
        DoctorFinding f = {
                "error", "vgpud", VGPUD_BUS_NAME, msg,
                "systemctl start vgpud; 'systemctl status vgpud' and 'journalctl -u vgpud' tell why it "
                "stopped"};
        if (c->json) {
                json_object_array_add(all, finding_json(&f));
                (void) json_print(all);
        } else
                print_finding(c, &f);
        return EXIT_UNREACHABLE;
}

static int exit_for_rank(int worst) {
        return worst >= 2 ? EXIT_DOCTOR_ERROR : worst == 1 ? EXIT_DOCTOR_WARNING : EXIT_OK;
}

int cmd_doctor(Cli *c, int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {},
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *all = NULL;
        sd_bus *bus;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return command_help("doctor");
                case 'J':
                        c->json = true;
                        break;
                default:
                        return cli_usage_error(c, "doctor", "unknown option");
                }
        if (optind < argc)
                return cli_usage_error(c, "doctor", "unexpected argument '%s'", argv[optind]);

        all = json_object_new_array();
        if (!all)
                return cli_report_error(c, "out of memory", NULL, -ENOMEM);

        r = cli_bus(c, &bus);
        if (r != EXIT_OK)
                return doctor_unreachable(c, all, NULL);
        r = sd_bus_call_method(bus, VGPUD_BUS_NAME, VGPUD_ROOT_PATH, VGPUD_MANAGER_IFACE, "Diagnose", &error,
                               &reply, "a{sv}", 0);
        if (r < 0 && cli_exit_code_for(error.name) == EXIT_UNREACHABLE)
                return doctor_unreachable(c, all, &error);
        if (r < 0) /* e.g. a vgpud too old to have Diagnose (UnknownMethod) */
                return cli_report_error(c, "cannot run the host checks", &error, r);

        int worst = 0;
        size_t counts[3] = {};
        r = sd_bus_message_enter_container(reply, 'a', "(sssss)");
        if (r < 0)
                return cli_report_error(c, "bad reply from vgpud", NULL, r);
        DoctorFinding f;
        while ((r = sd_bus_message_read(reply, "(sssss)", &f.severity, &f.check, &f.object, &f.message,
                                        &f.fix)) > 0) {
                int rank = severity_rank(f.severity);
                worst = MAX(worst, rank);
                counts[rank]++;
                if (c->json)
                        json_object_array_add(all, finding_json(&f));
                else
                        print_finding(c, &f);
        }
        if (r < 0)
                return cli_report_error(c, "bad reply from vgpud", NULL, r);

        if (c->json) {
                r = json_print(all);
                return r != EXIT_OK ? r : exit_for_rank(worst);
        }
        if (counts[0] + counts[1] + counts[2] == 0)
                printf("No problems found.\n");
        else
                printf("\n%zu error%s, %zu warning%s, %zu note%s.\n", counts[2], counts[2] == 1 ? "" : "s",
                       counts[1], counts[1] == 1 ? "" : "s", counts[0], counts[0] == 1 ? "" : "s");
        return exit_for_rank(worst);
}
