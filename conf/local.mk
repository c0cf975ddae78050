# Configuration files: the D-Bus policy, and the example vgpud.conf (installed
# as /etc/vgpud/vgpud.conf, every key commented out at its default).
dbuspolicy_DATA = conf/org.vgpud1.conf
vgpudconf_DATA = conf/vgpud.conf
EXTRA_DIST += conf/org.vgpud1.conf conf/vgpud.conf
