/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An indexed binary heap: the node that comes first (by the heap's `before`
 * order) is on top, and a node whose key changed is put back in place in
 * O(log n) (ctw_heap_fix), so it serves as a timer queue (first: the
 * soonest due) and as a running maximum that stays right when the top
 * shrinks. Nodes are embedded in the caller's structs (container_of); the
 * heap allocates only its array of pointers. Pure: no I/O. */
#ifndef CTW_HEAP_H
#define CTW_HEAP_H

#include <stdbool.h>
#include <stddef.h>

struct ctw_heap_node {
	unsigned at;   /* index in the heap + 1; 0: not in a heap */
};

/* Whether a must come out before b. A strict weak order; break ties with
 * something unique (a sequence number) for a deterministic top. */
typedef bool (*ctw_heap_before_fn)(const struct ctw_heap_node *a, const struct ctw_heap_node *b);

struct ctw_heap {
	struct ctw_heap_node **v;
	unsigned n, cap;
	ctw_heap_before_fn before;
};

#define ctw_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

void ctw_heap_init(struct ctw_heap *h, ctw_heap_before_fn before);
void ctw_heap_free(struct ctw_heap *h);
/* Add x (not in any heap). 0 or -ENOMEM (then x is not added). */
int ctw_heap_push(struct ctw_heap *h, struct ctw_heap_node *x);
/* Take x out (no-op when it is not in). */
void ctw_heap_remove(struct ctw_heap *h, struct ctw_heap_node *x);
/* x's key changed: move it to where it belongs. */
void ctw_heap_fix(struct ctw_heap *h, struct ctw_heap_node *x);
/* Many keys changed: restore the order in O(n). */
void ctw_heap_rebuild(struct ctw_heap *h);
/* The first node, NULL when empty. */
struct ctw_heap_node *ctw_heap_top(const struct ctw_heap *h);
static inline bool ctw_heap_contains(const struct ctw_heap_node *x)
{
	return x->at != 0;
}

#endif
