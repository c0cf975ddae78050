/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of pci.h. */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>

#include "fileio.h"
#include "parse-util.h"
#include "pci.h"
#include "strutil.h"
#include "sysfs.h"

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Parse exactly n hex digits. */
static int hex_n(const char *s, size_t n, unsigned *ret) {
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                int d = hexval(s[i]);
                if (d < 0)
                        return -EINVAL;
                v = v * 16 + (unsigned) d;
        }
        *ret = v;
        return 0;
}

int pci_bdf_normalize(const char *s, char out[static PCI_BDF_MAX]) {
        unsigned domain = 0, bus, slot, fn;
        size_t n;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n == 12) {
                if (s[4] != ':' || hex_n(s, 4, &domain) < 0)
                        return -EINVAL;
                s += 5;
                n -= 5;
        }
        if (n != 7 || s[2] != ':' || s[5] != '.')
                return -EINVAL;
        if (hex_n(s, 2, &bus) < 0 || hex_n(s + 3, 2, &slot) < 0 || hex_n(s + 6, 1, &fn) < 0)
                return -EINVAL;
        if (slot > 0x1f || fn > 7)
                return -EINVAL;
        snprintf(out, PCI_BDF_MAX, "%04x:%02x:%02x.%x", domain, bus, slot, fn);
        return 0;
}

int gpu_address_normalize(const char *s, char out[static PCI_BDF_MAX]) {
        if (pci_bdf_normalize(s, out) >= 0)
                return 0;
        if (!sysfs_name_is_valid(s) || strlen(s) >= PCI_BDF_MAX || strchr(s, ':'))
                return -EINVAL;
        strcpy(out, s);
        return 0;
}

int pci_address_parse(const char *s, unsigned *domain, unsigned *bus, unsigned *slot, unsigned *function) {
        unsigned d, b, sl, f;

        if (!s || strlen(s) != 12 || s[4] != ':' || s[7] != ':' || s[10] != '.')
                return -EINVAL;
        if (hex_n(s, 4, &d) < 0 || hex_n(s + 5, 2, &b) < 0 || hex_n(s + 8, 2, &sl) < 0 ||
            hex_n(s + 11, 1, &f) < 0)
                return -EINVAL;
        if (sl > 0x1f || f > 7)
                return -EINVAL;
        if (domain)
                *domain = d;
        if (bus)
                *bus = b;
        if (slot)
                *slot = sl;
        if (function)
                *function = f;
        return 0;
}

static int read_hex_attr(int dfd, const char *name, unsigned long long max, unsigned long long *ret) {
        _cleanup_free_ char *s = NULL;
        unsigned long long v;
        char *end;
        int r;

        r = read_attr_at(dfd, name, &s);
        if (r < 0)
                return r;
        if (isempty(s) || *s == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 16); /* sysfs prints 0x-prefixed hex; strtoull base 16 accepts it */
        if (errno != 0 || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int read_u_attr(int dfd, const char *name, unsigned *ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = read_attr_at(dfd, name, &s);
        if (r < 0)
                return r;
        return safe_atou(s, ret);
}

static int read_iommu_group(int dfd, int *ret) {
        _cleanup_free_ char *g = NULL;
        unsigned v;
        int r;

        r = sysfs_read_link_name_at(dfd, "iommu_group", &g);
        if (r == -ENOENT) {
                *ret = -1;
                return 0;
        }
        if (r < 0)
                return r;
        r = safe_atou(g, &v);
        if (r < 0 || v > INT32_MAX)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static int read_numa_node(int dfd, int *ret) {
        _cleanup_free_ char *s = NULL;
        unsigned v;

        *ret = -1;
        if (read_attr_at(dfd, "numa_node", &s) < 0 || streq(s, "-1"))
                return 0;
        if (safe_atou(s, &v) < 0 || v > INT32_MAX)
                return 0; /* informational only */
        *ret = (int) v;
        return 0;
}

struct virtfn {
        unsigned index;
        char *bdf;
};

static int cmp_virtfn(const void *a, const void *b) {
        const struct virtfn *x = a, *y = b;
        return x->index < y->index ? -1 : x->index > y->index;
}

static int read_virtfns(int dfd, char ***ret) {
        _cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct virtfn *v = NULL;
        size_t n = 0;
        DIR *d;
        int r = 0;

        if (fd < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d)
                return negative_errno();
        fd = -1; /* owned by d now */
        for (struct dirent *de; (de = readdir(d));) {
                unsigned idx;
                char *bdf = NULL;
                if (!startswith(de->d_name, "virtfn") || safe_atou(de->d_name + 6, &idx) < 0)
                        continue;
                if (sysfs_read_link_name_at(dirfd(d), de->d_name, &bdf) < 0)
                        continue; /* a VF going away while we look */
                struct virtfn *nv = realloc(v, (n + 1) * sizeof(*nv));
                if (!nv) {
                        free(bdf);
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                v[n++] = (struct virtfn){idx, bdf};
        }
        closedir(d);

        char **out = NULL;
        if (r >= 0) {
                if (n > 0)
                        qsort(v, n, sizeof(*v), cmp_virtfn);
                out = calloc(n + 1, sizeof(char *));
                if (!out)
                        r = -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (out)
                        out[i] = v[i].bdf;
                else
                        free(v[i].bdf);
        }
        free(v);
        if (r < 0)
                return r;
        *ret = out;
        return 0;
}

static int read_sriov(int dfd, struct vgpu_gpu *g) {
        unsigned long long x;
        int r;

        r = read_u_attr(dfd, "sriov_totalvfs", &g->sriov.total_vfs);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        g->sriov.capable = true;
        (void) read_u_attr(dfd, "sriov_numvfs", &g->sriov.num_vfs);
        (void) read_u_attr(dfd, "sriov_offset", &g->sriov.offset);
        (void) read_u_attr(dfd, "sriov_stride", &g->sriov.stride);
        if (read_hex_attr(dfd, "sriov_vf_device", UINT16_MAX, &x) >= 0)
                g->sriov.vf_device_id = (uint16_t) x;
        unsigned ap = 1;
        (void) read_u_attr(dfd, "sriov_drivers_autoprobe", &ap);
        g->sriov.drivers_autoprobe = ap != 0;
        return read_virtfns(dfd, &g->sriov.vfs);
}

static void read_nvidia_vfio(int dfd, struct vgpu_gpu *g) {
        _cleanup_free_ char *s = NULL;
        unsigned cur;

        if (read_attr_at(dfd, SYSFS_NVIDIA_DIR "/current_vgpu_type", &s) < 0)
                return;
        g->nvidia_vfio = true;
        if (safe_atou(s, &cur) >= 0)
                g->nvidia_current_type = cur;
}

int pci_read_gpu(const char *sysfs_root, const char *bdf, struct vgpu_gpu **ret) {
        _cleanup_(gpu_freep) struct vgpu_gpu *g = NULL;
        _cleanup_free_ char *path = NULL, *pf = NULL;
        _cleanup_close_ int dfd = -1;
        unsigned long long x;
        int r;

        if (!sysfs_name_is_valid(bdf))
                return -EINVAL;
        path = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s", bdf);
        if (!path)
                return -ENOMEM;
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return errno == ENOENT ? -ENODEV : negative_errno();

        r = read_hex_attr(dfd, "class", 0xffffff, &x);
        if (r == -ENOENT)
                return -ENODEV; /* removed while we looked */
        if (r < 0)
                return r;

        g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        g->class_code = (uint32_t) x;
        r = pci_bdf_normalize(bdf, g->bdf);
        if (r < 0)
                return r;
        if ((r = read_hex_attr(dfd, "vendor", UINT16_MAX, &x)) < 0)
                return r == -ENOENT ? -ENODEV : r;
        g->vendor_id = (uint16_t) x;
        if ((r = read_hex_attr(dfd, "device", UINT16_MAX, &x)) < 0)
                return r == -ENOENT ? -ENODEV : r;
        g->device_id = (uint16_t) x;
        if (read_hex_attr(dfd, "subsystem_vendor", UINT16_MAX, &x) >= 0)
                g->subsystem_vendor_id = (uint16_t) x;
        if (read_hex_attr(dfd, "subsystem_device", UINT16_MAX, &x) >= 0)
                g->subsystem_device_id = (uint16_t) x;

        r = sysfs_read_link_name_at(dfd, "driver", &g->driver);
        if (r < 0 && r != -ENOENT)
                return r;
        r = read_iommu_group(dfd, &g->iommu_group);
        if (r < 0)
                return r;
        (void) read_numa_node(dfd, &g->numa_node);
        r = read_sriov(dfd, g);
        if (r < 0)
                return r;

        r = sysfs_read_link_name_at(dfd, "physfn", &pf);
        if (r >= 0) {
                r = pci_bdf_normalize(pf, g->physfn);
                if (r < 0)
                        return r;
        } else if (r != -ENOENT)
                return r;
        read_nvidia_vfio(dfd, g);

        *ret = TAKE_PTR(g);
        return 0;
}

char *pci_board_name(const char *model_name) {
        const char *open = model_name ? strrchr(model_name, '[') : NULL;
        const char *close = open ? strchr(open, ']') : NULL;

        if (!model_name)
                return NULL;
        if (open && close && close > open + 1)
                return strndup(open + 1, (size_t) (close - open - 1));
        return strdup(model_name);
}

void gpu_free(struct vgpu_gpu *g) {
        if (!g)
                return;
        free(g->vendor_name);
        free(g->model_name);
        free(g->driver);
        strv_free(g->sriov.vfs);
        free(g);
}

static bool strv_equal(char **a, char **b) {
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

bool gpu_equal(const struct vgpu_gpu *a, const struct vgpu_gpu *b) {
        return streq(a->bdf, b->bdf) && a->vendor_id == b->vendor_id && a->device_id == b->device_id &&
               a->subsystem_vendor_id == b->subsystem_vendor_id &&
               a->subsystem_device_id == b->subsystem_device_id && a->class_code == b->class_code &&
               streq_ptr(a->driver, b->driver) && a->iommu_group == b->iommu_group &&
               a->numa_node == b->numa_node && a->sriov.capable == b->sriov.capable &&
               a->sriov.total_vfs == b->sriov.total_vfs && a->sriov.num_vfs == b->sriov.num_vfs &&
               a->sriov.offset == b->sriov.offset && a->sriov.stride == b->sriov.stride &&
               a->sriov.vf_device_id == b->sriov.vf_device_id &&
               a->sriov.drivers_autoprobe == b->sriov.drivers_autoprobe &&
               strv_equal(a->sriov.vfs, b->sriov.vfs) && streq(a->physfn, b->physfn) &&
               a->nvidia_vfio == b->nvidia_vfio && a->nvidia_current_type == b->nvidia_current_type;
}

void gpu_take_fields(struct vgpu_gpu *dst, struct vgpu_gpu *src) {
        struct vgpu_gpu *pf = dst->pf;
        struct vgpu_parent *parent = dst->parent;
        unsigned n = dst->n_instances;

        free(dst->vendor_name);
        free(dst->model_name);
        free(dst->driver);
        strv_free(dst->sriov.vfs);
        *dst = *src;
        dst->pf = pf;
        dst->parent = parent;
        dst->n_instances = n;
        *src = (struct vgpu_gpu){};
}

int pci_id_parse(const char *s, uint32_t *ret) {
        uint32_t v = 0;

        if (!s || strlen(s) != 9 || s[4] != ':')
                return -EINVAL;
        for (size_t i = 0; i < 9; i++) {
                if (i == 4)
                        continue;
                if (!isxdigit((unsigned char) s[i]))
                        return -EINVAL;
                v = v << 4 |
                    (uint32_t) (isdigit((unsigned char) s[i]) ? s[i] - '0'
                                                              : (tolower((unsigned char) s[i]) - 'a' + 10));
        }
        *ret = v;
        return 0;
}
