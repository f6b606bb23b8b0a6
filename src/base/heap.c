/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The indexed binary heap: v[0] is the top, v[i]'s children are v[2i+1], v[2i+2]. */
#include "base/heap.h"

#include <errno.h>
#include <stdlib.h>

void ctw_heap_init(struct ctw_heap *h, ctw_heap_before_fn before)
{
	h->v = NULL;
	h->n = h->cap = 0;
	h->before = before;
}

void ctw_heap_free(struct ctw_heap *h)
{
	for (unsigned i = 0; i < h->n; i++)
		h->v[i]->at = 0;
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

static void place(struct ctw_heap *h, unsigned i, struct ctw_heap_node *x)
{
	h->v[i] = x;
	x->at = i + 1;
}

/* Move the node at i towards the top while it comes before its parent. */
static bool sift_up(struct ctw_heap *h, unsigned i)
{
	struct ctw_heap_node *x = h->v[i];
	unsigned start = i;

	while (i > 0) {
		unsigned parent = (i - 1) / 2;

		if (!h->before(x, h->v[parent]))
			break;
		place(h, i, h->v[parent]);
		i = parent;
	}
	place(h, i, x);
	return i != start;
}

static void sift_down(struct ctw_heap *h, unsigned i)
{
	struct ctw_heap_node *x = h->v[i];

	for (;;) {
		unsigned child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->before(h->v[child + 1], h->v[child]))
			child++;
		if (!h->before(h->v[child], x))
			break;
		place(h, i, h->v[child]);
		i = child;
	}
	place(h, i, x);
}

int ctw_heap_push(struct ctw_heap *h, struct ctw_heap_node *x)
{
	if (h->n == h->cap) {
		unsigned cap = h->cap ? h->cap * 2 : 16;
		struct ctw_heap_node **v = realloc(h->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	place(h, h->n++, x);
	sift_up(h, h->n - 1);
	return 0;
}

void ctw_heap_fix(struct ctw_heap *h, struct ctw_heap_node *x)
{
	if (!x->at)
		return;
	if (!sift_up(h, x->at - 1))
		sift_down(h, x->at - 1);
}

void ctw_heap_remove(struct ctw_heap *h, struct ctw_heap_node *x)
{
	unsigned i;
	struct ctw_heap_node *last;

	if (!x->at)
		return;
	i = x->at - 1;
	x->at = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);   /* the last leaf fills the hole, then finds its place */
	ctw_heap_fix(h, last);
}

void ctw_heap_rebuild(struct ctw_heap *h)
{
	for (unsigned i = h->n / 2; i-- > 0;)
		sift_down(h, i);
}

struct ctw_heap_node *ctw_heap_top(const struct ctw_heap *h)
{
	return h->n ? h->v[0] : NULL;
}
