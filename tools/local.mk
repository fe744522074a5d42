bin_PROGRAMS += tools/dnsctl
tools_dnsctl_SOURCES = tools/dnsctl.c tools/ctl.h tools/cmd_zone.c tools/cmd_record.c tools/cmd_server.c \
	tools/cmd_key.c tools/cmd_mail.c tools/cmd_mailhost.c \
	tools/cmd_dkim.c tools/cmd_check.c tools/cmd_tsig.c
tools_dnsctl_LDADD = dnsd/libengine.a mailcore/libmailcore.a $(KEYMGR_LIBS) $(JANSSON_LIBS)
