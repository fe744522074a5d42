noinst_LIBRARIES += keymgr/libkeymgr.a
keymgr_libkeymgr_a_SOURCES = keymgr/keymgr.h keymgr/key.c keymgr/sign.c keymgr/store.c
KEYMGR_LIBS = keymgr/libkeymgr.a $(ZONES_LIBS)
