# libFuzzer targets, built with clang when configure found it (FUZZ_CC), and
# run for FUZZ_SECONDS each by make check (tests/fuzz/run.sh).  The sources
# under test are compiled again with the fuzzer's sanitizers.
FUZZ_SRCS = common/error.c common/log.c common/util.c zones/name.c zones/content.c \
	zones/master.c zones/czone.c zones/snapshot.c zones/nsec3.c dnsd/query.c dnsd/query_answer.c \
	dnsd/query_edns.c dnsd/siphash.c dnsd/query_xfr.c dnsd/xfr.c dnsd/acl.c dnsd/tsig.c \
	common/tsigkeys.c common/state.c
FUZZ_FLAGS = -g -O1 -std=c11 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I$(top_srcdir) -include $(top_builddir)/config.h \
	$(LDNS_CFLAGS) $(LMDB_CFLAGS) $(CRYPTO_CFLAGS)
FUZZ_LINK = $(LDNS_LIBS) $(LMDB_LIBS) $(CRYPTO_LIBS)
FUZZ_DEPS = $(FUZZ_SRCS:%=$(top_srcdir)/%) $(top_srcdir)/tests/fuzz/msgcheck.h
if HAVE_FUZZ
check_SCRIPTS = tests/fuzz/fuzz_engine tests/fuzz/fuzz_zone tests/fuzz/fuzz_spf
CLEANFILES += tests/fuzz/fuzz_engine tests/fuzz/fuzz_zone tests/fuzz/fuzz_spf
tests/fuzz/fuzz_engine: $(top_srcdir)/tests/fuzz/fuzz_engine.c $(FUZZ_DEPS)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_SRCDIR=\"$(abs_top_srcdir)\" -o $@ $< \
		$(FUZZ_SRCS:%=$(top_srcdir)/%) $(FUZZ_LINK)
tests/fuzz/fuzz_zone: $(top_srcdir)/tests/fuzz/fuzz_zone.c $(FUZZ_DEPS)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRCS:%=$(top_srcdir)/%) $(FUZZ_LINK)
tests/fuzz/fuzz_spf: $(top_srcdir)/tests/fuzz/fuzz_spf.c $(top_srcdir)/mailcore/spf.c \
		$(top_srcdir)/mailcore/spf.h
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(top_srcdir)/mailcore/spf.c \
		$(top_srcdir)/common/error.c $(FUZZ_LINK)
endif
TESTS += tests/fuzz/run.sh
EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/fuzz_engine.c tests/fuzz/fuzz_zone.c \
	tests/fuzz/msgcheck.h tests/fuzz/mkcorpus.py tests/fuzz/corpus tests/fuzz/fuzz_spf.c
