/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_PROTO_INTERNAL_H
#define PL_PROTO_INTERNAL_H

/*
 * Helpers shared by the text dissectors (http.c, ssdp.c) and the binary
 * ones (dns.c, dhcp.c, ntp.c). Everything here works on (pointer, length)
 * spans and never reads outside them; nothing allocates. Static inline so
 * that each dissector stays one self-contained object file.
 */

/* The low-level SHA-256 functions are deprecated in OpenSSL 3, but unlike
 * the one-shot SHA256() (an EVP_MD_fetch and a context allocation per
 * call) they neither allocate nor look anything up. */
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/sha.h>

#include "proto.h"

/** A view into the input buffer. */
struct pl_span {
	const uint8_t *p;
	size_t len;
};

static inline uint16_t
pl_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
pl_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t
pl_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/** Case-insensitive comparison of a span with the n bytes of lit. */
static inline bool
pl_span_ieqn(struct pl_span s, const char *lit, size_t n)
{
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (pl_lower(s.p[i]) != pl_lower((uint8_t)lit[i]))
			return false;
	return true;
}

/** Case-insensitive comparison of a span with a NUL-terminated literal
 * (the strlen of a literal is folded at compile time). */
static inline bool
pl_span_ieq(struct pl_span s, const char *lit)
{
	return pl_span_ieqn(s, lit, strlen(lit));
}

/** Does the span contain lit (case-insensitive)? */
static inline bool
pl_span_icontains(struct pl_span s, const char *lit)
{
	size_t n = strlen(lit);
	for (size_t i = 0; n <= s.len && i <= s.len - n; i++) {
		size_t k = 0;
		while (k < n &&
		       pl_lower(s.p[i + k]) == pl_lower((uint8_t)lit[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/** Strip spaces and tabs (HTTP OWS) at both ends. */
static inline struct pl_span
pl_span_trim(struct pl_span s)
{
	while (s.len && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.len--;
	}
	while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
		s.len--;
	return s;
}

/**
 * Next line of a text header block, starting at *pos. The line excludes its
 * LF and an optional CR before it (RFC 9112 section 2.2 lets recipients
 * accept a bare LF). Returns true when a whole line was found; false when
 * the buffer ends first, in which case *line is the cut remainder.
 */
static inline bool
pl_next_line(const uint8_t *buf, size_t len, size_t *pos,
	     struct pl_span *line)
{
	size_t start = *pos;
	const uint8_t *lf = start < len ?
		memchr(buf + start, '\n', len - start) : NULL;
	if (!lf) {
		line->p = buf + start;
		line->len = start < len ? len - start : 0;
		*pos = len;
		return false;
	}
	size_t end = (size_t)(lf - buf);
	*pos = end + 1;
	if (end > start && buf[end - 1] == '\r')
		end--;
	line->p = buf + start;
	line->len = end - start;
	return true;
}

/** RFC 9110 tchar: the characters of a method or header name. */
static inline bool
pl_is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	/* a switch, not strchr: a call per '-' of every header name */
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return true;
	default:
		return false;
	}
}

/**
 * Split a header line into name and value (value trimmed of OWS).
 * False when the line has no colon or the name is empty or not a token.
 */
static inline bool
pl_header_split(struct pl_span line, struct pl_span *name,
		struct pl_span *value)
{
	const uint8_t *colon = memchr(line.p, ':', line.len);
	if (!colon || colon == line.p)
		return false;
	name->p = line.p;
	name->len = (size_t)(colon - line.p);
	for (size_t i = 0; i < name->len; i++)
		if (!pl_is_tchar(name->p[i]))
			return false;
	value->p = colon + 1;
	value->len = line.len - name->len - 1;
	*value = pl_span_trim(*value);
	return true;
}

/* Number and hex text without snprintf (attrs.c holds the tables):
 * pl_dec2 is "00" "01" ... "99", pl_hex2 "00" "01" ... "ff". */
extern const char pl_dec2[201];
extern const char pl_hex2[513];

/** Decimal digits of v (at most 65535) at o; returns their end. */
static inline char *
pl_put_dec16(char *o, unsigned v)
{
	if (v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	if (v < 100) {
		memcpy(o, pl_dec2 + 2 * v, 2);
		return o + 2;
	}
	if (v >= 10000) {
		*o++ = (char)('0' + v / 10000);
		v %= 10000;
	} else if (v < 1000) {
		*o = (char)('0' + v / 100);
		memcpy(o + 1, pl_dec2 + 2 * (v % 100), 2);
		return o + 3;
	}
	memcpy(o, pl_dec2 + 2 * (v / 100), 2);
	memcpy(o + 2, pl_dec2 + 2 * (v % 100), 2);
	return o + 4;
}

/** Decimal digits of any v at o; returns their end. */
static inline char *
pl_put_dec64(char *o, uint64_t v)
{
	char t[20], *p = t + sizeof(t);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	size_t n = (size_t)(t + sizeof(t) - p);
	memcpy(o, p, n);
	return o + n;
}

/** Two decimal digits of v (< 100) at o, with a leading zero. */
static inline char *
pl_put_dec2(char *o, unsigned v)
{
	memcpy(o, pl_dec2 + 2 * v, 2);
	return o + 2;
}

/** Bytes p[0..n) as lower-case hex at o; returns the end. */
static inline char *
pl_put_hex(char *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++, o += 2)
		memcpy(o, pl_hex2 + 2 * p[i], 2);
	return o;
}

/** v as 4 lower-case hex digits at o. */
static inline char *
pl_put_hex16(char *o, uint16_t v)
{
	memcpy(o, pl_hex2 + 2 * (v >> 8), 2);
	memcpy(o + 2, pl_hex2 + 2 * (v & 0xff), 2);
	return o + 4;
}

/**
 * The short hash that correlates secrets without revealing them: the first
 * 8 hex characters (32 bits) of SHA-256 over the bytes, NUL-terminated.
 */
static inline void
pl_secret_hash(const uint8_t *p, size_t len, char out[9])
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;
	SHA256_Init(&ctx);
	SHA256_Update(&ctx, p, len);
	SHA256_Final(md, &ctx);
	pl_put_hex(out, md, 4);
	out[8] = '\0';
}

/* Head completeness of the stream dissectors, for the registry (see
 * struct pl_dissector in proto.h); each lives beside its dissector. */
enum pl_head_state pl_tls_head_state(const uint8_t *p, size_t len);
enum pl_head_state pl_http_head_state(const uint8_t *p, size_t len);
enum pl_head_state pl_dns_tcp_head_state(const uint8_t *p, size_t len);

/** Dotted quad of 4 bytes into out (NUL-terminated); returns its length. */
static inline size_t
pl_fmt_ipv4(const uint8_t *p, char out[16])
{
	char *o = out;
	for (int i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		o = pl_put_dec16(o, p[i]);
	}
	*o = '\0';
	return (size_t)(o - out);
}

static inline void
pl_attrs_ipv4(struct pl_attrs *a, const char *key, const uint8_t *p)
{
	char s[16];
	pl_attrs_plain(a, key, s, pl_fmt_ipv4(p, s));
}

#endif /* PL_PROTO_INTERNAL_H */
