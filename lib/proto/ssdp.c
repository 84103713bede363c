/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SSDP (UPnP Device Architecture 2.0, section 1): HTTP-formatted messages
 * over UDP. The start line says what the message is (NOTIFY, M-SEARCH, or a
 * search response with its status) and a fixed set of discovery headers
 * identifies the device. Header names are case-insensitive (RFC 9110 5.1);
 * the first of repeated headers is reported. The IP TTL or hop limit is the
 * caller's to add. Attribute reference: docs/attrs/ssdp.md.
 */
#include "proto-internal.h"

#define SSDP_METHOD_MAX 32

/* The name's length is kept so that most names are told apart by it,
 * without a strlen per line and header. */
#define H(name, key) {name, sizeof(name) - 1, key}
static const struct {
	const char *name; /* header, as UDA spells it */
	size_t len;
	const char *key;  /* attribute */
} headers[] = {
	H("NT", "nt"),         H("NTS", "nts"),
	H("ST", "st"),         H("MAN", "man"),
	H("MX", "mx"),         H("USN", "usn"),
	H("HOST", "host"),     H("SERVER", "server"),
	H("USER-AGENT", "user_agent"), H("LOCATION", "location"),
	H("CACHE-CONTROL", "cache_control"),
};
#undef H
#define N_HEADERS (sizeof(headers) / sizeof(headers[0]))

static bool
http_version(const uint8_t *p, size_t n)
{
	/* "HTTP/" DIGIT "." DIGIT, what UDA requires (HTTP/1.1, HTTP/1.0) */
	return n == 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' &&
	       p[5] <= '9' && p[6] == '.' && p[7] >= '0' && p[7] <= '9';
}

/* The start line; false (nothing written) if it is not SSDP's. */
static bool
start_line(struct pl_span l, struct pl_attrs *out)
{
	const uint8_t *sp1 = memchr(l.p, ' ', l.len);
	if (!sp1)
		return false;
	size_t a = (size_t)(sp1 - l.p);
	struct pl_span rest = {sp1 + 1, l.len - a - 1};
	if (http_version(l.p, a)) {
		/* HTTP-version SP 3DIGIT SP reason: a search response */
		if (rest.len < 3 || (rest.len > 3 && rest.p[3] != ' '))
			return false;
		for (int i = 0; i < 3; i++)
			if (rest.p[i] < '0' || rest.p[i] > '9')
				return false;
		pl_attrs_cstr(out, "type", "response");
		pl_attrs_str(out, "version", l.p, a);
		pl_attrs_uint(out, "status_code",
			      (uint64_t)((rest.p[0] - '0') * 100 +
					 (rest.p[1] - '0') * 10 +
					 (rest.p[2] - '0')));
		size_t r = rest.len > 3 ? 4 : 3;
		pl_attrs_str(out, "reason", rest.p + r, rest.len - r);
		return true;
	}
	/* method SP request-target SP HTTP-version */
	if (a == 0 || a > SSDP_METHOD_MAX)
		return false;
	for (size_t i = 0; i < a; i++)
		if (!pl_is_tchar(l.p[i]))
			return false;
	const uint8_t *sp2 = memchr(rest.p, ' ', rest.len);
	if (!sp2)
		return false;
	size_t u = (size_t)(sp2 - rest.p);
	if (!http_version(sp2 + 1, rest.len - u - 1))
		return false;
	struct pl_span method = {l.p, a};
	pl_attrs_cstr(out, "type",
		      pl_span_ieq(method, "NOTIFY")     ? "notify"
		      : pl_span_ieq(method, "M-SEARCH") ? "m-search"
							: "request");
	pl_attrs_str(out, "method", l.p, a);
	pl_attrs_str(out, "uri", rest.p, u);
	pl_attrs_str(out, "version", sp2 + 1, rest.len - u - 1);
	return true;
}

enum pl_dissect_result
pl_ssdp_dissect(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	size_t pos = 0;
	struct pl_span line;
	if (!pl_next_line(p, len, &pos, &line)) {
		/* A cut start line: say so if it could still become one. */
		size_t k = 0;
		while (k < line.len && (pl_is_tchar(line.p[k]) ||
					line.p[k] == ' ' || line.p[k] == '/'))
			k++;
		if (k + 1 == line.len && line.p[k] == '\r')
			k++; /* cut between CR and LF */
		if (k < line.len)
			return PL_DISSECT_NOT_MINE;
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	if (!start_line(line, out))
		return PL_DISSECT_NOT_MINE;
	bool ended = false, malformed = false;
	uint32_t seen = 0;
	unsigned count = 0;
	while (pos < len) {
		if (!pl_next_line(p, len, &pos, &line))
			break; /* cut: the partial line is not written */
		if (line.len == 0) {
			ended = true;
			break;
		}
		if (line.p[0] == ' ' || line.p[0] == '\t')
			continue; /* obs-fold continuation, not joined */
		count++;
		struct pl_span name, value;
		if (!pl_header_split(line, &name, &value)) {
			malformed = true;
			continue;
		}
		for (unsigned i = 0; i < N_HEADERS; i++) {
			if (!(seen & (1u << i)) &&
			    pl_span_ieqn(name, headers[i].name,
					 headers[i].len)) {
				pl_attrs_str(out, headers[i].key, value.p,
					     value.len);
				seen |= 1u << i;
				break;
			}
		}
	}
	pl_attrs_uint(out, "header_count", count);
	if (!ended || malformed) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}
