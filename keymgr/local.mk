noinst_LIBRARIES += keymgr/libkeymgr.a
keymgr_libkeymgr_a_SOURCES = keymgr/keymgr.h keymgr/key.c keymgr/sign.c keymgr/store.c keymgr/policy.c keymgr/sigcache.c keymgr/sigstore.c keymgr/signer.c keymgr/export.c keymgr/keymgr_int.h
KEYMGR_LIBS = keymgr/libkeymgr.a $(ZONES_LIBS)
