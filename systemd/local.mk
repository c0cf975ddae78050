# systemd units and tmpfiles, with the install paths substituted. The unit is
# generated at install time too, so that `make install prefix=/usr ...` gets
# the ExecStart= of the paths it installs to.
nodist_systemdsystemunit_DATA = systemd/vgpud.service
tmpfiles_DATA = systemd/vgpud.conf
CLEANFILES += systemd/vgpud.service systemd/vgpud.conf
EXTRA_DIST += systemd/vgpud.service.in systemd/vgpud.tmpfiles

systemd/vgpud.service: $(top_srcdir)/systemd/vgpud.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && $(SED) -e 's|@sbindir[@]|$(sbindir)|g' $< >$@

# tmpfiles.d wants the package's name as the file name.
systemd/vgpud.conf: $(top_srcdir)/systemd/vgpud.tmpfiles
	$(AM_V_GEN)$(MKDIR_P) systemd && cp $< $@

install-data-hook: install-unit-with-paths
install-unit-with-paths:
	$(SED) -e 's|@sbindir[@]|$(sbindir)|g' $(top_srcdir)/systemd/vgpud.service.in \
		>$(DESTDIR)$(systemdsystemunitdir)/vgpud.service
.PHONY: install-unit-with-paths
