/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table of vgpuctl's commands: names, synopses and one-line summaries, the source of every --help. */
#include "cli.h"

static const Command commands[] = {
        {"gpus", cmd_gpus, "gpus [--quiet]", "List the physical GPUs and what they host"},
        {"types", cmd_types, "types [--gpu GPU] [--quiet]",
         "List the vGPU types, their availability and why 0"},
        {"list", cmd_list, "list [--defined|--all] [--quiet]",
         "List vGPU instances (existing; --defined: persistent definitions; --all: both)"},
        {"show", cmd_show, "show UUID", "Show one instance"},
        {"create", cmd_create,
         "create --type TYPE [--count N] [--gpu GPU] [--uuid UUID] [--persistent|--autostart] "
         "[--attr NAME=VALUE]... [--placement pack|spread] [--share PERCENT|--weight N]",
         "Create an instance, or N with --count (all or none); transient unless --persistent/--autostart"},
        {"define", cmd_define,
         "define UUID | define --type TYPE [--gpu GPU] [--uuid UUID] [--autostart] [--attr NAME=VALUE]... "
         "[--placement pack|spread] [--share PERCENT|--weight N]",
         "Make an instance persistent, or define a new one without creating it"},
        {"destroy", cmd_destroy, "destroy [--force] UUID...",
         "Remove instances from the host and forget their definitions (--force: even if a domain holds "
         "one)"},
        {"undefine", cmd_undefine, "undefine UUID...",
         "Forget persistent definitions (an existing device stays)"},
        {"start", cmd_start, "start UUID...", "Create defined instances on the host"},
        {"stop", cmd_stop, "stop [--force] UUID...",
         "Remove instances from the host, keeping their definitions (--force: even if a domain holds one)"},
        {"autostart", cmd_autostart, "autostart UUID on|off",
         "Start a defined instance whenever vgpud starts and its GPU is present"},
        {"apply", cmd_apply, "apply -f FILE [--config NAME] [--dry-run] [--force] [--json]",
         "Make the host match a desired state (vgpud-apply(5)): all or nothing, a second apply changes "
         "nothing"},
        {"export", cmd_export, "export [--format vgpud|vgpu-device-manager] [--config NAME]",
         "Print the host's vGPUs as a desired state that apply reproduces"},
        {"monitor", cmd_monitor, "monitor [--once] [--json] [--interval SECONDS]",
         "Live view of the GPUs and instances, refreshed in place (q to quit)"},
        {"doctor", cmd_doctor, "doctor [--json]",
         "Check the host for vGPU problems and explain how to fix each"},
        {"metrics", cmd_metrics, "metrics [--output FILE] [--format openmetrics|prometheus]",
         "Print metrics: OpenMetrics, or the format node_exporter's textfile collector reads"},
        {"events", cmd_events, "events", "Print every change vgpud announces, as JSON lines"},
        {"nfd", cmd_nfd, "nfd [--output FILE] [--expiry SECONDS]",
         "Print the host's vGPU capacity as Node Feature Discovery labels"},
        {"probe", cmd_probe, "probe UUID [--size BYTES]",
         "Attach to an RPC instance as a guest would: check it works, time it"},
        {"sriov", cmd_sriov,
         "sriov enable GPU --vfs N [--no-persist] | sriov disable GPU [--no-persist] | sriov show [GPU]",
         "Enable or disable a GPU's SR-IOV VFs (kept across reboots unless --no-persist), or show them"},
        {"bind", cmd_bind, "bind DEVICE [--persistent] [--group]",
         "Bind a PCI function (--group: its whole IOMMU group) to vfio-pci for passthrough"},
        {"unbind", cmd_unbind, "unbind DEVICE", "Give a PCI function bound to vfio-pci back to its driver"},
        {"policy", cmd_policy,
         "policy GPU [show] | policy GPU set POLICY [--slice MS] [--averaging-factor N] [--frequency HZ] | "
         "policy GPU reset",
         "Show or set a GPU's scheduling policy and time slice (and the vendor's setting for it)"},
        {"quota", cmd_quota, "quota UUID [--share PERCENT | --weight N | --clear]",
         "Show or set an instance's share of its GPU (fixed-share) or its weight (weighted)"},
        {"xml", cmd_xml, "xml UUID [--display on|off] [--ramfb] [--domain NAME]",
         "Print the libvirt <hostdev> for an instance (--domain: a complete domain around it)"},
        {"attach", cmd_attach, "attach UUID --domain NAME [--connect URI] [--config|--live]",
         "Attach an instance to a libvirt domain"},
        {"detach", cmd_detach, "detach UUID --domain NAME [--connect URI] [--config|--live]",
         "Detach an instance from a libvirt domain"},
};

void main_help(void) {
        printf("Usage: vgpuctl [--json] COMMAND [ARGS]\n"
               "\n"
               "Manage the virtual GPUs of this host through vgpud.\n"
               "\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                printf("  %-10s %s\n", commands[i].name, commands[i].summary);
        printf("\n"
               "Options:\n"
               "  -j, --json     machine-readable output (also accepted after the command)\n"
               "  -h, --help     this text; 'vgpuctl COMMAND --help' for a command\n"
               "      --version  the version\n"
               "\n"
               "Exit status: 0 success, 1 failure, 2 usage error, 3 not found, 4 refused,\n"
               "5 access denied, 6 vgpud unreachable; doctor: 1 warning, 7 error. See vgpuctl(8).\n");
}

int command_help(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name)) {
                        printf("Usage: vgpuctl [--json] %s\n\n%s.\n", commands[i].synopsis,
                               commands[i].summary);
                        return EXIT_OK;
                }
        return EXIT_USAGE;
}

const Command *command_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(commands[i].name, name))
                        return &commands[i];
        return NULL;
}
