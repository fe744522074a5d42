noinst_LIBRARIES += mailcore/libmailcore.a
mailcore_libmailcore_a_SOURCES = mailcore/mailcore.h mailcore/mailcore_int.h mailcore/spf.h \
	mailcore/store.c mailcore/render.c mailcore/ops.c mailcore/dkim.c mailcore/cert.c \
	mailcore/spf.c mailcore/spf_lookup.c mailcore/query.c \
	mailcore/export.c mailcore/check.c
MAILCORE_LIBS = mailcore/libmailcore.a $(ZONES_LIBS)
