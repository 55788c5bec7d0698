/*
 * progress.c — progress lines on stderr (progress.h).
 */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

double progress_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_begin(progress *p, const char *what, uint64_t total, const char *unit,
		    int quiet)
{
	p->what = what, p->unit = unit ? unit : "";
	p->total = total, p->done = 0, p->shown = 0;
	p->t0 = p->last = progress_now();
	p->mode = quiet ? PROGRESS_OFF : isatty(STDERR_FILENO) ? PROGRESS_TTY : PROGRESS_PLAIN;
	p->interval = p->mode == PROGRESS_TTY ? 0.25 : 10;
	const char *e = getenv("CLEANSE_PROGRESS_INTERVAL");
	if (e && *e) {
		char *end;
		double v = strtod(e, &end);
		if (!*end && v >= 0)
			p->interval = v;
	}
}

/* "1 h 02 m", "3 m 05 s", "12 s" */
static void fmt_secs(char *buf, size_t n, double s)
{
	if (!(s < 1e7))
		snprintf(buf, n, "?");
	else if (s >= 3600)
		snprintf(buf, n, "%d h %02d m", (int)(s / 3600), (int)(s / 60) % 60);
	else if (s >= 60)
		snprintf(buf, n, "%d m %02d s", (int)(s / 60), (int)s % 60);
	else
		snprintf(buf, n, "%.0f s", s);
}

void progress_set(progress *p, uint64_t done, const char *extra)
{
	if (p->mode == PROGRESS_OFF)
		return;
	p->done = done;
	double t = progress_now();
	if (t - p->last < p->interval && !(p->interval == 0))
		return;
	p->last = t;
	double el = t - p->t0, rate = el > 0 ? (double)done / el : 0;
	char line[512], eta[32] = "";
	int k = snprintf(line, sizeof line, "%s: %s %llu", argv0, p->what,
			 (unsigned long long)done);
	if (p->total && k > 0 && (size_t)k < sizeof line)
		k += snprintf(line + k, sizeof line - (size_t)k, "/%llu %s (%.0f%%)",
			      (unsigned long long)p->total, p->unit,
			      100.0 * (double)done / (double)p->total);
	else if (k > 0 && (size_t)k < sizeof line)
		k += snprintf(line + k, sizeof line - (size_t)k, " %s", p->unit);
	if (rate > 0 && k > 0 && (size_t)k < sizeof line) {
		k += snprintf(line + k, sizeof line - (size_t)k, ", %.*f %s/s",
			      rate < 10 ? 2 : rate < 100 ? 1 : 0, rate, p->unit);
		if (p->total && done <= p->total)
			fmt_secs(eta, sizeof eta, (double)(p->total - done) / rate);
	}
	if (*eta && k > 0 && (size_t)k < sizeof line)
		k += snprintf(line + k, sizeof line - (size_t)k, ", %s left", eta);
	if (extra && k > 0 && (size_t)k < sizeof line)
		snprintf(line + k, sizeof line - (size_t)k, ", %s", extra);
	if (p->mode == PROGRESS_TTY) {
		fprintf(stderr, "\r%s\033[K", line);
		p->shown = 1;
	} else {
		fprintf(stderr, "%s\n", line);
	}
	fflush(stderr);
}

void progress_end(progress *p)
{
	if (p->mode == PROGRESS_TTY && p->shown)
		fputs("\r\033[K", stderr);
	p->shown = 0;
	p->mode = PROGRESS_OFF;
}
