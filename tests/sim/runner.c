/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runner. Order matters: namespaces are unshared while the process is
 * still single-threaded, the tree is mounted and served by a FUSE thread of
 * this process, and the first child forked after unshare(CLONE_NEWPID) is a
 * minimal init (PID 1) that starts the command, reaps orphans and exits with
 * the command's status; the kernel then kills whatever the command left in
 * the namespace. The init dies with us (PR_SET_PDEATHSIG), so even a killed
 * vgpu-sim leaves no process and, the namespace emptied, no mount.
 */
#include "runner.h"

#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "fs.h"
#include "sim-util.h"
#include "sim.h"

#define EXIT_SETUP 125

static int write_file(const char *path, const char *content) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        size_t len = strlen(content);
        if (write(fd, content, len) != (ssize_t) len)
                return -EIO;
        return 0;
}

static int loopback_up(void) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}

static int enter_namespaces(void) {
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (uid != 0) {
                /* Unprivileged: become root of a new user namespace first. */
                if (unshare(CLONE_NEWUSER) < 0)
                        return -errno;
                char map[64];
                (void) write_file("/proc/self/setgroups", "deny");
                snprintf(map, sizeof(map), "0 %u 1", (unsigned) uid);
                if (write_file("/proc/self/uid_map", map) < 0)
                        return -EPERM;
                snprintf(map, sizeof(map), "0 %u 1", (unsigned) gid);
                if (write_file("/proc/self/gid_map", map) < 0)
                        return -EPERM;
        }
        if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0)
                return -errno;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        return loopback_up();
}

/* A private tmpfs on dir; creates dir when missing (a harmless empty directory, e.g. /run/udev). */
static int private_tmpfs(const char *dir) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
                return -errno;
        return 0;
}

static int run_udev(void) {
        int r = private_tmpfs("/run/udev");
        if (r < 0)
                return r;
        /* libudev only listens for udev events when udevd's control socket seems present. */
        (void) mkdir("/run/udev/data", 0755);
        return write_file("/run/udev/control", "");
}

/*
 * driverctl runs `modprobe -q vfio-pci` when /sys/module/vfio-pci is missing
 * (the real module directory is vfio_pci). So the namespace gets a
 * /lib/modules/$(uname -r) that declares the simulated drivers built in,
 * written into an overlay on the real /usr/lib (or /usr/lib/modules), and kmod answers for real.
 */
static int lib_modules(void) {
        static const char *const modules[] = {
                "nvidia",        "i915", "vfio_pci",  "vfio_pci_core", "pci_stub",
                "snd_hda_intel", "mdev", "vfio_mdev", "vfio",          "vfio_iommu_type1",
                "nvme",          "mtty", "mdpy",      "mbochs"};
        char tmp[] = "/tmp/vgpu-sim-modules.XXXXXX";
        if (!mkdtemp(tmp))
                return -errno;
        int r = 0;
        if (mount("tmpfs", tmp, "tmpfs", 0, "mode=0755") < 0)
                r = -errno;
        _cleanup_free_ char *upper = xasprintf("%s/upper", tmp), *work = xasprintf("%s/work", tmp);
        char lib[4096];
        /* Over /lib/modules when it exists: in a user namespace a directory of the real root's cannot
         * be copied up (its owner is not mapped), and /lib/modules would have to be, to take a release
         * directory. The overlay's own root needs no copy-up. */
        if (r == 0 && !realpath("/lib/modules", lib) && !realpath("/lib", lib))
                r = -errno;
        if (r == 0 && (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0))
                r = -errno;
        if (r == 0) {
                _cleanup_free_ char *opts =
                        xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lib, upper, work);
                if (mount("overlay", lib, "overlay", 0, opts) < 0)
                        r = -errno;
        }
        /* The overlay holds the tmpfs; the temporary directory itself can go at once. */
        (void) umount2(tmp, MNT_DETACH);
        (void) rmdir(tmp);
        if (r < 0)
                return r;
        struct utsname u;
        uname(&u);
        _cleanup_free_ char *dir = xasprintf("/lib/modules/%s", u.release);
        (void) mkdir("/lib/modules", 0755);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *list = xmalloc0(cap);
        for (size_t i = 0; i < ELEMENTSOF(modules); i++) {
                char name[64];
                snprintf(name, sizeof(name), "%s", modules[i]);
                for (char *c = name; *c; c++)
                        if (*c == '_')
                                *c = '-';
                len += (size_t) snprintf(list + len, cap - len, "kernel/drivers/vgpu-sim/%s.ko\n", name);
        }
        _cleanup_free_ char *builtin = xasprintf("%s/modules.builtin", dir),
                            *order = xasprintf("%s/modules.order", dir),
                            *modinfo = xasprintf("%s/modules.builtin.modinfo", dir);
        if ((r = write_file(builtin, list)) < 0 || (r = write_file(order, "")) < 0 ||
            (r = write_file(modinfo, "")) < 0)
                return r;
        /* depmod turns the list into the binary indexes modprobe reads. */
        char depmod[] = "depmod", all[] = "-a";
        char *argv[] = {depmod, all, u.release, NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        r = posix_spawnp(&pid, "depmod", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Host configuration that belongs to the simulated host, not the machine running the tests. */
static void private_config(void) {
        static const char *const dirs[] = {"/etc/mdevctl.d", "/etc/driverctl.d"};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                if (access(dirs[i], F_OK) < 0)
                        continue; /* the tool is not installed: nothing of the machine's to protect */
                int r = private_tmpfs(dirs[i]);
                if (r < 0)
                        fprintf(stderr, "vgpu-sim: warning: %s stays the machine's own: %s\n", dirs[i],
                                strerror(-r));
        }
        (void) mkdir("/etc/mdevctl.d/scripts.d", 0755);
        (void) mkdir("/etc/mdevctl.d/scripts.d/callouts", 0755);
        (void) mkdir("/etc/mdevctl.d/scripts.d/notifiers", 0755);
}

static void *loop_thread(void *arg) {
        fs_loop(arg);
        return NULL;
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void signal_set(sigset_t *set) {
        sigemptyset(set);
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaddset(set, forwarded[i]);
        sigaddset(set, SIGCHLD);
}

static int exit_code(int status) {
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return EXIT_SETUP;
}

static void noop_handler(int sig) {
}

/* PID 1 of the namespace: start the command, forward signals, reap everything, exit with its status. */
_Noreturn static void init_main(char **argv, const sigset_t *mask, const char *profile) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* A mount namespace of its own for the new /proc: vgpu-sim keeps seeing its own /proc. */
        if (unshare(CLONE_NEWNS) < 0)
                perror("vgpu-sim: unshare");
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                perror("vgpu-sim: mount /proc");
        struct sigaction sa = {.sa_handler = noop_handler};
        for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                sigaction(forwarded[i], &sa, NULL);
        pid_t cmd = fork();
        if (cmd < 0)
                _exit(EXIT_SETUP);
        if (cmd == 0) {
                /* Default actions first, then unblock: a signal in between must not hit the no-op handler.
                 */
                struct sigaction dfl = {.sa_handler = SIG_DFL};
                for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                        sigaction(forwarded[i], &dfl, NULL);
                sigprocmask(SIG_UNBLOCK, mask, NULL);
                setenv("VGPU_SIM", "1", 1);
                /*
                 * FUSE cannot report sysfs's statfs magic; systemd >= 251 checks it
                 * unless this documented knob (made for testing on fake sysfs) says no.
                 */
                setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", 1);
                setenv("VGPU_SIM_PROFILE", profile, 1);
                execvp(argv[0], argv);
                fprintf(stderr, "vgpu-sim: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        for (;;) {
                int sig;
                if (sigwait(mask, &sig) != 0)
                        continue;
                if (sig != SIGCHLD) {
                        kill(cmd, sig);
                        continue;
                }
                int status;
                pid_t p;
                while ((p = waitpid(-1, &status, WNOHANG)) > 0)
                        if (p == cmd)
                                _exit(exit_code(status));
        }
}

/* Wait for child, forwarding termination signals to it; returns its exit code. */
static int wait_forwarding(pid_t child, const sigset_t *mask) {
        for (;;) {
                int sig, status;
                if (sigwait(mask, &sig) != 0)
                        continue;
                if (sig != SIGCHLD) {
                        kill(child, sig);
                        continue;
                }
                if (waitpid(child, &status, WNOHANG) == child)
                        return exit_code(status);
        }
}

_Noreturn static void relay_main(char **argv, const sigset_t *mask, const char *profile) {
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWPID) < 0) {
                perror("vgpu-sim: unshare(CLONE_NEWPID)");
                _exit(EXIT_SETUP);
        }
        pid_t init = fork();
        if (init == 0)
                init_main(argv, mask, profile);
        if (init < 0)
                _exit(EXIT_SETUP);
        _exit(wait_forwarding(init, mask));
}

int runner_run(const struct run_options *o) {
        struct sim *sim = NULL;
        int r = sim_new(o->profile_dir, o->profile, &sim);
        if (r < 0)
                return EXIT_SETUP; /* the profile error is already printed */

        sigset_t mask;
        signal_set(&mask);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = enter_namespaces();
        if (r < 0) {
                fprintf(stderr, "vgpu-sim: cannot create namespaces: %s%s\n", strerror(-r),
                        getuid() != 0 ? " (unprivileged user namespaces may be disabled)" : "");
                sim_free(sim);
                return EXIT_SETUP;
        }
        r = uevent_open(sim);
        if (r < 0)
                fprintf(stderr, "vgpu-sim: no uevents: netlink: %s\n", strerror(-r));
        r = run_udev();
        if (r < 0)
                fprintf(stderr,
                        "vgpu-sim: warning: no private /run/udev (%s): libudev monitors stay silent\n",
                        strerror(-r));
        else {
                sim->udev_db = xstrdup("/run/udev/data");
                udev_db_coldplug(sim);
        }
        r = lib_modules();
        if (r < 0)
                fprintf(stderr, "vgpu-sim: warning: no /lib/modules for the simulated drivers (%s)\n",
                        strerror(-r));
        private_config();

        struct fuse *f = NULL;
        r = fs_mount(sim, "/sys", &f);
        if (r < 0) {
                fprintf(stderr, "vgpu-sim: cannot mount the simulated /sys (is /dev/fuse available?)\n");
                sim_free(sim);
                return EXIT_SETUP;
        }
        pthread_t thread;
        if (pthread_create(&thread, NULL, loop_thread, f) != 0) {
                fs_stop(f);
                fuse_destroy(f);
                sim_free(sim);
                return EXIT_SETUP;
        }

        int code = EXIT_SETUP;
        /*
         * A process that has unshared CLONE_NEWPID can no longer create threads,
         * and the FUSE loop needs them: a single-threaded relay child enters the
         * PID namespace and forks its init.
         */
        pid_t relay = fork();
        if (relay == 0)
                relay_main(o->argv, &mask, sim->profile->name);
        if (relay < 0)
                perror("vgpu-sim: fork");
        if (relay > 0)
                code = wait_forwarding(relay, &mask);
        fs_stop(f);
        pthread_join(thread, NULL);
        fuse_destroy(f);
        sim_free(sim);
        return code;
}

int runner_serve(const char *profile_dir, const char *profile, const char *dir) {
        struct sim *sim = NULL;
        int r = sim_new(profile_dir, profile, &sim);
        if (r < 0)
                return 1;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        struct fuse *f = NULL;
        r = fs_mount(sim, dir, &f);
        if (r < 0) {
                fprintf(stderr, "vgpu-sim: cannot mount on %s\n", dir);
                sim_free(sim);
                return 1;
        }
        pthread_t thread;
        if (pthread_create(&thread, NULL, loop_thread, f) != 0)
                abort();
        fprintf(stderr,
                "vgpu-sim: serving profile %s on %s (no uevents outside a namespace); Ctrl-C stops\n",
                sim->profile->name, dir);
        int sig;
        sigwait(&mask, &sig);
        fs_stop(f);
        pthread_join(thread, NULL);
        fuse_destroy(f);
        sim_free(sim);
        return 0;
}
