# Manual pages.
dist_man8_MANS = man/vgpuctl.8 man/vgpud.8
