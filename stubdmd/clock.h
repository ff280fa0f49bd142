/* SPDX-License-Identifier: GPL-2.0-only */
/* Time for the daemon: CLOCK_MONOTONIC milliseconds (valid across daemon
 * restarts within one boot, so persisted deadlines stay meaningful). */
#ifndef STUBDMD_CLOCK_H
#define STUBDMD_CLOCK_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

static inline uint64_t
clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t
clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ms milliseconds as libevent's timeval. */
static inline struct timeval
clock_tv(uint64_t ms)
{
	return (struct timeval){ (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };
}

static inline uint64_t
clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
