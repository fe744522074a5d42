# The engine is its own library: no libuv, so tests and fuzzers link it alone.
noinst_LIBRARIES += dnsd/libengine.a dnsd/libdnsd.a
dnsd_libengine_a_SOURCES = dnsd/engine.h dnsd/query_int.h dnsd/query.c dnsd/query_answer.c \
	dnsd/query_edns.c dnsd/siphash.c dnsd/xfr.h dnsd/xfr.c dnsd/acl.c dnsd/query_xfr.c \
	dnsd/tsig.h dnsd/tsig.c
dnsd_libdnsd_a_SOURCES = dnsd/dnsd.h dnsd/server_int.h dnsd/config.c dnsd/builder.c \
	dnsd/builder_int.h dnsd/signing.c dnsd/epoch.c dnsd/udp.c dnsd/tcp.c dnsd/control.c dnsd/server.c \
	dnsd/mailtimer.c dnsd/notify.c dnsd/journal.c dnsd/catalog.c
ENGINE_LIBS = dnsd/libengine.a $(ZONES_LIBS)
DNSD_LIBS = dnsd/libdnsd.a dnsd/libengine.a mailcore/libmailcore.a keymgr/libkeymgr.a $(ZONES_LIBS) $(UV_LIBS) $(LIBS)

sbin_PROGRAMS += dnsd/dnsd
dnsd_dnsd_SOURCES = dnsd/main.c
dnsd_dnsd_LDADD = $(DNSD_LIBS)
