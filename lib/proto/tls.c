/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS handshake dissector (docs/attrs/tls.md lists the attributes).
 *
 * Input: the reassembled head of one direction of a TCP stream. The record
 * layer is walked in order; handshake messages are reassembled across
 * records (RFC 8446 5.1, RFC 5246 6.2.1) into a fixed buffer only when one
 * does not lie inside a single record, so the common case copies nothing.
 * The first ClientHello or ServerHello and the leaf of the first
 * Certificate message are decoded; JA3, JA3S and JA4 are computed from the
 * decoded lists.
 *
 * Everything is bounded: lists keep at most TLS_MAX_* entries, strings have
 * fixed buffers, the DER walker has no recursion. Nothing is allocated; the
 * state lives on the stack (under 32 KiB: the walker's reassembly buffer
 * and the fingerprint texts).
 */
/* The low-level MD5/SHA-256 functions are deprecated in OpenSSL 3, but they
 * neither allocate nor fetch a provider per call, as EVP_Digest and the
 * one-shot MD5()/SHA256() do (measured here: SHA-256 of 200 bytes, 500
 * cycles against 1000): the dissector must not allocate. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <stddef.h>
#include <string.h>

#include "proto-internal.h"

/* List limits; a longer list keeps its first entries and sets over_limit
 * (then no fingerprint is computed: it would describe a different hello). */
#define TLS_MAX_SUITES 512
#define TLS_MAX_EXTS 128
#define TLS_MAX_LIST 64 /* supported_versions, groups, point formats, ALPN */
#define TLS_MAX_SIGALGS 128
/* A handshake message that spans records is copied here; the head is at
 * most 16 KiB, so a message this size is already the whole head. */
#define TLS_HS_BUF 16384
#define TLS_MAX_RDNS 128
#define TLS_DN_BUF 4096
#define TLS_CN_BUF 1024

enum {
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APPDATA = 23,
	CT_HEARTBEAT = 24,
};

enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_CERTIFICATE = 11,
};

enum {
	EXT_SERVER_NAME = 0,
	EXT_SUPPORTED_GROUPS = 10,
	EXT_EC_POINT_FORMATS = 11,
	EXT_SIGNATURE_ALGORITHMS = 13,
	EXT_ALPN = 16,
	EXT_SUPPORTED_VERSIONS = 43,
};

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool
is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* ------------------------------------------------------------ reader */

/* A region of declared size `size`, of which `n` bytes are present (the
 * rest is past the end of the head). Reads fail sticky: R_CUT when the bytes
 * are declared but absent, R_BAD when they would pass the declared size. */
enum { R_OK = 0, R_CUT = 1, R_BAD = 2 };

struct rd {
	const uint8_t *p;
	size_t n;
	size_t size;
	size_t off;
	uint8_t err;
};

static struct rd
rd_make(const uint8_t *p, size_t n, size_t size)
{
	struct rd r = {.p = p, .n = n < size ? n : size, .size = size};
	return r;
}

static bool
rd_need(struct rd *r, size_t k)
{
	if (r->err)
		return false;
	if (k > r->size - r->off)
		r->err = R_BAD;
	else if (k > r->n - r->off)
		r->err = R_CUT;
	return r->err == R_OK;
}

static bool
rd_u8(struct rd *r, uint8_t *v)
{
	if (!rd_need(r, 1))
		return false;
	*v = r->p[r->off++];
	return true;
}

static bool
rd_u16(struct rd *r, uint16_t *v)
{
	if (!rd_need(r, 2))
		return false;
	*v = (uint16_t)(r->p[r->off] << 8 | r->p[r->off + 1]);
	r->off += 2;
	return true;
}

static bool
rd_u24(struct rd *r, uint32_t *v)
{
	if (!rd_need(r, 3))
		return false;
	*v = (uint32_t)r->p[r->off] << 16 | (uint32_t)r->p[r->off + 1] << 8 |
	     r->p[r->off + 2];
	r->off += 3;
	return true;
}

static bool
rd_skip(struct rd *r, size_t k)
{
	if (!rd_need(r, k))
		return false;
	r->off += k;
	return true;
}

/*
 * A length-prefixed vector (lbytes = 1, 2 or 3) as a sub-region. When its
 * length passes the parent's end, nothing in it can be trusted: the
 * sub-region is empty and the parent gets R_BAD (tshark also lists nothing
 * then). When it passes the present bytes, the entries present can be read
 * and the parent gets R_CUT. Either way the parent stops there. Returns
 * false if the length itself is unreadable.
 */
static bool
rd_vec(struct rd *r, int lbytes, struct rd *sub)
{
	uint32_t len = 0;
	bool ok;
	if (lbytes == 1) {
		uint8_t v;
		ok = rd_u8(r, &v);
		len = v;
	} else if (lbytes == 2) {
		uint16_t v;
		ok = rd_u16(r, &v);
		len = v;
	} else {
		ok = rd_u24(r, &len);
	}
	if (!ok)
		return false;
	size_t room = r->size - r->off;
	size_t have = r->n - r->off;
	*sub = rd_make(r->p + r->off, have, len <= room ? len : 0);
	if (len > room) {
		r->err = R_BAD;
		r->off = r->size;
	} else if (len > have) {
		r->err = R_CUT;
		r->off += len;
	} else {
		r->off += len;
	}
	return true;
}

/* ------------------------------------------------- record layer walker */

/*
 * Hands out handshake messages in order. A message inside one record is
 * returned in place; one that spans records is copied into buf. The walk
 * ends at the end of the buffer, at the first record that is not a
 * handshake record (ChangeCipherSpec: what follows is encrypted), or at an
 * inconsistent record header.
 */
struct walker {
	const uint8_t *p;
	size_t len;
	size_t next;		/* offset of the next record header */
	const uint8_t *frag;	/* rest of the current handshake record */
	size_t frag_n;		/* its bytes present */
	size_t frag_size;	/* its declared bytes */
	uint16_t rec_version;	/* version of the current record */
	uint8_t stop_type;	/* content type of the record that stopped us */
	bool ended;		/* no more records (or a cut record) */
	bool cut;		/* the buffer ended inside a record */
	bool bad;		/* inconsistent record layer */
	uint8_t buf[TLS_HS_BUF];
};

struct msg {
	uint8_t type;
	const uint8_t *body;
	size_t n;		/* body bytes present */
	size_t size;		/* body length declared */
	uint16_t rec_version;	/* record the message starts in */
	bool cut;		/* the head ends inside this message */
};

/* Load the next handshake record; false at the end of the walk. Between
 * messages (between), Alert records are passed over: a warning such as
 * unrecognized_name (RFC 6066 3) may come before the ServerHello. */
static bool
walker_record(struct walker *w, bool between)
{
	for (;;) {
		if (w->ended)
			return false;
		if (w->next >= w->len) {
			w->ended = true;
			return false;
		}
		const uint8_t *h = w->p + w->next;
		size_t left = w->len - w->next;
		/* Check what is present of the header before calling it cut,
		 * so that garbage is never mistaken for a truncated record. */
		if (h[0] < CT_CCS || h[0] > CT_HEARTBEAT ||
		    (left >= 2 && h[1] != 3) || (left >= 3 && h[2] > 4)) {
			w->ended = w->bad = true;
			return false;
		}
		if (left < 5) {
			w->ended = w->cut = true;
			return false;
		}
		size_t rlen = (size_t)h[3] << 8 | h[4];
		if (h[0] == CT_ALERT && between) {
			w->next += 5 + rlen;
			if (w->next > w->len) /* cut inside the alert */
				w->ended = w->cut = true;
			continue;
		}
		if (h[0] != CT_HANDSHAKE) {
			w->stop_type = h[0];
			w->ended = true;
			return false;
		}
		w->rec_version = (uint16_t)(h[1] << 8 | h[2]);
		w->frag = h + 5;
		w->frag_size = rlen;
		w->frag_n = left - 5 < rlen ? left - 5 : rlen;
		w->next += 5 + rlen;
		if (w->frag_n < rlen) /* the last record: the walk ends in it */
			w->ended = w->cut = true;
		if (rlen > 0)
			return true;
		/* RFC 8446 5.1 forbids empty handshake records; skip them. */
		w->bad = true;
	}
}

/* Copy up to k bytes of handshake payload from the current record on;
 * returns how many were copied (fewer at the end of the walk). */
static size_t
walker_copy(struct walker *w, uint8_t *dst, size_t k)
{
	size_t got = 0;
	while (got < k) {
		if (w->frag_n == 0) {
			if (w->frag_size > 0) /* declared but absent: cut */
				return got;
			if (!walker_record(w, false))
				return got;
		}
		size_t c = k - got < w->frag_n ? k - got : w->frag_n;
		memcpy(dst + got, w->frag, c);
		w->frag += c;
		w->frag_n -= c;
		w->frag_size -= c;
		got += c;
	}
	return got;
}

/* True if the walk stopped in the middle of a message because of another
 * record type or bad header (rather than the end of the buffer). */
static bool
walker_interrupted(const struct walker *w)
{
	return w->bad || (w->stop_type != 0 && !w->cut);
}

static bool
walker_next(struct walker *w, struct msg *m)
{
	memset(m, 0, sizeof(*m));
	if (w->frag_n == 0 && w->frag_size == 0 && !walker_record(w, true))
		return false;
	if (w->frag_n == 0) /* the rest of this record is absent */
		return false;
	m->rec_version = w->rec_version;
	/* In place: header and body within the present part of the record. */
	if (w->frag_n >= 4) {
		size_t blen = (size_t)w->frag[1] << 16 |
			      (size_t)w->frag[2] << 8 | w->frag[3];
		if (blen <= w->frag_n - 4) {
			m->type = w->frag[0];
			m->body = w->frag + 4;
			m->n = m->size = blen;
			w->frag += 4 + blen;
			w->frag_n -= 4 + blen;
			w->frag_size -= 4 + blen;
			return true;
		}
	}
	/* Spanning records (or cut): reassemble the header, then the body. */
	uint8_t hdr[4];
	size_t got = walker_copy(w, hdr, 4);
	if (got < 4) {
		m->type = got ? hdr[0] : 0;
		m->cut = true;
		m->body = w->buf;
		if (walker_interrupted(w))
			w->bad = true;
		return got > 0;
	}
	m->type = hdr[0];
	m->size = (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	m->body = w->buf;
	size_t want = m->size < TLS_HS_BUF ? m->size : TLS_HS_BUF;
	m->n = walker_copy(w, w->buf, want);
	if (m->n < m->size) {
		m->cut = true;
		/* (A message over TLS_HS_BUF cannot come whole from a 16 KiB
		 * head: it is reported as cut.) */
		if (walker_interrupted(w))
			w->bad = true; /* RFC 8446 5.1: no interleaving */
	}
	return true;
}

/* ------------------------------------------------------------ hellos */

struct bytes {
	const uint8_t *p;
	uint16_t len;
};

struct hello {
	uint16_t rec_version;
	uint16_t version;		/* legacy_version */
	uint16_t suites[TLS_MAX_SUITES];
	uint16_t exts[TLS_MAX_EXTS];
	uint16_t versions[TLS_MAX_LIST];	/* ServerHello: the selected one */
	uint16_t groups[TLS_MAX_LIST];
	uint8_t formats[TLS_MAX_LIST];
	uint16_t sigalgs[TLS_MAX_SIGALGS];
	struct bytes alpn[TLS_MAX_LIST];
	struct bytes sni;
	uint16_t n_suites, n_exts, n_versions, n_groups, n_formats,
		n_sigalgs, n_alpn;
	uint8_t got;			/* how far the fixed part was read */
	bool has_exts, has_sni, has_alpn, has_versions, has_groups,
		has_formats, has_sigalgs;
	bool grease, over_limit, hrr;
	bool cut;	/* the head ends inside the message */
	bool outer_bad;	/* a vector of the message's own structure broke */
	bool malformed;	/* anything cut or inconsistent */
};

/* Fixed-part progress, so that a cut hello writes what it has. */
enum {
	GOT_NONE,
	GOT_VERSION,
	GOT_SUITES,	/* ClientHello: suites read (maybe partly) */
	GOT_CIPHER,	/* ServerHello: cipher suite read */
	GOT_ALL,	/* compression read; extensions as far as they go */
};

#define PUSH(h, arr, nfield, max, v)                                     \
	do {                                                             \
		if ((h)->nfield < (max))                                 \
			(h)->arr[(h)->nfield++] = (v);                   \
		else                                                     \
			(h)->over_limit = true;                          \
	} while (0)

/* Note a sub-region's failure (its entries up to there are kept). */
static void
sub_done(struct hello *h, const struct rd *sub)
{
	if (sub->err)
		h->malformed = true;
}

static inline void
keep_u16(struct hello *h, uint16_t *arr, uint16_t *n, uint16_t max,
	 uint16_t v)
{
	if (is_grease(v))
		h->grease = true;
	if (*n < max)
		arr[(*n)++] = v;
	else
		h->over_limit = true;
}

static void
read_u16_list(struct hello *h, struct rd *sub, uint16_t *arr, uint16_t *n,
	      uint16_t max)
{
	/* The whole values present straight from the bytes (rd_u16 would
	 * check the region once per value); then rd_u16 on what is left, an
	 * odd byte or a cut value, fails as it would have. */
	if (!sub->err) {
		size_t k = (sub->n - sub->off) / 2;
		const uint8_t *p = sub->p + sub->off;
		for (size_t i = 0; i < k; i++)
			keep_u16(h, arr, n, max, pl_rd16(p + 2 * i));
		sub->off += 2 * k;
	}
	uint16_t v;
	while (sub->off < sub->size && rd_u16(sub, &v))
		keep_u16(h, arr, n, max, v);
	sub_done(h, sub);
}

/* One extension's body, for the types we decode. server: ServerHello. */
static void
read_extension(struct hello *h, uint16_t type, struct rd *e, bool server)
{
	struct rd sub;
	uint8_t b;
	uint16_t v;
	switch (type) {
	case EXT_SERVER_NAME:
		/* RFC 6066 3: a client sends a list of (type, name); the
		 * server's is empty. The first host_name (0) is kept. */
		h->has_sni = true;
		if (server || e->size == 0)
			break;
		if (!rd_vec(e, 2, &sub))
			break;
		while (sub.off < sub.size && rd_u8(&sub, &b)) {
			struct rd name;
			if (!rd_vec(&sub, 2, &name))
				break;
			if (b == 0 && !h->sni.p && name.n == name.size &&
			    name.size > 0) {
				h->sni.p = name.p;
				h->sni.len = (uint16_t)name.size;
			}
			if (name.size == 0)
				h->malformed = true;
		}
		sub_done(h, &sub);
		break;
	case EXT_ALPN:
		/* RFC 7301 3.1: ProtocolName<1..2^8-1> list, non-empty. */
		h->has_alpn = true;
		if (!rd_vec(e, 2, &sub))
			break;
		while (sub.off < sub.size) {
			struct rd name;
			if (!rd_vec(&sub, 1, &name))
				break;
			if (name.n != name.size)
				break; /* a partial name is not kept */
			if (name.size == 0)
				h->malformed = true;
			if (h->n_alpn < TLS_MAX_LIST) {
				h->alpn[h->n_alpn].p = name.p;
				h->alpn[h->n_alpn].len = (uint16_t)name.size;
				h->n_alpn++;
			} else {
				h->over_limit = true;
			}
		}
		sub_done(h, &sub);
		break;
	case EXT_SUPPORTED_GROUPS:
		h->has_groups = true;
		if (rd_vec(e, 2, &sub))
			read_u16_list(h, &sub, h->groups, &h->n_groups,
				      TLS_MAX_LIST);
		break;
	case EXT_EC_POINT_FORMATS:
		h->has_formats = true;
		if (!rd_vec(e, 1, &sub))
			break;
		while (sub.off < sub.size && rd_u8(&sub, &b))
			PUSH(h, formats, n_formats, TLS_MAX_LIST, b);
		sub_done(h, &sub);
		break;
	case EXT_SIGNATURE_ALGORITHMS:
		h->has_sigalgs = true;
		if (rd_vec(e, 2, &sub))
			read_u16_list(h, &sub, h->sigalgs, &h->n_sigalgs,
				      TLS_MAX_SIGALGS);
		break;
	case EXT_SUPPORTED_VERSIONS:
		/* RFC 8446 4.2.1: a list in the ClientHello, one value in the
		 * ServerHello (and HelloRetryRequest). */
		h->has_versions = true;
		if (server) {
			if (rd_u16(e, &v)) {
				h->versions[0] = v;
				h->n_versions = 1;
			}
		} else if (rd_vec(e, 1, &sub)) {
			read_u16_list(h, &sub, h->versions, &h->n_versions,
				      TLS_MAX_LIST);
		}
		break;
	default:
		return;
	}
	/* Whatever the extension left unread, or could not read. */
	if (e->err || e->off != e->size)
		h->malformed = true;
}

/* The extensions block, after the fixed part of either hello. */
static void
read_extensions(struct hello *h, struct rd *r, bool server)
{
	struct rd block;
	if (!rd_vec(r, 2, &block))
		return;
	h->has_exts = true;
	uint64_t seen = 0; /* the types met, modulo 64 */
	while (block.off < block.size) {
		uint16_t type;
		struct rd data;
		if (!rd_u16(&block, &type) || !rd_vec(&block, 2, &data))
			break;
		if (is_grease(type))
			h->grease = true;
		/* RFC 8446 4.2: one extension of a type per block. The list
		 * is searched only when the mask says a repeat is possible. */
		uint64_t bit = 1ull << (type & 63);
		if (seen & bit)
			for (uint16_t i = 0; i < h->n_exts; i++)
				if (h->exts[i] == type)
					h->malformed = true;
		seen |= bit;
		PUSH(h, exts, n_exts, TLS_MAX_EXTS, type);
		read_extension(h, type, &data, server);
		if (block.err)
			break;
	}
	if (block.err == R_BAD)
		h->outer_bad = true;
	sub_done(h, &block);
}

/* The end of either hello's fixed part: its own errors and trailing bytes. */
static void
hello_end(struct hello *h, struct rd *r)
{
	if (r->err == R_BAD)
		h->outer_bad = true;
	if (r->err || r->off != r->size)
		h->malformed = true;
}

static void
parse_client_hello(struct hello *h, const struct msg *m)
{
	struct rd r = rd_make(m->body, m->n, m->size);
	struct rd sub;
	h->rec_version = m->rec_version;
	if (!rd_u16(&r, &h->version))
		goto out;
	h->got = GOT_VERSION;
	/* random[32], legacy_session_id<0..32> */
	if (!rd_skip(&r, 32) || !rd_vec(&r, 1, &sub))
		goto out;
	if (sub.size > 32)
		h->malformed = true;
	if (r.err)
		goto out;
	/* cipher_suites<2..2^16-2> */
	if (!rd_vec(&r, 2, &sub))
		goto out;
	h->got = GOT_SUITES;
	read_u16_list(h, &sub, h->suites, &h->n_suites, TLS_MAX_SUITES);
	if (sub.err == R_BAD) /* odd length: the list cannot be trusted */
		h->outer_bad = true;
	if (sub.size < 2)
		h->malformed = true;
	if (r.err)
		goto out;
	/* legacy_compression_methods<1..2^8-1> */
	if (!rd_vec(&r, 1, &sub))
		goto out;
	if (sub.size < 1)
		h->malformed = true;
	if (r.err)
		goto out;
	h->got = GOT_ALL;
	/* Extensions are optional before TLS 1.3 (RFC 5246 7.4.1.2). */
	if (r.off < r.size)
		read_extensions(h, &r, false);
out:
	hello_end(h, &r);
	if (m->cut)
		h->malformed = h->cut = true;
}

/* RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello with this random,
 * SHA-256("HelloRetryRequest"). */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

static void
parse_server_hello(struct hello *h, const struct msg *m)
{
	struct rd r = rd_make(m->body, m->n, m->size);
	struct rd sub;
	uint16_t cipher;
	uint8_t comp;
	h->rec_version = m->rec_version;
	if (!rd_u16(&r, &h->version))
		goto out;
	h->got = GOT_VERSION;
	if (!rd_need(&r, 32))
		goto out;
	h->hrr = memcmp(r.p + r.off, hrr_random, 32) == 0;
	r.off += 32;
	if (!rd_vec(&r, 1, &sub) || r.err)
		goto out;
	if (sub.size > 32)
		h->malformed = true;
	if (!rd_u16(&r, &cipher))
		goto out;
	h->suites[0] = cipher;
	h->n_suites = 1;
	h->got = GOT_CIPHER;
	if (!rd_u8(&r, &comp))
		goto out;
	h->got = GOT_ALL;
	if (r.off < r.size)
		read_extensions(h, &r, true);
out:
	hello_end(h, &r);
	if (m->cut)
		h->malformed = h->cut = true;
}

/* ------------------------------------------------------- fingerprints */

/*
 * The fingerprint texts are written straight into stack buffers, with no
 * check per value: each buffer is sized from the list limits for the
 * longest text they allow. Numbers and hex come from pl_put_dec16 and
 * pl_put_hex16; nothing calls snprintf.
 */

/* JA3: a version and four lists of at most 5 digits and a separator per
 * value. */
#define JA3_TEXT_MAX                                                       \
	(10 + 6 * (TLS_MAX_SUITES + TLS_MAX_EXTS + TLS_MAX_LIST) +         \
	 4 * TLS_MAX_LIST)
/* JA4: 4 hex digits and a separator per value; ciphers, or extensions
 * and signature algorithms. */
#define JA4_TEXT_MAX                                                       \
	(5 * (TLS_MAX_SUITES > TLS_MAX_EXTS + TLS_MAX_SIGALGS                \
		      ? TLS_MAX_SUITES                                       \
		      : TLS_MAX_EXTS + TLS_MAX_SIGALGS))

/* JA3 list field at o: decimal values joined by '-', GREASE left out. */
static char *
ja3_list(char *o, const uint16_t *v, size_t n)
{
	const char *start = o;
	for (size_t i = 0; i < n; i++) {
		if (is_grease(v[i]))
			continue;
		if (o != start)
			*o++ = '-';
		o = pl_put_dec16(o, v[i]);
	}
	return o;
}

/*
 * JA3 (salesforce/ja3): SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats in decimal, GREASE (RFC 8701) left out. JA3S:
 * SSLVersion,Cipher,Extensions. Written as `ja3`/`ja3s` and the MD5 as
 * `ja3_hash`/`ja3s_hash`.
 */
static void
write_ja3(const struct hello *h, bool server, struct pl_attrs *out)
{
	char text[JA3_TEXT_MAX];
	char *o = pl_put_dec16(text, h->version);
	*o++ = ',';
	o = ja3_list(o, h->suites, h->n_suites);
	*o++ = ',';
	o = ja3_list(o, h->exts, h->n_exts);
	if (!server) {
		*o++ = ',';
		o = ja3_list(o, h->groups, h->n_groups);
		*o++ = ',';
		for (size_t i = 0; i < h->n_formats; i++) {
			if (i)
				*o++ = '-';
			o = pl_put_dec16(o, h->formats[i]);
		}
	}
	size_t len = (size_t)(o - text);
	uint8_t md[MD5_DIGEST_LENGTH];
	char hex[2 * MD5_DIGEST_LENGTH];
	MD5_CTX ctx;
	MD5_Init(&ctx);
	MD5_Update(&ctx, text, len);
	MD5_Final(md, &ctx);
	pl_put_hex(hex, md, sizeof(md));
	/* digits, ',' and '-': nothing to escape */
	pl_attrs_plain(out, server ? "ja3s" : "ja3", text, len);
	pl_attrs_plain(out, server ? "ja3s_hash" : "ja3_hash", hex,
		       sizeof(hex));
}

/* Ascending order, by Shell sort with Ciura's gaps: a ClientHello lists
 * its ciphers by preference, not by value, and plain insertion sort cost
 * a tenth of the dissector on a 31-cipher hello (this, two thirds of it). */
static void
sort_u16(uint16_t *v, size_t n)
{
	static const size_t gaps[] = {301, 132, 57, 23, 10, 4, 1};
	for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		size_t gap = gaps[g];
		for (size_t i = gap; i < n; i++) {
			uint16_t x = v[i];
			size_t j = i;
			for (; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
	}
}

/* v[0..n) as 4 hex digits each, joined by ',', at o. */
static char *
hex_list(char *o, const uint16_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		o = pl_put_hex16(o, v[i]);
	}
	return o;
}

/* First 12 hex digits of SHA-256(text), or twelve zeros when the list was
 * empty (FoxIO JA4: "000000000000", not the hash of nothing). */
static void
ja4_hash12(char out[12], const char *text, size_t len, bool empty)
{
	if (empty) {
		memset(out, '0', 12);
		return;
	}
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;
	SHA256_Init(&ctx);
	SHA256_Update(&ctx, text, len);
	SHA256_Final(md, &ctx);
	pl_put_hex(out, md, 6);
}

static bool
is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

/* JA4 version: the highest supported_versions value, else the hello's. */
static const char *
ja4_version(const struct hello *h)
{
	uint16_t ver = 0;
	bool from_ext = false;
	for (size_t i = 0; i < h->n_versions; i++)
		if (!is_grease(h->versions[i]) && h->versions[i] >= ver) {
			ver = h->versions[i];
			from_ext = true;
		}
	if (!from_ext)
		ver = h->version;
	switch (ver) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

/* JA4 ALPN: first and last characters of the first value, or of its hex
 * form when either is not alphanumeric; "00" without one. */
static void
ja4_alpn(const struct hello *h, char al[2])
{
	static const char hx[] = "0123456789abcdef";
	al[0] = al[1] = '0';
	if (h->n_alpn > 0 && h->alpn[0].len > 0) {
		uint8_t f = h->alpn[0].p[0];
		uint8_t l = h->alpn[0].p[h->alpn[0].len - 1];
		if (is_alnum(f) && is_alnum(l)) {
			al[0] = (char)f;
			al[1] = (char)l;
		} else {
			al[0] = hx[f >> 4];
			al[1] = hx[l & 15];
		}
	}
}

/* FoxIO JA4 (technical_details/JA4.md): t, version, d/i, cipher and
 * extension counts, ALPN first/last, then the two truncated hashes:
 * "t13d1516h2_8daaf6152771_e5627efa2ab1". */
static void
write_ja4(const struct hello *h, struct pl_attrs *out)
{
	uint16_t v[TLS_MAX_SUITES > TLS_MAX_EXTS ? TLS_MAX_SUITES
						  : TLS_MAX_EXTS];
	char text[JA4_TEXT_MAX];
	char ja4[36];

	/* Ciphers without GREASE, sorted. */
	size_t nc = 0;
	for (size_t i = 0; i < h->n_suites; i++)
		if (!is_grease(h->suites[i]))
			v[nc++] = h->suites[i];
	sort_u16(v, nc);
	char *o = hex_list(text, v, nc);
	ja4_hash12(ja4 + 11, text, (size_t)(o - text), nc == 0);

	/* Extensions: counted with SNI and ALPN, hashed without them; then
	 * the signature algorithms in their order. */
	size_t ext_count = 0, ne = 0;
	for (size_t i = 0; i < h->n_exts; i++) {
		uint16_t t = h->exts[i];
		if (is_grease(t))
			continue;
		ext_count++;
		if (t != EXT_SERVER_NAME && t != EXT_ALPN)
			v[ne++] = t;
	}
	sort_u16(v, ne);
	o = hex_list(text, v, ne);
	bool first = true;
	for (size_t i = 0; i < h->n_sigalgs; i++) {
		if (is_grease(h->sigalgs[i]))
			continue;
		*o++ = first ? '_' : ',';
		o = pl_put_hex16(o, h->sigalgs[i]);
		first = false;
	}
	ja4_hash12(ja4 + 24, text, (size_t)(o - text), ne == 0);

	/* The first part: "t" version d|i ciphers extensions alpn. */
	memcpy(ja4, "t", 1);
	memcpy(ja4 + 1, ja4_version(h), 2);
	ja4[3] = h->has_sni ? 'd' : 'i';
	pl_put_dec2(ja4 + 4, (unsigned)(nc > 99 ? 99 : nc));
	pl_put_dec2(ja4 + 6, (unsigned)(ext_count > 99 ? 99 : ext_count));
	ja4_alpn(h, ja4 + 8);
	ja4[10] = ja4[23] = '_';
	/* ALPN characters may be any alphanumerics or hex: nothing to
	 * escape */
	pl_attrs_plain(out, "ja4", ja4, sizeof(ja4));
}

/* ------------------------------------------------------------ output */

static void
write_client_hello(const struct hello *h, struct pl_attrs *out)
{
	pl_attrs_object(out, "client_hello");
	pl_attrs_uint(out, "record_version", h->rec_version);
	if (h->got >= GOT_VERSION)
		pl_attrs_uint(out, "legacy_version", h->version);
	if (h->has_versions)
		pl_attrs_uint16_list(out, "supported_versions", h->versions,
				     h->n_versions);
	if (h->got >= GOT_SUITES)
		pl_attrs_hex16_list(out, "cipher_suites", h->suites,
				    h->n_suites);
	if (h->has_exts)
		pl_attrs_uint16_list(out, "extensions", h->exts, h->n_exts);
	if (h->sni.p)
		pl_attrs_str(out, "sni", h->sni.p, h->sni.len);
	if (h->has_alpn) {
		pl_attrs_array(out, "alpn");
		for (size_t i = 0; i < h->n_alpn; i++)
			pl_attrs_str(out, NULL, h->alpn[i].p, h->alpn[i].len);
		pl_attrs_end(out);
	}
	if (h->has_groups)
		pl_attrs_uint16_list(out, "supported_groups", h->groups,
				     h->n_groups);
	if (h->has_formats)
		pl_attrs_uint8_list(out, "ec_point_formats", h->formats,
				    h->n_formats);
	if (h->has_sigalgs)
		pl_attrs_hex16_list(out, "signature_algorithms", h->sigalgs,
				    h->n_sigalgs);
	if (h->got >= GOT_SUITES)
		pl_attrs_bool(out, "grease", h->grease);
	if (h->over_limit)
		pl_attrs_bool(out, "over_limit", true);
	/* A fingerprint needs the whole hello with its structure intact;
	 * inner oddities (a bad SNI list) still give one, as with tshark. */
	if (h->got == GOT_ALL && !h->outer_bad && !h->over_limit &&
	    !h->cut) {
		write_ja3(h, false, out);
		write_ja4(h, out);
	}
	pl_attrs_end(out);
}

static void
write_server_hello(const struct hello *h, struct pl_attrs *out)
{
	pl_attrs_object(out, "server_hello");
	pl_attrs_uint(out, "record_version", h->rec_version);
	if (h->got >= GOT_VERSION) {
		pl_attrs_uint(out, "legacy_version", h->version);
		/* RFC 8446 4.2.1: supported_versions, when there, is the
		 * negotiated version; legacy_version then stays 0x0303. */
		if (h->n_versions)
			pl_attrs_uint(out, "version", h->versions[0]);
		else if (!h->has_versions)
			pl_attrs_uint(out, "version", h->version);
	}
	if (h->got >= GOT_CIPHER) {
		uint8_t b[2] = {(uint8_t)(h->suites[0] >> 8),
				(uint8_t)h->suites[0]};
		pl_attrs_hex(out, "cipher_suite", b, 2);
	}
	if (h->has_exts)
		pl_attrs_uint16_list(out, "extensions", h->exts, h->n_exts);
	if (h->n_alpn)
		pl_attrs_str(out, "alpn", h->alpn[0].p, h->alpn[0].len);
	if (h->hrr)
		pl_attrs_bool(out, "hello_retry_request", true);
	if (h->over_limit)
		pl_attrs_bool(out, "over_limit", true);
	if (h->got == GOT_ALL && !h->outer_bad && !h->over_limit && !h->cut)
		write_ja3(h, true, out);
	pl_attrs_end(out);
}

/* ------------------------------------------------- X.509 (DER) walker */

/* A bounded string builder for the names of the certificate: an append
 * that does not fit sets full and leaves the text as it was. */
struct sbuf {
	char *p;
	size_t cap;
	size_t len;
	bool full;
};

static void
sb_add(struct sbuf *s, const char *t, size_t n)
{
	if (s->full || n >= s->cap - s->len) {
		s->full = true;
		return;
	}
	memcpy(s->p + s->len, t, n);
	s->len += n;
	s->p[s->len] = '\0';
}

/* One DER element at p[0..n). The content may be partly absent (e.n <
 * e.len) only where the caller accepts a cut; multi-byte tags, indefinite
 * and over-long lengths are not DER and are refused. */
struct der {
	uint8_t tag;
	const uint8_t *v;
	size_t len;	/* content length declared */
	size_t n;	/* content bytes present */
	size_t hdr;	/* tag and length bytes */
};

static int
der_read(const uint8_t *p, size_t n, struct der *e)
{
	if (n < 2)
		return R_CUT;
	e->tag = p[0];
	if ((e->tag & 0x1f) == 0x1f)
		return R_BAD;
	size_t len = p[1], hdr = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4)
			return R_BAD;
		if (n < 2 + k)
			return R_CUT;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | p[2 + i];
		hdr += k;
	}
	e->hdr = hdr;
	e->v = p + hdr;
	e->len = len;
	e->n = n - hdr < len ? n - hdr : len;
	return R_OK;
}

/* A whole element of the given tag at *off within p[0..n); advances. */
static int
der_take(const uint8_t *p, size_t n, size_t *off, uint8_t tag, struct der *e)
{
	if (*off >= n)
		return R_CUT;
	int r = der_read(p + *off, n - *off, e);
	if (r != R_OK)
		return r;
	if (e->tag != tag)
		return R_BAD;
	if (e->n < e->len)
		return R_CUT;
	*off += e->hdr + e->len;
	return R_OK;
}

/* OBJECT IDENTIFIER content as dotted decimal; false if malformed. */
static bool
oid_text(const uint8_t *p, size_t n, char *out, size_t cap)
{
	struct sbuf s = {out, cap, 0, false};
	uint64_t arc = 0;
	bool first = true;
	out[0] = '\0';
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (arc > (UINT64_MAX >> 7))
			return false;
		arc = arc << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		char t[24], *o = t;
		if (first) {
			/* X.690 8.19.4: the first two arcs share a value. */
			unsigned a = arc < 40 ? 0 : arc < 80 ? 1 : 2;
			*o++ = (char)('0' + a);
			*o++ = '.';
			o = pl_put_dec64(o, arc - 40u * a);
			first = false;
		} else {
			*o++ = '.';
			o = pl_put_dec64(o, arc);
		}
		sb_add(&s, t, (size_t)(o - t));
		arc = 0;
	}
	return !(p[n - 1] & 0x80) && !s.full;
}

/* Attribute types with a name in the DN string: RFC 4514 3 first, then
 * the names OpenSSL prints for a few more that certificates use. */
static const struct {
	const char *oid;
	const char *name;
} dn_names[] = {
	{"2.5.4.3", "CN"},
	{"2.5.4.6", "C"},
	{"2.5.4.7", "L"},
	{"2.5.4.8", "ST"},
	{"2.5.4.9", "STREET"},
	{"2.5.4.10", "O"},
	{"2.5.4.11", "OU"},
	{"0.9.2342.19200300.100.1.25", "DC"},
	{"0.9.2342.19200300.100.1.1", "UID"},
	{"2.5.4.4", "SN"},
	{"2.5.4.5", "serialNumber"},
	{"2.5.4.12", "title"},
	{"2.5.4.15", "businessCategory"},
	{"2.5.4.17", "postalCode"},
	{"2.5.4.42", "GN"},
	{"2.5.4.43", "initials"},
	{"2.5.4.44", "generationQualifier"},
	{"2.5.4.46", "dnQualifier"},
	{"2.5.4.65", "pseudonym"},
	{"2.5.4.97", "organizationIdentifier"},
	{"1.2.840.113549.1.9.1", "emailAddress"},
	{"1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"},
	{"1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"},
	{"1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"},
};

static void
put_utf8(struct sbuf *s, uint32_t cp)
{
	char t[4];
	size_t k;
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd; /* not a character: the replacement one */
	if (cp < 0x80) {
		t[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | cp >> 6);
		t[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | cp >> 12);
		t[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		t[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		t[0] = (char)(0xf0 | cp >> 18);
		t[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		t[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		t[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	sb_add(s, t, k);
}

/*
 * A DirectoryString-like value as UTF-8 into s; false if the tag is not a
 * string type. UTF8, Printable, IA5, Numeric and Visible strings are taken
 * as they are; Teletex as Latin-1 (what issuers put there in practice);
 * BMP (UCS-2) and Universal (UCS-4) strings are converted.
 */
static bool
value_utf8(const struct der *e, struct sbuf *s)
{
	switch (e->tag) {
	case 0x0c: /* UTF8String */
	case 0x12: /* NumericString */
	case 0x13: /* PrintableString */
	case 0x16: /* IA5String */
	case 0x1a: /* VisibleString */
		sb_add(s, (const char *)e->v, e->len);
		return true;
	case 0x14: /* TeletexString */
		for (size_t i = 0; i < e->len; i++)
			put_utf8(s, e->v[i]);
		return true;
	case 0x1e: /* BMPString */
		for (size_t i = 0; i + 1 < e->len; i += 2)
			put_utf8(s, (uint32_t)e->v[i] << 8 | e->v[i + 1]);
		return true;
	case 0x1c: /* UniversalString */
		for (size_t i = 0; i + 3 < e->len; i += 4)
			put_utf8(s, (uint32_t)e->v[i] << 24 |
					    (uint32_t)e->v[i + 1] << 16 |
					    (uint32_t)e->v[i + 2] << 8 |
					    e->v[i + 3]);
		return true;
	default:
		return false;
	}
}

/* RFC 4514 2.4: escape the special characters, a leading '#' or space,
 * a trailing space, and NUL. */
static void
put_escaped_value(struct sbuf *s, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (c == '\0') {
			sb_add(s, "\\00", 3);
			continue;
		}
		if (strchr("\"+,;<>\\", c) || (i == 0 && (c == '#' || c == ' ')) ||
		    (i == n - 1 && c == ' '))
			sb_add(s, "\\", 1);
		sb_add(s, &c, 1);
	}
}

/* One AttributeTypeAndValue (content of its SEQUENCE): its type as text
 * and its value element; false if it is not well formed. */
static bool
read_atv(const struct der *atv, char *oid, size_t oidcap, struct der *val)
{
	struct der t;
	size_t off = 0;
	if (der_take(atv->v, atv->len, &off, 0x06, &t) != R_OK ||
	    !oid_text(t.v, t.len, oid, oidcap))
		return false;
	if (off >= atv->len || der_read(atv->v + off, atv->len - off, val) ||
	    val->n < val->len || off + val->hdr + val->len != atv->len)
		return false;
	return true;
}

/* One attribute of a DN string: "NAME=value", the value escaped or, for a
 * type without a name or a value that is not a string, '#' and its BER in
 * hex (RFC 4514 2.4). */
static void
put_attribute(struct sbuf *dn, const char *nm, const char *oid,
	      const struct der *val, const struct sbuf *v, bool str)
{
	static const char hx[] = "0123456789abcdef";
	sb_add(dn, nm ? nm : oid, strlen(nm ? nm : oid));
	sb_add(dn, "=", 1);
	if (str) {
		put_escaped_value(dn, v->p, v->len);
		return;
	}
	const uint8_t *b = val->v - val->hdr;
	sb_add(dn, "#", 1);
	for (size_t k = 0; k < val->hdr + val->len; k++) {
		char h2[2] = {hx[b[k] >> 4], hx[b[k] & 15]};
		sb_add(dn, h2, 2);
	}
}

/*
 * Name (content of its SEQUENCE) as an RFC 4514 string: RDNs last first,
 * joined by ',', the attributes of a multi-valued RDN by '+'. A string
 * that would not fit in dn stops after the last whole attribute; of a Name
 * with more than TLS_MAX_RDNS RDNs, the last ones (the first written) are
 * kept. The last CN in DER order (the most specific, RFC 2818 3.1) goes to
 * cn. Returns false if the Name is malformed.
 */
static bool
name_text(const struct der *name, struct sbuf *dn, struct sbuf *cn)
{
	struct {
		const uint8_t *p;
		size_t n;
	} rdn[TLS_MAX_RDNS];
	size_t total = 0, off = 0;
	bool ok = true, first = true;
	while (off < name->len) {
		struct der set;
		if (der_take(name->v, name->len, &off, 0x31, &set) != R_OK) {
			ok = false;
			break;
		}
		rdn[total % TLS_MAX_RDNS].p = set.v;
		rdn[total % TLS_MAX_RDNS].n = set.len;
		total++;
	}
	size_t keep = total < TLS_MAX_RDNS ? total : TLS_MAX_RDNS;
	for (size_t i = 0; i < keep; i++) {
		size_t at = (total - 1 - i) % TLS_MAX_RDNS;
		size_t aoff = 0;
		bool first_atv = true;
		while (aoff < rdn[at].n) {
			struct der atv, val;
			char oid[64], vbuf[1024];
			struct sbuf v = {vbuf, sizeof(vbuf), 0, false};
			vbuf[0] = '\0';
			if (der_take(rdn[at].p, rdn[at].n, &aoff, 0x30, &atv) !=
				    R_OK ||
			    !read_atv(&atv, oid, sizeof(oid), &val)) {
				ok = false;
				break;
			}
			const char *nm = NULL;
			for (size_t k = 0;
			     k < sizeof(dn_names) / sizeof(dn_names[0]); k++)
				if (strcmp(oid, dn_names[k].oid) == 0)
					nm = dn_names[k].name;
			bool str = nm && value_utf8(&val, &v) && !v.full;
			/* Going backwards, the first CN met is the last. */
			if (str && strcmp(oid, "2.5.4.3") == 0 && cn->len == 0 &&
			    v.len < cn->cap) {
				memcpy(cn->p, vbuf, v.len);
				cn->p[v.len] = '\0';
				cn->len = v.len;
			}
			if (!dn->full) {
				size_t save = dn->len;
				if (!first)
					sb_add(dn, first_atv ? "," : "+", 1);
				put_attribute(dn, nm, oid, &val, &v, str);
				if (dn->full) { /* whole attributes only */
					dn->len = save;
					dn->p[save] = '\0';
				}
			}
			first = first_atv = false;
		}
	}
	return ok;
}

static bool
digits(const uint8_t *p, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(p[i] - '0');
	}
	return true;
}

/* UTCTime or GeneralizedTime in UTC ('Z') as ISO 8601, e.g.
 * 2015-10-10T15:55:47Z; RFC 5280 4.1.2.5.1: UTCTime years 50-99 are 19xx.
 * Seconds may be left out (BER); local-time offsets are refused. */
static bool
time_iso(const struct der *e, char out[21])
{
	unsigned y, mo, d, h, mi, s = 0;
	const uint8_t *p = e->v;
	size_t n = e->len, yl;
	if (e->tag == 0x17)
		yl = 2;
	else if (e->tag == 0x18)
		yl = 4;
	else
		return false;
	if ((n != yl + 9 && n != yl + 11) || p[n - 1] != 'Z')
		return false;
	if (!digits(p, yl, &y) || !digits(p + yl, 2, &mo) ||
	    !digits(p + yl + 2, 2, &d) || !digits(p + yl + 4, 2, &h) ||
	    !digits(p + yl + 6, 2, &mi) ||
	    (n == yl + 11 && !digits(p + yl + 8, 2, &s)))
		return false;
	if (yl == 2)
		y += y >= 50 ? 1900 : 2000;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60)
		return false;
	/* By hand: the ranges are checked, snprintf cannot know them. */
	const unsigned f[6] = {y, mo, d, h, mi, s};
	static const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
	size_t k = 0;
	for (int i = 0; i < 6; i++) {
		if (i == 0) {
			out[k++] = (char)('0' + f[0] / 1000 % 10);
			out[k++] = (char)('0' + f[0] / 100 % 10);
		}
		out[k++] = (char)('0' + f[i] / 10 % 10);
		out[k++] = (char)('0' + f[i] % 10);
		out[k++] = sep[i];
	}
	out[k] = '\0';
	return true;
}

/*
 * The leaf certificate (RFC 5280 4.1): the TBSCertificate's issuer,
 * validity and subject. cert holds n of its size bytes; the outer
 * SEQUENCEs may be cut, the fields read must be whole. Returns true if
 * anything was cut or inconsistent.
 */
static bool
parse_certificate_der(const uint8_t *cert, size_t n, size_t size,
		      struct pl_attrs *out)
{
	struct der c, tbs, e, issuer, subject, validity, nb, na;
	bool bad = false, have_issuer = false, have_subject = false;
	char nbs[21] = "", nas[21] = "";
	if (der_read(cert, n, &c) != R_OK || c.tag != 0x30)
		return true;
	if (c.hdr + c.len != size)
		bad = true; /* DER: the element is the whole entry */
	if (der_read(c.v, c.n, &tbs) != R_OK || tbs.tag != 0x30)
		return true;
	if (tbs.hdr + tbs.len > c.len)
		bad = true;
	/* The fields below must be whole, within what is present. */
	const uint8_t *t = tbs.v;
	size_t off = 0, tn = tbs.n;
	if (tn > 0 && t[0] == 0xa0 && /* [0] EXPLICIT version */
	    der_take(t, tn, &off, 0xa0, &e) != R_OK)
		goto done;
	if (der_take(t, tn, &off, 0x02, &e) != R_OK || /* serialNumber */
	    der_take(t, tn, &off, 0x30, &e) != R_OK || /* signature */
	    der_take(t, tn, &off, 0x30, &issuer) != R_OK)
		goto done;
	have_issuer = true;
	if (der_take(t, tn, &off, 0x30, &validity) != R_OK)
		goto done;
	/* Validity: notBefore and notAfter, each UTCTime or
	 * GeneralizedTime, and nothing else. */
	size_t voff = 0;
	if (der_read(validity.v, validity.len, &nb) != R_OK || nb.n < nb.len) {
		bad = true;
	} else {
		if (!time_iso(&nb, nbs))
			bad = true;
		voff = nb.hdr + nb.len;
		if (der_read(validity.v + voff, validity.len - voff, &na) !=
			    R_OK ||
		    na.n < na.len || !time_iso(&na, nas) ||
		    voff + na.hdr + na.len != validity.len)
			bad = true;
	}
	if (der_take(t, tn, &off, 0x30, &subject) == R_OK)
		have_subject = true;
done:
	if (!have_subject)
		bad = true;

	char dnb[TLS_DN_BUF], cnb[TLS_CN_BUF];
	struct sbuf dn = {dnb, sizeof(dnb), 0, false};
	struct sbuf cn = {cnb, sizeof(cnb), 0, false};
	if (have_subject) {
		dnb[0] = cnb[0] = '\0';
		if (!name_text(&subject, &dn, &cn))
			bad = true;
		pl_attrs_str(out, "subject", dnb, dn.len);
		if (cn.len)
			pl_attrs_str(out, "subject_cn", cnb, cn.len);
	}
	if (have_issuer) {
		dn.len = cn.len = 0;
		dn.full = cn.full = false;
		dnb[0] = cnb[0] = '\0';
		if (!name_text(&issuer, &dn, &cn))
			bad = true;
		pl_attrs_str(out, "issuer", dnb, dn.len);
		if (cn.len)
			pl_attrs_str(out, "issuer_cn", cnb, cn.len);
	}
	if (nbs[0])
		pl_attrs_cstr(out, "not_before", nbs);
	if (nas[0])
		pl_attrs_cstr(out, "not_after", nas);
	if (have_subject)
		pl_attrs_bool(out, "self_signed",
			      issuer.len == subject.len &&
				      memcmp(issuer.v, subject.v,
					     issuer.len) == 0);
	return bad;
}

/* Certificate message (RFC 5246 7.4.2): certificate_list<0..2^24-1> of
 * ASN.1Cert<1..2^24-1>; only the first (the sender's own) is decoded.
 * Returns true if what was needed of it was cut or inconsistent. */
static bool
parse_certificate(const struct msg *m, struct pl_attrs *out)
{
	struct rd r = rd_make(m->body, m->n, m->size);
	struct rd list, cert;
	if (!rd_vec(&r, 3, &list))
		return true;
	if (list.size == 0)
		return r.err != R_OK || r.off != r.size; /* no certificate */
	if (!rd_vec(&list, 3, &cert))
		return true;
	pl_attrs_object(out, "certificate");
	bool bad = parse_certificate_der(cert.p, cert.n, cert.size, out);
	pl_attrs_end(out);
	/* Only a list that passes the message is wrong here: the rest of the
	 * chain may be cut without loss (the leaf was whole). */
	return bad || cert.n < cert.size || list.err == R_BAD ||
	       r.err == R_BAD || cert.size == 0;
}

/* ------------------------------------------------------------- entry */

enum pl_dissect_result
pl_tls_dissect(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	/* A record header (RFC 5246 6.2.1) as far as it is present. */
	if ((len >= 1 && (p[0] < CT_CCS || p[0] > CT_HEARTBEAT)) ||
	    (len >= 2 && p[1] != 3) || (len >= 3 && p[2] > 4))
		return PL_DISSECT_NOT_MINE;

	/* The walker's reassembly buffer is not cleared: only the bytes
	 * copied into it are ever read. */
	struct walker w;
	memset(&w, 0, offsetof(struct walker, buf));
	w.p = p;
	w.len = len;

	bool malformed = len == 0, hello_done = false, stop = false;
	struct msg m;
	while (!stop && walker_next(&w, &m)) {
		switch (m.type) {
		case HS_CLIENT_HELLO:
		case HS_SERVER_HELLO: {
			if (hello_done)
				break;
			hello_done = true;
			struct hello h;
			memset(&h, 0, sizeof(h));
			if (m.type == HS_CLIENT_HELLO) {
				parse_client_hello(&h, &m);
				write_client_hello(&h, out);
			} else {
				parse_server_hello(&h, &m);
				write_server_hello(&h, out);
				/* TLS 1.3 (RFC 8446 4.2.1): the rest of the
				 * server's flight is encrypted. */
				stop = h.has_versions;
			}
			malformed |= h.malformed;
			break;
		}
		case HS_CERTIFICATE:
			malformed |= parse_certificate(&m, out);
			stop = true; /* nothing else is wanted */
			break;
		case 14: /* ServerHelloDone */
		case 16: /* ClientKeyExchange: no certificate follows */
			stop = true;
			break;
		default:
			if (m.cut && !hello_done)
				malformed = true;
			break;
		}
		if (m.cut)
			break;
	}
	/* The head ends before any hello was whole, or the records are not
	 * consistent; a cut after the hello is just the end of the head. */
	if (w.bad || (!hello_done && w.cut))
		malformed = true;
	if (malformed) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}

/* ------------------------------------------------- head completeness */

/*
 * pl_tls_head_state walks the records as the walker above does, but only
 * counts handshake bytes: it copies nothing but message headers and the
 * few ServerHello fields it needs, and decodes nothing else.
 */
enum { HC_OK, HC_CUT, HC_STOP };

struct hcur {
	const uint8_t *p;
	size_t len;
	size_t next;	  /* offset of the next record header */
	size_t frag;	  /* offset of the rest of the current record */
	size_t frag_n;	  /* its bytes present */
	size_t frag_size; /* its bytes declared */
};

/* The next handshake record, as walker_record: HC_CUT when the head ends
 * first, HC_STOP at a record the dissector does not read past (another
 * content type, an inconsistent header). */
static int
hc_record(struct hcur *c, bool between)
{
	for (;;) {
		if (c->next >= c->len)
			return HC_CUT;
		const uint8_t *h = c->p + c->next;
		size_t left = c->len - c->next;
		if (h[0] < CT_CCS || h[0] > CT_HEARTBEAT ||
		    (left >= 2 && h[1] != 3) || (left >= 3 && h[2] > 4))
			return HC_STOP;
		if (left < 5)
			return HC_CUT;
		size_t rlen = (size_t)h[3] << 8 | h[4];
		if (h[0] == CT_ALERT && between) {
			c->next += 5 + rlen;
			continue;
		}
		if (h[0] != CT_HANDSHAKE)
			return HC_STOP;
		c->frag = c->next + 5;
		c->frag_size = rlen;
		c->frag_n = left - 5 < rlen ? left - 5 : rlen;
		c->next += 5 + rlen;
		if (rlen > 0)
			return HC_OK;
		/* an empty handshake record is passed over, as the walker
		 * does */
	}
}

/* Take k handshake bytes (into dst unless NULL). at_msg: a message starts
 * here, so Alert records before it are passed over. */
static int
hc_take(struct hcur *c, uint8_t *dst, size_t k, bool at_msg)
{
	while (k > 0) {
		if (c->frag_n == 0) {
			if (c->frag_size > 0) /* declared but absent */
				return HC_CUT;
			int r = hc_record(c, at_msg);
			if (r != HC_OK)
				return r;
		}
		at_msg = false;
		size_t t = k < c->frag_n ? k : c->frag_n;
		if (dst) {
			memcpy(dst, c->p + c->frag, t);
			dst += t;
		}
		c->frag += t;
		c->frag_n -= t;
		c->frag_size -= t;
		k -= t;
	}
	return HC_OK;
}

/* Does the whole ServerHello body of size bytes at b have the
 * supported_versions extension, as parse_server_hello and read_extensions
 * would find it? (Then it selects TLS 1.3 or is a HelloRetryRequest, and
 * the dissector stops after it.) */
static bool
hc_server_hello_13(struct hcur b, size_t size)
{
	uint8_t v[2];
	size_t off = 2 + 32 + 1; /* legacy_version, random, session id len */
	if (size < off)
		return false;
	hc_take(&b, NULL, off - 1, false);
	hc_take(&b, v, 1, false);
	if (v[0] > size - off)
		return false;
	off += v[0] + 3; /* session id, cipher_suite, compression_method */
	if (off + 2 > size) /* no extensions block (or a broken one) */
		return false;
	hc_take(&b, NULL, v[0] + 3u, false);
	hc_take(&b, v, 2, false);
	off += 2;
	size_t end = off + ((size_t)v[0] << 8 | v[1]);
	if (end > size)
		return false;
	while (end - off >= 4) {
		uint8_t e[4];
		hc_take(&b, e, 4, false);
		off += 4;
		if ((e[0] << 8 | e[1]) == EXT_SUPPORTED_VERSIONS)
			return true;
		size_t elen = (size_t)e[2] << 8 | e[3];
		if (elen > end - off)
			return false;
		hc_take(&b, NULL, elen, false);
		off += elen;
	}
	return false;
}

enum pl_head_state
pl_tls_head_state(const uint8_t *p, size_t len)
{
	if ((len >= 1 && (p[0] < CT_CCS || p[0] > CT_HEARTBEAT)) ||
	    (len >= 2 && p[1] != 3) || (len >= 3 && p[2] > 4))
		return PL_HEAD_NOT_MINE;
	struct hcur c = {.p = p, .len = len};
	bool after_sh = false; /* after a ServerHello of TLS <= 1.2 */
	for (;;) {
		uint8_t h[4];
		int r = hc_take(&c, h, 4, true);
		if (r != HC_OK)
			return r == HC_CUT ? PL_HEAD_NEED_MORE : PL_HEAD_COMPLETE;
		/* A Certificate follows the ServerHello or does not come. */
		if (after_sh && h[0] != HS_CERTIFICATE)
			return PL_HEAD_COMPLETE;
		size_t size = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
		struct hcur body = c;
		r = hc_take(&c, NULL, size, false);
		if (r != HC_OK)
			return r == HC_CUT ? PL_HEAD_NEED_MORE : PL_HEAD_COMPLETE;
		switch (h[0]) {
		case HS_SERVER_HELLO:
			if (hc_server_hello_13(body, size))
				return PL_HEAD_COMPLETE;
			after_sh = true;
			break;
		case HS_CLIENT_HELLO:
		case HS_CERTIFICATE:
		case 14: /* ServerHelloDone */
		case 16: /* ClientKeyExchange */
			return PL_HEAD_COMPLETE; /* the dissector stops there */
		default:
			break; /* read past, as the dissector does */
		}
	}
}
