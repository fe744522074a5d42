EXTRA_DIST += bench/run.sh bench/compare.sh bench/genzones.py bench/reflector.c
BENCH_ARGS ?= --unsigned
.PHONY: bench
bench: all
	top_builddir=$(abs_top_builddir) $(SHELL) $(top_srcdir)/bench/run.sh $(BENCH_ARGS)
EXTRA_DIST += bench/scale.sh
EXTRA_PROGRAMS = bench/engine_bench
bench_engine_bench_SOURCES = bench/engine_bench.c
bench_engine_bench_LDADD = $(ENGINE_LIBS)
CLEANFILES += bench/engine_bench
EXTRA_DIST += bench/bigsign.sh
EXTRA_DIST += bench/mailscale.sh
EXTRA_DIST += bench/xfrbench.sh
