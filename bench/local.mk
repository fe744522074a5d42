EXTRA_DIST += bench/run.sh bench/compare.sh bench/genzones.py bench/reflector.c
BENCH_ARGS ?= --unsigned
.PHONY: bench
bench: all
	top_builddir=$(abs_top_builddir) $(SHELL) $(top_srcdir)/bench/run.sh $(BENCH_ARGS)
EXTRA_DIST += bench/scale.sh
