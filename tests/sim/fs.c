/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FUSE operations with the kernel's sysfs behaviour: a write-only attribute
 * cannot be opened for reading and a read-only one not for writing
 * (EACCES, even for root), every read re-runs show(), every write() is one
 * store() of at most a page whose errno is the write's result, O_TRUNC opens
 * work, nothing can be created or removed by hand. Attributes report 4096
 * bytes like sysfs; timeouts are zero so changes are visible at once.
 * Injected latency is slept outside the model lock.
 */
#include "fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "sim-util.h"

#define PAGE_SIZE 4096

static struct sim *fs_sim(void) {
        return fuse_get_context()->private_data;
}

static time_t start_time;

static bool attr_readable(const struct node *n) {
        return (n->mode & 0444) && (n->value || (n->ops && (n->ops->show || n->ops->read)));
}

static bool attr_writable(const struct node *n) {
        return (n->mode & 0222) && n->ops && (n->ops->store || n->ops->write);
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
        cfg->entry_timeout = 0;
        cfg->attr_timeout = 0;
        cfg->negative_timeout = 0;
        cfg->direct_io = 1;
        cfg->kernel_cache = 0;
        cfg->hard_remove = 1;
        cfg->nullpath_ok = 0;
        start_time = time(NULL);
        return fuse_get_context()->private_data;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
        struct sim *sim = fs_sim();
        int r = 0;
        pthread_mutex_lock(&sim->lock);
        struct node *n = node_lookup(sim->root, path);
        if (!n)
                r = -ENOENT;
        else {
                memset(st, 0, sizeof(*st));
                st->st_uid = 0;
                st->st_gid = 0;
                st->st_atime = st->st_mtime = st->st_ctime = start_time;
                st->st_blksize = PAGE_SIZE;
                switch (n->kind) {
                case NODE_DIR:
                        st->st_mode = S_IFDIR | n->mode;
                        st->st_nlink = 2;
                        break;
                case NODE_ATTR:
                        st->st_mode = S_IFREG | n->mode;
                        st->st_nlink = 1;
                        st->st_size = (off_t) n->size;
                        break;
                case NODE_LINK:
                        st->st_mode = S_IFLNK | 0777;
                        st->st_nlink = 1;
                        _cleanup_free_ char *rel = node_link_relative(n);
                        st->st_size = (off_t) strlen(rel);
                        break;
                }
        }
        pthread_mutex_unlock(&sim->lock);
        return r;
}

static int fs_readlink(const char *path, char *buf, size_t size) {
        struct sim *sim = fs_sim();
        int r = 0;
        pthread_mutex_lock(&sim->lock);
        struct node *n = node_lookup(sim->root, path);
        if (!n)
                r = -ENOENT;
        else if (n->kind != NODE_LINK)
                r = -EINVAL;
        else {
                _cleanup_free_ char *rel = node_link_relative(n);
                snprintf(buf, size, "%s", rel);
        }
        pthread_mutex_unlock(&sim->lock);
        return r;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
        struct sim *sim = fs_sim();
        int r = 0;
        pthread_mutex_lock(&sim->lock);
        struct node *n = node_lookup(sim->root, path);
        if (!n)
                r = -ENOENT;
        else if (n->kind != NODE_DIR)
                r = -ENOTDIR;
        else {
                filler(buf, ".", NULL, 0, 0);
                filler(buf, "..", NULL, 0, 0);
                for (struct node *c = n->first_child; c; c = c->next_sibling)
                        filler(buf, c->name, NULL, 0, 0);
        }
        pthread_mutex_unlock(&sim->lock);
        return r;
}

static int fs_open(const char *path, struct fuse_file_info *fi) {
        struct sim *sim = fs_sim();
        int r = 0;
        pthread_mutex_lock(&sim->lock);
        struct node *n = node_lookup(sim->root, path);
        int acc = fi->flags & O_ACCMODE;
        if (!n)
                r = -ENOENT;
        else if (n->kind == NODE_DIR)
                r = -EISDIR;
        else if ((acc == O_WRONLY || acc == O_RDWR) && !attr_writable(n))
                r = -EACCES;
        else if ((acc == O_RDONLY || acc == O_RDWR) && !attr_readable(n))
                r = -EACCES;
        pthread_mutex_unlock(&sim->lock);
        fi->direct_io = 1;
        fi->keep_cache = 0;
        return r;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
        struct sim *sim = fs_sim();
        int r;
        pthread_mutex_lock(&sim->lock);
        struct node *n = node_lookup(sim->root, path);
        if (!n)
                r = -ENODEV; /* the file went away under an open fd, as when a device is removed */
        else if (n->ops && n->ops->read) {
                sim->caller_privileged = fuse_get_context()->uid == 0;
                r = (int) n->ops->read(sim, n, buf, size, off);
        } else if (!attr_readable(n))
                r = -EIO;
        else {
                char page[PAGE_SIZE + 1];
                int len;
                if (n->value)
                        len = snprintf(page, sizeof(page), "%s", n->value);
                else
                        len = n->ops->show(sim, n, page, PAGE_SIZE);
                if (len < 0)
                        r = len;
                else {
                        len = MIN(len, PAGE_SIZE);
                        if (off >= len)
                                r = 0;
                        else {
                                r = (int) MIN(size, (size_t) (len - off));
                                memcpy(buf, page + off, (size_t) r);
                        }
                }
        }
        pthread_mutex_unlock(&sim->lock);
        return r;
}

/* One store() with the model locked; injected latency is slept with the lock dropped. */
static int write_locked(struct sim *sim, const char *path, const char *data, size_t size, off_t off) {
        char page[PAGE_SIZE + 1];
        size_t len = MIN(size, (size_t) PAGE_SIZE);
        unsigned latency_ms = 0;
        struct node *n = node_lookup(sim->root, path);
        if (!n || n->kind != NODE_ATTR)
                return -ENODEV;
        if (!attr_writable(n))
                return -EIO;
        int r = fault_check(sim, path, &latency_ms);
        if (r < 0)
                return r;
        if (latency_ms > 0) {
                /* A slow store does not stop the world: sleep unlocked, then find the file again. */
                uint64_t gen = sim->generation;
                pthread_mutex_unlock(&sim->lock);
                struct timespec ts = {latency_ms / 1000, (long) (latency_ms % 1000) * 1000000L};
                while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
                pthread_mutex_lock(&sim->lock);
                n = node_lookup(sim->root, path);
                if (!n || gen != sim->generation || !attr_writable(n))
                        return -ENODEV;
        }
        if (n->ops->write) /* binary attribute: data at an offset, not a store() */
                return (int) n->ops->write(sim, n, data, size, off);
        memcpy(page, data, len);
        page[len] = '\0';
        /* n may be freed by the store (a remove file, a reboot): do not touch it afterwards. */
        r = n->ops->store(sim, n, page, len);
        return r < 0 ? r : (int) len;
}

static int fs_write(const char *path, const char *data, size_t size, off_t off, struct fuse_file_info *fi) {
        struct sim *sim = fs_sim();
        pthread_mutex_lock(&sim->lock);
        int r = write_locked(sim, path, data, size, off);
        pthread_mutex_unlock(&sim->lock);
        return r;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
        struct sim *sim = fs_sim();
        int r = 0;
        pthread_mutex_lock(&sim->lock);
        struct node *n = node_lookup(sim->root, path);
        if (!n)
                r = -ENOENT;
        else if (n->kind == NODE_DIR)
                r = -EISDIR;
        pthread_mutex_unlock(&sim->lock);
        return r; /* O_TRUNC on an attribute is accepted and means nothing, as in sysfs */
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
        return -EACCES;
}

static int fs_mknod(const char *path, mode_t mode, dev_t rdev) {
        return -EACCES;
}

static int fs_mkdir(const char *path, mode_t mode) {
        return -EPERM;
}

static int fs_unlink(const char *path) {
        return -EPERM;
}

static int fs_rename(const char *from, const char *to, unsigned int flags) {
        return -EPERM;
}

static int fs_symlink(const char *target, const char *path) {
        return -EPERM;
}

static int fs_link(const char *from, const char *to) {
        return -EPERM;
}

static int fs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
        return -EPERM;
}

static int fs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
        return -EPERM;
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi) {
        return 0;
}

static const struct fuse_operations fs_ops = {
        .init = fs_init,
        .getattr = fs_getattr,
        .readlink = fs_readlink,
        .readdir = fs_readdir,
        .open = fs_open,
        .read = fs_read,
        .write = fs_write,
        .truncate = fs_truncate,
        .create = fs_create,
        .mknod = fs_mknod,
        .mkdir = fs_mkdir,
        .unlink = fs_unlink,
        .rmdir = fs_unlink,
        .rename = fs_rename,
        .symlink = fs_symlink,
        .link = fs_link,
        .chmod = fs_chmod,
        .chown = fs_chown,
        .utimens = fs_utimens,
};

int fs_mount(struct sim *sim, const char *dir, struct fuse **ret) {
        char prog[] = "vgpu-sim", o[] = "-o",
             opts[] = "allow_other,default_permissions,fsname=vgpu-sim,subtype=sysfs";
        char *argv[] = {prog, o, opts, NULL};
        struct fuse_args args = FUSE_ARGS_INIT(3, argv);
        struct fuse *f = fuse_new(&args, &fs_ops, sizeof(fs_ops), sim);
        fuse_opt_free_args(&args);
        if (!f)
                return -EINVAL;
        if (fuse_mount(f, dir) < 0) {
                fuse_destroy(f);
                return -EPERM;
        }
        *ret = f;
        return 0;
}

int fs_loop(struct fuse *f) {
        struct fuse_loop_config cfg = {.clone_fd = 0, .max_idle_threads = 8};
        return fuse_loop_mt(f, &cfg);
}

void fs_stop(struct fuse *f) {
        fuse_exit(f);
        fuse_unmount(f);
}
