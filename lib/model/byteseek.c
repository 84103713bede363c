/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Byteseek patterns -> fixed-length sequences of 256-bit byte sets.
 *
 * Supported syntax (the part of Byteseek 2.0 that keeps a pattern's length
 * fixed): hex bytes `0a`, any byte `.`, ranges `00-40`, sets `[01 0a-0f]`
 * and inverted sets `[^ 00]`, inverted bytes `^00`, all-bits masks `&0f`,
 * any-bits masks `~0f`, alternatives of single bytes `(14|15|80-f5)`,
 * case-sensitive text 'GET', case-insensitive text `get`, repetition `{n}`,
 * comments from `#` to the end of the line. Whitespace separates nothing
 * and may appear anywhere between elements (also around `-` in ranges).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define MAX_PATTERN_LEN 4096

struct parser {
	const char *src;
	size_t pos;
	struct pl_byteset *sets;
	uint32_t len;
	uint32_t cap;
	char *err;
	size_t errlen;
};

static int
fail(struct parser *p, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (p->src[p->pos])
		snprintf(p->err, p->errlen, "%s, found '%.12s' at offset %zu",
			 what, p->src + p->pos, p->pos);
	else
		snprintf(p->err, p->errlen, "%s, found the end of the pattern",
			 what);
	return -EINVAL;
}

static void
skip_space(struct parser *p)
{
	for (;;) {
		char c = p->src[p->pos];
		if (isspace((unsigned char)c)) {
			p->pos++;
		} else if (c == '#') {
			while (p->src[p->pos] && p->src[p->pos] != '\n')
				p->pos++;
		} else {
			return;
		}
	}
}

static void
set_add(struct pl_byteset *s, unsigned b)
{
	s->w[b >> 6] |= 1ULL << (b & 63);
}

static void
set_add_range(struct pl_byteset *s, unsigned lo, unsigned hi)
{
	for (unsigned b = lo; b <= hi; b++)
		set_add(s, b);
}

static void
set_invert(struct pl_byteset *s)
{
	for (int i = 0; i < 4; i++)
		s->w[i] = ~s->w[i];
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
parse_hex(struct parser *p, unsigned *out)
{
	int hi = hexval(p->src[p->pos]);
	int lo = hi < 0 ? -1 : hexval(p->src[p->pos + 1]);
	if (hi < 0 || lo < 0)
		return fail(p, "expected a hex byte (two hex digits)");
	*out = (unsigned)(hi << 4 | lo);
	p->pos += 2;
	return 0;
}

/* A hex byte or a range `lo-hi`, added to s. */
static int
parse_byte_or_range(struct parser *p, struct pl_byteset *s)
{
	unsigned lo, hi;
	if (parse_hex(p, &lo) < 0)
		return -EINVAL;
	size_t save = p->pos;
	skip_space(p);
	if (p->src[p->pos] != '-') {
		p->pos = save;
		set_add(s, lo);
		return 0;
	}
	p->pos++;
	skip_space(p);
	size_t at = p->pos;
	if (parse_hex(p, &hi) < 0)
		return -EINVAL;
	if (hi < lo) {
		p->pos = at;
		return fail(p, "expected a range lo-hi with lo <= hi (lo %02x)",
			    lo);
	}
	set_add_range(s, lo, hi);
	return 0;
}

static int
parse_mask(struct parser *p, struct pl_byteset *s, char kind)
{
	unsigned m;
	p->pos++;
	if (parse_hex(p, &m) < 0)
		return -EINVAL;
	for (unsigned b = 0; b < 256; b++)
		if (kind == '&' ? (b & m) == m : (b & m) != 0)
			set_add(s, b);
	return 0;
}

/* One single-byte element: byte, range, `.`, set, inverted byte, mask. */
static int
parse_single(struct parser *p, struct pl_byteset *s)
{
	char c = p->src[p->pos];
	memset(s, 0, sizeof(*s));
	if (c == '.') {
		p->pos++;
		set_invert(s);
		return 0;
	}
	if (c == '&' || c == '~')
		return parse_mask(p, s, c);
	if (c == '^') {
		p->pos++;
		skip_space(p);
		if (parse_single(p, s) < 0)
			return -EINVAL;
		set_invert(s);
		return 0;
	}
	if (c == '[') {
		int invert = 0;
		p->pos++;
		skip_space(p);
		if (p->src[p->pos] == '^') {
			invert = 1;
			p->pos++;
		}
		for (;;) {
			skip_space(p);
			c = p->src[p->pos];
			if (c == ']')
				break;
			if (c == '\0')
				return fail(p, "expected ']' closing a set");
			struct pl_byteset e;
			if (parse_single(p, &e) < 0)
				return -EINVAL;
			for (int i = 0; i < 4; i++)
				s->w[i] |= e.w[i];
		}
		p->pos++;
		if (invert)
			set_invert(s);
		return 0;
	}
	if (c == '(') {
		p->pos++;
		for (;;) {
			skip_space(p);
			struct pl_byteset e;
			if (parse_single(p, &e) < 0)
				return -EINVAL;
			for (int i = 0; i < 4; i++)
				s->w[i] |= e.w[i];
			skip_space(p);
			c = p->src[p->pos];
			if (c == ')')
				break;
			if (c != '|')
				return fail(p, "expected '|' or ')' in an "
					       "alternative of single bytes");
			p->pos++;
		}
		p->pos++;
		return 0;
	}
	return parse_byte_or_range(p, s);
}

static int
push(struct parser *p, const struct pl_byteset *s)
{
	if (p->len == MAX_PATTERN_LEN)
		return fail(p, "expected at most %d bytes", MAX_PATTERN_LEN);
	if (p->len == p->cap) {
		uint32_t cap = p->cap ? p->cap * 2 : 16;
		struct pl_byteset *n = realloc(p->sets, cap * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		p->sets = n;
		p->cap = cap;
	}
	p->sets[p->len++] = *s;
	return 0;
}

static int
parse_text(struct parser *p)
{
	char quote = p->src[p->pos++];
	while (p->src[p->pos] && p->src[p->pos] != quote) {
		struct pl_byteset s = {{0}};
		unsigned char c = (unsigned char)p->src[p->pos++];
		set_add(&s, c);
		if (quote == '`') {
			set_add(&s, (unsigned)tolower(c));
			set_add(&s, (unsigned)toupper(c));
		}
		if (push(p, &s) < 0)
			return -ENOMEM;
	}
	if (p->src[p->pos] != quote)
		return fail(p, "expected %c closing a text", quote);
	p->pos++;
	return 0;
}

/* `{n}` after an element repeats it n times in all. */
static int
parse_repeat(struct parser *p, const struct pl_byteset *s)
{
	char *end;
	long n = strtol(p->src + p->pos + 1, &end, 10);
	if (end == p->src + p->pos + 1 || *end != '}' || n < 1 ||
	    n > MAX_PATTERN_LEN)
		return fail(p, "expected a repeat count {n} with 1 <= n <= %d",
			    MAX_PATTERN_LEN);
	p->pos = (size_t)(end - p->src) + 1;
	for (long i = 1; i < n; i++)
		if (push(p, s) < 0)
			return -ENOMEM;
	return 0;
}

int
pl_bytes_compile(const char *src, int32_t index, struct pl_bytes_pattern *out,
		 char *err, size_t errlen)
{
	struct parser p = {.src = src, .err = err, .errlen = errlen};
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		skip_space(&p);
		char c = src[p.pos];
		if (c == '\0')
			break;
		if (c == '\'' || c == '`') {
			rc = parse_text(&p);
		} else if (c == '{') {
			if (p.len == 0) {
				rc = fail(&p, "expected an element before {n}");
				break;
			}
			struct pl_byteset last = p.sets[p.len - 1];
			rc = parse_repeat(&p, &last);
		} else {
			struct pl_byteset s;
			rc = parse_single(&p, &s);
			if (rc == 0)
				rc = push(&p, &s);
		}
		if (rc < 0)
			break;
	}
	if (rc == 0 && p.len == 0)
		rc = fail(&p, "expected at least one byte element");
	if (rc < 0) {
		free(p.sets);
		return rc;
	}
	out->sets = p.sets;
	out->len = p.len;
	out->index = index;
	/* The unanchored search looks for the first byte with memchr when
	 * it is a single value. */
	int count = 0;
	for (unsigned b = 0; b < 256; b++)
		if (pl_byteset_has(&p.sets[0], (uint8_t)b)) {
			out->first_byte = (uint8_t)b;
			count++;
		}
	out->first_single = count == 1;
	return 0;
}

void
pl_bytes_free(struct pl_bytes_pattern *p)
{
	free(p->sets);
	memset(p, 0, sizeof(*p));
}

static inline bool
match_at(const struct pl_bytes_pattern *p, const uint8_t *d)
{
	for (uint32_t i = 0; i < p->len; i++)
		if (!pl_byteset_has(&p->sets[i], d[i]))
			return false;
	return true;
}

int64_t
pl_bytes_find(const struct pl_bytes_pattern *p, const uint8_t *data,
	      uint32_t len)
{
	if (len < p->len)
		return -1;
	if (p->index >= 0) {
		if ((uint32_t)p->index > len - p->len)
			return -1;
		return match_at(p, data + p->index) ? p->index : -1;
	}
	uint32_t last = len - p->len;
	if (p->first_single) {
		const uint8_t *d = data, *end = data + last + 1;
		while (d < end) {
			d = memchr(d, p->first_byte, (size_t)(end - d));
			if (d == NULL)
				return -1;
			if (match_at(p, d))
				return d - data;
			d++;
		}
		return -1;
	}
	for (uint32_t i = 0; i <= last; i++)
		if (pl_byteset_has(&p->sets[0], data[i]) && match_at(p, data + i))
			return i;
	return -1;
}
