/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for detection's fast path (lib/model anchored.c,
 * regex_prefix.c, truth tables of expr.c): each is checked against the
 * plain definition it replaces, on protocol messages built here and on
 * seeded mutations of them. The oracle for regexes is Hyperscan itself,
 * scanning without any prefilter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model-internal.h"
#include "model.h"
#include "model_test.h"

/* ---- Regex prefixes ---- */

static struct pl_regex_prefix
prefix_of(const char *re)
{
	struct pl_regex_prefix rp;
	pl_regex_prefix(re, &rp);
	return rp;
}

/* Offset i of rp holds exactly the bytes of `bytes` (NULL: all 256). */
static void
expect_at(const char *re, const struct pl_regex_prefix *rp, unsigned i,
	  const char *bytes)
{
	cr_assert_lt(i, rp->n, "%s: offset %u known", re, i);
	for (unsigned b = 0; b < 256; b++) {
		bool want = bytes == NULL || (b && strchr(bytes, (int)b));
		cr_assert_eq(pl_byteset_has(&rp->sets[i], (uint8_t)b), want,
			     "%s: offset %u byte 0x%02x %s", re, i, b,
			     want ? "missing" : "extra");
	}
}

Test(regex_prefix, literals_alternatives_and_classes)
{
	struct pl_regex_prefix rp = prefix_of("^GET /");
	cr_assert_eq(rp.n, 5);
	expect_at("^GET /", &rp, 0, "G");
	expect_at("^GET /", &rp, 4, "/");

	/* Alternatives of different lengths: each offset is the union of
	 * what every path has there; known as far as the shortest. */
	const char *alt = "^(GET|HEAD|M-SEARCH) ";
	rp = prefix_of(alt);
	cr_assert_eq(rp.n, 4);
	expect_at(alt, &rp, 0, "GHM");
	expect_at(alt, &rp, 1, "E-");
	expect_at(alt, &rp, 2, "TAS");
	expect_at(alt, &rp, 3, " DE");

	rp = prefix_of("^HTTP/1\\.[01]");
	cr_assert_eq(rp.n, 8);
	expect_at("^HTTP/1\\.[01]", &rp, 6, ".");
	expect_at("^HTTP/1\\.[01]", &rp, 7, "01");

	rp = prefix_of("^[\\x09\\x0b-\\x0d][\\s\\S]{3}");
	cr_assert_eq(rp.n, 4);
	expect_at("class", &rp, 0, "\x09\x0b\x0c\x0d");
	expect_at("class", &rp, 3, NULL);

	rp = prefix_of("^(?i:get)");
	expect_at("(?i:get)", &rp, 0, "gG");
	expect_at("(?i:get)", &rp, 2, "tT");

	rp = prefix_of("^[^\\r\\n]x");
	cr_assert(!pl_byteset_has(&rp.sets[0], '\r'));
	cr_assert(pl_byteset_has(&rp.sets[0], 0x00) &&
		  pl_byteset_has(&rp.sets[0], 0xff));
}

Test(regex_prefix, repetitions_widen_the_offsets)
{
	/* G+ET: a G at 0, then G or E, then G, E or T. */
	struct pl_regex_prefix rp = prefix_of("^G+ET");
	cr_assert_eq(rp.n, 3);
	expect_at("G+ET", &rp, 0, "G");
	expect_at("G+ET", &rp, 1, "GE");
	expect_at("G+ET", &rp, 2, "GET");

	/* An optional first atom: the next one may come first. */
	rp = prefix_of("^A*B");
	cr_assert_eq(rp.n, 1);
	expect_at("A*B", &rp, 0, "AB");
	rp = prefix_of("^A{0,2}B");
	cr_assert_eq(rp.n, 1);
	expect_at("A{0,2}B", &rp, 0, "AB");
	rp = prefix_of("^(A|B)?C");
	expect_at("(A|B)?C", &rp, 0, "ABC");

	/* A back-reference is any string: what follows may be anywhere. */
	rp = prefix_of("^(a)\\1b");
	cr_assert_eq(rp.n, 2);
	expect_at("(a)\\1b", &rp, 0, "a");
	expect_at("(a)\\1b", &rp, 1, NULL);
}

Test(regex_prefix, unanchored_or_not_understood_gives_nothing)
{
	const char *none[] = {"GET", "A|^B", "^A|B", "^(?x)a", "^(?m)a",
			      "^(A|B", "^a)", "^", "^*a", "^a{x}", "^.*",
			      "^a\\p", "^a\\p{L"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		cr_assert_eq(prefix_of(none[i]).n, 0, "%s", none[i]);
	/* Each top-level alternative anchored: the union. */
	struct pl_regex_prefix rp = prefix_of("^NOTIFY .*|^M-SEARCH .*");
	cr_assert_eq(rp.n, 7);
	expect_at("two", &rp, 0, "NM");
}

Test(regex_prefix, lengths_of_end_anchored_patterns)
{
	/* The project's NTP request regex: 48 bytes, with 20 or 24 more. */
	struct pl_regex_prefix rp =
		prefix_of("^[\\x09\\x0b][\\x00-\\x10][\\s\\S]{46}"
			  "(?:[\\s\\S]{20}|[\\s\\S]{24})?\\z");
	cr_assert(rp.end_anchored);
	for (unsigned l = 0; l <= PL_REGEX_LEN_MAX; l++)
		cr_assert_eq(rp.lengths.w[l / 64] >> (l % 64) & 1,
			     l == 48 || l == 68 || l == 72, "length %u", l);
	/* Longer than the lengths told apart: "that or more". */
	rp = prefix_of("^a{300}\\z");
	cr_assert(rp.end_anchored);
	cr_assert(rp.lengths.w[PL_REGEX_LEN_MAX / 64] >>
		  (PL_REGEX_LEN_MAX % 64) & 1);
	cr_assert_not(rp.lengths.w[0] | rp.lengths.w[1]);
	/* An escaped backslash before z is not \z; $ is not handled. */
	cr_assert_not(prefix_of("^a\\\\z").end_anchored);
	cr_assert_not(prefix_of("^a$").end_anchored);
	cr_assert_not(prefix_of("^a\\z|^b\\z").end_anchored);
}

Test(regex_prefix, exact_only_when_sets_and_lengths_decide)
{
	/* Byte sets at fixed offsets, "any byte" elsewhere, and \z or a
	 * shortest match. */
	const char *exact[] = {
		"^a[\\s\\S]{3}\\z", "^(?i:ab)[^x]\\z", "^(?:ab){2}\\z",
		"^a[bc]\\z", "^ab", "^ab[\\s\\S]*",
		"^[\\x09\\x0b][\\x00-\\x10][\\s\\S]{46}(?:[\\s\\S]{20}|[\\s\\S]{24})?\\z"};
	/* Java's `.` is not any byte; alternatives of constrained bytes or a
	 * variable count of them are more than their sets per offset; a set
	 * past the window is not checked; "256 or more" is not a length (a
	 * shortest match without \z is). */
	const char *not_exact[] = {
		"^a.\\z",	    "^(ab|cd)\\z",	   "^a?b\\z",
		"^xa?[\\s\\S]{3}\\z", "^(?:[\\s\\S]|a)b\\z", "^a[\\s\\S]{16}b\\z",
		"^ab[\\s\\S]*\\z",  "^a(?=b)[\\s\\S]\\z",  "^a[\\s\\S]{16}b",
		"^a\\b[\\s\\S]\\z", "^a[[:alpha:]]\\z", "^a\\pL\\z",
		"^(?i:[^a])\\z",  "^(?i)[^a]b\\z",   "^a{0}b\\z"};
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		cr_assert(prefix_of(exact[i]).exact, "%s", exact[i]);
	for (size_t i = 0; i < sizeof(not_exact) / sizeof(not_exact[0]); i++)
		cr_assert_not(prefix_of(not_exact[i]).exact, "%s",
			      not_exact[i]);
}

/* ---- Payloads: messages of the six protocols, and mutations ---- */

#define CORPUS_MAX 20000

struct corpus {
	uint8_t *p[CORPUS_MAX];
	uint32_t len[CORPUS_MAX];
	unsigned n;
};

static void
put(struct corpus *c, const void *p, uint32_t len)
{
	cr_assert_lt(c->n, CORPUS_MAX);
	c->p[c->n] = malloc(len ? len : 1);
	memcpy(c->p[c->n], p, len);
	c->len[c->n++] = len;
}

static void
put_text(struct corpus *c, const char *s)
{
	put(c, s, (uint32_t)strlen(s));
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void
build_corpus(struct corpus *c)
{
	static const char *texts[] = {
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"HEAD /x HTTP/1.0\r\n\r\n",
		"POST http://h/ HTTP/1.1\r\n\r\n",
		"CONNECT host:443 HTTP/1.1\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMX: 2\r\n\r\n",
		"NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 404\r\n\r\n",
		"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nst: upnp:x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nUSN: uuid:1\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		put_text(c, texts[i]);
	uint8_t b[400];
	/* NTP: every first byte, at the lengths that match and others. */
	static const uint32_t ntp_len[] = {12, 47, 48, 49, 64, 68, 72, 80};
	for (unsigned v = 0; v < 256; v += 3)
		for (size_t k = 0; k < sizeof(ntp_len) / sizeof(ntp_len[0]); k++) {
			memset(b, 0, sizeof(b));
			b[0] = (uint8_t)v;
			b[1] = (uint8_t)(k % 3 ? 2 : 0x81);
			put(c, b, ntp_len[k]);
		}
	/* TLS records and hellos. */
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x31, 0x01, 0x00,
					0x00, 0x2d, 0x03, 0x03, 0x00, 0x01};
	put(c, hello, sizeof(hello));
	memcpy(b, hello, sizeof(hello));
	b[5] = 0x02;
	put(c, b, sizeof(hello));
	static const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x00, 0x20, 0xaa};
	put(c, appdata, sizeof(appdata));
	/* DNS query and response, over UDP and TCP; a NetBIOS name. */
	static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
				    0x00, 0x00, 0x00, 0x00, 0x03, 'w', 'w', 'w',
				    0x00, 0x00, 0x01, 0x00, 0x01};
	put(c, q, sizeof(q));
	memcpy(b, q, sizeof(q));
	b[2] = 0x81;
	b[3] = 0x80;
	b[7] = 0x01;
	put(c, b, sizeof(q));
	b[0] = 0x00;
	b[1] = sizeof(q);
	memcpy(b + 2, q, sizeof(q));
	put(c, b, sizeof(q) + 2);
	memset(b, 0, sizeof(b));
	memcpy(b, q, 12);
	b[12] = 0x20;
	memset(b + 13, 'A', 32);
	put(c, b, 50);
	/* DHCP discover and offer, with and without the cookie. */
	memset(b, 0, sizeof(b));
	b[0] = 1, b[1] = 1, b[2] = 6;
	b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
	put(c, b, 300);
	b[0] = 2;
	put(c, b, 300);
	put(c, b, 239);
	/* Truncations of what is there so far (around the lengths that
	 * matter), then mutations. */
	static const uint32_t cut[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
				       13, 14, 15, 16, 17, 20, 24, 32, 46, 47,
				       48, 64, 68, 72, 236, 238, 240};
	unsigned base = c->n;
	for (unsigned i = 0; i < base; i++)
		for (size_t k = 0; k < sizeof(cut) / sizeof(cut[0]); k++)
			if (cut[k] < c->len[i])
				put(c, c->p[i], cut[k]);
	base = c->n;
	while (c->n < CORPUS_MAX) {
		unsigned i = next_rand() % base;
		uint32_t l = c->len[i] < sizeof(b) ? c->len[i] : sizeof(b);
		memcpy(b, c->p[i], l);
		for (unsigned k = next_rand() % 3 + 1; k > 0 && l; k--)
			b[next_rand() % (l < 16 ? l : 16)] = (uint8_t)next_rand();
		put(c, b, l);
	}
}

static void
free_corpus(struct corpus *c)
{
	for (unsigned i = 0; i < c->n; i++)
		free(c->p[i]);
}

/* ---- The reference: every matcher alone, the full scan, postfix ---- */

static int
mark(unsigned int id, unsigned long long from, unsigned long long to,
     unsigned int flags, void *ctx)
{
	struct pl_model_bits *bits = ctx;
	(void)from;
	(void)to;
	(void)flags;
	bits->w[id >> 6] |= 1ULL << (id & 63);
	return 0;
}

static struct pl_model_bits
reference_bits(const struct pl_model_set *s, struct pl_model_scratch *sc,
	       const uint8_t *p, uint32_t len)
{
	struct pl_model_bits bits = {{0}};
	for (unsigned i = 0; i < s->nb_matchers; i++)
		if (s->matchers[i].kind == MATCHER_BYTES &&
		    pl_bytes_match(&s->matchers[i].bytes, p, len))
			bits.w[i >> 6] |= 1ULL << (i & 63);
	if (s->db)
		cr_assert_eq(hs_scan(s->db, (const char *)p, len, 0, sc->hs, mark,
				     &bits), HS_SUCCESS);
	return bits;
}

static void
reference(const struct pl_model_set *s, const struct pl_model_bits *bits,
	  uint32_t cand, uint32_t *req, uint32_t *resp)
{
	*req = *resp = 0;
	for (unsigned m = 0; m < s->nb_models; m++) {
		if (!(cand >> m & 1))
			continue;
		const struct pl_model *md = &s->models[m];
		if (md->has_dir[0] && pl_expr_eval_postfix(&md->eval[0], bits))
			*req |= 1U << m;
		if (md->has_dir[1] && pl_expr_eval_postfix(&md->eval[1], bits))
			*resp |= 1U << m;
	}
}

static struct pl_model_set *
load(const char *dir)
{
	char err[1024] = "";
	struct pl_model_set *s = pl_model_set_load(dir, err, sizeof(err), NULL);
	cr_assert_not_null(s, "%s: %s", dir, err);
	return s;
}

/* What the fast path finds is what every matcher alone finds, for every
 * payload and for candidate sets of one model, of all, and in between. */
static void
same_as_reference(const char *dir, unsigned min_found)
{
	struct pl_model_set *s = load(dir);
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	cr_assert_not_null(sc);
	static struct corpus c;
	memset(&c, 0, sizeof(c));
	build_corpus(&c);
	uint32_t all = (1U << pl_model_count(s)) - 1;
	unsigned found = 0;
	for (unsigned i = 0; i < c.n; i++) {
		struct pl_model_bits bits = reference_bits(s, sc, c.p[i], c.len[i]);
		uint32_t cands[] = {all, 1U << (i % pl_model_count(s)),
				    all & ~(1U << (i % pl_model_count(s)))};
		/* Each protocol has its automaton; its models only are
		 * candidates there. */
		static const uint8_t protos[] = {6, 17};
		for (size_t k = 0; k < 6; k++) {
			uint8_t proto = protos[k / 3];
			uint32_t cand = cands[k % 3], req, resp, rreq, rresp;
			cr_assert_eq(pl_model_inspect(s, sc, proto, cand, c.p[i],
						      c.len[i], &req, &resp), 0);
			reference(s, &bits, cand & s->by_proto[proto], &rreq,
				  &rresp);
			cr_assert_eq(req, rreq, "%s: payload %u (%u bytes, "
				     "%02x %02x..) protocol %u candidates %x: "
				     "request %x, expected %x", dir, i, c.len[i],
				     c.p[i][0], c.len[i] > 1 ? c.p[i][1] : 0,
				     proto, cand, req, rreq);
			cr_assert_eq(resp, rresp, "%s: payload %u protocol %u "
				     "candidates %x: response %x, expected %x",
				     dir, i, proto, cand, resp, rresp);
			found += (req | resp) != 0;
		}
	}
	/* Not vacuous: the messages built are found. */
	cr_assert_geq(found, min_found, "%s: %u found", dir, found);
	free_corpus(&c);
	pl_model_scratch_free(sc);
	pl_model_set_free(s);
}

Test(anchored, project_models_same_as_each_matcher_alone, .timeout = 60)
{
	same_as_reference(PL_MODELS_DIR, 1000);
}

Test(anchored, published_models_same_as_each_matcher_alone, .timeout = 60)
{
	/* Their quirks find fewer (tests/unit/test_model.c). */
	same_as_reference(PL_SHARED_DIR "/protoiot/models", 300);
}

/* A regex's prefix and lengths never rule out a payload Hyperscan
 * matches: every match it reports is one the prefilter let through; and
 * an exact prefix lets through only what Hyperscan matches. */
static void
prefixes_sound(const char *dir, unsigned min_hits, unsigned *with_prefix,
	       unsigned *exact, unsigned *branch_hits)
{
	struct pl_model_set *s = load(dir);
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	static struct corpus c;
	memset(&c, 0, sizeof(c));
	build_corpus(&c);
	unsigned hits = 0;
	*branch_hits = 0;
	for (unsigned i = 0; i < c.n; i++) {
		struct pl_model_bits bits = {{0}};
		cr_assert_eq(hs_scan(s->db, (const char *)c.p[i], c.len[i], 0,
				     sc->hs, mark, &bits), HS_SUCCESS);
		for (unsigned m = 0; m < s->nb_matchers; m++) {
			const struct pl_matcher *mt = &s->matchers[m];
			uint32_t l = c.len[i] < PL_REGEX_LEN_MAX ? c.len[i]
								 : PL_REGEX_LEN_MAX;
			if (mt->kind == MATCHER_REGEX && mt->exact &&
			    !(bits.w[m >> 6] >> (m & 63) & 1))
				cr_assert(!pl_bytes_match(&mt->bytes, c.p[i],
							  c.len[i]) ||
					  !(mt->lengths.w[l / 64] >> (l % 64) & 1),
					  "%s: matcher %u is exact but lets "
					  "through payload %u that Hyperscan does "
					  "not match", dir, m, i);
			if (mt->kind != MATCHER_REGEX || mt->bytes.len == 0 ||
			    !(bits.w[m >> 6] >> (m & 63) & 1))
				continue;
			hits++;
			cr_assert(pl_bytes_match(&mt->bytes, c.p[i], c.len[i]),
				  "%s: matcher %u matched payload %u but its "
				  "prefix rules it out", dir, m, i);
			cr_assert(!mt->end_anchored ||
				  (mt->lengths.w[l / 64] >> (l % 64) & 1),
				  "%s: matcher %u matched %u bytes, not among "
				  "its lengths", dir, m, c.len[i]);
		}
		/* A branch's match is its regex's. */
		uint32_t l = c.len[i] < PL_REGEX_LEN_MAX ? c.len[i] : PL_REGEX_LEN_MAX;
		for (unsigned k = 0; k < s->nb_branches; k++) {
			const struct pl_matcher *b = &s->branches[k];
			unsigned m = s->branch_of[k];
			if (!pl_bytes_match(&b->bytes, c.p[i], c.len[i]) ||
			    !(b->lengths.w[l / 64] >> (l % 64) & 1))
				continue;
			(*branch_hits)++;
			cr_assert(bits.w[m >> 6] >> (m & 63) & 1,
				  "%s: branch %u of matcher %u matches payload "
				  "%u, which Hyperscan does not", dir, k, m, i);
		}
	}
	*with_prefix = *exact = 0;
	for (unsigned m = 0; m < s->nb_matchers; m++) {
		const struct pl_matcher *mt = &s->matchers[m];
		*with_prefix += mt->kind == MATCHER_REGEX && mt->bytes.len > 0;
		*exact += mt->kind == MATCHER_REGEX && mt->exact;
	}
	cr_assert_geq(hits, min_hits, "%s: only %u regex matches", dir, hits);
	free_corpus(&c);
	pl_model_scratch_free(sc);
	pl_model_set_free(s);
}

Test(regex_prefix, never_rules_out_what_hyperscan_matches, .timeout = 60)
{
	unsigned own, published, exact, branch_hits;
	prefixes_sound(PL_MODELS_DIR, 50, &own, &exact, &branch_hits);
	/* All five of the project's regexes (HTTP's two, NTP's two, SSDP's
	 * response) are anchored and understood; NTP's are exact, and HTTP's
	 * have exact branches that the crafted requests and responses hit. */
	cr_assert_eq(own, 5);
	cr_assert_eq(exact, 2);
	cr_assert_gt(branch_hits, 50);
	/* Of theirs, the two SSDP ones (HTTP's is not anchored). */
	prefixes_sound(PL_SHARED_DIR "/protoiot/models", 3, &published, &exact,
		       &branch_hits);
	cr_assert_eq(published, 2);
	cr_assert_eq(exact, 0);
}

/* Branch i of rp is n bytes long, with the bytes of sets[o] at offset o. */
static void
expect_branch(const char *re, const struct pl_regex_prefix *rp, unsigned n,
	      const char *const *sets)
{
	cr_assert(rp->exact, "%s", re);
	cr_assert_eq(rp->n, n, "%s: %u bytes, not %u", re, rp->n, n);
	for (unsigned o = 0; o < n; o++)
		expect_at(re, rp, o, sets[o]);
}

Test(regex_prefix, exact_branches, .timeout = 10)
{
	static struct pl_regex_prefix b[8];
	/* Each method with "/" or "*" (merged: they differ at one offset);
	 * the absolute form is not exact. */
	const char *req = "^(GET|HEAD) (/|\\*|[a-z]+://)";
	cr_assert_eq(pl_regex_branches(req, b, 8), 2);
	expect_branch(req, &b[0], 5, (const char *[]){"G", "E", "T", " ", "/*"});
	expect_branch(req, &b[1], 6,
		      (const char *[]){"H", "E", "A", "D", " ", "/*"});
	/* Lengths differ: not merged. */
	const char *resp = "^HTTP/1\\.[01] [0-9]{3}( |\\r\\n)";
	cr_assert_eq(pl_regex_branches(resp, b, 8), 2);
	cr_assert_eq(b[0].n, 13);
	cr_assert_eq(b[1].n, 14);
	expect_at(resp, &b[1], 12, "\r");
	/* Top-level alternatives, and a group inside a plain one. */
	const char *two = "^(?:(a|b)c)d|^e";
	cr_assert_eq(pl_regex_branches(two, b, 8), 2);
	expect_branch(two, &b[0], 3, (const char *[]){"ab", "c", "d"});
	expect_branch(two, &b[1], 1, (const char *[]){"e"});
	/* At most max; no more than 16 groups deep (the 17th group's
	 * alternatives would be the only way to an exact branch). */
	cr_assert_eq(pl_regex_branches("^(a|bc|def)", b, 2), 2);
	char deep[200] = "^";
	for (int g = 0; g < 16; g++)
		strcat(deep, "(a|a)");
	cr_assert_eq(pl_regex_branches(deep, b, 8), 1);
	strcat(deep, "(a|bc)");
	cr_assert_eq(pl_regex_branches(deep, b, 8), 0);
	/* Nor does a pattern of many wide groups take long: it stops after
	 * 1024 patterns (the test's timeout says it did). */
	char wide[2048] = "^";
	for (int g = 0; g < 20; g++)
		strcat(wide, "(a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t)");
	cr_assert_eq(pl_regex_branches(wide, b, 8), 0);
	/* None: a back-reference, a repeated group, alternatives under a
	 * negative look-ahead (its branches are not subsets), nothing
	 * exact. */
	const char *none[] = {"^(a|b)\\1", "^(a|bc)*d", "^x(?!(a|b))",
			      "^(a|b).", "(a|b)"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		cr_assert_eq(pl_regex_branches(none[i], b, 8), 0, "%s", none[i]);
}

Test(anchored, ntp_decided_without_a_scan)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	uint32_t ntp = 1U << model_index(s, "ntp");
	uint32_t cand = pl_model_candidates(s, 0x0800, 17, PL_MODE_UNICAST);
	cr_assert(cand & ntp);
	/* NTP's regexes are exact: with the Hyperscan database out of the
	 * way, a 48-byte client packet (version 4, mode 3) is still NTP,
	 * and a 64-byte datagram that starts like one (seen on a smart-lock
	 * hub) is not. */
	hs_database_t *db = s->db;
	s->db = NULL;
	uint8_t b[72] = {0x23, 0x01};
	uint32_t req, resp;
	cr_assert_eq(pl_model_inspect(s, sc, 17, cand, b, 48, &req, &resp), 0);
	cr_assert_eq(req & ntp, ntp);
	cr_assert_eq(pl_model_inspect(s, sc, 17, cand, b, 64, &req, &resp), 0);
	cr_assert_eq((req | resp) & ntp, 0);
	s->db = db;
	/* Nor does a TLS record on TCP ask for a scan. */
	cand = pl_model_candidates(s, 0x0800, 6, PL_MODE_UNICAST);
	const struct pl_anchored *tcp = &s->cls[s->class_of[6]].anch;
	uint32_t slots = 0;
	for (unsigned m = 0; m < s->nb_models; m++)
		if (cand >> m & 1)
			slots |= tcp->model_slots[m];
	static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x00, 0x31, 0x01, 0x00, 0x00};
	cr_assert_eq(pl_anchored_match(tcp, slots, tls, sizeof(tls)) &
		     tcp->regex, 0);
	pl_model_scratch_free(sc);
	pl_model_set_free(s);
}

/* HTTP's first branches (GET, and both forms of a status line) are in
 * the automaton: such payloads are HTTP without a scan, while a request
 * line of another form still needs one. So are the methods after CONNECT
 * as far as SUBSCRIBE: TCP's automaton has its own slots, which UDP's
 * models took most of when there was one automaton. */
Test(anchored, http_decided_by_its_branches)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	uint32_t http = 1U << model_index(s, "http");
	uint32_t cand = pl_model_candidates(s, 0x0800, 6, PL_MODE_UNICAST);
	static const char get[] = "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n",
			  ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			  proxy[] = "GET http://a/ HTTP/1.1\r\n\r\n";
	uint32_t req, resp;
	hs_database_t *db = s->db;
	s->db = NULL;
	cr_assert_eq(pl_model_inspect(s, sc, 6, cand, (const uint8_t *)get,
				      sizeof(get) - 1, &req, &resp), 0);
	cr_assert_eq(req & http, http);
	cr_assert_eq(pl_model_inspect(s, sc, 6, cand, (const uint8_t *)ok,
				      sizeof(ok) - 1, &req, &resp), 0);
	cr_assert_eq(resp & http, http);
	static const char *const methods[] = {
		"OPTIONS / HTTP/1.1\r\n", "TRACE / HTTP/1.1\r\n",
		"PATCH /a HTTP/1.1\r\n", "PROPFIND / HTTP/1.1\r\n",
		"PROPPATCH / HTTP/1.1\r\n", "MKCOL / HTTP/1.1\r\n",
		"COPY / HTTP/1.1\r\n", "MOVE / HTTP/1.1\r\n",
		"LOCK / HTTP/1.1\r\n", "UNLOCK / HTTP/1.1\r\n",
		"NOTIFY / HTTP/1.1\r\n", "SUBSCRIBE / HTTP/1.1\r\n"};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		cr_assert_eq(pl_model_inspect(s, sc, 6, cand,
					      (const uint8_t *)methods[i],
					      (uint32_t)strlen(methods[i]), &req,
					      &resp), 0);
		cr_assert_eq(req & http, http, "%s", methods[i]);
	}
	cr_assert_eq(pl_model_inspect(s, sc, 6, cand, (const uint8_t *)proxy,
				      sizeof(proxy) - 1, &req, &resp), 0);
	cr_assert_eq(req & http, 0);
	s->db = db;
	cr_assert_eq(pl_model_inspect(s, sc, 6, cand, (const uint8_t *)proxy,
				      sizeof(proxy) - 1, &req, &resp), 0);
	cr_assert_eq(req & http, http);
	pl_model_scratch_free(sc);
	pl_model_set_free(s);
}

/* The payload lines the worker prefetches reach the DHCP cookie, which
 * the automaton reads within its first steps. */
Test(anchored, reach_covers_the_first_steps)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint32_t reach = pl_model_reach(s);
	cr_assert_gt(reach, 236);
	cr_assert_leq(reach, PL_ANCH_MAX_END);
	pl_model_set_free(s);
}

/* Groups of steps pl_anchored_match walks for p: its loop, counted. */
static unsigned
groups_walked(const struct pl_anchored *a, uint32_t slots, const uint8_t *p,
	      uint32_t len)
{
	uint32_t alive = slots & (len < PL_ANCH_MAX_END ? a->fits[len]
						       : a->fits_long);
	unsigned g = 0;
	for (const struct pl_anch_step *st = a->steps; alive & st->pending;
	     st += PL_ANCH_GROUP, g++)
		for (unsigned k = 0; k < PL_ANCH_GROUP; k++)
			alive &= a->table[st[k].table]
					 [p[st[k].off < len ? st[k].off : 0]];
	return g;
}

/* A payload walks the automaton until the last offset of the patterns
 * it matches: a DHCP message is not walked through DNS's NetBIOS name
 * (offsets 12..45) to its cookie at 236. Laid out most selective first,
 * a discover walked 7 groups; now 3. A DNS query walked 3 and an NTP
 * packet 3. */
Test(anchored, short_patterns_are_not_walked_through_long_ones)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	const struct pl_anchored *a = &s->cls[s->class_of[17]].anch;
	uint32_t udp = 0;
	for (unsigned m = 0; m < s->nb_models; m++)
		if (pl_model_candidates(s, 0x0800, 17, PL_MODE_BROADCAST) >> m & 1)
			udp |= a->model_slots[m];
	uint32_t dhcp = a->model_slots[model_index(s, "dhcp")];
	static uint8_t b[300];
	b[0] = 1, b[1] = 1, b[2] = 6;
	b[236] = 0x63, b[237] = 0x82, b[238] = 0x53, b[239] = 0x63;
	cr_assert_neq(pl_anchored_match(a, udp, b, sizeof(b)) & dhcp, 0);
	cr_assert_leq(groups_walked(a, udp, b, sizeof(b)), 3);
	/* A DNS query and an NTP client packet: shortest first costs the
	 * query a group. */
	static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0,
				    0, 0, 1, 'a', 0, 0, 1, 0, 1};
	cr_assert_leq(groups_walked(a, udp, q, sizeof(q)), 4);
	static uint8_t ntp[48] = {0x23};
	cr_assert_leq(groups_walked(a, udp, ntp, sizeof(ntp)), 3);
	pl_model_set_free(s);
}

/* Models on five sets of IP protocols: four automata, the fourth shared
 * by the last two sets. Each model is found on its protocols and only
 * there, whichever automaton holds it. */
Test(anchored, protocols_past_four_classes_share_the_last)
{
	static const char *const protos[] = {"1", "6", "17", "47", "132",
					     "6, 17"};
	static const uint8_t on[][2] = {{1}, {6}, {17}, {47}, {132}, {6, 17}};
	char dir[64], path[128];
	snprintf(dir, sizeof(dir), "/tmp/pl-detect-test-%d", getpid());
	cr_assert_eq(mkdir(dir, 0700), 0);
	for (unsigned i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "%s/m%u.json", dir, i);
		FILE *f = fopen(path, "w");
		cr_assert_not_null(f);
		fprintf(f, "{\"info\":{\"abbreviation\":\"m%u\"},"
			"\"metadata\":{\"ether-types\":[\"0x0800\"],"
			"\"ip-protocols\":[%s],\"traffic-mode\":[\"UNICAST\"]},"
			"\"contents\":{\"request\":{\"matchers\":[{\"id\":1,"
			"\"matcher-type\":\"matcher:byteseek\",\"matcher-pattern\":"
			"{\"pattern\":\"'m' %02x\",\"index\":0}}],\"eval\":\"1\"},"
			"\"protocol\":\"request\"}}",
			i, protos[i], i);
		fclose(f);
	}
	struct pl_model_set *s = load(dir);
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	for (unsigned i = 0; i < 6; i++) {
		snprintf(path, sizeof(path), "%s/m%u.json", dir, i);
		unlink(path);
	}
	rmdir(dir);
	cr_assert_eq(s->nb_classes, PL_MODEL_CLASSES);
	cr_assert_eq(s->class_of[47], s->class_of[132]);
	static const uint8_t all[] = {1, 6, 17, 47, 132};
	for (unsigned i = 0; i < 6; i++) {
		unsigned m = (unsigned)model_index(s, (char[]){'m', (char)('0' + i), 0});
		uint8_t b[8] = {'m', (uint8_t)i, 1, 2, 3};
		for (size_t k = 0; k < sizeof(all); k++) {
			uint8_t p = all[k];
			uint32_t cand = pl_model_candidates(s, 0x0800, p,
							    PL_MODE_UNICAST);
			uint32_t req, resp;
			cr_assert_eq(pl_model_inspect(s, sc, p, cand, b, sizeof(b),
						      &req, &resp), 0);
			bool want = p == on[i][0] || (on[i][1] && p == on[i][1]);
			cr_assert_eq(req, want ? 1U << m : 0U, "m%u on %u: %x", i,
				     p, req);
		}
	}
	pl_model_scratch_free(sc);
	pl_model_set_free(s);
}

/* ---- Truth tables ---- */

static int
resolve_digit(const char *ident, size_t len, void *arg)
{
	(void)arg;
	return len >= 1 ? atoi(ident) : -1;
}

Test(expr, truth_table_same_as_postfix)
{
	const char *exprs[] = {"1 & 2", "(1 | 2 | 3 | 4) & !5", "!1",
			       "60 | 61 & !62", "1 | 7", "63 & 64", "0"};
	const bool table[] = {true, true, true, true, false, false, true};
	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		struct pl_expr e;
		char err[200];
		cr_assert_eq(pl_expr_compile(exprs[i], resolve_digit, NULL, &e,
					     err, sizeof(err)), 0, "%s", err);
		/* Within 6 bits of one word: a table; wider or across two
		 * words: the operations. */
		cr_assert_eq(e.tt_bits != 0, table[i], "%s", exprs[i]);
		/* Bits 0-5, 58-63 and 64, in every combination. */
		for (unsigned v = 0; v < 8192; v++) {
			struct pl_model_bits b = {{0}};
			for (unsigned k = 0; k < 13; k++)
				if (v >> k & 1) {
					unsigned bit = k < 6 ? k : k < 12 ? 52 + k : 64;
					b.w[bit >> 6] |= 1ULL << (bit & 63);
				}
			cr_assert_eq(pl_expr_eval(&e, &b),
				     pl_expr_eval_postfix(&e, &b), "%s, bits %x",
				     exprs[i], v);
		}
	}
}
