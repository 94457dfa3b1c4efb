/* fuzz-results.c - mutated results through the run reader, compare and report: no crash, each refusal exit 2 in one line. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "report.h"
#include "tap.h"
#include "util.h"

/*
 * Usage: fuzz-results N SEED.json... Each of N rounds writes a run A with a
 * seed result as it is and a run B with the same result mutated (or B's
 * provenance.json), then has `migrace compare A B` (every eighth round
 * `migrace report`) read them, in a worker process. A byte mutation stands for a file cut
 * short or damaged on disk; a structural one keeps the JSON valid and puts
 * a value of another type or size where the readers expect one. Crashes
 * found are kept in ./fuzz-crashes/ to be run again by hand.
 */

#define FUZZ_KEEP	5		/* crashing inputs kept */
#define FUZZ_ERR	4096
#define FUZZ_TIMEOUT_S	20		/* a hang is a failure too */

struct seed {
	char scn[32];
	char *text;
	size_t len;
};

struct tally {
	int rounds, bytes, structure, prov, reports;
	int read, refused, named_file, named_run, crashes, multiline;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static char base[64], dir_a[96], dir_b[96], dir_out[96], self[PATH_MAX];

/* xorshift64*: the same rounds on every machine, so a failure reproduces. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static size_t rnd_below(size_t n)
{
	return n ? rnd() % n : 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc(n + 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	*len = n;
	return buf;
}

static void put(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(99);
	}
}

/* ---- byte mutations: a file cut short, bits flipped, bytes lost or doubled ---- */

static size_t mutate_bytes(char *buf, size_t len, size_t cap)
{
	static const char special[] = "{}[]\",:0123456789-+eE.\\ \ntfn";
	size_t a = rnd_below(len), k = 1 + rnd_below(64);

	switch (rnd_below(5)) {
	case 0:
		return rnd_below(len);
	case 1:
		for (int i = 1 + rnd_below(8); i > 0; i--)
			buf[rnd_below(len)] ^= 1 << rnd_below(8);
		return len;
	case 2:
		for (int i = 1 + rnd_below(4); i > 0; i--)
			buf[rnd_below(len)] = special[rnd_below(sizeof(special))];
		return len;
	case 3:
		k = MIN(k, len - a);
		memmove(buf + a, buf + a + k, len - a - k);
		return len - k;
	default:
		k = MIN(MIN(k, len - a), cap - len);
		memmove(buf + a + k, buf + a, len - a);
		return len + k;
	}
}

/* ---- structural mutations: valid JSON, a value of another type or size ---- */

static json_object *odd_value(void)
{
	static const double doubles[] = { 1e308, -1e308, -0.0, 0.5, 4e-320 };
	json_object *a;
	char *s;

	switch (rnd_below(14)) {
	case 0:
		return NULL;
	case 1:
		return json_object_new_int64(rnd_below(3) - 1);
	case 2:
		return json_object_new_int64(rnd() & 1 ? INT64_MAX : INT64_MIN);
	case 3:
		return json_object_new_double(doubles[rnd_below(ARRAY_SIZE(doubles))]);
	case 4:
		return json_object_new_double(rnd() & 1 ? NAN : INFINITY);
	case 5:
		return json_object_new_string(rnd() & 1 ? "" : "%s%n%s");
	case 6:
		s = malloc(4097);
		memset(s, 'A', 4096);
		s[4096] = '\0';
		a = json_object_new_string(s);
		free(s);
		return a;
	case 7:
		return json_object_new_boolean(1);
	case 8:
		return json_object_new_array();
	case 9:
		return json_object_new_object();
	case 10:
		a = json_object_new_array();
		json_object_array_add(a, json_object_new_int(1));
		json_object_array_add(a, json_object_new_string("a"));
		json_object_array_add(a, NULL);
		json_object_array_add(a, json_object_new_object());
		return a;
	case 11:
		a = json_object_new_object();
		json_object_object_add(a, "", NULL);
		return a;
	case 12:
		a = json_object_new_array();
		for (int i = 0; i < 3000; i++)
			json_object_array_add(a, json_object_new_int(i));
		return a;
	default:
		return json_object_new_string("pass");
	}
}

/* Replaces (or removes) a node found by a random walk from the root. */
static json_object *mutate_tree(json_object *root)
{
	json_object *node = root, *parent = NULL;
	const char *key = NULL;
	size_t idx = 0;

	for (int depth = 0; depth < 16 && rnd_below(5); depth++) {
		if (json_object_is_type(node, json_type_object) && json_object_object_length(node)) {
			size_t pick = rnd_below(json_object_object_length(node)), i = 0;

			json_object_object_foreach(node, k, v) {
				if (i++ == pick) {
					parent = node;
					key = k;
					node = v;
					break;
				}
			}
		} else if (json_object_is_type(node, json_type_array) && json_object_array_length(node)) {
			parent = node;
			idx = rnd_below(json_object_array_length(node));
			node = json_object_array_get_idx(node, idx);
		} else {
			break;
		}
	}
	if (!parent) {
		json_object_put(root);
		return odd_value();
	}
	if (json_object_is_type(parent, json_type_object)) {
		if (rnd_below(4))
			json_object_object_add(parent, key, odd_value());
		else
			json_object_object_del(parent, key);
	} else if (rnd_below(4)) {
		json_object_array_put_idx(parent, idx, odd_value());
	} else {
		json_object_array_del_idx(parent, idx, 1);
	}
	return root;
}

/* The mutated text in *out (malloc'd); which kind it was is counted. */
static size_t mutate(const struct seed *s, char **out, struct tally *t)
{
	json_object *root;
	const char *text;
	size_t cap = s->len * 2 + 64, len;

	if (rnd_below(2)) {
		t->bytes++;
		*out = malloc(cap);
		memcpy(*out, s->text, s->len);
		return mutate_bytes(*out, s->len, cap);
	}
	t->structure++;
	root = json_tokener_parse(s->text);
	for (int i = 1 + (rnd_below(4) ? 0 : rnd_below(3)); i > 0; i--)
		root = mutate_tree(root);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	*out = strdup(text);
	json_object_put(root);
	return len;
}

/* ---- the worker: reads what the harness wrote, round after round ---- */

/*
 * A process per file would spend most of the time starting processes (and
 * far more under ASan). So a worker reads file after file: the readers end
 * a refusal with exit(2), which the link (-Wl,--wrap=exit) turns into a
 * return to the worker's loop. What a refused round leaves allocated is
 * dropped with the worker, started again every FUZZ_BATCH rounds. A crash
 * or a hang (alarm) ends the worker in the round that caused it.
 */
#define FUZZ_BATCH	250

static jmp_buf worker_jmp;
static volatile sig_atomic_t worker_in_round;

void __real_exit(int status) __attribute__((noreturn));
void __wrap_exit(int status) __attribute__((noreturn));

void __wrap_exit(int status)
{
	if (worker_in_round)
		longjmp(worker_jmp, 256 + (status & 255));
	__real_exit(status);
}

static int worker_one(char what, char **dirs)
{
	int v = setjmp(worker_jmp);

	if (v)
		return v - 256;
	worker_in_round = 1;
	if (what == 'a')
		abort();	/* the harness's own check that it sees a crash */
	if (what == 'r')
		return cmd_report(4, (char *[]){ "--out", dirs[0], dirs[1], dirs[2], NULL });
	return cmd_compare(2, (char *[]){ dirs[1], dirs[2], NULL });
}

/* `fuzz-results --worker ERRFILE OUT A B`: requests on stdin, statuses out on fd 3. */
static int worker(char **argv)
{
	char what;
	int status, fd;

	if (!freopen("/dev/null", "w", stdout))
		return 99;
	while (read(0, &what, 1) == 1) {
		/* stderr unbuffered: the round's messages land in the file as written */
		fd = open(argv[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			return 99;
		close(fd);
		alarm(FUZZ_TIMEOUT_S);
		status = worker_one(what, argv + 1);
		worker_in_round = 0;
		alarm(0);
		if (write(3, &status, sizeof(status)) != sizeof(status))
			return 99;
	}
	return 0;
}

/* ---- the harness's side ---- */

struct worker {
	pid_t pid;
	int req, st;		/* requests to it, statuses from it */
	int rounds;
};

static char err_path[128];

static void worker_stop(struct worker *w, int *status)
{
	close(w->req);
	close(w->st);
	waitpid(w->pid, status, 0);
	w->pid = 0;
}

static void worker_start(struct worker *w)
{
	char *args[] = { self, "--worker", err_path, dir_out, dir_a, dir_b, NULL };
	posix_spawn_file_actions_t fa;
	int req[2], st[2];

	if (pipe2(req, O_CLOEXEC) || pipe2(st, O_CLOEXEC))
		abort();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, req[0], 0);
	posix_spawn_file_actions_adddup2(&fa, st[1], 3);
	if (posix_spawn(&w->pid, self, &fa, NULL, args, environ))
		abort();
	posix_spawn_file_actions_destroy(&fa);
	close(req[0]);
	close(st[1]);
	w->req = req[1];
	w->st = st[0];
	w->rounds = 0;
}

/* One round in the worker: a wait status as if it had been a process of its own; its stderr in err. */
static int worker_round(struct worker *w, char what, char *err, size_t len)
{
	int status = 0, n;
	FILE *f;

	if (w->pid && w->rounds == FUZZ_BATCH)
		worker_stop(w, &status);
	if (!w->pid)
		worker_start(w);
	w->rounds++;
	if (write(w->req, &what, 1) != 1 || read(w->st, &n, sizeof(n)) != sizeof(n))
		worker_stop(w, &status);	/* it died in this round: that is the status */
	else
		status = W_EXITCODE(n & 255, 0);
	f = fopen(err_path, "re");
	len = f ? fread(err, 1, len - 1, f) : 0;
	err[len] = '\0';
	if (f)
		fclose(f);
	return status;
}

static void keep_crash(const char *text, size_t len, int n, const char *err, int status)
{
	char path[64];

	mkdir("fuzz-crashes", 0755);
	snprintf(path, sizeof(path), "fuzz-crashes/crash-%d.json", n);
	put(path, text, len);
	tap_diag("crash %d: %s %d; input kept in %s; stderr: %.300s", n,
		 WIFSIGNALED(status) ? "signal" : "exit", WIFSIGNALED(status) ? WTERMSIG(status) :
		 WEXITSTATUS(status), path, err);
}

static void judge(struct tally *t, int status, const char *err, const char *file,
		  const char *text, size_t len)
{
	const char *nl = strchr(err, '\n');

	if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 1)) {
		t->read++;
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 2) {
		if (t->crashes < FUZZ_KEEP)
			keep_crash(text, len, t->crashes, err, status);
		t->crashes++;
		return;
	}
	t->refused++;
	if (!nl || nl[1]) {
		if (t->multiline++ < FUZZ_KEEP)
			tap_diag("a refusal of %s in %s lines: %.300s", file, nl ? "several" : "no", err);
		return;
	}
	if (strstr(err, file))
		t->named_file++;
	else if (strstr(err, dir_b) || strstr(err, dir_a))
		t->named_run++;
}

static void round_one(struct worker *w, const struct seed *s, struct tally *t)
{
	char path_a[160], path_b[160], prov[160], err[FUZZ_ERR], *text;
	bool on_prov = !rnd_below(8), report = !(t->rounds % 8);
	size_t len;
	int status;

	snprintf(path_a, sizeof(path_a), "%s/%s-rep1.json", dir_a, s->scn);
	snprintf(path_b, sizeof(path_b), "%s/%s-rep1.json", dir_b, s->scn);
	snprintf(prov, sizeof(prov), "%s/provenance.json", dir_b);
	put(path_a, s->text, s->len);
	put(path_b, s->text, s->len);
	unlink(prov);
	len = mutate(s, &text, t);
	put(on_prov ? prov : path_b, text, len);
	t->prov += on_prov;
	t->reports += report;
	t->rounds++;
	status = worker_round(w, report ? 'r' : 'c', err, sizeof(err));
	judge(t, status, err, on_prov ? prov : path_b, text, len);
	unlink(path_a);
	unlink(path_b);
	free(text);
}

static int load_seed(const char *path, struct seed *s)
{
	json_object *o, *v;

	s->text = slurp(path, &s->len);
	o = s->text ? json_tokener_parse(s->text) : NULL;
	if (!o || !json_object_object_get_ex(o, "scenario", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		json_object_put(o);
		return -1;
	}
	snprintf(s->scn, sizeof(s->scn), "%s", json_object_get_string(v));
	json_object_put(o);
	return 0;
}

static void make_dirs(void)
{
	snprintf(base, sizeof(base), "%s/migrace-fuzz.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base))
		abort();
	snprintf(dir_a, sizeof(dir_a), "%s/A", base);
	snprintf(dir_b, sizeof(dir_b), "%s/B", base);
	snprintf(dir_out, sizeof(dir_out), "%s/out", base);
	mkdir(dir_a, 0755);
	mkdir(dir_b, 0755);
	mkdir(dir_out, 0755);
	snprintf(err_path, sizeof(err_path), "%s/stderr", base);
}

int main(int argc, char **argv)
{
	struct seed *seeds = calloc(argc, sizeof(*seeds));
	struct tally t = { 0 };
	struct worker w = { 0 };
	int n = argc > 1 ? atoi(argv[1]) : 0, nseeds = 0;
	uint64_t t0 = now_ns();
	char cmd[128], err[FUZZ_ERR];
	int status;

	if (argc == 6 && !strcmp(argv[1], "--worker"))
		return worker(argv + 2);
	if (!realpath("/proc/self/exe", self))
		abort();
	for (int i = 2; i < argc; i++)
		if (!load_seed(argv[i], &seeds[nseeds]))
			nseeds++;
	if (n <= 0 || !nseeds) {
		fprintf(stderr, "usage: fuzz-results N SEED.json... (results with a scenario)\n");
		return 2;
	}
	make_dirs();
	status = worker_round(&w, 'a', err, sizeof(err));
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	       "the harness sees a crash: a child that aborts ends by signal %d",
	       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	for (int i = 0; i < n; i++)
		round_one(&w, &seeds[i % nseeds], &t);
	if (w.pid)
		worker_stop(&w, &status);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd))
		tap_diag("could not remove %s", base);
	tap_diag("%d rounds in %.1f s from %d seeds: %d byte mutations, %d structural, %d of provenance.json; %d through report",
		 t.rounds, (now_ns() - t0) / 1e9, nseeds, t.bytes, t.structure, t.prov, t.reports);
	tap_ok(t.crashes == 0, "%d mutated files through the reader, compare and report: %d crashes or hangs",
	       t.rounds, t.crashes);
	tap_ok(t.multiline == 0, "each of %d refusals exit 2 with one line (%d not); %d name the file, %d its run",
	       t.refused, t.multiline, t.named_file, t.named_run);
	tap_ok(t.read + t.refused + t.crashes == t.rounds, "%d read without complaint (exit 0 or 1)", t.read);
	return tap_done();
}
