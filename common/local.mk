noinst_LIBRARIES += common/libcommon.a
common_libcommon_a_SOURCES = common/common.h common/error.c common/log.c common/state.c common/tsigkeys.c \
	common/util.c common/control.c common/conffile.c
