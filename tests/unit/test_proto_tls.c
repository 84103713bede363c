/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TLS dissector on hellos and certificates built here from the RFC 8446
 * / RFC 5246 / RFC 5280 structures, with known fields: values, records
 * splits, GREASE, every truncation point (in exactly sized buffers, so that
 * ASan sees any over-read), inconsistent lengths, and the published JA3,
 * JA3S and JA4 examples. Expected fingerprints are computed here from the
 * fields, never taken from the dissector.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "proto.h"

/* ------------------------------------------------------------ builder */

/* A byte buffer with nested length-prefixed vectors (TLS) and DER TLVs. */
struct b {
	uint8_t p[16384];
	size_t n;
	size_t at[16];
	int lb[16]; /* length bytes; 0 = DER */
	int sp;
};

static void
u8(struct b *b, unsigned v)
{
	cr_assert_lt(b->n, sizeof(b->p));
	b->p[b->n++] = (uint8_t)v;
}

static void
u16(struct b *b, unsigned v)
{
	u8(b, v >> 8);
	u8(b, v & 0xff);
}

static void
raw(struct b *b, const void *s, size_t n)
{
	cr_assert_leq(b->n + n, sizeof(b->p));
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* Open a TLS vector with an lbytes-byte length (filled by end()). */
static void
vec(struct b *b, int lbytes)
{
	b->at[b->sp] = b->n;
	b->lb[b->sp++] = lbytes;
	for (int i = 0; i < lbytes; i++)
		u8(b, 0);
}

/* Open a DER element: tag now, the minimal length at end(). */
static void
der(struct b *b, unsigned tag)
{
	u8(b, tag);
	b->at[b->sp] = b->n;
	b->lb[b->sp++] = 0;
	u8(b, 0);
}

static void
end(struct b *b)
{
	size_t at = b->at[--b->sp];
	int lb = b->lb[b->sp];
	if (lb > 0) {
		size_t len = b->n - at - (size_t)lb;
		for (int i = 0; i < lb; i++)
			b->p[at + (size_t)i] =
				(uint8_t)(len >> (8 * (lb - 1 - i)));
		return;
	}
	size_t len = b->n - at - 1;
	if (len < 128) {
		b->p[at] = (uint8_t)len;
		return;
	}
	int k = len < 256 ? 1 : 2; /* X.690 10.1: the fewest octets */
	memmove(b->p + at + 1 + k, b->p + at + 1, len);
	b->p[at] = (uint8_t)(0x80 | k);
	for (int i = 0; i < k; i++)
		b->p[at + 1 + (size_t)i] = (uint8_t)(len >> (8 * (k - 1 - i)));
	b->n += (size_t)k;
}

/* A handshake message: type, uint24 length, body. */
static void
hs_begin(struct b *b, unsigned type)
{
	u8(b, type);
	vec(b, 3);
}

/* Wrap a handshake stream into records of content type 22 and the given
 * version, cut at the given offsets of the stream. */
static size_t
records(uint8_t *out, const uint8_t *hs, size_t n, unsigned version,
	const size_t *cuts, int ncuts)
{
	size_t o = 0, from = 0;
	for (int i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : n;
		out[o++] = 22;
		out[o++] = (uint8_t)(version >> 8);
		out[o++] = (uint8_t)version;
		out[o++] = (uint8_t)((to - from) >> 8);
		out[o++] = (uint8_t)(to - from);
		memcpy(out + o, hs + from, to - from);
		o += to - from;
		from = to;
	}
	return o;
}

/* ------------------------------------------------------------ hellos */

struct ch_spec {
	unsigned version;
	const uint16_t *suites;
	size_t n_suites;
	const uint16_t *exts; /* in order; bodies made from the lists below */
	size_t n_exts;
	const char *sni;
	const char *const *alpn;
	size_t n_alpn;
	const uint16_t *groups;
	size_t n_groups;
	const uint8_t *formats;
	size_t n_formats;
	const uint16_t *sigalgs;
	size_t n_sigalgs;
	const uint16_t *versions;
	size_t n_versions;
};

/* RFC 8446 4.1.2 ClientHello (legacy fields as RFC 5246 7.4.1.2). */
static void
client_hello(struct b *b, const struct ch_spec *s)
{
	hs_begin(b, 1);
	u16(b, s->version);
	for (int i = 0; i < 32; i++)
		u8(b, (unsigned)i); /* random */
	vec(b, 1); /* legacy_session_id */
	for (int i = 0; i < 32; i++)
		u8(b, 0xa0 + (unsigned)i % 16);
	end(b);
	vec(b, 2);
	for (size_t i = 0; i < s->n_suites; i++)
		u16(b, s->suites[i]);
	end(b);
	vec(b, 1);
	u8(b, 0); /* null compression */
	end(b);
	if (s->n_exts) {
		vec(b, 2);
		for (size_t i = 0; i < s->n_exts; i++) {
			u16(b, s->exts[i]);
			vec(b, 2);
			switch (s->exts[i]) {
			case 0: /* RFC 6066 3 */
				vec(b, 2);
				u8(b, 0);
				vec(b, 2);
				raw(b, s->sni, strlen(s->sni));
				end(b);
				end(b);
				break;
			case 16: /* RFC 7301 3.1 */
				vec(b, 2);
				for (size_t k = 0; k < s->n_alpn; k++) {
					vec(b, 1);
					raw(b, s->alpn[k], strlen(s->alpn[k]));
					end(b);
				}
				end(b);
				break;
			case 10:
				vec(b, 2);
				for (size_t k = 0; k < s->n_groups; k++)
					u16(b, s->groups[k]);
				end(b);
				break;
			case 11:
				vec(b, 1);
				for (size_t k = 0; k < s->n_formats; k++)
					u8(b, s->formats[k]);
				end(b);
				break;
			case 13:
				vec(b, 2);
				for (size_t k = 0; k < s->n_sigalgs; k++)
					u16(b, s->sigalgs[k]);
				end(b);
				break;
			case 43:
				vec(b, 1);
				for (size_t k = 0; k < s->n_versions; k++)
					u16(b, s->versions[k]);
				end(b);
				break;
			default: /* other extensions: some opaque bytes */
				if (s->exts[i] % 3 == 0)
					raw(b, "\x01\x02\x03", 3);
				break;
			}
			end(b);
		}
		end(b);
	}
	end(b);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A ClientHello with every field the dissector reads, GREASE included. */
static const uint16_t t_suites[] = {0x2a2a, 0x1301, 0x1302, 0xc02b,
				    0xc02f, 0x009c, 0x00ff};
static const uint16_t t_exts[] = {0x4a4a, 0, 23, 65281, 10, 11, 35, 16,
				  5, 13, 18, 51, 45, 43, 27, 21};
static const char *const t_alpn[] = {"h2", "http/1.1"};
static const uint16_t t_groups[] = {0x8a8a, 29, 23, 24};
static const uint8_t t_formats[] = {0};
static const uint16_t t_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503,
				     0x0805, 0x0501, 0x0806, 0x0601};
static const uint16_t t_versions[] = {0xdada, 0x0304, 0x0303};

static const struct ch_spec t_spec = {
	0x0303, t_suites, N(t_suites), t_exts, N(t_exts), "example.com",
	t_alpn, N(t_alpn), t_groups, N(t_groups), t_formats, N(t_formats),
	t_sigalgs, N(t_sigalgs), t_versions, N(t_versions)};

/* ------------------------------------------------------------ running */

static char outbuf[65536];

/* Dissect a copy of p[0..n) in a buffer of exactly n bytes. */
static enum pl_dissect_result
run(const uint8_t *p, size_t n, json_t **j)
{
	uint8_t *copy = malloc(n ? n : 1);
	cr_assert_not_null(copy);
	memcpy(copy, p, n);
	struct pl_attrs a;
	pl_attrs_init(&a, outbuf, sizeof(outbuf));
	enum pl_dissect_result r = pl_tls_dissect(copy, n, &a);
	pl_attrs_finish(&a);
	free(copy);
	json_error_t e;
	*j = json_loads(outbuf, 0, &e);
	cr_assert_not_null(*j, "not JSON (%s): %s", e.text, outbuf);
	cr_assert(!a.truncated, "output truncated: %s", outbuf);
	return r;
}

static json_t *
obj(json_t *j, const char *path)
{
	/* "a.b": nested members */
	char tmp[128];
	snprintf(tmp, sizeof(tmp), "%s", path);
	json_t *cur = j;
	for (char *s = strtok(tmp, "."); s && cur; s = strtok(NULL, "."))
		cur = json_object_get(cur, s);
	return cur;
}

static const char *
str(json_t *j, const char *path)
{
	json_t *v = obj(j, path);
	cr_assert(json_is_string(v), "%s is not a string in %s", path,
		  outbuf);
	return json_string_value(v);
}

static long long
num(json_t *j, const char *path)
{
	json_t *v = obj(j, path);
	cr_assert(json_is_integer(v), "%s is not an integer in %s", path,
		  outbuf);
	return json_integer_value(v);
}

static bool
is_malformed(json_t *j)
{
	return json_is_true(json_object_get(j, "malformed"));
}

/* The hex strings of a JSON array as a comma-joined list. */
static void
join(json_t *arr, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		int k = json_is_string(v)
				? snprintf(out + o, cap - o, "%s%s", i ? "," : "",
					   json_string_value(v))
				: snprintf(out + o, cap - o, "%s%lld",
					   i ? "," : "", json_integer_value(v));
		o += (size_t)k;
	}
}

static void
digest_hex(const char *md, const void *p, size_t n, char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	cr_assert(EVP_Digest(p, n, d, &dl, EVP_get_digestbyname(md), NULL));
	for (unsigned i = 0; i < dl; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static bool
grease(unsigned v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* JA3 string from the spec's fields (salesforce/ja3 README). */
static void
ja3_of(const struct ch_spec *s, char *out, size_t cap)
{
	size_t o = (size_t)snprintf(out, cap, "%u,", s->version);
	const uint16_t *lists[3] = {s->suites, s->exts, s->groups};
	size_t ns[3] = {s->n_suites, s->n_exts, s->n_groups};
	for (int l = 0; l < 3; l++) {
		bool first = true;
		for (size_t i = 0; i < ns[l]; i++) {
			if (grease(lists[l][i]))
				continue;
			o += (size_t)snprintf(out + o, cap - o, "%s%u",
					      first ? "" : "-", lists[l][i]);
			first = false;
		}
		o += (size_t)snprintf(out + o, cap - o, ",");
	}
	for (size_t i = 0; i < s->n_formats; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%u", i ? "-" : "",
				      s->formats[i]);
}

/* ------------------------------------------------------------ tests */

Test(tls, client_hello_fields)
{
	struct b hs = {0};
	uint8_t rec[20000];
	client_hello(&hs, &t_spec);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert(!is_malformed(j));
	cr_assert_eq(num(j, "client_hello.record_version"), 0x0301);
	cr_assert_eq(num(j, "client_hello.legacy_version"), 0x0303);
	char l[2048];
	join(obj(j, "client_hello.cipher_suites"), l, sizeof(l));
	cr_assert_str_eq(l, "2a2a,1301,1302,c02b,c02f,009c,00ff",
			 "GREASE stays in the list, in order");
	join(obj(j, "client_hello.extensions"), l, sizeof(l));
	cr_assert_str_eq(
		l, "19018,0,23,65281,10,11,35,16,5,13,18,51,45,43,27,21");
	cr_assert_str_eq(str(j, "client_hello.sni"), "example.com");
	join(obj(j, "client_hello.alpn"), l, sizeof(l));
	cr_assert_str_eq(l, "h2,http/1.1");
	join(obj(j, "client_hello.supported_groups"), l, sizeof(l));
	cr_assert_str_eq(l, "35466,29,23,24");
	join(obj(j, "client_hello.ec_point_formats"), l, sizeof(l));
	cr_assert_str_eq(l, "0");
	join(obj(j, "client_hello.signature_algorithms"), l, sizeof(l));
	cr_assert_str_eq(l, "0403,0804,0401,0503,0805,0501,0806,0601");
	join(obj(j, "client_hello.supported_versions"), l, sizeof(l));
	cr_assert_str_eq(l, "56026,772,771");
	cr_assert(json_is_true(obj(j, "client_hello.grease")));
	cr_assert_null(obj(j, "client_hello.over_limit"));
	cr_assert_null(obj(j, "server_hello"));
	cr_assert_null(obj(j, "certificate"));

	/* JA3 from the fields, GREASE left out; its MD5. */
	char ja3[1024], md5[33];
	ja3_of(&t_spec, ja3, sizeof(ja3));
	cr_assert_str_eq(str(j, "client_hello.ja3"), ja3);
	digest_hex("MD5", ja3, strlen(ja3), md5);
	cr_assert_str_eq(str(j, "client_hello.ja3_hash"), md5);
	json_decref(j);
}

/* salesforce/ja3's format on the JA3 that Suricata's test tls13-draft28
 * expects (tls.ja3.string and .hash in its test.yaml): a ClientHello built
 * with those fields (plus GREASE, which JA3 leaves out) gives that string,
 * and the MD5 of the string is the published hash. */
Test(tls, ja3_published_example)
{
	static const uint16_t suites[] = {
		0x0a0a, 4866, 4867, 4865, 4868, 49196, 52393, 49325, 49162,
		49195, 49324, 49161, 49200, 52392, 49172, 49199, 49171, 157,
		49309, 53, 156, 49308, 47, 159, 52394, 49311, 57, 158, 49310,
		51};
	static const uint16_t exts[] = {5, 10, 11, 13, 22, 23, 35, 0xfafa, 51,
					43, 65281, 0, 45, 41};
	static const uint16_t groups[] = {0x1a1a, 23};
	static const uint8_t formats[] = {0};
	static const uint16_t sig[] = {0x0403};
	static const uint16_t vers[] = {0x7f1c};
	static const char *const no_alpn[1] = {NULL};
	struct ch_spec s = {771, suites, N(suites), exts, N(exts), "localhost",
			    no_alpn, 0, groups, N(groups), formats,
			    N(formats), sig, N(sig), vers, N(vers)};
	const char *want =
		"771,4866-4867-4865-4868-49196-52393-49325-49162-49195-49324-"
		"49161-49200-52392-49172-49199-49171-157-49309-53-156-49308-47-"
		"159-52394-49311-57-158-49310-51,5-10-11-13-22-23-35-51-43-"
		"65281-0-45-41,23,0";
	char ja3[1024], md5[33];
	ja3_of(&s, ja3, sizeof(ja3));
	cr_assert_str_eq(ja3, want, "the test's own JA3 of the fields");
	digest_hex("MD5", want, strlen(want), md5);
	cr_assert_str_eq(md5, "d00857e0c8e7a7f35e446508c6233460");

	struct b hs = {0};
	uint8_t rec[20000];
	client_hello(&hs, &s);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert_str_eq(str(j, "client_hello.ja3"), want);
	cr_assert_str_eq(str(j, "client_hello.ja3_hash"),
			 "d00857e0c8e7a7f35e446508c6233460");
	/* 0x7f1c (draft 28) is not a version JA4 knows: "00". */
	cr_assert_eq(strncmp(str(j, "client_hello.ja4"), "t00d2913", 8), 0,
		     "%s", str(j, "client_hello.ja4"));
	json_decref(j);
}

/* The example of FoxIO's technical_details/JA4.md, with GREASE added to
 * every list (JA4 ignores it): t13d1516h2_8daaf6152771_e5627efa2ab1. */
Test(tls, ja4_published_example)
{
	static const uint16_t suites[] = {0xbaba, 0x1301, 0x1302, 0x1303,
					  0xc02b, 0xc02f, 0xc02c, 0xc030,
					  0xcca9, 0xcca8, 0xc013, 0xc014,
					  0x009c, 0x009d, 0x002f, 0x0035};
	static const uint16_t exts[] = {0x3a3a, 0x001b, 0x0000, 0x0033,
					0x0010, 0x4469, 0x0017, 0x002d,
					0x000d, 0x0005, 0x0023, 0x0012,
					0x002b, 0xff01, 0x000b, 0x000a,
					0x0015, 0x9a9a};
	static const uint16_t sig[] = {0x0403, 0x0804, 0x0401, 0x0503,
				       0x0805, 0x0501, 0x0806, 0x0601};
	static const uint16_t groups[] = {0xcaca, 29, 23, 24};
	static const uint8_t formats[] = {0};
	static const uint16_t vers[] = {0x6a6a, 0x0304, 0x0303};
	static const char *const alpn[] = {"h2", "http/1.1"};
	struct ch_spec s = {0x0303, suites, N(suites), exts, N(exts),
			    "example.org", alpn, N(alpn), groups, N(groups),
			    formats, N(formats), sig, N(sig), vers, N(vers)};
	struct b hs = {0};
	uint8_t rec[20000];
	client_hello(&hs, &s);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert_str_eq(str(j, "client_hello.ja4"),
			 "t13d1516h2_8daaf6152771_e5627efa2ab1");

	/* The two hashes, from the texts the spec shows. */
	char h[65];
	const char *b = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,"
			"c02c,c02f,c030,cca8,cca9";
	digest_hex("SHA256", b, strlen(b), h);
	cr_assert_eq(strncmp(h, "8daaf6152771", 12), 0);
	const char *c = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,"
			"002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,"
			"0806,0601";
	digest_hex("SHA256", c, strlen(c), h);
	cr_assert_eq(strncmp(h, "e5627efa2ab1", 12), 0);
	json_decref(j);
}

/* JA4 section a: no SNI -> 'i', no ALPN -> "00", non-alphanumeric ALPN
 * ends -> hex characters (the spec's examples 0xAB 0xCD -> "ad", 0x30 0xAB
 * 0xCD 0x31 -> "01", 0x30 0xAB -> "3b"), one character -> twice; no
 * extensions left -> JA4_c of twelve zeros. */
Test(tls, ja4_edge_cases)
{
	static const uint16_t suites[] = {0x002f};
	static const uint16_t exts_alpn[] = {16};
	static const char *const alpn1[] = {"\xab\xcd"};
	static const char *const alpn2[] = {"0\xab\xcd" "1"};
	static const char *const alpn3[] = {"x"};
	static const char *const alpn4[] = {"0\xab"};
	struct {
		const uint16_t *exts;
		size_t n_exts;
		const char *const *alpn;
		const char *want;
	} cases[] = {
		{NULL, 0, NULL, "t12i010000_"},
		{exts_alpn, 1, alpn1, "t12i0101ad_"},
		{exts_alpn, 1, alpn2, "t12i010101_"},
		{exts_alpn, 1, alpn3, "t12i0101xx_"},
		{exts_alpn, 1, alpn4, "t12i01013b_"},
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct ch_spec s = {0x0303, suites, 1, cases[i].exts,
				    cases[i].n_exts, NULL, cases[i].alpn, 1,
				    NULL, 0, NULL, 0, NULL, 0, NULL, 0};
		struct b hs = {0};
		uint8_t rec[4096];
		client_hello(&hs, &s);
		size_t n = records(rec, hs.p, hs.n, 0x0303, NULL, 0);
		json_t *j;
		cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
		const char *ja4 = str(j, "client_hello.ja4");
		cr_assert_eq(strncmp(ja4, cases[i].want, 11), 0, "case %zu: %s",
			     i, ja4);
		/* ALPN 0x10 is left out of the hash: nothing is left. */
		cr_assert_str_eq(ja4 + 24, "000000000000", "case %zu", i);
		json_decref(j);
	}
}

/* A ClientHello split over 2 and over 3 records (one split inside the
 * handshake header), and over one-byte records: the same attributes. */
Test(tls, client_hello_over_records)
{
	struct b hs = {0};
	static uint8_t rec[40000];
	client_hello(&hs, &t_spec);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK);
	char *whole = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);

	size_t two[] = {hs.n / 2};
	size_t three[] = {2, hs.n - 7};
	size_t *sets[] = {two, three};
	int counts[] = {1, 2};
	for (int k = 0; k < 2; k++) {
		n = records(rec, hs.p, hs.n, 0x0301, sets[k], counts[k]);
		cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
		char *got = json_dumps(j, JSON_SORT_KEYS);
		cr_assert_str_eq(got, whole, "%d records", counts[k] + 1);
		free(got);
		json_decref(j);
	}
	size_t ones[512];
	cr_assert_lt(hs.n, N(ones));
	for (size_t i = 0; i + 1 < hs.n; i++)
		ones[i] = i + 1;
	n = records(rec, hs.p, hs.n, 0x0301, ones, (int)hs.n - 1);
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	char *got = json_dumps(j, JSON_SORT_KEYS);
	cr_assert_str_eq(got, whole, "one-byte records");
	free(got);
	json_decref(j);
	free(whole);
}

/* Every prefix of a valid ClientHello, whole and in 3 records: valid JSON,
 * malformed unless whole, never a fingerprint of a cut hello; the buffers
 * are exactly sized so that ASan (make test-sanitize) sees any over-read. */
Test(tls, every_truncation_point)
{
	struct b hs = {0};
	uint8_t rec[20000];
	client_hello(&hs, &t_spec);
	for (int layout = 0; layout < 2; layout++) {
		size_t three[] = {3, hs.n / 2};
		size_t n = records(rec, hs.p, hs.n, 0x0301, three,
				   layout ? 2 : 0);
		for (size_t len = 0; len <= n; len++) {
			json_t *j;
			enum pl_dissect_result r = run(rec, len, &j);
			if (len == n) {
				cr_assert_eq(r, PL_DISSECT_OK);
				cr_assert(!is_malformed(j));
				cr_assert_not_null(obj(j, "client_hello.ja4"));
			} else {
				cr_assert_eq(r, PL_DISSECT_MALFORMED,
					     "prefix %zu of %zu: %s", len, n,
					     outbuf);
				cr_assert(is_malformed(j), "prefix %zu", len);
				cr_assert_null(obj(j, "client_hello.ja3"));
				cr_assert_null(obj(j, "client_hello.ja4"));
			}
			json_decref(j);
		}
	}
}

/* What a cut hello still yields: the fields read, a partial suite list. */
Test(tls, cut_hello_keeps_what_was_read)
{
	struct b hs = {0};
	uint8_t rec[20000];
	client_hello(&hs, &t_spec);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	/* record 5 + header 4 + version 2 + random 32 + sid 33 + len 2 +
	 * 3 suites */
	size_t cut = 5 + 4 + 2 + 32 + 33 + 2 + 6;
	cr_assert_lt(cut, n);
	json_t *j;
	cr_assert_eq(run(rec, cut, &j), PL_DISSECT_MALFORMED);
	char l[256];
	join(obj(j, "client_hello.cipher_suites"), l, sizeof(l));
	cr_assert_str_eq(l, "2a2a,1301,1302");
	cr_assert_eq(num(j, "client_hello.legacy_version"), 0x0303);
	cr_assert_null(obj(j, "client_hello.extensions"));
	json_decref(j);
}

/* RFC 8446 4.1.3 ServerHello of TLS 1.3 (supported_versions), then the
 * middlebox ChangeCipherSpec and encrypted records: read no further. */
Test(tls, server_hello_tls13)
{
	struct b hs = {0};
	hs_begin(&hs, 2);
	u16(&hs, 0x0303);
	for (int i = 0; i < 32; i++)
		u8(&hs, 0x11);
	vec(&hs, 1);
	end(&hs);
	u16(&hs, 0x1301);
	u8(&hs, 0);
	vec(&hs, 2);
	u16(&hs, 43); /* supported_versions: one version */
	vec(&hs, 2);
	u16(&hs, 0x0304);
	end(&hs);
	u16(&hs, 51); /* key_share */
	vec(&hs, 2);
	u16(&hs, 29);
	vec(&hs, 2);
	for (int i = 0; i < 32; i++)
		u8(&hs, 7);
	end(&hs);
	end(&hs);
	end(&hs);
	end(&hs);
	uint8_t rec[4096];
	size_t n = records(rec, hs.p, hs.n, 0x0303, NULL, 0);
	static const uint8_t tail[] = {20, 3, 3, 0, 1, 1, 23, 3, 3, 0, 4, 9,
				       9, 9, 9};
	memcpy(rec + n, tail, sizeof(tail));
	n += sizeof(tail);
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert_eq(num(j, "server_hello.legacy_version"), 0x0303);
	cr_assert_eq(num(j, "server_hello.version"), 0x0304);
	cr_assert_str_eq(str(j, "server_hello.cipher_suite"), "1301");
	char l[64];
	join(obj(j, "server_hello.extensions"), l, sizeof(l));
	cr_assert_str_eq(l, "43,51");
	cr_assert_str_eq(str(j, "server_hello.ja3s"), "771,4865,43-51");
	cr_assert_null(obj(j, "server_hello.hello_retry_request"));
	cr_assert_null(obj(j, "client_hello"));
	json_decref(j);

	/* The same with the HelloRetryRequest random (RFC 8446 4.1.3). */
	static const uint8_t hrr[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
		0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
		0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
	memcpy(rec + 5 + 4 + 2, hrr, 32);
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK);
	cr_assert(json_is_true(obj(j, "server_hello.hello_retry_request")));
	json_decref(j);
}

/* The JA3S that Suricata's test tls-ja3s expects: "771,49199,65281-0-11-
 * 16-23" and its MD5 5d79edf64e03689ff559a54e9d9487bc. A warning alert
 * (unrecognized_name) before the ServerHello is passed over. */
static size_t
server_hello_12(uint8_t *out)
{
	struct b hs = {0};
	hs_begin(&hs, 2);
	u16(&hs, 0x0303);
	for (int i = 0; i < 32; i++)
		u8(&hs, (unsigned)i);
	vec(&hs, 1);
	for (int i = 0; i < 32; i++)
		u8(&hs, 0x55);
	end(&hs);
	u16(&hs, 49199);
	u8(&hs, 0);
	vec(&hs, 2);
	u16(&hs, 65281);
	vec(&hs, 2);
	u8(&hs, 0);
	end(&hs);
	u16(&hs, 0);
	vec(&hs, 2);
	end(&hs);
	u16(&hs, 11);
	vec(&hs, 2);
	vec(&hs, 1);
	u8(&hs, 0);
	end(&hs);
	end(&hs);
	u16(&hs, 16);
	vec(&hs, 2);
	vec(&hs, 2);
	vec(&hs, 1);
	raw(&hs, "h2", 2);
	end(&hs);
	end(&hs);
	end(&hs);
	u16(&hs, 23);
	vec(&hs, 2);
	end(&hs);
	end(&hs);
	end(&hs);
	static const uint8_t alert[] = {21, 3, 3, 0, 2, 1, 112};
	memcpy(out, alert, sizeof(alert));
	return sizeof(alert) +
	       records(out + sizeof(alert), hs.p, hs.n, 0x0303, NULL, 0);
}

Test(tls, server_hello_tls12_ja3s)
{
	uint8_t rec[4096];
	size_t n = server_hello_12(rec);
	const char *want = "771,49199,65281-0-11-16-23";
	char md5[33];
	digest_hex("MD5", want, strlen(want), md5);
	cr_assert_str_eq(md5, "5d79edf64e03689ff559a54e9d9487bc");
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert_eq(num(j, "server_hello.record_version"), 0x0303);
	cr_assert_eq(num(j, "server_hello.version"), 0x0303);
	cr_assert_str_eq(str(j, "server_hello.cipher_suite"), "c02f");
	cr_assert_str_eq(str(j, "server_hello.alpn"), "h2");
	cr_assert_str_eq(str(j, "server_hello.ja3s"), want);
	cr_assert_str_eq(str(j, "server_hello.ja3s_hash"), md5);
	json_decref(j);
}

/* ------------------------------------------------------- certificates */

static void
oid(struct b *b, const uint8_t *enc, size_t n)
{
	der(b, 0x06);
	raw(b, enc, n);
	end(b);
}

static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};
static const uint8_t OID_C[] = {0x55, 0x04, 0x06};
static const uint8_t OID_O[] = {0x55, 0x04, 0x0a};
static const uint8_t OID_OU[] = {0x55, 0x04, 0x0b};
static const uint8_t OID_DC[] = {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2,
				 0x2c, 0x64, 0x01, 0x19};
static const uint8_t OID_X[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82,
				0x37, 0x15, 0x07}; /* 1.3.6.1.4.1.311.21.7 */

static void
atv(struct b *b, const uint8_t *o, size_t on, unsigned tag, const void *v,
    size_t vn)
{
	der(b, 0x30);
	oid(b, o, on);
	der(b, tag);
	raw(b, v, vn);
	end(b);
	end(b);
}

/* Issuer: C=US, O="Acme, Inc.", DC=example, CN=Acme CA (DER order). */
static void
issuer_name(struct b *b)
{
	der(b, 0x30);
	der(b, 0x31);
	atv(b, OID_C, 3, 0x13, "US", 2);
	end(b);
	der(b, 0x31);
	atv(b, OID_O, 3, 0x0c, "Acme, Inc.", 10);
	end(b);
	der(b, 0x31);
	atv(b, OID_DC, sizeof(OID_DC), 0x16, "example", 7);
	end(b);
	der(b, 0x31);
	atv(b, OID_CN, 3, 0x13, "Acme CA", 7);
	end(b);
	end(b);
}

/* Subject: O=Acme, multi-valued {OU=Ops + CN=#lead }, an unnamed OID, a
 * BMPString CN "é" (most specific, last). */
static void
subject_name(struct b *b)
{
	der(b, 0x30);
	der(b, 0x31);
	atv(b, OID_O, 3, 0x13, "Acme", 4);
	end(b);
	der(b, 0x31);
	atv(b, OID_OU, 3, 0x0c, "Ops", 3);
	atv(b, OID_CN, 3, 0x0c, "#lead ", 6);
	end(b);
	der(b, 0x31);
	atv(b, OID_X, sizeof(OID_X), 0x02, "\x05", 1);
	end(b);
	der(b, 0x31);
	atv(b, OID_CN, 3, 0x1e, "\x00\xe9", 2);
	end(b);
	end(b);
}

/* RFC 5280 4.1 Certificate; self_signed: the subject is the issuer. */
static void
certificate_der(struct b *b, bool self_signed, const char *nb_time,
		unsigned nb_tag)
{
	der(b, 0x30);
	der(b, 0x30); /* tbsCertificate */
	der(b, 0xa0);
	der(b, 0x02);
	u8(b, 2);
	end(b);
	end(b);
	der(b, 0x02);
	raw(b, "\x01\x23\x45", 3);
	end(b);
	der(b, 0x30); /* signature */
	oid(b, (const uint8_t *)"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9);
	der(b, 0x05);
	end(b);
	end(b);
	issuer_name(b);
	der(b, 0x30); /* validity */
	der(b, nb_tag);
	raw(b, nb_time, strlen(nb_time));
	end(b);
	der(b, 0x18);
	raw(b, "20491231235959Z", 15);
	end(b);
	end(b);
	if (self_signed)
		issuer_name(b);
	else
		subject_name(b);
	der(b, 0x30); /* subjectPublicKeyInfo: not read */
	raw(b, "\x05\x00", 2);
	end(b);
	end(b);
	der(b, 0x30); /* signatureAlgorithm */
	der(b, 0x05);
	end(b);
	end(b);
	der(b, 0x03);
	raw(b, "\x00\xde\xad", 3);
	end(b);
	end(b);
}

/* ServerHello record, then a Certificate message (leaf + one more). */
static size_t
server_flight(uint8_t *out, bool self_signed, const char *nb, unsigned tag)
{
	size_t n = server_hello_12(out);
	struct b hs = {0};
	hs_begin(&hs, 11);
	vec(&hs, 3);
	vec(&hs, 3);
	certificate_der(&hs, self_signed, nb, tag);
	end(&hs);
	vec(&hs, 3);
	certificate_der(&hs, true, "991231235959Z", 0x17);
	end(&hs);
	end(&hs);
	end(&hs);
	hs_begin(&hs, 14); /* ServerHelloDone */
	end(&hs);
	return n + records(out + n, hs.p, hs.n, 0x0303, NULL, 0);
}

Test(tls, certificate_leaf)
{
	static uint8_t rec[8192];
	size_t n = server_flight(rec, false, "491231235959Z", 0x17);
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	/* RFC 4514: last RDN first, '+' in a multi-valued RDN, escapes. */
	cr_assert_str_eq(str(j, "certificate.issuer"),
			 "CN=Acme CA,DC=example,O=Acme\\, Inc.,C=US");
	cr_assert_str_eq(str(j, "certificate.issuer_cn"), "Acme CA");
	/* "é" is C3 A9 in UTF-8; the writer keeps well-formed UTF-8. */
	cr_assert_str_eq(str(j, "certificate.subject"),
			 "CN=\xc3\xa9,1.3.6.1.4.1.311.21.7=#020105,"
			 "OU=Ops+CN=\\#lead\\ ,O=Acme");
	cr_assert_str_eq(str(j, "certificate.subject_cn"), "\xc3\xa9");
	/* UTCTime 49 is 2049 (RFC 5280 4.1.2.5.1); GeneralizedTime. */
	cr_assert_str_eq(str(j, "certificate.not_before"),
			 "2049-12-31T23:59:59Z");
	cr_assert_str_eq(str(j, "certificate.not_after"),
			 "2049-12-31T23:59:59Z");
	cr_assert(json_is_false(obj(j, "certificate.self_signed")));
	json_decref(j);

	n = server_flight(rec, true, "500101000000Z", 0x17);
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert(json_is_true(obj(j, "certificate.self_signed")));
	cr_assert_str_eq(str(j, "certificate.subject"),
			 str(j, "certificate.issuer"));
	cr_assert_str_eq(str(j, "certificate.not_before"),
			 "1950-01-01T00:00:00Z");
	json_decref(j);

	n = server_flight(rec, true, "19991231235959Z", 0x18);
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert_str_eq(str(j, "certificate.not_before"),
			 "1999-12-31T23:59:59Z");
	json_decref(j);

	/* A local-time offset is not UTC: left out, and malformed. */
	n = server_flight(rec, true, "991231235959+0100", 0x17);
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_MALFORMED, "%s", outbuf);
	cr_assert_null(obj(j, "certificate.not_before"));
	cr_assert_not_null(obj(j, "certificate.not_after"));
	json_decref(j);
}

/* Every prefix of ServerHello + Certificate: valid JSON; malformed exactly
 * when the buffer ends inside the ServerHello or the leaf certificate
 * (a cut after the leaf, in the rest of the chain, loses nothing). */
Test(tls, every_truncation_point_of_a_server_flight)
{
	static uint8_t rec[8192];
	size_t n = server_flight(rec, false, "491231235959Z", 0x17);
	/* the alert record (7 bytes), then the ServerHello record */
	size_t sh_end = 7 + 5 + ((size_t)rec[7 + 3] << 8 | rec[7 + 4]);
	/* then record, message, list and entry headers, and the leaf */
	size_t der_at = sh_end + 5 + 4 + 3 + 3;
	cr_assert_eq(rec[der_at], 0x30);
	cr_assert(rec[der_at + 1] == 0x81 || rec[der_at + 1] == 0x82);
	size_t leaf_end = rec[der_at + 1] == 0x81
				  ? der_at + 3 + rec[der_at + 2]
				  : der_at + 4 + ((size_t)rec[der_at + 2] << 8 |
						  rec[der_at + 3]);
	for (size_t len = 0; len <= n; len++) {
		json_t *j;
		enum pl_dissect_result r = run(rec, len, &j);
		/* Cut before the hello (or an empty head), inside it, or once
		 * the Certificate message has begun and before its leaf is
		 * whole. A head ending in the next record header is just a
		 * head that ends there. */
		bool want = len < 7 || (len > 7 && len < sh_end) ||
			    (len > sh_end + 5 && len < leaf_end);
		cr_assert_eq(r == PL_DISSECT_MALFORMED, want,
			     "prefix %zu of %zu (sh %zu, leaf %zu): %s", len, n,
			     sh_end, leaf_end, outbuf);
		cr_assert_eq(is_malformed(j), want, "prefix %zu", len);
		json_decref(j);
	}
}

/* ------------------------------------------------- malformed, not mine */

Test(tls, not_mine)
{
	static const char *const inputs[] = {
		"GET / HTTP/1.1\r\n", "\x80\x2e\x01\x03\x01", /* SSLv2 hello */
		"\x16\x03\x05\x00\x01\x01",		     /* version 3.5 */
		"\x16\x02\x00", "\x19\x03\x03\x00\x00",	     /* type 25 */
	};
	size_t lens[] = {16, 5, 6, 3, 5};
	for (size_t i = 0; i < N(inputs); i++) {
		json_t *j;
		cr_assert_eq(run((const uint8_t *)inputs[i], lens[i], &j),
			     PL_DISSECT_NOT_MINE, "input %zu", i);
		cr_assert_eq(json_object_size(j), 0, "input %zu wrote %s", i,
			     outbuf);
		json_decref(j);
	}
}

/* Lengths that pass their container: the vector is not read, the rest of
 * the hello is not either, no fingerprint; as tshark does. */
Test(tls, inconsistent_lengths)
{
	struct b hs = {0};
	uint8_t rec[20000];
	client_hello(&hs, &t_spec);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	size_t suites_len_at = 5 + 4 + 2 + 32 + 33;
	json_t *j;

	/* cipher_suites longer than the message */
	rec[suites_len_at] = 0x7f;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_MALFORMED);
	cr_assert_eq(json_array_size(obj(j, "client_hello.cipher_suites")), 0);
	cr_assert_null(obj(j, "client_hello.extensions"));
	cr_assert_null(obj(j, "client_hello.ja3"));
	json_decref(j);

	/* an odd cipher_suites length */
	rec[suites_len_at] = 0;
	rec[suites_len_at + 1] = (uint8_t)(2 * N(t_suites) - 1);
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_MALFORMED);
	cr_assert_null(obj(j, "client_hello.ja3"));
	json_decref(j);
	rec[suites_len_at + 1] = (uint8_t)(2 * N(t_suites));

	/* handshake length past the record, and no more records */
	cr_assert_eq(run(rec, n - 1, &j), PL_DISSECT_MALFORMED);
	json_decref(j);

	/* another record type between two fragments (RFC 8446 5.1) */
	size_t cut[] = {hs.n / 2};
	n = records(rec, hs.p, hs.n, 0x0301, cut, 1);
	size_t second = 5 + hs.n / 2;
	memmove(rec + second + 7, rec + second, n - second);
	memcpy(rec + second, "\x15\x03\x01\x00\x02\x01\x00", 7);
	cr_assert_eq(run(rec, n + 7, &j), PL_DISSECT_MALFORMED, "%s", outbuf);
	cr_assert_null(obj(j, "client_hello.ja3"));
	json_decref(j);

	/* garbage after a whole hello */
	n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	memcpy(rec + n, "\x01\x02\x03\x04\x05\x06", 6);
	cr_assert_eq(run(rec, n + 6, &j), PL_DISSECT_MALFORMED);
	cr_assert_not_null(obj(j, "client_hello.ja3"));
	json_decref(j);

	/* a second extension of the same type (RFC 8446 4.2) */
	static const uint16_t dup[] = {0, 10, 0};
	struct ch_spec s = t_spec;
	s.exts = dup;
	s.n_exts = N(dup);
	struct b h2 = {0};
	client_hello(&h2, &s);
	n = records(rec, h2.p, h2.n, 0x0301, NULL, 0);
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_MALFORMED);
	json_decref(j);
}

/* More suites than kept: the first 512, over_limit, no fingerprints. */
Test(tls, over_limit)
{
	static uint16_t suites[600];
	for (size_t i = 0; i < N(suites); i++)
		suites[i] = (uint16_t)(0x0100 + i);
	struct ch_spec s = t_spec;
	s.suites = suites;
	s.n_suites = N(suites);
	static struct b hs;
	static uint8_t rec[20000];
	memset(&hs, 0, sizeof(hs));
	client_hello(&hs, &s);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	json_t *j;
	cr_assert_eq(run(rec, n, &j), PL_DISSECT_OK, "%s", outbuf);
	cr_assert_eq(json_array_size(obj(j, "client_hello.cipher_suites")), 512);
	cr_assert(json_is_true(obj(j, "client_hello.over_limit")));
	cr_assert_null(obj(j, "client_hello.ja3"));
	cr_assert_null(obj(j, "client_hello.ja4"));
	json_decref(j);
}

/* A small attribute buffer: the writer truncates, the JSON stays valid. */
Test(tls, small_output_buffer)
{
	struct b hs = {0};
	uint8_t rec[20000];
	client_hello(&hs, &t_spec);
	size_t n = records(rec, hs.p, hs.n, 0x0301, NULL, 0);
	for (uint32_t cap = 64; cap < 1200; cap += 7) {
		char small[1200];
		struct pl_attrs a;
		pl_attrs_init(&a, small, cap);
		(void)pl_tls_dissect(rec, n, &a);
		pl_attrs_finish(&a);
		json_error_t e;
		json_t *j = json_loads(small, 0, &e);
		cr_assert_not_null(j, "cap %u: %s", cap, small);
		json_decref(j);
	}
}
