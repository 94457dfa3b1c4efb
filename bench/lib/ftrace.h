/* ftrace.h - tracefs from C: finding (or privately mounting) it, instances, kprobe events, trace lines. */
#ifndef MIGRACE_FTRACE_H
#define MIGRACE_FTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FTRACE_PATH	256

int ftrace_fs(const char *type, const char *where, char *dir, size_t len,
	      char *why, size_t wlen);
int ftrace_listed(const char *path, const char *word);
bool ftrace_ksym(const char *name);
int ftrace_path(char *buf, size_t len, const char *dir, const char *file);

int ftrace_instance_new(const char *tracefs, const char *name, char *dir, size_t len);
int ftrace_kprobe_add(const char *tracefs, const char *group, const char *event,
		      const char *def);
long ftrace_kprobe_misses(const char *tracefs, const char *group);
void ftrace_remove_stale(const char *tracefs, const char *prefix);
void ftrace_cleanup(void);
void ftrace_install_handlers(void);

/* One line of a trace in the default format: "comm-pid [cpu] flags ts: name: args". */
struct ftrace_event {
	int pid, cpu;
	uint64_t ts;		/* ns for clocks in ns (printed in us), else raw counter ticks */
	bool ts_ns;
	char name[64];
	const char *args;	/* into the line */
};

enum ftrace_graph_kind {
	FTRACE_GRAPH_ENTRY,	/* "func() {" */
	FTRACE_GRAPH_EXIT,	/* "}" and its duration; funcgraph-tail adds the name */
	FTRACE_GRAPH_LEAF,	/* "func();" with its duration */
	FTRACE_GRAPH_COMMENT,	/* a trace event inside the graph: its text */
};

/* One line of the function_graph tracer with funcgraph-proc: "cpu) comm-pid | dur | what". */
struct ftrace_graph {
	int cpu, pid;
	enum ftrace_graph_kind kind;
	uint64_t dur_ns;
	char func[64];		/* "" for an exit without funcgraph-tail */
	const char *comment;	/* into the line, for FTRACE_GRAPH_COMMENT */
};

int ftrace_parse_event(const char *line, struct ftrace_event *ev);
int ftrace_parse_graph(const char *line, struct ftrace_graph *g);
unsigned long ftrace_lost(const char *line);

/* trace_pipe read without blocking; complete lines go to fn. */
struct ftrace_pipe {
	int fd;
	size_t len;
	char buf[1 << 16];
};

typedef void (*ftrace_line_fn)(const char *line, void *arg);

int ftrace_pipe_open(struct ftrace_pipe *p, const char *dir);
int ftrace_pipe_drain(struct ftrace_pipe *p, ftrace_line_fn fn, void *arg);
void ftrace_pipe_close(struct ftrace_pipe *p);

#endif
