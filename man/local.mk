# Manual pages (vgpud.conf(5) is the library's, listed in src/local.mk for dist).
dist_man8_MANS = man/vgpuctl.8 man/vgpud.8
man5_MANS = man/vgpud.conf.5
dist_man5_MANS = man/org.vgpud1.5 man/vgpud-apply.5
