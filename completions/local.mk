# Shell completions for vgpuctl.
bashcompletion_DATA = completions/vgpuctl
zshcompletion_DATA = completions/_vgpuctl
CLEANFILES += completions/vgpuctl
EXTRA_DIST += completions/vgpuctl.bash completions/_vgpuctl

# bash-completion looks the file up by the command's name.
completions/vgpuctl: $(top_srcdir)/completions/vgpuctl.bash
	$(AM_V_GEN)$(MKDIR_P) completions && cp $< $@
