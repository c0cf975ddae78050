# vgpud, the daemon: a small library of its parts (so unit tests link them)
# and the program.
noinst_LIBRARIES += daemon/libvgpud.a
daemon_libvgpud_a_SOURCES = \
	src/bus-names.h \
	daemon/bus-error.h daemon/bus-error.c \
	daemon/auth.h daemon/auth.c \
	daemon/hostop.h daemon/hostop.c \
	daemon/manager.h daemon/manager.c \
	daemon/bus-manager.c
daemon_libvgpud_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon \
	-DVGPUD_SYSCONFDIR='"$(vgpudconfdir)"'
daemon_libvgpud_a_CFLAGS = $(AM_CFLAGS) $(SYSTEMD_CFLAGS) $(UDEV_CFLAGS) $(JSONC_CFLAGS)

VGPUD_LIBS = daemon/libvgpud.a src/libvgpu.a $(SYSTEMD_LIBS) $(UDEV_LIBS) $(JSONC_LIBS) -lpthread

sbin_PROGRAMS += daemon/vgpud
daemon_vgpud_SOURCES = daemon/main.c
daemon_vgpud_CPPFLAGS = $(daemon_libvgpud_a_CPPFLAGS)
daemon_vgpud_CFLAGS = $(daemon_libvgpud_a_CFLAGS)
daemon_vgpud_LDADD = $(VGPUD_LIBS)

EXTRA_DIST += daemon/org.vgpud1.xml
