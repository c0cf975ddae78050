# systemd units, with the install paths substituted.
systemdsystemunit_DATA = systemd/vgpud.service
CLEANFILES += systemd/vgpud.service
EXTRA_DIST += systemd/vgpud.service.in

systemd/vgpud.service: $(top_srcdir)/systemd/vgpud.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && $(SED) -e 's|@sbindir[@]|$(sbindir)|g' $< >$@
