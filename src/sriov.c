/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Implementation of sriov.h. */
#include <stdio.h>

#include "fileio.h"
#include "log.h"
#include "parse-util.h"
#include "pci.h"
#include "sriov.h"
#include "sysfs.h"

#define PCI_VENDOR_NVIDIA 0x10de

static int parse_bdf(const char *s, unsigned *domain, unsigned *rid) {
        char n[PCI_BDF_MAX];
        unsigned bus, slot, fn;

        if (pci_bdf_normalize(s, n) < 0 || sscanf(n, "%4x:%2x:%2x.%1x", domain, &bus, &slot, &fn) != 4)
                return -EINVAL;
        *rid = bus << 8 | slot << 3 | fn;
        return 0;
}

int sriov_vf_address(const char *pf, unsigned offset, unsigned stride, unsigned index,
                     char out[static PCI_BDF_MAX]) {
        unsigned domain, rid;
        unsigned long long vf;

        if (parse_bdf(pf, &domain, &rid) < 0)
                return -EINVAL;
        vf = (unsigned long long) rid + offset + (unsigned long long) stride * index;
        if (vf > 0xffff)
                return -ERANGE; /* past the last bus of the domain */
        snprintf(out, PCI_BDF_MAX, "%04x:%02x:%02x.%x", domain, (unsigned) (vf >> 8) & 0xff,
                 (unsigned) (vf >> 3) & 0x1f, (unsigned) vf & 7);
        return 0;
}

int sriov_vf_index(const char *pf, unsigned offset, unsigned stride, unsigned total, const char *vf) {
        unsigned pd, prid, vd, vrid;

        if (parse_bdf(pf, &pd, &prid) < 0 || parse_bdf(vf, &vd, &vrid) < 0)
                return -EINVAL;
        if (pd != vd || vrid < prid + offset)
                return -ENOENT;
        unsigned delta = vrid - prid - offset;
        if (stride == 0)
                return delta == 0 && total > 0 ? 0 : -ENOENT;
        if (delta % stride != 0 || delta / stride >= total)
                return -ENOENT;
        return (int) (delta / stride);
}

bool sriov_autoprobe_default(const struct vgpu_gpu *pf) {
        return pf->vendor_id == PCI_VENDOR_NVIDIA;
}

static const char *numvfs_hint(int error) {
        switch (error) {
        case ERANGE:
                return "the GPU supports fewer VFs (sriov_totalvfs)";
        case ENOENT:
                return "no driver is bound to the GPU, or its driver cannot enable VFs (vfio-pci without "
                       "enable_sriov, pci-stub); bind the vendor driver first";
        case EBUSY:
                return "a VF is in use (a VM holds it, or an mdev on it is open)";
        case EINVAL:
                return "the kernel rejected the number";
        default:
                return NULL;
        }
}

static int write_numvfs(const char *path, unsigned n, const char *pf, struct vgpu_error *err) {
        char buf[16];
        int r;

        snprintf(buf, sizeof(buf), "%u", n);
        r = write_attr(path, buf);
        if (r < 0) {
                const char *hint = numvfs_hint(-r);
                return vgpu_error_set(err, r, path, "Cannot set %u VF%s on %s%s%s.", n, n == 1 ? "" : "s",
                                      pf, hint ? ": " : "", strempty(hint));
        }
        return 0;
}

int sriov_set_num_vfs(const char *sysfs_root, const char *pf, unsigned num_vfs, int autoprobe,
                      struct vgpu_error *err) {
        _cleanup_free_ char *numvfs = NULL, *autoprobe_path = NULL;
        unsigned long long cur;
        char bdf[PCI_BDF_MAX];
        int r;

        if (pci_bdf_normalize(pf, bdf) < 0)
                return vgpu_error_set(err, EINVAL, NULL, "Invalid PCI address \"%s\".", strna(pf));
        numvfs = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s/sriov_numvfs", bdf);
        autoprobe_path = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s/sriov_drivers_autoprobe", bdf);
        if (!numvfs || !autoprobe_path)
                return -ENOMEM;
        r = read_attr_u64(numvfs, 10, &cur);
        if (r == -ENOENT) {
                _cleanup_free_ char *dev = sysfs_path(sysfs_root, SYSFS_PCI_DEVICES "/%s", bdf);
                if (!dev)
                        return -ENOMEM;
                if (access(dev, F_OK) < 0)
                        return vgpu_error_set(err, ENODEV, dev, "No PCI device %s on this host.", bdf);
                return vgpu_error_set(err, EOPNOTSUPP, numvfs, "%s has no SR-IOV capability.", bdf);
        }
        if (r < 0)
                return vgpu_error_set(err, r, numvfs, "Cannot read the number of VFs of %s.", bdf);
        if (cur == num_vfs)
                return 0;

        if (cur != 0) {
                r = write_numvfs(numvfs, 0, bdf, err);
                if (r < 0)
                        return r;
        }
        if (num_vfs == 0) {
                /* Ours was a setting for the VFs we enabled: without them, the kernel's default again
                 * (best effort: the VFs are gone either way, and the count is what the caller records;
                 * a failure is logged, not lost). */
                if (autoprobe == 0) {
                        r = write_attr(autoprobe_path, "1");
                        if (r < 0)
                                log_warning_errno(r,
                                                  "%s's VFs are disabled, but setting its "
                                                  "sriov_drivers_autoprobe back to 1 failed: %m",
                                                  bdf);
                }
                return 1;
        }
        if (autoprobe >= 0) {
                r = write_attr(autoprobe_path, autoprobe ? "1" : "0");
                if (r < 0) {
                        int k = cur != 0 ? write_numvfs(numvfs, (unsigned) cur, bdf, NULL) : 0;
                        return vgpu_error_set(
                                err, r, autoprobe_path, "Cannot set sriov_drivers_autoprobe of %s%s.", bdf,
                                cur == 0 ? ""
                                : k >= 0 ? "; its VFs were restored"
                                         : "; its VFs were disabled and could not be restored");
                }
        }
        r = write_numvfs(numvfs, num_vfs, bdf, err);
        if (r < 0 && cur != 0) {
                /* The old VFs are gone already: bring them back rather than leave the GPU without any. */
                _cleanup_free_ char *first = err && err->message ? strdup(err->message) : NULL;
                int k = write_numvfs(numvfs, (unsigned) cur, bdf, NULL);
                return vgpu_error_set(
                        err, r, numvfs, "%s %s", strempty(first),
                        k >= 0 ? "The previous VFs were enabled again."
                               : "The previous VFs could not be enabled again: the GPU has none "
                                 "now.");
        }
        return r < 0 ? r : 1;
}
