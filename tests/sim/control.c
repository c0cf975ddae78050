/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control interface, a debugfs-like directory that exists only inside
 * the simulator's namespace: /sys/kernel/debug/vgpu-sim/. Each file takes
 * one command per write (vgpu-sim ctl writes them): fault injection on
 * writes (fail the next N with an errno, add latency), the window in which a
 * new mdev has no type yet, hot-unplug and
 * re-plug of a device, marking a device held by a VM, reboot to the
 * profile's power-on state, loading another profile. Errors are errnos,
 * like every other attribute.
 */
#include "sim-util.h"
#include "sim.h"

#define CONTROL_DIR "/kernel/debug/vgpu-sim"

/* Split a one-line command into at most max words; returns the count or -EINVAL. */
static int split_words(const char *buf, size_t len, char *copy, size_t copy_size, char **words, int max) {
        size_t n = strnlen(buf, len);
        if (n >= copy_size)
                return -EINVAL;
        memcpy(copy, buf, n);
        copy[n] = '\0';
        int count = 0;
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
                if (count == max)
                        return -EINVAL;
                words[count++] = w;
        }
        return count;
}

/* "/sys/bus/..." or "/bus/..." -> canonical path inside the tree (symlinks resolved). */
static int fault_path(struct sim *sim, const char *in, char **ret) {
        if (streq(in, "*") || streq(in, "all")) {
                *ret = xstrdup("*");
                return 0;
        }
        const char *p = in;
        if (strncmp(p, "/sys/", 5) == 0)
                p += 4;
        if (*p != '/')
                return -EINVAL;
        struct node *n = node_resolve(sim->root, p);
        if (!n)
                return -ENOENT;
        if (n->kind != NODE_ATTR)
                return -EISDIR;
        *ret = node_path(n);
        return 0;
}

static struct fault *fault_get(struct sim *sim, const char *path) {
        for (struct fault *f = sim->faults; f; f = f->next)
                if (streq(f->path, path))
                        return f;
        struct fault *f = xmalloc0(sizeof(*f));
        f->path = xstrdup(path);
        f->next = sim->faults;
        sim->faults = f;
        return f;
}

static void faults_prune(struct sim *sim) {
        for (struct fault **pp = &sim->faults; *pp;) {
                struct fault *f = *pp;
                if (f->count == 0 && f->latency_ms == 0) {
                        *pp = f->next;
                        free(f->path);
                        free(f);
                } else
                        pp = &f->next;
        }
}

void faults_clear(struct sim *sim) {
        for (struct fault *f = sim->faults; f; f = f->next)
                f->count = f->latency_ms = 0;
        faults_prune(sim);
        sim->mdev_settle_ms = 0;
        pthread_cond_broadcast(&sim->changed);
}

int fault_check(struct sim *sim, const char *path, unsigned *latency_ms) {
        int r = 0;
        *latency_ms = 0;
        for (struct fault *f = sim->faults; f; f = f->next) {
                if (!streq(f->path, "*") && !streq(f->path, path))
                        continue;
                if (f->latency_ms > *latency_ms)
                        *latency_ms = f->latency_ms;
                if (r == 0 && f->count > 0) {
                        f->count--;
                        r = -f->error;
                }
        }
        faults_prune(sim);
        return r;
}

static int fail_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        size_t len = 0;
        for (struct fault *f = sim->faults; f && len < size; f = f->next)
                if (f->count > 0) {
                        const char *name = errno_to_name(f->error);
                        char num[16];
                        snprintf(num, sizeof(num), "%d", f->error);
                        len += (size_t) snprintf(buf + len, size - len, "%s %s %u\n", f->path, name ?: num,
                                                 f->count);
                }
        return (int) MIN(len, size);
}

/* "PATH ERRNO [COUNT]" or "clear" */
static int fail_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        char copy[1024], *w[3];
        int nw = split_words(buf, len, copy, sizeof(copy), w, 3);
        if (nw == 1 && streq(w[0], "clear")) {
                faults_clear(sim); /* failures and latencies alike */
                return 0;
        }
        if (nw < 2)
                return -EINVAL;
        int e = errno_from_name(w[1]);
        if (e < 0)
                return -EINVAL;
        unsigned long long count = 1;
        if (nw == 3 && (kstrtoull(w[2], strlen(w[2]), 10, &count) < 0 || count > 1000000))
                return -EINVAL;
        _cleanup_free_ char *path = NULL;
        int r = fault_path(sim, w[0], &path);
        if (r < 0)
                return r;
        struct fault *f = fault_get(sim, path);
        f->error = e;
        f->count = (unsigned) count;
        faults_prune(sim);
        return 0;
}

static int latency_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        size_t len = 0;
        for (struct fault *f = sim->faults; f && len < size; f = f->next)
                if (f->latency_ms > 0)
                        len += (size_t) snprintf(buf + len, size - len, "%s %u\n", f->path, f->latency_ms);
        return (int) MIN(len, size);
}

/* "PATH|* MS"; 0 removes */
static int latency_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        char copy[1024], *w[2];
        if (split_words(buf, len, copy, sizeof(copy), w, 2) != 2)
                return -EINVAL;
        unsigned long long ms;
        if (kstrtoull(w[1], strlen(w[1]), 10, &ms) < 0 || ms > 600000)
                return -EINVAL;
        _cleanup_free_ char *path = NULL;
        int r = fault_path(sim, w[0], &path);
        if (r < 0)
                return r;
        fault_get(sim, path)->latency_ms = (unsigned) ms;
        faults_prune(sim);
        return 0;
}

static int mdev_settle_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        return snprintf(buf, size, "%u\n", sim->mdev_settle_ms);
}

/* "MS"; 0 ends it */
static int mdev_settle_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        unsigned long long ms;
        if (kstrtoull(buf, len, 10, &ms) < 0 || ms > 600000)
                return -EINVAL;
        sim->mdev_settle_ms = (unsigned) ms;
        pthread_cond_broadcast(&sim->changed); /* creates waiting in the window look at the new setting */
        return 0;
}

static int one_word(const char *buf, size_t len, char *out, size_t size) {
        char copy[256], *w[1];
        if (split_words(buf, len, copy, sizeof(copy), w, 1) != 1 || strlen(w[0]) >= size)
                return -EINVAL;
        strcpy(out, w[0]);
        return 0;
}

static int unplug_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        char name[64];
        if (one_word(buf, len, name, sizeof(name)) < 0)
                return -EINVAL;
        struct pci_dev *dev = pci_dev_find(sim, name);
        if (!dev)
                return -ENODEV;
        if (dev->physfn)
                return -EINVAL; /* a VF goes with its PF */
        /* Functions of the same slot (a GPU's audio function) leave with it. */
        char slot[16];
        snprintf(slot, sizeof(slot), "%.10s", dev->name);
        for (;;) {
                struct pci_dev *victim = NULL;
                for (struct pci_dev *d = sim->devs; d && !victim; d = d->next)
                        if (!d->physfn && strncmp(d->name, slot, 10) == 0)
                                victim = d;
                if (!victim)
                        break;
                sim->unplugged[victim->spec - sim->profile->devs] = true;
                pci_dev_remove(sim, victim);
        }
        pthread_cond_broadcast(&sim->changed);
        return 0;
}

static int replug_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        char name[64];
        if (one_word(buf, len, name, sizeof(name)) < 0)
                return -EINVAL;
        const struct dev_spec *spec = profile_find_dev(sim->profile, name);
        if (!spec)
                return -ENODEV;
        if (pci_dev_find(sim, name))
                return -EEXIST;
        sim->unplugged[spec - sim->profile->devs] = false;
        int r = sim_plug(sim, spec);
        if (r < 0)
                return r;
        /* The rest of the slot comes back too. */
        for (size_t i = 0; i < sim->profile->n_devs; i++) {
                const struct dev_spec *s = &sim->profile->devs[i];
                if (s != spec && strncmp(s->address, name, 10) == 0 && !pci_dev_find(sim, s->address)) {
                        sim->unplugged[i] = false;
                        (void) sim_plug(sim, s);
                }
        }
        return 0;
}

static int set_open(struct sim *sim, const char *buf, size_t len, bool open) {
        char name[64];
        if (one_word(buf, len, name, sizeof(name)) < 0)
                return -EINVAL;
        struct pci_dev *dev = pci_dev_find(sim, name);
        struct mdev *m = dev ? NULL : mdev_find(sim, name);
        if (dev)
                dev->open = open;
        else if (m)
                m->open = open;
        else
                return -ENODEV;
        pthread_cond_broadcast(&sim->changed);
        return 0;
}

static int hold_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        return set_open(sim, buf, len, true);
}

static int release_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        return set_open(sim, buf, len, false);
}

static int held_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        size_t len = 0;
        for (struct pci_dev *d = sim->devs; d && len < size; d = d->next)
                if (d->open)
                        len += (size_t) snprintf(buf + len, size - len, "%s\n", d->name);
        for (struct mdev *m = sim->mdevs; m && len < size; m = m->next)
                if (m->open)
                        len += (size_t) snprintf(buf + len, size - len, "%s\n", m->name);
        return (int) MIN(len, size);
}

static int reboot_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        return sim_power_on(sim, NULL);
}

static int profile_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        return snprintf(buf, size, "%s\n", sim->profile->name);
}

static int profile_store(struct sim *sim, struct node *n, const char *buf, size_t len) {
        char name[512];
        if (one_word(buf, len, name, sizeof(name)) < 0)
                return -EINVAL;
        return sim_power_on(sim, name);
}

static int status_show(struct sim *sim, struct node *n, char *buf, size_t size) {
        unsigned devs = 0, vfs = 0, groups = 0;
        for (struct pci_dev *d = sim->devs; d; d = d->next)
                d->physfn ? vfs++ : devs++;
        for (unsigned i = 0; i < sim->n_groups; i++)
                groups += sim->groups[i] != NULL;
        return snprintf(
                buf, size,
                "profile %s\nfunctions %u\nvfs %u\nmdevs %u\niommu_groups %u\nuevents %llu\nboots %llu\n",
                sim->profile->name, devs, vfs, sim->n_mdevs, groups, (unsigned long long) sim->seqnum,
                (unsigned long long) sim->generation);
}

static const struct attr_ops fail_ops = {.show = fail_show, .store = fail_store};
static const struct attr_ops latency_ops = {.show = latency_show, .store = latency_store};
static const struct attr_ops mdev_settle_ops = {.show = mdev_settle_show, .store = mdev_settle_store};
static const struct attr_ops unplug_ops = {.store = unplug_store};
static const struct attr_ops replug_ops = {.store = replug_store};
static const struct attr_ops hold_ops = {.show = held_show, .store = hold_store};
static const struct attr_ops release_ops = {.store = release_store};
static const struct attr_ops reboot_ops = {.store = reboot_store};
static const struct attr_ops profile_ops = {.show = profile_show, .store = profile_store};
static const struct attr_ops status_ops = {.show = status_show};

void control_init(struct sim *sim) {
        struct node *d = node_dir_p(sim->root, CONTROL_DIR);
        node_attr(d, "fail", 0600, &fail_ops, NULL, 0);
        node_attr(d, "latency", 0600, &latency_ops, NULL, 0);
        node_attr(d, "mdev_settle", 0600, &mdev_settle_ops, NULL, 0);
        node_attr(d, "unplug", 0200, &unplug_ops, NULL, 0);
        node_attr(d, "replug", 0200, &replug_ops, NULL, 0);
        node_attr(d, "hold", 0600, &hold_ops, NULL, 0);
        node_attr(d, "release", 0200, &release_ops, NULL, 0);
        node_attr(d, "reboot", 0200, &reboot_ops, NULL, 0);
        node_attr(d, "profile", 0600, &profile_ops, NULL, 0);
        node_attr(d, "status", 0444, &status_ops, NULL, 0);
}
