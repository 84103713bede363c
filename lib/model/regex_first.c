/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bytes an anchored regex can start with, read off its text. A payload
 * whose first byte no anchored regex of the candidate models accepts needs
 * no Hyperscan scan, which is most of detection's cost on payloads of other
 * protocols (a TLS record is never an HTTP request). The analysis is
 * conservative: anything it does not understand means "any byte".
 */
#include <ctype.h>
#include <string.h>

#include "model-internal.h"

static void
add(struct pl_byteset *s, unsigned b)
{
	s->w[b >> 6] |= 1ULL << (b & 63);
}

static void
add_range(struct pl_byteset *s, unsigned lo, unsigned hi)
{
	for (unsigned b = lo; b <= hi && b < 256; b++)
		add(s, b);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One escaped character at p (after the backslash): its byte, or -1 for a
 * class escape or anything not understood; *len: characters used. */
static int
escape_byte(const char *p, size_t *len)
{
	*len = 1;
	switch (p[0]) {
	case 'x':
		if (hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*len = 3;
			return hexval(p[1]) * 16 + hexval(p[2]);
		}
		return -1;
	case 'r': return '\r';
	case 'n': return '\n';
	case 't': return '\t';
	case 'f': return '\f';
	case 'e': return 0x1b;
	case 'a': return 0x07;
	default:
		/* An escaped punctuation character is itself. */
		return ispunct((unsigned char)p[0]) ? (unsigned char)p[0] : -1;
	}
}

/* A bracket class at p (after '['). @return characters used, or 0. */
static size_t
bracket(const char *p, struct pl_byteset *out)
{
	struct pl_byteset s = {{0}};
	size_t i = 0;
	bool neg = p[0] == '^';
	if (neg)
		i++;
	bool first = true;
	while (p[i] && (p[i] != ']' || first)) {
		first = false;
		int lo;
		size_t n;
		if (p[i] == '[' || (p[i] == '&' && p[i + 1] == '&'))
			return 0; /* nested classes, intersections */
		if (p[i] == '\\') {
			lo = escape_byte(p + i + 1, &n);
			if (lo < 0)
				return 0;
			i += n + 1;
		} else {
			lo = (unsigned char)p[i++];
		}
		if (p[i] == '-' && p[i + 1] && p[i + 1] != ']') {
			int hi;
			i++;
			if (p[i] == '\\') {
				hi = escape_byte(p + i + 1, &n);
				if (hi < 0)
					return 0;
				i += n + 1;
			} else {
				hi = (unsigned char)p[i++];
			}
			add_range(&s, (unsigned)lo, (unsigned)hi);
		} else {
			add(&s, (unsigned)lo);
		}
	}
	if (p[i] != ']')
		return 0;
	for (int w = 0; w < 4; w++)
		out->w[w] |= neg ? ~s.w[w] : s.w[w];
	return i + 1;
}

static size_t alternatives(const char *p, struct pl_byteset *out);

/* The first atom at p: @return characters of the atom, or 0 if unknown.
 * An atom that may repeat zero times is unknown too (the next one could
 * come first). */
static size_t
atom(const char *p, struct pl_byteset *out)
{
	size_t n = 0;
	int b;
	if (p[0] == '(') {
		size_t skip = 1;
		if (p[1] == '?') {
			if (p[2] != ':')
				return 0; /* flags, look-arounds */
			skip = 3;
		}
		n = alternatives(p + skip, out);
		if (n == 0)
			return 0;
		n += skip;
	} else if (p[0] == '[') {
		n = bracket(p + 1, out);
		if (n == 0)
			return 0;
		n += 1;
	} else if (p[0] == '\\') {
		b = escape_byte(p + 1, &n);
		if (b < 0)
			return 0;
		add(out, (unsigned)b);
		n += 1;
	} else if (p[0] && !strchr(".^$|)*+?{", p[0])) {
		add(out, (unsigned char)p[0]);
		n = 1;
	} else {
		return 0;
	}
	if (p[n] == '?' || p[n] == '*' || (p[n] == '{' && p[n + 1] == '0'))
		return 0;
	return n;
}

/* Alternatives up to the closing ')': the union of their first atoms.
 * @return characters used, the ')' included, or 0. */
static size_t
alternatives(const char *p, struct pl_byteset *out)
{
	size_t i = 0;
	int depth = 0;
	bool at_start = true;
	for (;;) {
		if (at_start) {
			size_t n = atom(p + i, out);
			if (n == 0)
				return 0;
			at_start = false;
		}
		char c = p[i];
		if (c == '\0')
			return 0;
		if (c == '\\') {
			if (p[i + 1] == '\0')
				return 0;
			i += 2;
			continue;
		}
		if (c == '[') {
			struct pl_byteset ignored = {{0}};
			size_t n = bracket(p + i + 1, &ignored);
			if (n == 0)
				return 0;
			i += n + 1;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth-- == 0)
			return i + 1;
		else if (c == '|' && depth == 0)
			at_start = true;
		i++;
	}
}

bool
pl_regex_first_bytes(const char *pattern, struct pl_byteset *out)
{
	memset(out, 0, sizeof(*out));
	if (pattern[0] != '^')
		return false;
	return atom(pattern + 1, out) > 0;
}
