# Configuration files: the D-Bus policy, the D-Bus activation file, and the
# example vgpud.conf (installed as /etc/vgpud/vgpud.conf, every key commented
# out at its default).
dbuspolicy_DATA = conf/org.vgpud1.conf
dbussystemservice_DATA = conf/org.vgpud1.service
vgpudconf_DATA = conf/vgpud.conf
EXTRA_DIST += conf/org.vgpud1.conf conf/org.vgpud1.service conf/vgpud.conf
