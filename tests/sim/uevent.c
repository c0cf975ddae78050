/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Uevents as udevd rebroadcasts them. systemd's libudev monitors accept
 * "kernel"-group netlink messages only from port id 0 (the kernel itself), so
 * a userspace simulator plays udevd instead: it multicasts on the "udev"
 * group (2) in libudev's wire format, a "libudev\0" header with magic
 * 0xfeedcafe and MurmurHash2 filter hashes in network order followed by the
 * NUL-separated properties (ACTION, DEVPATH, SUBSYSTEM, SEQNUM, the device's
 * uevent keys). The runner gives the simulator and its command one private
 * network namespace, so only they hear it. Writing "add"/"change"/... into a
 * uevent file re-sends, as kobject_synth_uevent() does for udevadm trigger.
 */
#include <ctype.h>
#include <endian.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "sim-util.h"
#include "sim.h"

#define UDEV_MONITOR_MAGIC 0xfeedcafeu
#define MONITOR_GROUP_UDEV 2u

struct libudev_header {
        char prefix[8];
        uint32_t magic;
        uint32_t header_size;
        uint32_t properties_off;
        uint32_t properties_len;
        uint32_t filter_subsystem_hash;
        uint32_t filter_devtype_hash;
        uint32_t filter_tag_bloom_hi;
        uint32_t filter_tag_bloom_lo;
};

/* MurmurHash2 (Austin Appleby), 32-bit, seed 0: what libudev's socket filters compare against. */
static uint32_t murmur2(const char *key, size_t len) {
        const uint32_t m = 0x5bd1e995;
        uint32_t h = (uint32_t) len;
        const unsigned char *p = (const unsigned char *) key;
        while (len >= 4) {
                uint32_t k;
                memcpy(&k, p, 4);
                k = le32toh(k);
                k *= m;
                k ^= k >> 24;
                k *= m;
                h *= m;
                h ^= k;
                p += 4;
                len -= 4;
        }
        switch (len) {
        case 3:
                h ^= (uint32_t) p[2] << 16;
                /* fall through */
        case 2:
                h ^= (uint32_t) p[1] << 8;
                /* fall through */
        case 1:
                h ^= p[0];
                h *= m;
        }
        h ^= h >> 13;
        h *= m;
        h ^= h >> 15;
        return h;
}

int uevent_open(struct sim *sim) {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        if (fd < 0)
                return -errno;
        struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
        if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        sim->uevent_fd = fd;
        return 0;
}

struct buf {
        char *data;
        size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t len) {
        if (b->len + len + 1 > b->cap) {
                b->cap = (b->len + len + 1) * 2;
                b->data = realloc(b->data, b->cap);
                if (!b->data)
                        abort();
        }
        memcpy(b->data + b->len, s, len);
        b->len += len;
        b->data[b->len++] = '\0';
}

/* Append "KEY=VALUE\n" lines as NUL-terminated properties. */
static void buf_add_lines(struct buf *b, const char *lines) {
        while (lines && *lines) {
                size_t l = strcspn(lines, "\n");
                if (l > 0 && memchr(lines, '=', l))
                        buf_add(b, lines, l);
                lines += l;
                if (*lines == '\n')
                        lines++;
        }
}

/* Remove the "KEY=..." line from a NUL-terminated "KEY=VALUE\n..." text in place. */
static void drop_key(char *env, const char *key) {
        size_t klen = strlen(key);
        for (char *line = env; *line;) {
                char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line + 1) : strlen(line);
                if (strncmp(line, key, klen) == 0) {
                        memmove(line, line + len, strlen(line + len) + 1);
                        continue;
                }
                line += len;
        }
}

static int uevent_env(struct sim *sim, struct node *dir, char *out, size_t size) {
        struct node *u = node_child(dir, "uevent");
        if (!u || u->kind != NODE_ATTR)
                return snprintf(out, size, "%s", "");
        if (u->value)
                return snprintf(out, size, "%s", u->value);
        if (!u->ops || !u->ops->show)
                return snprintf(out, size, "%s", "");
        return u->ops->show(sim, u, out, size);
}

void uevent_send(struct sim *sim, struct node *dir, const char *action, const char *extra) {
        if (!dir)
                return;
        unsigned long long initialized = udev_db_update(sim, dir, action);
        if (sim->quiet || sim->uevent_fd < 0)
                return;
        struct node *sub = node_child(dir, "subsystem");
        const char *subsystem = sub && sub->target ? strrchr(sub->target, '/') + 1 : NULL;
        if (!subsystem)
                return;
        _cleanup_free_ char *devpath = node_path(dir);
        char env[4096];
        int r = uevent_env(sim, dir, env, sizeof(env));
        if (r < 0)
                env[0] = '\0';

        struct buf b = {0};
        _cleanup_free_ char *a = xasprintf("ACTION=%s", action), *p = xasprintf("DEVPATH=%s", devpath),
                            *s = xasprintf("SUBSYSTEM=%s", subsystem),
                            *q = xasprintf("SEQNUM=%llu", (unsigned long long) ++sim->seqnum),
                            *u = xasprintf("USEC_INITIALIZED=%llu", initialized);
        buf_add(&b, a, strlen(a));
        buf_add(&b, p, strlen(p));
        buf_add(&b, s, strlen(s));
        /* kobject_uevent_env() zaps MODALIAS from unbind events, so that udev loads no module. */
        if (streq(action, "unbind"))
                drop_key(env, "MODALIAS=");
        buf_add_lines(&b, env);
        buf_add_lines(&b, extra);
        buf_add(&b, q, strlen(q));
        buf_add(&b, u, strlen(u));

        struct libudev_header h = {
                .prefix = "libudev",
                .magic = htobe32(UDEV_MONITOR_MAGIC),
                .header_size = sizeof(h),
                .properties_off = sizeof(h),
                .properties_len = (uint32_t) b.len,
                .filter_subsystem_hash = htobe32(murmur2(subsystem, strlen(subsystem))),
        };
        struct iovec iov[2] = {{&h, sizeof(h)}, {b.data, b.len}};
        struct sockaddr_nl dst = {.nl_family = AF_NETLINK, .nl_groups = MONITOR_GROUP_UDEV};
        struct msghdr msg = {.msg_name = &dst, .msg_namelen = sizeof(dst), .msg_iov = iov, .msg_iovlen = 2};
        /* ECONNREFUSED means nobody listens, which is fine; a full receiver drops, as with udevd. */
        (void) sendmsg(sim->uevent_fd, &msg, MSG_DONTWAIT);
        free(b.data);
}

static const char *const uevent_actions[] = {"add",    "remove",  "change", "move",
                                             "online", "offline", "bind",   "unbind"};

int uevent_synth(struct sim *sim, struct node *dir, const char *buf, size_t len) {
        size_t n = strnlen(buf, len);
        if (n > 0 && buf[n - 1] == '\n')
                n--;
        if (n == 0)
                return -EINVAL;
        const char *action = NULL;
        size_t alen = 0;
        for (size_t i = 0; i < ELEMENTSOF(uevent_actions); i++) {
                size_t l = strlen(uevent_actions[i]);
                if (n >= l && strncmp(buf, uevent_actions[i], l) == 0 && (n == l || buf[l] == ' ')) {
                        action = uevent_actions[i];
                        alen = l;
                }
        }
        if (!action)
                return -EINVAL;
        _cleanup_free_ char *args = strndup(buf + alen, n - alen);
        if (!args)
                return -ENOMEM;
        _cleanup_free_ char *extra = NULL;
        char *save = NULL, *tok = strtok_r(args, " ", &save);
        if (!tok) {
                extra = xstrdup("SYNTH_UUID=0\n");
        } else {
                /* "UUID [KEY=VALUE ...]": a UUID first, then alphanumeric keys. */
                if (strlen(tok) != 36)
                        return -EINVAL;
                for (int i = 0; i < 36; i++)
                        if ((i == 8 || i == 13 || i == 18 || i == 23) ? tok[i] != '-'
                                                                      : !isxdigit((unsigned char) tok[i]))
                                return -EINVAL;
                extra = xasprintf("SYNTH_UUID=%s\n", tok);
                while ((tok = strtok_r(NULL, " ", &save))) {
                        char *eq = strchr(tok, '=');
                        if (!eq || eq == tok)
                                return -EINVAL;
                        for (char *k = tok; k < eq; k++)
                                if (!isalnum((unsigned char) *k))
                                        return -EINVAL;
                        char *more = xasprintf("%sSYNTH_ARG_%s\n", extra, tok);
                        free(extra);
                        extra = more;
                }
        }
        uevent_send(sim, dir, action, extra);
        return 0;
}
