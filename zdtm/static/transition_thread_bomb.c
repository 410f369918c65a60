/*
 * transition_thread_bomb: trees of threads that spawn threads, die and are replaced while dumped.
 *
 * State: four "root" threads each build, over and over, a binary tree of threads three levels
 * deep: a node thread below the bound starts two child threads, joins them and exits with its
 * own value plus theirs; leaves only compute theirs. Before any node returns, the root waits
 * until the other 14 have arrived and then releases them (mutex and condition variable), so a
 * tree whose root is frozen keeps its threads (blocked in cond_wait, in pthread_create or in
 * join) instead of draining: up to 60 threads exist, being created, waiting, joined and exiting
 * in every phase when the process is seized.
 * Check after SIGTERM: every tree that completed returned exactly its value (a recursive sum
 * computed again without threads) and the number of nodes it is made of (15); no thread failed
 * to start or returned a foreign result; every root built trees after the last restore too;
 * only the main thread is left (/proc/self/task).
 */
#include "zdtm.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define ROOTS 4
#define DEPTH 3		/* levels below a root node */
#define NODES 15	/* 1 + 2 + 4 + 8 */

struct node {
	uint64_t id;	/* heap numbering: children 2id+1, 2id+2 */
	uint64_t gen;
	int depth;
	pid_t tid;
	uint64_t value;
	unsigned count;
	int err;	/* a pthread call failed below this node */
	struct meet *meet;	/* all nodes of a tree wait here for the root before they return */
};

/* The root waits until the other 14 nodes arrived, then releases them all. */
struct meet {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int arrived, released;
};

static void meet_wait(struct node *n)
{
	struct meet *m = n->meet;
	pthread_mutex_lock(&m->lock);
	if (n->depth == 0) {
		while (m->arrived < NODES - 1)
			pthread_cond_wait(&m->cv, &m->lock);
		m->released = 1;
		pthread_cond_broadcast(&m->cv);
	} else {
		m->arrived++;
		pthread_cond_broadcast(&m->cv);
		while (!m->released)
			pthread_cond_wait(&m->cv, &m->lock);
	}
	pthread_mutex_unlock(&m->lock);
}

static pthread_attr_t attr;

static uint64_t node_value(uint64_t gen, uint64_t id)
{
	return zdtm_mix64(gen * 1000003 + id);
}

static void *run_node(void *p)
{
	struct node *n = p;
	n->tid = gettid();
	n->value = node_value(n->gen, n->id);
	n->count = 1;
	if (n->depth < DEPTH) {
		struct node kid[2];
		pthread_t t[2];
		for (int k = 0; k < 2; k++) {
			kid[k] = (struct node){ .id = 2 * n->id + 1 + k, .gen = n->gen, .depth = n->depth + 1, .meet = n->meet };
			int e;
			while ((e = pthread_create(&t[k], &attr, run_node, &kid[k])) == EAGAIN)
				usleep(100);
			if (e)	/* the tree could never meet in full */
				zdtm_fail("pthread_create: %s", strerror(e));
		}
		meet_wait(n);
		for (int k = 0; k < 2; k++) {
			void *ret;
			if (pthread_join(t[k], &ret) || ret != &kid[k]) {
				n->err = -1;
				continue;
			}
			if (kid[k].err)
				n->err = kid[k].err;
			if (kid[k].tid == n->tid || kid[k].tid <= 0)
				n->err = -2;
			n->value += kid[k].value;
			n->count += kid[k].count;
		}
	} else {
		meet_wait(n);
	}
	return n;
}

/* The same sum, recursively, without threads. */
static uint64_t tree_value(uint64_t gen, uint64_t id, int depth)
{
	uint64_t v = node_value(gen, id);
	if (depth < DEPTH)
		v += tree_value(gen, 2 * id + 1, depth + 1) + tree_value(gen, 2 * id + 2, depth + 1);
	return v;
}

struct root {
	pthread_t t;
	int idx;
	uint64_t trees, bad, at_ready;
};

static volatile int stop;
static volatile int ready;

static void *run_root(void *p)
{
	struct root *r = p;
	while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST)) {
		uint64_t gen = r->trees * ROOTS + r->idx;
		struct meet meet = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
		struct node top = { .id = 0, .gen = gen, .depth = 0, .meet = &meet };
		run_node(&top);
		pthread_cond_destroy(&meet.cv);
		pthread_mutex_destroy(&meet.lock);
		if (top.err || top.count != NODES || top.value != tree_value(gen, 0, 0)) {
			if (r->bad++ < 5)
				zdtm_log("root %d tree %llu: err %d, %u nodes, value %llx", r->idx,
					 (unsigned long long)gen, top.err, top.count, (unsigned long long)top.value);
		}
		r->trees++;
		if (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
			r->at_ready = r->trees;
	}
	return r;
}

static int tasks(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	struct root roots[ROOTS];
	uint64_t total = 0, bad = 0;

	zdtm_init(argc, argv);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 << 10);
	memset(roots, 0, sizeof(roots));
	/* Only the main thread takes SIGTERM (threads inherit the mask). */
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	for (int i = 0; i < ROOTS; i++) {
		roots[i].idx = i;
		if (pthread_create(&roots[i].t, &attr, run_root, &roots[i]))
			zdtm_fail("pthread_create: %m");
	}
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	/* Let every root finish a few trees first. */
	for (int i = 0; i < ROOTS; i++)
		while (__atomic_load_n(&roots[i].trees, __ATOMIC_SEQ_CST) < 3)
			usleep(1000);
	__atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
	zdtm_ready();
	zdtm_wait_for_term();
	/* The trees kept growing up to now; give every root a chance to finish some after the last restore. */
	uint64_t seen[ROOTS];
	for (int i = 0; i < ROOTS; i++)
		seen[i] = __atomic_load_n(&roots[i].trees, __ATOMIC_SEQ_CST);
	for (int i = 0; i < ROOTS; i++)
		for (int w = 0; w < 10000 && __atomic_load_n(&roots[i].trees, __ATOMIC_SEQ_CST) <= seen[i]; w++)
			usleep(1000);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < ROOTS; i++) {
		void *ret;
		if (pthread_join(roots[i].t, &ret) || ret != &roots[i])
			zdtm_fail("join root %d", i);
		zdtm_log("root %d: %llu trees (%llu at ready)", i, (unsigned long long)roots[i].trees,
			 (unsigned long long)roots[i].at_ready);
		zdtm_check(roots[i].trees > seen[i], "root %d built no tree after SIGTERM", i);
		zdtm_check(roots[i].trees > roots[i].at_ready, "root %d built no tree after zdtm_ready", i);
		total += roots[i].trees;
		bad += roots[i].bad;
	}
	zdtm_log("%llu trees of %d threads", (unsigned long long)total, NODES);
	zdtm_check(bad == 0, "%llu trees came back wrong", (unsigned long long)bad);
	/* A joined thread leaves /proc/self/task a moment after join returns (its tid is cleared first). */
	int left = tasks();
	for (int w = 0; left != 1 && w < 200; w++) {
		usleep(10000);
		left = tasks();
	}
	zdtm_check(left == 1, "%d tasks left, expected 1", left);
	zdtm_finish();
}
