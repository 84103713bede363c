/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_FUZZ_DISSECTOR_H
#define PL_FUZZ_DISSECTOR_H

/* The body every dissector fuzzer shares: the input copied to a buffer of
 * exactly its size (any over-read is caught), each dissector run with ample
 * room and with a small attribute buffer, and the output checked to be
 * well-formed JSON (strings closed and UTF-8, brackets balanced); a stream
 * dissector's head_state runs on the same bytes. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Length of the well-formed UTF-8 sequence at s[0..n) (lead >= 0x80), or 0:
 * the code point decoded, then its shortest form and range checked. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t k = s[0] >= 0xf8 ? 0 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3
		 : s[0] >= 0xc0 ? 2 : 0;
	if (k == 0 || k > n)
		return 0;
	uint32_t cp = s[0] & (0x7f >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* Strings closed and well-formed UTF-8, brackets balanced: what a broken
 * writer would miss. */
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
			if (c == '\\') {
				i++;
			} else if (c == '"') {
				in_str = false;
			} else if ((unsigned char)c < 0x20) {
				abort(); /* control bytes must be escaped */
			} else if ((unsigned char)c >= 0x80) {
				size_t k = utf8_seq((const unsigned char *)s + i,
						    len - i);
				if (k == 0)
					abort(); /* not UTF-8: not JSON */
				i += (uint32_t)k - 1;
			}
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

static enum pl_dissect_result
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
	return r;
}

/* The head_state of a stream dissector (registry.c) on the same bytes:
 * within them, and "not mine" exactly when the dissector says so. */
static void
check_head_state(pl_dissect_fn fn, const uint8_t *p, size_t n,
		 enum pl_dissect_result r)
{
	static const char *const names[] = {"tls", "http", "dns"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct pl_dissector *d = pl_dissector_find(names[i]);
		if (d == NULL || d->stream != fn)
			continue;
		enum pl_head_state s = d->head_state(p, n);
		if ((s == PL_HEAD_NOT_MINE) != (r == PL_DISSECT_NOT_MINE))
			abort();
	}
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
		enum pl_dissect_result r = one(fns[i], p, size, big, sizeof(big));
		one(fns[i], p, size, small, sizeof(small));
		check_head_state(fns[i], p, size, r);
	}
	free(copy);
	return 0;
}

#endif /* PL_FUZZ_DISSECTOR_H */
