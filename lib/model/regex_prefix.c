/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bytes every match of an anchored regex starts with, read off its
 * text: one byte set per leading payload offset. Detection tests them with
 * the byte automata (anchored.c) and scans with Hyperscan only when one of
 * them holds: a scan costs 500 to 1800 cycles, and most payloads of other
 * protocols fail the first two bytes (an NTP packet's first byte is a
 * letter of an HTTP method one time in twenty, and its second is not).
 *
 * The analysis follows the pattern's structure with the set of offsets a
 * match may have reached (offsets at or past the window count as one).
 * It is conservative: a construct it does not understand matches any
 * string of any length from where it stands, and a pattern it cannot
 * structure at all (comments mode, multiline `^`, bad syntax) gives no
 * prefix, so that every payload is scanned.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"

#define K PL_REGEX_PREFIX_MAX
#define LMAX PL_REGEX_LEN_MAX /* offsets tracked exactly */
#define WORDS (LMAX / 64 + 1)
#define BUDGET 200000 /* atom applications: nested repetitions multiply */

/* Bit o: a match may stand at offset o; bit LMAX: at LMAX or beyond. */
typedef struct {
	uint64_t w[WORDS];
} offsets_t;

struct analysis {
	struct pl_byteset pos[K]; /* bytes seen at each offset, over all paths */
	unsigned applied;         /* atoms applied, against BUDGET */
	bool failed;              /* the pattern's structure is not understood */
	/* Exactness: a match is then decided by pos and the lengths alone.
	 * It holds while every byte set other than "any byte" is consumed at
	 * one known offset below K, outside alternatives. */
	bool inexact;
	unsigned constrained;     /* such sets consumed */
	unsigned constrained_end; /* 1 + the highest offset of one */
};

static bool
has(const offsets_t *o, unsigned i)
{
	return o->w[i / 64] >> (i % 64) & 1;
}

static void
set_bit(offsets_t *o, unsigned i)
{
	o->w[i / 64] |= 1ULL << (i % 64);
}

static offsets_t
single(unsigned i)
{
	offsets_t o = {{0}};
	set_bit(&o, i);
	return o;
}

static bool
is_empty(const offsets_t *o)
{
	for (int i = 0; i < WORDS; i++)
		if (o->w[i])
			return false;
	return true;
}

static bool
same(const offsets_t *a, const offsets_t *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

static void
unite(offsets_t *a, const offsets_t *b)
{
	for (int i = 0; i < WORDS; i++)
		a->w[i] |= b->w[i];
}

/* The lowest offset of a non-empty set. */
static unsigned
lowest(const offsets_t *o)
{
	for (unsigned i = 0; i < WORDS; i++)
		if (o->w[i])
			return i * 64 + (unsigned)__builtin_ctzll(o->w[i]);
	return LMAX;
}

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

static void
fill(struct pl_byteset *s)
{
	memset(s, 0xff, sizeof(*s));
}

/* Letters in both cases, for (?i). */
static void
fold_case(struct pl_byteset *s)
{
	for (unsigned b = 'A'; b <= 'Z'; b++)
		if (pl_byteset_has(s, (uint8_t)b) ||
		    pl_byteset_has(s, (uint8_t)(b + 32))) {
			add(s, b);
			add(s, b + 32);
		}
}

/* Each offset one byte further; those at LMAX or beyond stay there. */
static offsets_t
shift(const offsets_t *in)
{
	offsets_t out = {{0}};
	for (int i = WORDS - 1; i > 0; i--)
		out.w[i] = in->w[i] << 1 | in->w[i - 1] >> 63;
	out.w[0] = in->w[0] << 1;
	out.w[LMAX / 64] &= (1ULL << (LMAX % 64)) - 1;
	for (int i = LMAX / 64 + 1; i < WORDS; i++)
		out.w[i] = 0;
	if (has(in, LMAX) || has(in, LMAX - 1))
		set_bit(&out, LMAX);
	return out;
}

/* One byte from set s at each offset of in. */
static offsets_t
consume(struct analysis *a, const offsets_t *in, const struct pl_byteset *s)
{
	if (!pl_byteset_full(s)) {
		unsigned o = lowest(in);
		offsets_t one = single(o);
		if (o >= K || !same(in, &one))
			a->inexact = true;
		else if (o + 1 > a->constrained_end)
			a->constrained_end = o + 1;
		a->constrained++;
	}
	for (unsigned o = 0; o < K; o++)
		if (has(in, o))
			for (int w = 0; w < 4; w++)
				a->pos[o].w[w] |= s->w[w];
	return shift(in);
}

/* Any string of any length from the lowest offset of in. */
static offsets_t
anything(struct analysis *a, const offsets_t *in)
{
	offsets_t out = {{0}};
	a->inexact = true;
	if (is_empty(in))
		return out;
	unsigned lo = lowest(in);
	for (unsigned o = lo; o < K; o++)
		fill(&a->pos[o]);
	for (unsigned o = lo; o <= LMAX; o++)
		set_bit(&out, o);
	return out;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Skip a bracket class at p (at '['), nested classes included.
 * @return characters of the class, or 0 if it does not end. */
static size_t
skip_bracket(const char *p)
{
	size_t i = 1;
	int depth = 1;
	if (p[i] == '^')
		i++;
	if (p[i] == ']')
		i++; /* a leading ']' is literal */
	while (p[i]) {
		if (p[i] == '\\' && p[i + 1])
			i += 2;
		else if (p[i] == '[')
			depth++, i++;
		else if (p[i++] == ']' && --depth == 0)
			return i;
	}
	return 0;
}

/* Skip to the ')' closing the group whose content starts at p, or to the
 * end. @return its offset, or (size_t)-1 on an unterminated class. */
static size_t
skip_group(const char *p)
{
	size_t i = 0;
	int depth = 0;
	while (p[i]) {
		if (p[i] == '\\' && p[i + 1]) {
			i += 2;
		} else if (p[i] == '[') {
			size_t n = skip_bracket(p + i);
			if (n == 0)
				return (size_t)-1;
			i += n;
		} else if (p[i] == '(') {
			depth++, i++;
		} else if (p[i] == ')') {
			if (depth-- == 0)
				return i;
			i++;
		} else {
			i++;
		}
	}
	return i;
}

/* The set of a class escape (\s, \d, \w and their negations).
 * @return false if c is not one. */
static bool
class_escape(char c, struct pl_byteset *s)
{
	struct pl_byteset t = {{0}};
	switch (tolower((unsigned char)c)) {
	case 's':
		add_range(&t, 0x09, 0x0d);
		add(&t, ' ');
		break;
	case 'd':
		add_range(&t, '0', '9');
		break;
	case 'w':
		add_range(&t, 'a', 'z');
		add_range(&t, 'A', 'Z');
		add_range(&t, '0', '9');
		add(&t, '_');
		break;
	default:
		return false;
	}
	bool neg = isupper((unsigned char)c);
	for (int w = 0; w < 4; w++)
		s->w[w] |= neg ? ~t.w[w] : t.w[w];
	return true;
}

/* One escaped character at p (after the backslash): its byte, or -1 if it
 * is not a single byte; *len: characters used. */
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

/* A bracket class at p (at '['); anything not understood inside it (a
 * nested class, an intersection, a property) makes it any byte.
 * @return characters of the class, or 0 if it does not end. */
static size_t
bracket(const char *p, struct pl_byteset *out, bool *vague)
{
	size_t end = skip_bracket(p);
	if (end == 0)
		return 0;
	struct pl_byteset s = {{0}};
	size_t i = 1;
	bool neg = p[i] == '^';
	if (neg)
		i++;
	bool first = true;
	while (i < end - 1 && (p[i] != ']' || first)) {
		first = false;
		int lo, hi;
		size_t n;
		if (p[i] == '[' || (p[i] == '&' && p[i + 1] == '&'))
			goto any;
		if (p[i] == '\\') {
			if (class_escape(p[i + 1], &s)) {
				i += 2;
				continue;
			}
			lo = escape_byte(p + i + 1, &n);
			if (lo < 0)
				goto any;
			i += n + 1;
		} else {
			lo = (unsigned char)p[i++];
		}
		if (p[i] == '-' && p[i + 1] != ']' && i + 1 < end - 1) {
			i++;
			if (p[i] == '\\') {
				hi = escape_byte(p + i + 1, &n);
				if (hi < 0)
					goto any;
				i += n + 1;
			} else {
				hi = (unsigned char)p[i++];
			}
			add_range(&s, (unsigned)lo, (unsigned)hi);
		} else {
			add(&s, (unsigned)lo);
		}
	}
	for (int w = 0; w < 4; w++)
		out->w[w] |= neg ? ~s.w[w] : s.w[w];
	return end;
any:
	fill(out);
	*vague = true;
	return end;
}

static size_t alternatives(struct analysis *a, const char *p, offsets_t in,
			   bool ci, offsets_t *out);

/* Flags of an inline (?flags) or (?flags:...): @return characters up to
 * and excluding the ':' or ')', or 0 with a->failed for flags that change
 * what ^ or the layout mean (m, x) or anything else. */
static size_t
flags(struct analysis *a, const char *p, bool *ci)
{
	size_t i = 0;
	bool on = true;
	for (; p[i] && p[i] != ':' && p[i] != ')'; i++) {
		if (p[i] == '-')
			on = false;
		else if (p[i] == 'i')
			*ci = on;
		else if (!strchr("sud", p[i]))
			break;
	}
	if (p[i] != ':' && p[i] != ')') {
		a->failed = true;
		return 0;
	}
	return i;
}

/* One atom at p applied to offsets in: *out gets the offsets after it.
 * @return characters of the atom (its quantifier excluded), or 0 with
 *   a->failed. */
static size_t
atom(struct analysis *a, const char *p, offsets_t in, bool ci,
     offsets_t *out)
{
	struct pl_byteset s = {{0}};
	size_t n;

	if (++a->applied > BUDGET)
		goto fail;
	if (p[0] == '(') {
		if (p[1] == '?') {
			if (p[2] == '=' || p[2] == '!' ||
			    (p[2] == '<' && (p[3] == '=' || p[3] == '!'))) {
				/* A look-around only narrows: no-op here. */
				size_t e = skip_group(p + 1);
				if (e == (size_t)-1 || p[1 + e] != ')')
					goto fail;
				a->inexact = true;
				*out = in;
				return e + 2;
			}
			size_t skip = 2;
			bool gci = ci;
			if (p[2] == ':' || p[2] == '>') {
				skip = 3;
			} else if (p[2] == '<') {
				/* A named group. */
				const char *gt = strchr(p + 3, '>');
				if (gt == NULL)
					goto fail;
				skip = (size_t)(gt - p) + 1;
			} else {
				size_t f = flags(a, p + 2, &gci);
				if (a->failed || p[2 + f] != ':')
					goto fail; /* inline (?i): seq() reads it */
				skip = 3 + f;
			}
			n = alternatives(a, p + skip, in, gci, out);
			if (a->failed || p[skip + n] != ')')
				goto fail;
			return skip + n + 1;
		}
		n = alternatives(a, p + 1, in, ci, out);
		if (a->failed || p[1 + n] != ')')
			goto fail;
		return n + 2;
	}
	if (p[0] == '[') {
		n = bracket(p, &s, &a->inexact);
		if (n == 0)
			goto fail;
		/* Caseless, [^a] leaves out A too; folding its complement
		 * below gives any byte, which is only a superset. */
		if (ci && p[1] == '^')
			a->inexact = true;
	} else if (p[0] == '.') {
		/* Not any byte in Java: line terminators are left out. */
		fill(&s);
		a->inexact = true;
		n = 1;
	} else if (p[0] == '\\') {
		char c = p[1];
		if (c == '\0')
			goto fail;
		if (strchr("bBAzZG", c)) {
			/* Zero-width; only a final \z is exact (it is the
			 * lengths). */
			if (c != 'z' || p[2] != '\0')
				a->inexact = true;
			*out = in;
			return 2;
		}
		if (class_escape(c, &s)) {
			n = 2;
		} else {
			int b = escape_byte(p + 1, &n);
			if (b >= 0) {
				add(&s, (unsigned)b);
				n += 1;
			} else if (c == 'Q') {
				/* Quoted text: taken as any string. */
				const char *e = strstr(p + 2, "\\E");
				*out = anything(a, &in);
				return e ? (size_t)(e - p) + 2 : strlen(p);
			} else if (c == 'p' || c == 'P') {
				/* \pL, \p{Name}; a bare \p at the end is not
				 * one. */
				const char *e = p[2] == '{' ? strchr(p, '}')
					      : p[2]	    ? p + 2
							    : NULL;
				if (e == NULL)
					goto fail;
				fill(&s);
				a->inexact = true;
				n = (size_t)(e - p) + 1;
			} else {
				/* A back-reference, \x{...}, an octal or control
				 * escape: taken as any string. */
				size_t e = 2;
				if (c == 'x' && p[2] == '{') {
					const char *b = strchr(p, '}');
					if (b == NULL)
						goto fail;
					e = (size_t)(b - p) + 1;
				} else if (c == 'k' && p[2] == '<') {
					const char *b = strchr(p, '>');
					if (b == NULL)
						goto fail;
					e = (size_t)(b - p) + 1;
				} else if (c == 'c' && p[2]) {
					e = 3;
				}
				while (isdigit((unsigned char)p[e]))
					e++;
				*out = anything(a, &in);
				return e;
			}
		}
	} else if (p[0] == '^' || p[0] == '$') {
		*out = in; /* zero-width; ^ after the start never matches */
		a->inexact = true;
		return 1;
	} else if (p[0] && !strchr("|)*+?{", p[0])) {
		add(&s, (unsigned char)p[0]);
		n = 1;
	} else {
		goto fail;
	}
	if (ci)
		fold_case(&s);
	*out = consume(a, &in, &s);
	return n;
fail:
	a->failed = true;
	return 0;
}

/* A quantifier at p: @return its characters (0: none) with min and max
 * (max UINT32_MAX: unbounded). */
static size_t
quantifier(struct analysis *a, const char *p, uint32_t *min, uint32_t *max)
{
	size_t n = 1;
	switch (p[0]) {
	case '?': *min = 0, *max = 1; break;
	case '*': *min = 0, *max = UINT32_MAX; break;
	case '+': *min = 1, *max = UINT32_MAX; break;
	case '{': {
		uint32_t lo = 0, hi;
		while (isdigit((unsigned char)p[n]) && lo < 100000)
			lo = lo * 10 + (uint32_t)(p[n++] - '0');
		if (n == 1)
			goto fail;
		hi = lo;
		if (p[n] == ',') {
			n++;
			if (isdigit((unsigned char)p[n])) {
				hi = 0;
				while (isdigit((unsigned char)p[n]) && hi < 100000)
					hi = hi * 10 + (uint32_t)(p[n++] - '0');
			} else {
				hi = UINT32_MAX;
			}
		}
		if (p[n] != '}' || hi < lo)
			goto fail;
		n++;
		*min = lo, *max = hi;
		break;
	}
	default:
		*min = *max = 1;
		return 0;
	}
	if (p[n] == '?' || p[n] == '+')
		n++; /* lazy or possessive: the same strings or fewer */
	return n;
fail:
	a->failed = true;
	return 0;
}

/* Atoms up to '|', ')' or the end. @return characters used. */
static size_t
sequence(struct analysis *a, const char *p, offsets_t in, bool ci,
	 offsets_t *out)
{
	size_t i = 0;
	while (p[i] && p[i] != '|' && p[i] != ')' && !a->failed) {
		if (p[i] == '(' && p[i + 1] == '?' && p[i + 2] != ':' &&
		    !strchr("=!<>", p[i + 2])) {
			/* Inline flags: the rest of this sequence. */
			bool fci = ci;
			size_t f = flags(a, p + i + 2, &fci);
			if (a->failed)
				break;
			if (p[i + 2 + f] == ')') {
				ci = fci;
				i += 3 + f;
				continue;
			}
		}
		offsets_t cur = in, acc;
		unsigned constrained = a->constrained;
		size_t n = atom(a, p + i, cur, ci, &cur);
		if (a->failed)
			break;
		uint32_t min, max;
		size_t q = quantifier(a, p + i + n, &min, &max);
		if (a->failed)
			break;
		/* The atom once is done; the rest of the repetitions until
		 * the offsets stop changing (they live in K + 1 bits). */
		const offsets_t beyond = single(LMAX);
		if (q > 0 && min == 0)
			cur = in;
		for (uint32_t k = 1; k < min && !same(&cur, &beyond) &&
				     !is_empty(&cur) && !a->failed;
		     k++)
			atom(a, p + i, cur, ci, &cur);
		acc = cur;
		for (uint32_t k = min > 0 ? min : 0; k < max && !a->failed; k++) {
			offsets_t next, u = acc;
			atom(a, p + i, cur, ci, &next);
			unite(&u, &next);
			if (same(&u, &acc))
				break;
			acc = u;
			cur = next;
		}
		/* A variable count of constraining atoms: later paths
		 * unite their sets with what stands at the same offsets (and
		 * {0} has consumed once, for nothing). */
		if ((min != max || max == 0) && a->constrained != constrained)
			a->inexact = true;
		in = acc;
		i += n + q;
	}
	*out = in;
	return i;
}

/* Alternatives up to ')' or the end. @return characters used (the ')'
 * excluded). */
static size_t
alternatives(struct analysis *a, const char *p, offsets_t in, bool ci,
	     offsets_t *out)
{
	size_t i = 0;
	unsigned constrained = a->constrained;
	memset(out, 0, sizeof(*out));
	for (unsigned branches = 1;; branches++) {
		offsets_t o;
		i += sequence(a, p + i, in, ci, &o);
		if (a->failed)
			return 0;
		unite(out, &o);
		if (p[i] != '|') {
			/* Branches that constrain bytes: their sets are united
			 * offset by offset, which is more than any branch. */
			if (branches > 1 && a->constrained != constrained)
				a->inexact = true;
			return i;
		}
		i++;
	}
}

/* Whether the pattern ends with \z (not an escaped backslash and z). */
static bool
ends_with_z(const char *p)
{
	size_t n = strlen(p), bs = 0;
	if (n < 2 || p[n - 1] != 'z')
		return false;
	while (bs < n - 1 && p[n - 2 - bs] == '\\')
		bs++;
	return bs % 2 == 1;
}

unsigned
pl_regex_prefix(const char *pattern, struct pl_regex_prefix *out)
{
	struct analysis a = {.failed = false};
	offsets_t end = {{0}};
	size_t i = 0;
	unsigned alternatives = 0;

	memset(out, 0, sizeof(*out));
	/* Every top-level alternative must start with ^. */
	for (;;) {
		if (pattern[i] != '^')
			return 0;
		offsets_t o;
		i += 1 + sequence(&a, pattern + i + 1, single(0), false, &o);
		if (a.failed)
			return 0;
		unite(&end, &o);
		alternatives++;
		if (pattern[i] != '|')
			break;
		i++;
	}
	if (pattern[i] != '\0' || is_empty(&end))
		return 0; /* an unmatched ')' */
	unsigned n = lowest(&end);
	out->n = n < K ? n : K;
	memcpy(out->sets, a.pos, out->n * sizeof(out->sets[0]));
	bool decided = alternatives == 1 && !a.inexact &&
		       a.constrained_end <= out->n;
	/* One alternative ending with \z: its lengths are the payload's. */
	if (alternatives == 1 && ends_with_z(pattern)) {
		out->end_anchored = true;
		memcpy(out->lengths.w, end.w, sizeof(end.w));
		out->exact = decided && !has(&end, LMAX);
	} else if (decided && n <= K) {
		/* Without \z the shortest match is enough: every payload at
		 * least that long whose bytes are in the sets matches. */
		for (unsigned l = n; l <= LMAX; l++)
			out->lengths.w[l / 64] |= 1ULL << (l % 64);
		out->exact = true;
	}
	return out->n;
}

/* Splitting into exact branches (pl_regex_branches). */

#define VISITS_MAX 1024 /* patterns looked at (expanded or analysed) */
#define DEPTH_MAX 16   /* groups expanded in one pattern: each level holds
			* a copy of it */

struct branches {
	struct pl_regex_prefix *out;
	unsigned n, max, visits, depth;
};

/* Whether the sets of x and y differ at one offset at most: @return it,
 * or -1 if they differ at more (K if at none). */
static int
one_difference(const struct pl_regex_prefix *x, const struct pl_regex_prefix *y)
{
	int at = K;
	for (unsigned o = 0; o < x->n; o++)
		if (memcmp(&x->sets[o], &y->sets[o], sizeof(x->sets[o]))) {
			if (at != K)
				return -1;
			at = (int)o;
		}
	return at;
}

/* Keep an exact branch, merged into one that differs from it at one
 * offset: their union is then the product of the sets, still exact. */
static void
keep(struct branches *b, const struct pl_regex_prefix *rp)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct pl_regex_prefix *x = &b->out[i];
		int at;
		if (x->n != rp->n || x->end_anchored != rp->end_anchored ||
		    memcmp(&x->lengths, &rp->lengths, sizeof(x->lengths)) ||
		    (at = one_difference(x, rp)) < 0)
			continue;
		if (at < K)
			for (int w = 0; w < 4; w++)
				x->sets[at].w[w] |= rp->sets[at].w[w];
		return;
	}
	if (b->n < b->max)
		b->out[b->n++] = *rp;
}

/* Where the group opening at p[0] ('(') ends (its ')'), and where its
 * content starts; @return false for a group that is not a plain or
 * non-capturing one, or does not end. */
static bool
plain_group(const char *p, size_t *content, size_t *close)
{
	*content = p[1] == '?' ? (p[2] == ':' ? 3 : 0) : 1;
	if (*content == 0)
		return false;
	size_t e = skip_group(p + *content);
	if (e == (size_t)-1 || p[*content + e] != ')')
		return false;
	*close = *content + e;
	return true;
}

/* The offset of the first '|' of p[0..n) outside groups and classes, or
 * n. */
static size_t
top_bar(const char *p, size_t n)
{
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			i++;
		} else if (p[i] == '[') {
			size_t k = skip_bracket(p + i);
			if (k == 0)
				return n;
			i += k - 1;
		} else if (p[i] == '(') {
			depth++;
		} else if (p[i] == ')') {
			depth--;
		} else if (p[i] == '|' && depth == 0) {
			return i;
		}
	}
	return n;
}

static void expand(struct branches *b, const char *p);

/* p with its alternative group p[at..close] replaced by each of its
 * alternatives in turn. */
static void
each_alternative(struct branches *b, const char *p, size_t at, size_t content,
		 size_t close)
{
	size_t len = strlen(p);
	char *q = malloc(len + 4);
	if (q == NULL)
		return;
	const char *c = p + at + content, *end = p + at + close;
	for (;;) {
		size_t n = top_bar(c, (size_t)(end - c));
		/* A non-capturing group keeps the alternative's precedence. */
		memcpy(q, p, at);
		memcpy(q + at, "(?:", 3);
		memcpy(q + at + 3, c, n);
		strcpy(q + at + 3 + n, end);
		expand(b, q);
		if (c + n == end)
			break;
		c += n + 1;
	}
	free(q);
}

/* The first alternative group of p's sequence (not quantified, not in a
 * quantified group) expanded, or p analysed if it has none. */
static void
expand(struct branches *b, const char *p)
{
	size_t i = 1; /* after the ^ */
	if (++b->visits > VISITS_MAX)
		return;
	while (p[i]) {
		if (p[i] == '\\' && p[i + 1]) {
			i += 2;
			continue;
		}
		if (p[i] == '[') {
			size_t k = skip_bracket(p + i);
			if (k == 0)
				return;
			i += k;
			continue;
		}
		size_t content, close;
		if (p[i] != '(') {
			i++;
			continue;
		}
		if (!plain_group(p + i, &content, &close)) {
			/* A look-around, a named or flag group: as it is (a
			 * negative look-ahead's alternatives are not subsets). */
			size_t e = skip_group(p + i + 1);
			if (e == (size_t)-1 || p[i + 1 + e] != ')')
				return;
			i += e + 2;
			continue;
		}
		char after = p[i + close + 1];
		bool quantified = after && strchr("*+?{", after);
		if (quantified) {
			i += close + 1;
		} else if (top_bar(p + i + content, close - content) <
			   close - content) {
			if (b->depth < DEPTH_MAX) {
				b->depth++;
				each_alternative(b, p, i, content, close);
				b->depth--;
			}
			return;
		} else {
			i += content; /* into a group without alternatives */
		}
	}
	struct pl_regex_prefix rp;
	if (pl_regex_prefix(p, &rp) && rp.exact)
		keep(b, &rp);
}

unsigned
pl_regex_branches(const char *pattern, struct pl_regex_prefix *out,
		  unsigned max)
{
	struct branches b = {.out = out, .max = max};
	size_t len = strlen(pattern);
	/* Replacing a capturing group would renumber the others. */
	for (size_t i = 0; i + 1 < len; i++) {
		if (pattern[i] == '\\' &&
		    (isdigit((unsigned char)pattern[i + 1]) ||
		     pattern[i + 1] == 'k'))
			return 0;
		if (pattern[i] == '\\')
			i++;
	}
	char *alt = malloc(len + 1);
	if (alt == NULL)
		return 0;
	for (size_t at = 0; at < len;) {
		size_t n = top_bar(pattern + at, len - at);
		memcpy(alt, pattern + at, n);
		alt[n] = '\0';
		if (alt[0] == '^')
			expand(&b, alt);
		at += n + 1;
	}
	free(alt);
	return b.n;
}
