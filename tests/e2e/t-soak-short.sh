#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A short run of the soak (make soak runs the long one): 300 guest
# create/destroy cycles with stub faults, two xenstored restarts and two
# daemon kill -9s, the invariants checked from hvsim's view after each phase.
. "$TOP/tests/lib.sh"
hvsim_start --boot-delay 30
case $BUILD in *asan*) rss=--no-rss-check ;; *) rss= ;; esac
python3 "$TOP/tests/soak/soak.py" --build "$BUILD" --tmp "$T" --cycles 300 \
	--settle 60 $rss
