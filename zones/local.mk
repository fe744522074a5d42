noinst_LIBRARIES += zones/libzones.a
zones_libzones_a_SOURCES = zones/zones.h zones/name.c zones/content.c zones/master.c \
	zones/store.c zones/generated.c zones/ops.c zones/czone.c zones/snapshot.c zones/nsec3.c
# what every program linking zones needs, in link order
ZONES_LIBS = zones/libzones.a common/libcommon.a $(LDNS_LIBS) $(LMDB_LIBS) $(CRYPTO_LIBS)
