# SPDX-License-Identifier: GPL-2.0-only
# bench: the benchmark (make bench; bench/RESULTS.md) and the per-process
# model it measures beside stubdmd.  Never installed.
$(O)/bench/bench: $(O)/bench/bench.o
	$(call link,$(JSON_LIBS) -lm)

$(O)/bench/xlwaiter: $(O)/bench/xlwaiter.o
	$(call link,$(call pc_libs,xenlight xenstore xentoollog))

TESTBINS += $(O)/bench/bench $(O)/bench/xlwaiter
