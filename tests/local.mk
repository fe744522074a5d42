# Unit tests (TAP, one program per source file they test) and integration scripts.
TESTS_LIB = tests/tap.h
UNIT_TESTS = tests/common/test_conffile tests/zones/test_name tests/zones/test_content tests/dnsd/test_engine \
	tests/keymgr/test_key tests/dnsd/test_builder tests/mailcore/test_spf \
	tests/mailcore/test_dkim_plan tests/mailcore/test_mailstate tests/dnsd/test_xfr \
	tests/dnsd/test_tsig
check_PROGRAMS += $(UNIT_TESTS)
tests_dnsd_test_tsig_SOURCES = tests/dnsd/test_tsig.c $(TESTS_LIB)
tests_dnsd_test_tsig_LDADD = $(DNSD_LIBS)
tests_dnsd_test_tsig_CFLAGS = $(TEST_CFLAGS)
tests_dnsd_test_xfr_SOURCES = tests/dnsd/test_xfr.c $(TESTS_LIB)
tests_dnsd_test_xfr_LDADD = $(DNSD_LIBS)
tests_dnsd_test_xfr_CFLAGS = $(TEST_CFLAGS) -DFUZZ_SRCDIR=\"$(abs_top_srcdir)\"
tests_mailcore_test_spf_SOURCES = tests/mailcore/test_spf.c $(TESTS_LIB)
tests_mailcore_test_spf_LDADD = $(MAILCORE_LIBS)
tests_mailcore_test_spf_CFLAGS = $(TEST_CFLAGS)
tests_mailcore_test_dkim_plan_SOURCES = tests/mailcore/test_dkim_plan.c $(TESTS_LIB)
tests_mailcore_test_dkim_plan_LDADD = $(MAILCORE_LIBS)
tests_mailcore_test_dkim_plan_CFLAGS = $(TEST_CFLAGS)
tests_mailcore_test_mailstate_SOURCES = tests/mailcore/test_mailstate.c $(TESTS_LIB)
tests_mailcore_test_mailstate_LDADD = $(MAILCORE_LIBS)
tests_mailcore_test_mailstate_CFLAGS = $(TEST_CFLAGS)
tests_common_test_conffile_SOURCES = tests/common/test_conffile.c $(TESTS_LIB)
tests_common_test_conffile_LDADD = common/libcommon.a $(LMDB_LIBS) $(CRYPTO_LIBS)
tests_common_test_conffile_CFLAGS = $(TEST_CFLAGS)
tests_zones_test_name_SOURCES = tests/zones/test_name.c $(TESTS_LIB)
tests_zones_test_name_LDADD = $(ZONES_LIBS)
tests_zones_test_content_SOURCES = tests/zones/test_content.c $(TESTS_LIB)
tests_zones_test_content_LDADD = $(ZONES_LIBS)
tests_keymgr_test_key_SOURCES = tests/keymgr/test_key.c $(TESTS_LIB)
tests_keymgr_test_key_LDADD = $(KEYMGR_LIBS)
tests_keymgr_test_key_CFLAGS = $(TEST_CFLAGS)
tests_dnsd_test_builder_SOURCES = tests/dnsd/test_builder.c $(TESTS_LIB)
tests_dnsd_test_builder_LDADD = $(DNSD_LIBS)
tests_dnsd_test_builder_CFLAGS = $(TEST_CFLAGS) -DFUZZ_SRCDIR=\"$(abs_top_srcdir)\"
tests_dnsd_test_engine_SOURCES = tests/dnsd/test_engine.c $(TESTS_LIB)
tests_dnsd_test_engine_LDADD = $(ENGINE_LIBS)

TESTS += $(UNIT_TESTS) \
	tests/integration/basic.sh \
	tests/integration/protocol.sh \
	tests/integration/sign_validate.sh \
	tests/integration/unbound_validate.sh \
	tests/integration/export_validate.sh \
	tests/integration/resign_diff.sh \
	tests/integration/flood.sh \
	tests/integration/diff_knot.sh \
	tests/integration/diff_knot_signed.sh \
	tests/integration/mail_records.sh \
	tests/integration/mail_dkim_spf.sh \
	tests/integration/xfr_robust.sh \
	tests/integration/secondaries.sh \
	tests/integration/catalog.sh

EXTRA_DIST += tests/integration/lib.sh tests/integration/dnsdiff.py \
	tests/integration/diffqueries.txt tests/integration/diffzones \
	tests/integration/protocol.py tests/integration/flood.c tests/integration/mail_dkim_spf.py
TEST_CFLAGS = $(AM_CFLAGS) -Wno-unused-result
tests_zones_test_name_CFLAGS = $(TEST_CFLAGS)
tests_zones_test_content_CFLAGS = $(TEST_CFLAGS)
tests_dnsd_test_engine_CFLAGS = $(TEST_CFLAGS)

# helpers the integration tests run (not tests themselves)
check_PROGRAMS += tests/keymgr/signzone
tests_keymgr_signzone_SOURCES = tests/keymgr/signzone.c
tests_keymgr_signzone_LDADD = $(KEYMGR_LIBS)
tests_keymgr_signzone_CFLAGS = $(TEST_CFLAGS)
