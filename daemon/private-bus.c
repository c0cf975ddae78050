/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The private socket, <runtime-dir>/private: root's direct connection to
 * vgpud, without dbus-daemon in between, as systemd's /run/systemd/private
 * is for systemctl. A call on the system bus is four hops through
 * dbus-daemon (in, out, and the reply's in and out) plus, on a new
 * connection, a GetConnectionUnixUser round trip to authorize it; here it is
 * one hop each way and the caller's credentials are the socket's
 * (SO_PEERCRED). The same objects and methods as on the bus, the same
 * authorization (bus_authorize() with the peer's uid), but no signals: what
 * follows changes (`vgpuctl events`, `monitor`) stays on the bus. The socket
 * is root's alone (0600); anyone else, and anything that cannot reach it,
 * uses the bus.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "manager.h"

#define PRIVATE_BACKLOG 64

static void private_bus_drop(Manager *m, sd_bus *bus) {
        for (size_t i = 0; i < m->n_private_buses; i++)
                if (m->private_buses[i] == bus) {
                        m->private_buses[i] = m->private_buses[--m->n_private_buses];
                        /* sd_bus_process() holds its own reference while it dispatches. */
                        sd_bus_close_unref(bus);
                        return;
                }
}

static int on_private_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *e) {
        private_bus_drop(userdata, sd_bus_message_get_bus(msg));
        return 0;
}

/* Takes fd. */
static int private_bus_new(Manager *m, int fd) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int owned = fd;
        sd_id128_t id;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;
        r = sd_bus_set_fd(bus, fd, fd);
        if (r < 0)
                return r;
        TAKE_FD(owned); /* the bus closes it */
        r = sd_bus_set_server(bus, 1, id);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        r = sd_bus_add_match(bus, NULL,
                             "type='signal',path='/org/freedesktop/DBus/Local',"
                             "interface='org.freedesktop.DBus.Local',member='Disconnected'",
                             on_private_disconnected, m);
        if (r < 0)
                return r;
        r = manager_register_objects(m, bus);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        sd_bus **n = reallocarray(m->private_buses, m->n_private_buses + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        m->private_buses = n;
        /* cppcheck reads sd_bus, whose header it is not given, as an integer type. */
        // cppcheck-suppress AssignmentAddressToInteger
        m->private_buses[m->n_private_buses++] = TAKE_PTR(bus);
        return 0;
}

static int on_private_connection(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        int nfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (nfd < 0) {
                if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                        log_warning_errno(errno, "Failed to accept a connection on %s: %m", m->private_path);
                return 0;
        }
        int r = private_bus_new(m, nfd);
        if (r < 0)
                log_warning_errno(r, "Failed to set up a connection on %s (the client can use the bus): %m",
                                  m->private_path);
        return 0;
}

int manager_start_private(Manager *m) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -1;
        int r;

        if (asprintf(&m->private_path, "%s/private", m->runtime_dir) < 0)
                return -ENOMEM;
        if (strlen(m->private_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, m->private_path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        (void) unlink(m->private_path); /* a previous vgpud's, which did not get to remove it */
        /* Root's alone from the start: the mode is the only check before the credentials. */
        mode_t old = umask(0077);
        r = bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? negative_errno() : 0;
        umask(old);
        if (r >= 0 && chmod(m->private_path, 0600) < 0)
                r = negative_errno();
        if (r < 0)
                return r;
        if (listen(fd, PRIVATE_BACKLOG) < 0)
                return negative_errno();
        r = sd_event_add_io(m->event, &m->private_source, fd, EPOLLIN, on_private_connection, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_io_fd_own(m->private_source, true);
        TAKE_FD(fd);
        (void) sd_event_source_set_description(m->private_source, "private-socket");
        return 0;
}

void manager_stop_private(Manager *m) {
        m->private_source = sd_event_source_disable_unref(m->private_source);
        while (m->n_private_buses > 0)
                sd_bus_flush_close_unref(m->private_buses[--m->n_private_buses]);
        free(m->private_buses);
        m->private_buses = NULL;
        if (m->private_path)
                (void) unlink(m->private_path);
        free(m->private_path);
        m->private_path = NULL;
}
