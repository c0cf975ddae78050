# Configuration files: the D-Bus policy and the example vgpud.conf.
dbuspolicy_DATA = conf/org.vgpud1.conf
EXTRA_DIST += conf/org.vgpud1.conf
