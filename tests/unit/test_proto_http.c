/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP dissector on heads written here after RFC 9112 (message syntax)
 * and RFC 9110 / 7617 / 7616 / 6750 (authentication): request and status
 * lines, the headers it reports, credentials that must never appear in the
 * output, secret query parameters, every truncation point, what is not
 * HTTP. Expected hashes were computed with Python's hashlib. */
#include <stdlib.h>
#include <string.h>

#include "proto_test.h"

static json_t *
run_n(const char *s, size_t n, enum pl_dissect_result *r)
{
	return run_with(pl_http_dissect, s, n, r);
}

static json_t *
run(const char *s, enum pl_dissect_result *r)
{
	return run_n(s, strlen(s), r);
}

/* Neither the text nor any 4-byte piece of it is in the output. */
static void
absent(const char *secret)
{
	size_t n = strlen(secret);
	cr_assert_null(strstr(out, secret), "%s leaked: %s", secret, out);
	for (size_t i = 0; n >= 4 && i + 4 <= n; i++) {
		char piece[5];
		memcpy(piece, secret + i, 4);
		piece[4] = '\0';
		cr_assert_null(strstr(out, piece), "piece %s of %s leaked: %s",
			       piece, secret, out);
	}
}

static void
every_truncation(const char *s, const char *const *secrets)
{
	size_t n = strlen(s);
	for (size_t k = 0; k <= n; k++) {
		enum pl_dissect_result r;
		json_t *j = run_n(s, k, &r);
		json_t *mal = json_object_get(j, "malformed");
		if (k < n) {
			cr_assert_eq(r, PL_DISSECT_MALFORMED, "prefix %zu: %d %s",
				     k, r, out);
			cr_assert(json_is_true(mal), "prefix %zu: %s", k, out);
		} else {
			cr_assert_eq(r, PL_DISSECT_OK, "whole: %s", out);
			cr_assert_null(mal);
		}
		for (int i = 0; secrets && secrets[i]; i++)
			absent(secrets[i]);
		json_decref(j);
	}
}

static const char get[] =
	"GET /index.html?lang=en HTTP/1.1\r\n"
	"Host: www.example.com\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"\r\n";

Test(http, request_line_and_headers)
{
	enum pl_dissect_result r;
	json_t *j = run(get, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "method"), "GET");
	cr_assert_str_eq(str(j, "uri"), "/index.html?lang=en");
	cr_assert_str_eq(str(j, "version"), "HTTP/1.1");
	cr_assert_str_eq(str(j, "host"), "www.example.com");
	cr_assert_str_eq(str(j, "user_agent"), "curl/7.88.1");
	cr_assert_eq(num(j, "header_count"), 3);
	cr_assert_null(json_object_get(j, "auth_scheme"));
	cr_assert_null(json_object_get(j, "uri_redacted"));
	json_decref(j);
}

/* RFC 9110 5.1: field names are case-insensitive; RFC 9112 2.2: a bare LF
 * may end a line; OWS around values is not part of them; the body after
 * the empty line is not read; the first of repeated fields is reported. */
Test(http, header_syntax)
{
	enum pl_dissect_result r;
	json_t *j = run("POST /api HTTP/1.0\n"
			"hOsT:   device.local:8080  \n"
			"USER-AGENT:\tlab/1.0\n"
			"host: second.example\n"
			"\n"
			"Host: body.example\r\n", &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "method"), "POST");
	cr_assert_str_eq(str(j, "version"), "HTTP/1.0");
	cr_assert_str_eq(str(j, "host"), "device.local:8080");
	cr_assert_str_eq(str(j, "user_agent"), "lab/1.0");
	cr_assert_eq(num(j, "header_count"), 3);
	json_decref(j);
}

static const char basic[] =
	"GET /settings HTTP/1.1\r\n"
	"Host: 192.0.2.1:8080\r\n"
	"Authorization: Basic YWRtaW46czNjcmV0\r\n"
	"User-Agent: protolens-lab/1.0\r\n"
	"\r\n";

/* RFC 7617 2: Basic credentials are base64(user ":" password). */
Test(http, basic_credential_is_never_written)
{
	enum pl_dissect_result r;
	json_t *j = run(basic, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "auth_scheme"), "Basic");
	cr_assert(json_is_true(json_object_get(j, "credential_present")));
	/* sha256("YWRtaW46czNjcmV0")[:8] */
	cr_assert_str_eq(str(j, "credential_hash"), "92fa305d");
	absent("admin:s3cret");
	absent("YWRtaW46czNjcmV0");
	cr_assert_null(strstr(out, "s3cret"));
	cr_assert_null(strstr(out, "admin"));
	json_decref(j);
	static const char *const secrets[] = {"YWRtaW46czNjcmV0", "admin:s3cret",
					      NULL};
	every_truncation(basic, secrets);
}

Test(http, other_schemes)
{
	/* RFC 7616 3.4 (digest response), RFC 6750 2.1 (bearer token) */
	static const char digest[] =
		"GET /dir/index.html HTTP/1.1\r\nHost: h\r\n"
		"Authorization: Digest username=\"Mufasa\", "
		"realm=\"testrealm@host.com\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
		"uri=\"/dir/index.html\", "
		"response=\"6629fae49393a05397450978507c4ef1\"\r\n\r\n";
	enum pl_dissect_result r;
	json_t *j = run(digest, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "auth_scheme"), "Digest");
	cr_assert_str_eq(str(j, "credential_hash"), "87015777");
	absent("6629fae49393a05397450978507c4ef1");
	cr_assert_null(strstr(out, "Mufasa"));
	json_decref(j);

	j = run("GET / HTTP/1.1\r\nAuthorization: Bearer "
		"eyJhbGciOiJIUzI1NiJ9.e30.sig\r\n\r\n", &r);
	cr_assert_str_eq(str(j, "auth_scheme"), "Bearer");
	cr_assert_str_eq(str(j, "credential_hash"), "04d5a59f");
	absent("eyJhbGciOiJIUzI1NiJ9");
	json_decref(j);

	/* a scheme alone carries no credential */
	j = run("GET / HTTP/1.1\r\nAuthorization: Negotiate\r\n\r\n", &r);
	cr_assert_eq(r, PL_DISSECT_OK);
	cr_assert_str_eq(str(j, "auth_scheme"), "Negotiate");
	cr_assert(json_is_false(json_object_get(j, "credential_present")));
	cr_assert_null(json_object_get(j, "credential_hash"));
	json_decref(j);
}

Test(http, secret_query_values_are_redacted)
{
	static const char req[] =
		"GET /login?user=bob&password=hunter2&token=abc123&x= HTTP/1.1"
		"\r\nHost: cam.local\r\n\r\n";
	enum pl_dissect_result r;
	json_t *j = run(req, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "uri"),
			 "/login?user=bob&password=<redacted:f52fbd32>"
			 "&token=<redacted:6ca13d52>&x=");
	cr_assert(json_is_true(json_object_get(j, "uri_redacted")));
	absent("hunter2");
	absent("abc123");
	json_decref(j);
	static const char *const secrets[] = {"hunter2", "abc123", NULL};
	every_truncation(req, secrets);

	/* RFC 3986 3.2.1 userinfo in an absolute (proxy) request-target */
	j = run("GET http://bob:pw@example.com/x HTTP/1.1\r\n\r\n", &r);
	cr_assert_str_eq(str(j, "uri"),
			 "http://bob:<redacted:30c952fa>@example.com/x");
	json_decref(j);
	/* a user name alone, as tokens are sent: sha256("ghp_abc123")[:8] */
	j = run("GET https://ghp_abc123@example.com/ HTTP/1.1\r\n\r\n", &r);
	cr_assert_str_eq(str(j, "uri"),
			 "https://<redacted:2fd50dd4>@example.com/");
	absent("ghp_abc123");
	json_decref(j);
}

/* Where each secret was: uri_secrets; an API key as the segment after
 * /api/ (the Hue bridge's REST API) is one, a word or a number is not.
 * Hashes: sha256 of the secret, first 8 hex digits (Python's hashlib). */
Test(http, uri_secrets_and_api_keys_in_paths)
{
	enum pl_dissect_result r;
	json_t *j = run("GET /api/p75ZZlg6KgvjV8FLe6zbo2JoPuNnvRKsDX28sBFn/lights?token=abc123 HTTP/1.1\r\n\r\n", &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "uri"),
			 "/api/<redacted:092b2726>/lights?token=<redacted:6ca13d52>");
	json_t *sec = json_object_get(j, "uri_secrets");
	cr_assert_eq(json_array_size(sec), 2, "%s", out);
	cr_assert_str_eq(json_string_value(json_array_get(sec, 0)), "path:api:092b2726");
	cr_assert_str_eq(json_string_value(json_array_get(sec, 1)), "query:token:6ca13d52");
	absent("p75ZZlg6KgvjV8FLe6zbo2JoPuNnvRKsDX28sBFn");
	json_decref(j);
	j = run("GET http://bob:hunter2@hub/x HTTP/1.1\r\n\r\n", &r);
	cr_assert_str_eq(json_string_value(json_array_get(
				 json_object_get(j, "uri_secrets"), 0)),
			 "userinfo:bob:f52fbd32");
	json_decref(j);
	static const char *const plain[] = {
		"GET /api/config HTTP/1.1\r\n\r\n",
		"GET /api/1234567890123456789/x HTTP/1.1\r\n\r\n",
		"GET /apis/p75ZZlg6KgvjV8FLe6zbo2JoPuNnvRKsDX28sBFn/x HTTP/1.1\r\n\r\n",
		"GET /api/short1/x HTTP/1.1\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		j = run(plain[i], &r);
		cr_assert_null(json_object_get(j, "uri_secrets"), "%s", out);
		cr_assert_null(json_object_get(j, "uri_redacted"), "%s", out);
		json_decref(j);
	}
	char buf[256];
	size_t n = pl_http_redact_uri((const uint8_t *)"/api/p75ZZlg6KgvjV8FLe6zbo2JoPuNnvRKsDX28sBFn/x", 47, buf,
				      sizeof(buf));
	cr_assert_eq(n, strlen("/api/<redacted:092b2726>/x"));
	cr_assert(memcmp(buf, "/api/<redacted:092b2726>/x", n) == 0);
	cr_assert_eq(pl_http_redact_uri((const uint8_t *)"/index.html", 11, buf,
					sizeof(buf)), 0);
}

/* Where each message of a kept-alive connection ends. */
Test(http, message_len)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char two[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
	static const char post[] = "POST /x HTTP/1.1\r\ncontent-length: 3\r\n\r\nabcGET";
	static const char r200[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	static const char r304[] = "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n";
	static const char close_[] = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody";
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok";
	static const char twolen[] = "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab";
	cr_assert_eq(pl_http_message_len((const uint8_t *)get, sizeof(get) - 1), sizeof(get) - 1);
	cr_assert_eq(pl_http_message_len((const uint8_t *)two, sizeof(two) - 1), sizeof(get) - 1);
	cr_assert_eq(pl_http_message_len((const uint8_t *)post, sizeof(post) - 1), sizeof(post) - 4);
	cr_assert_eq(pl_http_message_len((const uint8_t *)post, sizeof(post) - 6), 0, "body cut");
	cr_assert_eq(pl_http_message_len((const uint8_t *)r200, sizeof(r200) - 1), sizeof(r200) - 1);
	cr_assert_eq(pl_http_message_len((const uint8_t *)r304, sizeof(r304) - 1), sizeof(r304) - 1);
	cr_assert_eq(pl_http_message_len((const uint8_t *)close_, sizeof(close_) - 1), 0);
	cr_assert_eq(pl_http_message_len((const uint8_t *)chunked, sizeof(chunked) - 1), 0);
	cr_assert_eq(pl_http_message_len((const uint8_t *)twolen, sizeof(twolen) - 1), 0);
	cr_assert_eq(pl_http_message_len((const uint8_t *)get, 10), 0, "head cut");
}

static const char resp[] =
	"HTTP/1.1 404 Not Found\r\n"
	"Server: nginx/1.22.1\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

Test(http, status_line)
{
	enum pl_dissect_result r;
	json_t *j = run(resp, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "version"), "HTTP/1.1");
	cr_assert_eq(num(j, "status_code"), 404);
	cr_assert_str_eq(str(j, "reason"), "Not Found");
	cr_assert_str_eq(str(j, "server"), "nginx/1.22.1");
	cr_assert_eq(num(j, "header_count"), 2);
	cr_assert_null(json_object_get(j, "method"));
	json_decref(j);
	/* RFC 9112 4: the reason phrase may be empty */
	j = run("HTTP/1.0 204 \r\n\r\n", &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "status_code"), 204);
	cr_assert_str_eq(str(j, "reason"), "");
	json_decref(j);
}

Test(http, every_truncation_point)
{
	every_truncation(get, NULL);
	every_truncation(resp, NULL);
}

/* A known method with a broken request line is HTTP, malformed; the rest of
 * the head is still read. */
Test(http, broken_request_line)
{
	enum pl_dissect_result r;
	json_t *j = run("GET /HTTP/1.1\r\nHost: a.example\r\n\r\n", &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	cr_assert_str_eq(str(j, "method"), "GET");
	cr_assert_str_eq(str(j, "uri"), "/HTTP/1.1");
	cr_assert_null(json_object_get(j, "version"));
	cr_assert_str_eq(str(j, "host"), "a.example");
	cr_assert(json_is_true(json_object_get(j, "malformed")));
	json_decref(j);
}

Test(http, not_http)
{
	static const char *const others[] = {
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
		"\r\nGET / HTTP/1.1\r\n\r\n",
		"FOO bar baz\r\n\r\n",
		"HTTP/x 200 OK\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		enum pl_dissect_result r;
		json_t *j = run(others[i], &r);
		cr_assert_eq(r, PL_DISSECT_NOT_MINE, "case %zu: %s", i, out);
		cr_assert_eq(json_object_size(j), 0);
		json_decref(j);
	}
}
