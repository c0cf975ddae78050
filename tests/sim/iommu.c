/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMU groups: /sys/kernel/iommu_groups/<N>/devices/ links every member and
 * each member has an iommu_group link back. New groups (a VF, an mdev) take
 * the lowest free number, as the kernel's ida does; a group disappears with
 * its last member.
 */
#include "sim-util.h"
#include "sim.h"

struct iommu_group *iommu_group_get(struct sim *sim, int id) {
        unsigned want;
        if (id >= 0)
                want = (unsigned) id;
        else {
                /* Lowest free id, skipping those the profile reserves for functions not yet plugged. */
                want = sim->group_hint;
                while ((want < sim->n_groups && sim->groups[want]) ||
                       (want < sim->n_reserved && sim->reserved[want]))
                        want++;
                sim->group_hint = want + 1;
        }
        if (want < sim->n_groups && sim->groups[want])
                return sim->groups[want];
        if (want >= sim->n_groups) {
                unsigned n = want + 64;
                sim->groups = realloc(sim->groups, n * sizeof(*sim->groups));
                if (!sim->groups)
                        abort();
                memset(sim->groups + sim->n_groups, 0, (n - sim->n_groups) * sizeof(*sim->groups));
                sim->n_groups = n;
        }
        struct iommu_group *g = xmalloc0(sizeof(*g));
        g->id = want;
        char name[16];
        snprintf(name, sizeof(name), "%u", want);
        g->dir = node_dir(node_dir_p(sim->root, "kernel/iommu_groups"), name);
        g->devices = node_dir(g->dir, "devices");
        /* The default domain's type, from the kernel's configuration (iommu.passthrough, strict);
         * root may change it while the group has no driver, hence 0644. */
        node_const(g->dir, "type", "%s\n", sim->profile->iommu_domain)->mode = 0644;
        node_const(g->dir, "reserved_regions", "0x00000000fee00000 0x00000000feefffff msi\n");
        sim->groups[want] = g;
        return g;
}

void iommu_group_add(struct sim *sim, struct iommu_group *g, struct node *dev_dir, const char *name) {
        _cleanup_free_ char *dev_path = node_path(dev_dir), *group_path = node_path(g->dir);
        node_link(g->devices, name, dev_path);
        node_link(dev_dir, "iommu_group", group_path);
        g->members++;
}

void iommu_group_del(struct sim *sim, struct iommu_group *g, struct node *dev_dir, const char *name) {
        if (!g)
                return;
        node_remove_child(g->devices, name);
        node_remove_child(dev_dir, "iommu_group");
        if (--g->members > 0)
                return;
        sim->groups[g->id] = NULL;
        if (g->id < sim->group_hint)
                sim->group_hint = g->id;
        node_remove(g->dir);
        free(g);
}
