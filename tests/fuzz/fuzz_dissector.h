/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_FUZZ_DISSECTOR_H
#define PL_FUZZ_DISSECTOR_H

/* The body every dissector fuzzer shares: the input copied to a buffer of
 * exactly its size (any over-read is caught), each dissector run with ample
 * room and with a small attribute buffer, and the output checked to be
 * well-formed JSON (strings closed, brackets balanced). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

typedef enum pl_dissect_result (*pl_dissect_fn)(const uint8_t *, size_t,
						 struct pl_attrs *);

/* Strings closed and brackets balanced: what a broken writer would miss. */
static void
check_json(const char *s, uint32_t len, uint32_t cap)
{
	char stack[64];
	int depth = 0;
	bool in_str = false;
	if (len >= cap || strlen(s) != len || s[0] != '{')
		abort();
	for (uint32_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			else if ((unsigned char)c < 0x20)
				abort(); /* control bytes must be escaped */
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (depth == (int)sizeof(stack))
				abort();
			stack[depth++] = c == '{' ? '}' : ']';
		} else if (c == '}' || c == ']') {
			if (depth == 0 || stack[--depth] != c)
				abort();
		}
	}
	if (in_str || depth != 0)
		abort();
}

static void
one(enum pl_dissect_result (*fn)(const uint8_t *, size_t, struct pl_attrs *),
    const uint8_t *p, size_t n, char *buf, uint32_t cap)
{
	struct pl_attrs a;
	pl_attrs_init(&a, buf, cap);
	enum pl_dissect_result r = fn(p, n, &a);
	uint32_t len = pl_attrs_finish(&a);
	check_json(buf, len, cap);
	if (r == PL_DISSECT_NOT_MINE && len != 2)
		abort(); /* "not mine" writes nothing */
}

static int
fuzz_dissectors(const uint8_t *data, size_t size, const pl_dissect_fn *fns,
		size_t nb_fns)
{
	static char big[64 * 1024], small[256];
	if (size > 65535)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	const uint8_t *p = size ? copy : copy + 1;
	for (size_t i = 0; i < nb_fns; i++) {
		one(fns[i], p, size, big, sizeof(big));
		one(fns[i], p, size, small, sizeof(small));
	}
	free(copy);
	return 0;
}

#endif /* PL_FUZZ_DISSECTOR_H */
