/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.x heads (RFC 9112): the request or status line and the header
 * block of one direction of a TCP stream, reassembled by the caller.
 * Attribute reference: docs/attrs/http.md.
 *
 * Secrets never leave this file: an Authorization header yields its scheme,
 * whether a credential follows, and a short hash of it; secret-looking
 * query parameter values and URI passwords are replaced in the URI by
 * <redacted:HASH>. Partial (cut) lines are never written, so a cut
 * credential cannot leak either.
 */
#include "proto-internal.h"

/* Longest method accepted: the longest registered ones (IANA HTTP Method
 * Registry, e.g. UPDATEREDIRECTREF) are 17 characters. */
#define HTTP_METHOD_MAX 32
/* Room for a URI that needs redacting; a longer one is cut (and said so).
 * URIs without secrets are written from the input, whatever their size. */
#define HTTP_URI_MAX 4096

/* "HTTP/" 1*DIGIT [ "." 1*DIGIT ]: the versions tshark also takes. */
static bool
is_version(struct pl_span v)
{
	static const char pfx[] = "HTTP/";
	size_t i = sizeof(pfx) - 1, digits = 0;
	if (v.len <= i || memcmp(v.p, pfx, i) != 0)
		return false;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9') {
		i++;
		digits++;
	}
	if (!digits)
		return false;
	if (i == v.len)
		return true;
	if (v.p[i++] != '.' || i == v.len)
		return false;
	while (i < v.len && v.p[i] >= '0' && v.p[i] <= '9')
		i++;
	return i == v.len;
}

/* Could the cut bytes b still become a status line ("HTTP/...")? */
static bool
maybe_response(const uint8_t *b, size_t n)
{
	static const char pfx[] = "HTTP/";
	size_t k = n < 5 ? n : 5;
	return memcmp(b, pfx, k) == 0;
}

/*
 * Query parameter names whose values are secrets: substrings, then exact
 * names (case-insensitive). tests/e2e/test_attrs_plain.py applies the same
 * rule to tshark's URI; keep the two in step (docs/attrs/http.md).
 */
static const char *const secret_substrings[] = {
	"pass", "pwd", "token", "secret", "apikey", "api_key", "api-key",
	"session", "credential", "_key", "-key", NULL};
static const char *const secret_names[] = {
	"key", "auth", "sig", "signature", "pin", NULL};

static bool
secret_name(struct pl_span name)
{
	for (int i = 0; secret_substrings[i]; i++)
		if (pl_span_icontains(name, secret_substrings[i]))
			return true;
	for (int i = 0; secret_names[i]; i++)
		if (pl_span_ieq(name, secret_names[i]))
			return true;
	return false;
}

/* A bounded string builder for the redacted URI. */
struct sbuf {
	char b[HTTP_URI_MAX];
	size_t len;
	bool cut;
};

static void
sb_put(struct sbuf *s, const void *p, size_t n)
{
	if (s->cut)
		return;
	if (n > sizeof(s->b) - s->len) {
		/* What fits of a plain segment is kept: secrets only ever go
		 * through sb_redact, which is all or nothing. */
		n = sizeof(s->b) - s->len;
		s->cut = true;
	}
	memcpy(s->b + s->len, p, n);
	s->len += n;
}

/* Where the secrets of a URI were, for the privacy checks: "query:token",
 * with the hash that replaced each. */
#define URI_SECRETS_MAX 8
struct uri_secrets {
	struct {
		const char *where; /* userinfo, path, query */
		struct pl_span name;
		char hash[9];
	} v[URI_SECRETS_MAX];
	unsigned n;
};

static void
sb_redact(struct sbuf *s, const uint8_t *secret, size_t n,
	  struct uri_secrets *sec, const char *where, struct pl_span name)
{
	static const char pfx[] = "<redacted:";
	char tok[sizeof("<redacted:12345678>")];
	size_t k = sizeof(pfx) - 1;
	memcpy(tok, pfx, k);
	pl_secret_hash(secret, n, tok + k); /* 8 hex digits and a NUL */
	if (sec->n < URI_SECRETS_MAX) {
		sec->v[sec->n].where = where;
		sec->v[sec->n].name = name;
		memcpy(sec->v[sec->n].hash, tok + k, 9);
		sec->n++;
	}
	k += 8;
	tok[k++] = '>';
	if (s->cut || k > sizeof(s->b) - s->len) {
		s->cut = true;
		return;
	}
	sb_put(s, tok, k);
}

/* An API key as a path segment (/api/KEY/..., as the Hue bridge's REST
 * API has it): 16 or more letters, digits, '-' or '_', with both a letter
 * and a digit, so that ordinary words and numbers stay. */
static bool
key_like(const uint8_t *p, size_t n)
{
	bool letter = false, digit = false;
	if (n < 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= '0' && c <= '9')
			digit = true;
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			letter = true;
		else if (c != '-' && c != '_')
			return false;
	}
	return letter && digit;
}

/*
 * The URI with secrets replaced: the password of a userinfo in an absolute
 * URI (RFC 3986 3.2.1 deprecates it, clients still send it), or the whole
 * userinfo when it has no password part, and the values of secret-looking
 * query parameters. Returns true if anything was replaced, with the result
 * in s.
 */
static bool
redact_uri(struct pl_span u, struct sbuf *s, struct uri_secrets *sec)
{
	static const struct pl_span no_name = {(const uint8_t *)"", 0};
	bool any = false;
	size_t i = 0, copied = 0;
	/* scheme "://" authority: userinfo "user:password@" */
	const uint8_t *css = NULL;
	for (size_t k = 0; k + 2 < u.len; k++) {
		if (u.p[k] == '/' || u.p[k] == '?')
			break;
		if (u.p[k] == ':' && u.p[k + 1] == '/' && u.p[k + 2] == '/') {
			css = u.p + k + 3;
			break;
		}
	}
	if (css) {
		size_t a = (size_t)(css - u.p), end = a;
		while (end < u.len && u.p[end] != '/' && u.p[end] != '?' &&
		       u.p[end] != '#')
			end++;
		const uint8_t *at = NULL;
		for (size_t k = a; k < end; k++)
			if (u.p[k] == '@')
				at = u.p + k; /* the last '@' ends userinfo */
		const uint8_t *colon =
			at ? memchr(u.p + a, ':', (size_t)(at - u.p) - a) : NULL;
		if (colon && colon + 1 < at) {
			size_t pw = (size_t)(colon + 1 - u.p);
			sb_put(s, u.p, pw);
			sb_redact(s, colon + 1, (size_t)(at - colon - 1), sec,
				  "userinfo", (struct pl_span){u.p + a,
				  (size_t)(colon - u.p) - a});
			copied = (size_t)(at - u.p);
			any = true;
		} else if (at && !colon && at > u.p + a) {
			/* a user name alone is often a token:
			 * https://TOKEN@host/ */
			sb_put(s, u.p, a);
			sb_redact(s, u.p + a, (size_t)(at - u.p) - a, sec,
				  "userinfo", no_name);
			copied = (size_t)(at - u.p);
			any = true;
		}
		i = end;
	}
	const uint8_t *q =
		i < u.len ? memchr(u.p + i, '?', u.len - i) : NULL;
	/* Path segments: the one after an "api" segment, if key-like. */
	size_t path_end = q ? (size_t)(q - u.p) : u.len;
	for (size_t k = i; k < path_end;) {
		while (k < path_end && u.p[k] == '/')
			k++;
		size_t end = k;
		while (end < path_end && u.p[end] != '/' && u.p[end] != '#')
			end++;
		struct pl_span seg = {u.p + k, end - k};
		if (end < path_end && u.p[end] == '#')
			break;
		if (pl_span_ieq(seg, "api") && end < path_end) {
			size_t v = end + 1, vend = v;
			while (vend < path_end && u.p[vend] != '/' &&
			       u.p[vend] != '#')
				vend++;
			if (key_like(u.p + v, vend - v)) {
				sb_put(s, u.p + copied, v - copied);
				sb_redact(s, u.p + v, vend - v, sec, "path", seg);
				copied = vend;
				any = true;
			}
			end = vend;
		}
		k = end;
	}
	if (q) {
		size_t k = (size_t)(q - u.p) + 1;
		while (k < u.len && u.p[k] != '#') {
			size_t end = k;
			while (end < u.len && u.p[end] != '&' && u.p[end] != '#')
				end++;
			const uint8_t *eq = memchr(u.p + k, '=', end - k);
			if (eq && eq + 1 < u.p + end) {
				struct pl_span name = {u.p + k,
						       (size_t)(eq - u.p) - k};
				if (secret_name(name)) {
					size_t v = (size_t)(eq + 1 - u.p);
					sb_put(s, u.p + copied, v - copied);
					sb_redact(s, eq + 1, end - v, sec,
						  "query", name);
					copied = end;
					any = true;
				}
			}
			k = end < u.len && u.p[end] == '&' ? end + 1 : end;
		}
	}
	if (any)
		sb_put(s, u.p + copied, u.len - copied);
	return any;
}

size_t
pl_http_redact_uri(const uint8_t *p, size_t len, char *out, size_t cap)
{
	struct sbuf s;
	struct uri_secrets sec;
	s.len = 0;
	s.cut = false;
	sec.n = 0;
	if (cap == 0 || !redact_uri((struct pl_span){p, len}, &s, &sec))
		return 0;
	size_t n = s.len < cap ? s.len : cap;
	memcpy(out, s.b, n);
	return n;
}

static void
write_uri(struct pl_attrs *out, struct pl_span uri)
{
	struct sbuf s;
	struct uri_secrets sec;
	s.len = 0;
	s.cut = false;
	sec.n = 0;
	if (!redact_uri(uri, &s, &sec)) {
		pl_attrs_str(out, "uri", uri.p, uri.len);
		return;
	}
	pl_attrs_str(out, "uri", s.b, s.len);
	pl_attrs_bool(out, "uri_redacted", true);
	if (s.cut)
		pl_attrs_bool(out, "uri_truncated", true);
	/* "where:name:hash" for each: a parameter name is the client's,
	 * never a secret, and says what kind of secret it was. */
	pl_attrs_array(out, "uri_secrets");
	for (unsigned i = 0; i < sec.n; i++) {
		char buf[96];
		size_t n = strlen(sec.v[i].where), k = sec.v[i].name.len;
		if (k > 48)
			k = 48;
		memcpy(buf, sec.v[i].where, n);
		buf[n++] = ':';
		memcpy(buf + n, sec.v[i].name.p, k);
		n += k;
		buf[n++] = ':';
		memcpy(buf + n, sec.v[i].hash, 8);
		pl_attrs_str(out, NULL, buf, n + 8);
	}
	pl_attrs_end(out);
}

/* Authorization: scheme, whether a credential follows it, its hash. */
static void
write_auth(struct pl_attrs *out, struct pl_span v)
{
	size_t k = 0;
	while (k < v.len && v.p[k] != ' ' && v.p[k] != '\t')
		k++;
	struct pl_span cred = {v.p + k, v.len - k};
	cred = pl_span_trim(cred);
	pl_attrs_str(out, "auth_scheme", v.p, k);
	pl_attrs_bool(out, "credential_present", cred.len > 0);
	if (cred.len) {
		char h[9];
		pl_secret_hash(cred.p, cred.len, h);
		pl_attrs_plain(out, "credential_hash", h, 8);
	}
}

/* START_BAD: cut or inconsistent; what could be read is written.
 * START_REQUEST_BAD: a broken request line, but the headers are read. */
enum start {
	START_NOT_MINE,
	START_BAD,
	START_REQUEST,
	START_REQUEST_BAD,
	START_RESPONSE
};

/*
 * Methods that make a broken request line still an HTTP request: RFC 9110
 * 9.3, PATCH (RFC 5789), WebDAV (RFC 4918, 5323, 3253), GENA/SSDP, and
 * Cisco's CCM_POST, which tshark also knows. Other tokens are extension
 * methods, taken only with a well-formed line.
 */
#define M(name) {name, sizeof(name) - 1}
static const struct {
	const char *name;
	size_t len; /* compared first: no strlen per method and request */
} known_methods[] = {
	M("GET"), M("HEAD"), M("POST"), M("PUT"), M("DELETE"), M("CONNECT"),
	M("OPTIONS"), M("TRACE"), M("PATCH"), M("PROPFIND"), M("PROPPATCH"),
	M("MKCOL"), M("COPY"), M("MOVE"), M("LOCK"), M("UNLOCK"), M("SEARCH"),
	M("REPORT"), M("CHECKOUT"), M("MERGE"), M("MKACTIVITY"), M("NOTIFY"),
	M("M-SEARCH"), M("SUBSCRIBE"), M("UNSUBSCRIBE"), M("CCM_POST")};
#undef M

static bool
known_method(struct pl_span m)
{
	for (size_t i = 0; i < sizeof(known_methods) / sizeof(known_methods[0]);
	     i++)
		if (m.len == known_methods[i].len &&
		    memcmp(m.p, known_methods[i].name, m.len) == 0)
			return true;
	return false;
}

/*
 * Request line: method SP request-target SP HTTP-version (RFC 9112 3).
 * A line that breaks this form is still read token by token, as tshark
 * does, when the method is a known one: the request is then malformed.
 * With out NULL the line is only judged (pl_http_head_state).
 */
static enum start
request_line(struct pl_span l, bool whole, struct pl_attrs *out)
{
	size_t m = 0;
	while (m < l.len && pl_is_tchar(l.p[m]) && m <= HTTP_METHOD_MAX)
		m++;
	if (m > HTTP_METHOD_MAX || (m < l.len && l.p[m] != ' ') ||
	    (m == 0 && l.len > 0))
		return START_NOT_MINE;
	struct pl_span method = {l.p, m};
	bool known = known_method(method);
	if (!whole && m == l.len)
		return START_BAD; /* the method is still arriving */
	if (m == l.len) {
		/* "OPTIONS" alone on its line */
		if (!known)
			return START_NOT_MINE;
		if (out)
			pl_attrs_str(out, "method", method.p, method.len);
		return START_REQUEST_BAD;
	}
	size_t u = m + 1, ue = u;
	while (ue < l.len && l.p[ue] != ' ')
		ue++;
	for (size_t i = u; i < ue; i++)
		if (l.p[i] <= ' ' || l.p[i] == 0x7f)
			return START_NOT_MINE; /* control byte in the target */
	struct pl_span uri = {l.p + u, ue - u};
	struct pl_span ver = {l.p + ue, 0};
	if (ue < l.len) {
		ver.p = l.p + ue + 1;
		ver.len = l.len - ue - 1;
	}
	if (!whole) {
		/* Cut: the target is sure once its SP has arrived, and only
		 * a version that can still become "HTTP/" keeps it HTTP. */
		if (ue < l.len && !maybe_response(ver.p, ver.len))
			return START_NOT_MINE;
		if (!out)
			return START_BAD;
		pl_attrs_str(out, "method", method.p, method.len);
		if (ue < l.len)
			write_uri(out, uri);
		return START_BAD;
	}
	bool valid = is_version(ver) && uri.len > 0;
	if (!valid && !known)
		return START_NOT_MINE;
	if (!out)
		return valid ? START_REQUEST : START_REQUEST_BAD;
	pl_attrs_str(out, "method", method.p, method.len);
	if (uri.len)
		write_uri(out, uri);
	if (ver.len)
		pl_attrs_str(out, "version", ver.p, ver.len);
	return valid ? START_REQUEST : START_REQUEST_BAD;
}

/* Status line: HTTP-version SP 3DIGIT SP [reason-phrase]. With out NULL
 * the line is only judged. */
static enum start
status_line(struct pl_span l, bool whole, struct pl_attrs *out)
{
	size_t v = 0;
	while (v < l.len && l.p[v] != ' ')
		v++;
	struct pl_span ver = {l.p, v};
	if (v == l.len && !whole)
		return START_BAD; /* version still arriving */
	if (!is_version(ver))
		return START_NOT_MINE;
	if (out)
		pl_attrs_str(out, "version", ver.p, ver.len);
	size_t c = v + 1, digits = 0;
	while (c + digits < l.len && digits < 4 && l.p[c + digits] >= '0' &&
	       l.p[c + digits] <= '9')
		digits++;
	if (!whole && c + digits == l.len && digits <= 3)
		return START_BAD;
	if (digits != 3 || (c + 3 < l.len && l.p[c + 3] != ' '))
		return START_BAD; /* an HTTP version, then no status code */
	unsigned code = (unsigned)(l.p[c] - '0') * 100 +
			(unsigned)(l.p[c + 1] - '0') * 10 +
			(unsigned)(l.p[c + 2] - '0');
	if (out)
		pl_attrs_uint(out, "status_code", code);
	if (!whole)
		return START_BAD; /* the reason is still arriving */
	size_t r = c + 3 < l.len ? c + 4 : l.len;
	if (out)
		pl_attrs_str(out, "reason", l.p + r, l.len - r);
	return START_RESPONSE;
}

/* The start line at the head of p (a status line if it can be one), its
 * end in *pos; *whole unless the head ends inside it. */
static enum start
start_line(const uint8_t *p, size_t len, size_t *pos, bool *whole,
	   struct pl_attrs *out)
{
	struct pl_span line;
	*whole = pl_next_line(p, len, pos, &line);
	bool response = line.len > 0 && maybe_response(line.p, line.len) &&
			(line.len >= 5 || !*whole);
	return response ? status_line(line, *whole, out)
			: request_line(line, *whole, out);
}

size_t
pl_http_message_len(const uint8_t *p, size_t len)
{
	size_t pos = 0;
	bool whole;
	struct pl_span line, name, value;
	enum start st = start_line(p, len, &pos, &whole, NULL);
	if (st == START_NOT_MINE || st == START_BAD || !whole)
		return 0;
	/* A status line: the code says whether a body may follow (RFC 9112
	 * 6.3: 1xx, 204 and 304 have none). */
	bool bodiless = false;
	if (st == START_RESPONSE) {
		const uint8_t *sp = memchr(p, ' ', pos);
		bodiless = sp && sp + 3 < p + pos &&
			   (sp[1] == '1' || (sp[1] == '2' && sp[2] == '0' && sp[3] == '4') ||
			    (sp[1] == '3' && sp[2] == '0' && sp[3] == '4'));
	}
	uint64_t clen = 0;
	bool has_len = false;
	while (pl_next_line(p, len, &pos, &line)) {
		if (line.len == 0) {
			if (bodiless)
				return pos;
			if (!has_len)
				return st == START_RESPONSE ? 0 : pos;
			return clen <= len - pos ? pos + (size_t)clen : 0;
		}
		if (!pl_header_split(line, &name, &value))
			continue;
		if (pl_span_ieq(name, "transfer-encoding"))
			return 0; /* chunked (or worse): the end is not in the head */
		if (!pl_span_ieq(name, "content-length"))
			continue;
		uint64_t v = 0;
		for (size_t i = 0; i < value.len; i++) {
			if (value.p[i] < '0' || value.p[i] > '9' || v > (1ULL << 32))
				return 0;
			v = v * 10 + (value.p[i] - '0');
		}
		if (value.len == 0 || (has_len && v != clen))
			return 0; /* RFC 9112 6.3: an invalid length ends it */
		clen = v;
		has_len = true;
	}
	return 0;
}

enum pl_dissect_result
pl_http_dissect(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	size_t pos = 0;
	struct pl_span line;
	bool whole;
	enum start st = start_line(p, len, &pos, &whole, out);
	if (st == START_NOT_MINE)
		return PL_DISSECT_NOT_MINE;
	if (st == START_BAD) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	bool malformed = st == START_REQUEST_BAD, ended = false;
	bool request = st != START_RESPONSE;
	bool have_host = false, have_ua = false, have_auth = false;
	bool have_server = false;
	unsigned count = 0;
	while (pos < len) {
		if (!pl_next_line(p, len, &pos, &line))
			break; /* a cut line is never written */
		if (line.len == 0) {
			ended = true;
			break;
		}
		/* obs-fold (RFC 9112 5.2): continues the previous field;
		 * not joined, the attributes keep the first line's value. */
		if (line.p[0] == ' ' || line.p[0] == '\t')
			continue;
		count++;
		struct pl_span name, value;
		if (!pl_header_split(line, &name, &value)) {
			malformed = true;
			continue;
		}
		/* The first of repeated fields is the one reported. */
		if (request) {
			if (!have_host && pl_span_ieq(name, "host")) {
				pl_attrs_str(out, "host", value.p, value.len);
				have_host = true;
			} else if (!have_ua &&
				   pl_span_ieq(name, "user-agent")) {
				pl_attrs_str(out, "user_agent", value.p,
					     value.len);
				have_ua = true;
			} else if (!have_auth &&
				   pl_span_ieq(name, "authorization")) {
				write_auth(out, value);
				have_auth = true;
			}
		} else if (!have_server && pl_span_ieq(name, "server")) {
			pl_attrs_str(out, "server", value.p, value.len);
			have_server = true;
		}
	}
	pl_attrs_uint(out, "header_count", count);
	if (!ended || malformed) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}

/*
 * Complete once the blank line that ends the header block is in (or the
 * start line is whole and already wrong: the dissector reads no further);
 * not mine when the start line, even cut, cannot be HTTP's.
 */
enum pl_head_state
pl_http_head_state(const uint8_t *p, size_t len)
{
	size_t pos = 0;
	bool whole;
	enum start st = start_line(p, len, &pos, &whole, NULL);
	if (st == START_NOT_MINE)
		return PL_HEAD_NOT_MINE;
	if (!whole)
		return PL_HEAD_NEED_MORE;
	if (st == START_BAD)
		return PL_HEAD_COMPLETE;
	while (pos < len) {
		struct pl_span line;
		if (!pl_next_line(p, len, &pos, &line))
			break;
		if (line.len == 0)
			return PL_HEAD_COMPLETE;
	}
	return PL_HEAD_NEED_MORE;
}
