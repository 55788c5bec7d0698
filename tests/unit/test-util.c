/*
 * test-util.c — the id set, the seeded RNG (determinism, range, rough
 * uniformity), id lists parsed from text, and outputs whose temporary file
 * goes away however the program ends.
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/stream/ids.h"
#include "../../lib/stream/idset.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

static void test_idset(void)
{
	idset s;
	idset_init(&s);
	rng r;
	rng_init(&r, 1);
	for (int i = 0; i < 100000; i++)
		idset_add(&s, rng_next(&r) >> 20);
	rng_init(&r, 1);
	for (int i = 0; i < 100000; i++)
		CHECK(idset_has(&s, rng_next(&r) >> 20), "id %d present", i);
	CHECK(!idset_has(&s, UINT64_MAX), "max absent");
	CHECK(idset_add(&s, UINT64_MAX) == 1 && idset_add(&s, UINT64_MAX) == 0, "max once");
	CHECK(idset_add(&s, 0) == 1 && idset_add(&s, 0) == 0, "zero once");
	CHECK(idset_has(&s, 0) && idset_has(&s, UINT64_MAX), "zero and max present");
	idset_free(&s);
}

static void test_idmap(void)
{
	idmap m;
	idmap_init(&m);
	for (uint64_t i = 0; i < 50000; i++)
		idmap_put(&m, i * 7919, (size_t)i);
	idmap_put(&m, UINT64_MAX, 3);
	idmap_put(&m, 7919, 42);        /* replace */
	size_t v;
	for (uint64_t i = 0; i < 50000; i++)
		CHECK(idmap_get(&m, i * 7919, &v) && v == (i == 1 ? 42 : i), "map %llu",
		      (unsigned long long)i);
	CHECK(!idmap_get(&m, 5, &v), "absent");
	CHECK(idmap_get(&m, UINT64_MAX, &v) && v == 3, "max");
	idmap_free(&m);
}

static void test_rand(void)
{
	rng a, b;
	rng_init(&a, 7);
	rng_init(&b, 7);
	for (int i = 0; i < 1000; i++)
		CHECK(rng_next(&a) == rng_next(&b), "same seed, same stream");
	rng_init(&b, 8);
	CHECK(rng_next(&a) != rng_next(&b), "other seed, other stream");
	uint64_t hist[10] = { 0 };
	for (int i = 0; i < 100000; i++) {
		uint64_t v = rng_below(&a, 10);
		CHECK(v < 10, "below 10");
		hist[v]++;
	}
	for (int k = 0; k < 10; k++)    /* 10000 expected, sd 95 */
		CHECK(hist[k] > 9500 && hist[k] < 10500, "bucket %d: %llu", k,
		      (unsigned long long)hist[k]);
	rng_init_for(&a, 7, "ds-noise");
	rng_init_for(&b, 7, "top-neg random");
	CHECK(rng_next(&a) != rng_next(&b), "one seed, two purposes, two streams");
	CHECK(rng_key(1, 2, 3) == rng_key(1, 2, 3) && rng_key(1, 2, 3) != rng_key(1, 3, 2),
	      "keyed values");
	double u = rng_uniform(&a);
	CHECK(u >= 0 && u < 1, "uniform in [0,1)");
	uint32_t idx[100];
	for (uint32_t i = 0; i < 100; i++)
		idx[i] = i;
	rng_shuffle_u32(&a, idx, 100);
	uint32_t seen[100] = { 0 };
	for (int i = 0; i < 100; i++)
		seen[idx[i]]++;
	for (int i = 0; i < 100; i++)
		CHECK(seen[i] == 1, "shuffle is a permutation");
}

static void test_ids_text(void)
{
	const char text[] = "# ids to drop\n5\n\n  12  \n5\r\n0\n";
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
	id_list l;
	ids_read(&l, f, "mem");
	fclose(f);
	CHECK(l.n == 3 && l.v[0] == 5 && l.v[1] == 12 && l.v[2] == 0,
	      "text ids parsed, duplicates dropped (n=%zu)", l.n);
	ids_free(&l);
}

/* entries in dir other than . and .. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	CHECK(d, "opendir %s", dir);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* a child opens dir/out, writes, and ends without closing it: by exit(1)
 * (how -1), die (how -2) or the signal `how`; returns its wait status */
static int child_output(const char *dir, int how)
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))   /* die's message */
			_exit(98);
		char *path = esprintf("%s/out", dir);
		out_file o;
		out_open(&o, path, 1);
		fputs("half", o.f);
		fflush(o.f);
		if (how == -1)
			exit(1);        /* as CUDA_CHECK does: no die() */
		if (how == -2)
			die("failing on purpose");
		raise(how);
		_exit(99);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	return st;
}

static void test_out_cleanup(void)
{
	char dir[] = "/tmp/test-util.XXXXXX";
	CHECK(mkdtemp(dir), "mkdtemp");
	int st = child_output(dir, -1);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit(1): status %d", st);
	CHECK(count_entries(dir) == 0, "exit(1) left a temporary file in %s", dir);
	st = child_output(dir, -2);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "die: status %d", st);
	CHECK(count_entries(dir) == 0, "die left a temporary file in %s", dir);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	for (int i = 0; i < 4; i++) {
		/* as a shell does for background jobs, but for SIGINT */
		signal(sigs[i], SIG_DFL);
		st = child_output(dir, sigs[i]);
		CHECK(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i],
		      "signal %d: status %d", sigs[i], st);
		CHECK(count_entries(dir) == 0, "signal %d left a temporary file in %s",
		      sigs[i], dir);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	test_idset();
	test_idmap();
	test_rand();
	test_ids_text();
	test_out_cleanup();
	return 0;
}
