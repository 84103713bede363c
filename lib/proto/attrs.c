/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounded JSON writer for dissector attributes (see proto.h). Space for the
 * closing brackets is reserved as levels open, so a full buffer never
 * leaves invalid JSON behind. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

void
pl_attrs_init(struct pl_attrs *a, char *buf, uint32_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
	a->buf[a->len++] = '{';
	a->first[0] = true;
	a->close[0] = '}';
	a->buf[a->len] = '\0';
}

/* Bytes left for content: the open levels' closers and the NUL are kept. */
static uint32_t
room(const struct pl_attrs *a)
{
	uint32_t reserve = (uint32_t)a->depth + 2;
	return a->cap > a->len + reserve ? a->cap - a->len - reserve : 0;
}

static bool
put(struct pl_attrs *a, const char *s, size_t n)
{
	if (a->truncated || n > room(a)) {
		a->truncated = true;
		return false;
	}
	memcpy(a->buf + a->len, s, n);
	a->len += (uint32_t)n;
	a->buf[a->len] = '\0';
	return true;
}

/* Escaped string body; all or nothing. */
static bool
put_escaped(struct pl_attrs *a, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t save = a->len;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		char e[6];
		size_t k;
		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			k = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			k = 6;
		} else {
			e[0] = (char)c;
			k = 1;
		}
		if (!put(a, e, k)) {
			a->len = save;
			a->buf[a->len] = '\0';
			return false;
		}
	}
	return true;
}

/* Separator and key of a new member; false if it does not fit. */
static bool
member(struct pl_attrs *a, const char *key, size_t extra)
{
	if (a->truncated)
		return false;
	size_t need = (a->first[a->depth] ? 0 : 1) +
		      (key ? strlen(key) + 3 : 0) + extra;
	if (need > room(a)) {
		a->truncated = true;
		return false;
	}
	if (!a->first[a->depth])
		put(a, ",", 1);
	a->first[a->depth] = false;
	if (key) {
		put(a, "\"", 1);
		put(a, key, strlen(key));
		put(a, "\":", 2);
	}
	return true;
}

static void
open_level(struct pl_attrs *a, const char *key, char open, char close)
{
	if (a->depth + 1 >= PL_ATTRS_MAX_DEPTH || !member(a, key, 2)) {
		a->truncated = true;
		return;
	}
	put(a, &open, 1);
	a->depth++;
	a->first[a->depth] = true;
	a->close[a->depth] = close;
}

void
pl_attrs_object(struct pl_attrs *a, const char *key)
{
	open_level(a, key, '{', '}');
}

void
pl_attrs_array(struct pl_attrs *a, const char *key)
{
	open_level(a, key, '[', ']');
}

void
pl_attrs_end(struct pl_attrs *a)
{
	if (a->depth == 0)
		return;
	/* The closer's byte was reserved: it always fits. */
	a->buf[a->len++] = a->close[a->depth--];
	a->buf[a->len] = '\0';
}

uint32_t
pl_attrs_finish(struct pl_attrs *a)
{
	while (a->depth > 0)
		pl_attrs_end(a);
	if (a->close[0]) {
		a->buf[a->len++] = '}';
		a->buf[a->len] = '\0';
		a->close[0] = 0;
	}
	return a->len;
}

void
pl_attrs_str(struct pl_attrs *a, const char *key, const void *s, size_t len)
{
	uint32_t save = a->len;
	bool first = a->first[a->depth];
	if (!member(a, key, 2))
		return;
	if (!put(a, "\"", 1) || !put_escaped(a, s, len) || !put(a, "\"", 1)) {
		a->len = save; /* drop the partial member */
		a->buf[a->len] = '\0';
		a->first[a->depth] = first;
		a->truncated = true;
	}
}

void
pl_attrs_cstr(struct pl_attrs *a, const char *key, const char *s)
{
	pl_attrs_str(a, key, s, strlen(s));
}

void
pl_attrs_uint(struct pl_attrs *a, const char *key, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);
	if (member(a, key, (size_t)n))
		put(a, num, (size_t)n);
}

void
pl_attrs_bool(struct pl_attrs *a, const char *key, bool v)
{
	if (member(a, key, v ? 4 : 5))
		put(a, v ? "true" : "false", v ? 4 : 5);
}

void
pl_attrs_hex(struct pl_attrs *a, const char *key, const uint8_t *p,
	     size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (!member(a, key, 2 + 2 * len))
		return;
	put(a, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		char h[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
		put(a, h, 2);
	}
	put(a, "\"", 1);
}
