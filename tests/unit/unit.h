/* SPDX-License-Identifier: GPL-2.0-only */
/* TAP output for the unit tests: CHECK(cond, name) prints "ok N - name". */
#ifndef TESTS_UNIT_UNIT_H
#define TESTS_UNIT_UNIT_H

#include <stdio.h>

static int unit_tests, unit_failures;

#define CHECK(cond, name) do {						\
	unit_tests++;							\
	if (cond)							\
		printf("ok %d - %s\n", unit_tests, name);		\
	else {								\
		unit_failures++;					\
		printf("not ok %d - %s (%s:%d: %s)\n", unit_tests,	\
		    name, __FILE__, __LINE__, #cond);			\
	}								\
} while (0)

/* The end of main(): the plan line and the exit status. */
static inline int
unit_done(void)
{
	printf("1..%d\n", unit_tests);
	return unit_failures ? 1 : 0;
}

#endif
