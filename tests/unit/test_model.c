/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/model: Byteseek compiler, expressions, loader errors,
 * and each model (the project's and the published ones) on crafted
 * payloads built here from the protocols' specifications; model-driven
 * attributes, whose expected values are computed here from the bytes the
 * tests build. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <openssl/sha.h>
#include <jansson.h>

#include "model-internal.h" /* range expressions, for their own tests */
#include "model.h"
#include "model_test.h"
#include "proto.h"

/* ---- Byteseek ---- */

static struct pl_bytes_pattern
compile_ok(const char *src, int32_t index)
{
	struct pl_bytes_pattern p;
	char err[256] = "";
	int rc = pl_bytes_compile(src, index, &p, err, sizeof(err));
	cr_assert_eq(rc, 0, "'%s' should compile: %s", src, err);
	return p;
}

static void
compile_bad(const char *src, const char *expect_in_err)
{
	struct pl_bytes_pattern p;
	char err[256] = "";
	cr_assert_lt(pl_bytes_compile(src, 0, &p, err, sizeof(err)), 0,
		     "'%s' should be refused", src);
	cr_assert(strstr(err, expect_in_err) != NULL,
		  "error for '%s' is '%s', expected it to mention '%s'", src,
		  err, expect_in_err);
}

static int
set_count(const struct pl_byteset *s)
{
	int n = 0;
	for (int b = 0; b < 256; b++)
		n += pl_byteset_has(s, (uint8_t)b);
	return n;
}

Test(byteseek, elements_compile_to_the_right_sets)
{
	struct pl_bytes_pattern p = compile_ok(
		"0a . 00-40 [01 0a-0f] [^ 00] ^ff &0f ~80 (14|15|80-f5) 'Ab' `c`",
		0);
	cr_assert_eq(p.len, 12);
	cr_assert_eq(set_count(&p.sets[0]), 1);
	cr_assert(pl_byteset_has(&p.sets[0], 0x0a));
	cr_assert_eq(set_count(&p.sets[1]), 256);
	cr_assert_eq(set_count(&p.sets[2]), 0x41);
	cr_assert_eq(set_count(&p.sets[3]), 7);
	cr_assert_eq(set_count(&p.sets[4]), 255);
	cr_assert(!pl_byteset_has(&p.sets[4], 0));
	cr_assert_eq(set_count(&p.sets[5]), 255);
	cr_assert(!pl_byteset_has(&p.sets[5], 0xff));
	cr_assert_eq(set_count(&p.sets[6]), 16); /* x & 0f == 0f */
	cr_assert(pl_byteset_has(&p.sets[6], 0xff));
	cr_assert(!pl_byteset_has(&p.sets[6], 0x0e));
	cr_assert_eq(set_count(&p.sets[7]), 128); /* x & 80 != 0 */
	cr_assert_eq(set_count(&p.sets[8]), 2 + 0x76);
	cr_assert(pl_byteset_has(&p.sets[9], 'A'));
	cr_assert(!pl_byteset_has(&p.sets[9], 'a'));
	cr_assert_eq(set_count(&p.sets[11]), 2); /* `c`: c and C */
	pl_bytes_free(&p);
}

Test(byteseek, spaces_comments_and_repeats)
{
	struct pl_bytes_pattern p = compile_ok("00 - 0e # a comment\n .{44} [00 - 0E]", -1);
	cr_assert_eq(p.len, 46);
	cr_assert_eq(set_count(&p.sets[0]), 15);
	cr_assert_eq(set_count(&p.sets[45]), 15);
	pl_bytes_free(&p);
	/* ten dots are ten bytes (the published NTP patterns) */
	p = compile_ok("..........", 0);
	cr_assert_eq(p.len, 10);
	pl_bytes_free(&p);
}

Test(byteseek, errors_say_what_where)
{
	compile_bad("00 70-00", "lo <= hi");
	compile_bad("00 70-00", "offset 6");
	compile_bad("zz", "hex byte");
	compile_bad("[01 02", "']'");
	compile_bad("(00 01)", "'|' or ')'");
	compile_bad("", "at least one");
	compile_bad("00{0}", "repeat count");
	compile_bad("'abc", "closing");
	compile_bad("0", "hex byte");
}

Test(byteseek, anchored_and_unanchored_matching)
{
	const uint8_t d[] = {0x16, 0x03, 0x01, 0x00, 0x10, 0x01, 0x63, 0x82,
			     0x53, 0x63};
	struct pl_bytes_pattern a = compile_ok("16 03 00-03", 0);
	cr_assert(pl_bytes_match(&a, d, sizeof(d)));
	cr_assert(!pl_bytes_match(&a, d + 1, sizeof(d) - 1));
	cr_assert(!pl_bytes_match(&a, d, 2), "shorter than the pattern");
	pl_bytes_free(&a);

	struct pl_bytes_pattern at = compile_ok("63 82 53 63", 6);
	cr_assert(pl_bytes_match(&at, d, sizeof(d)));
	cr_assert(!pl_bytes_match(&at, d, 9), "cookie cut short");
	pl_bytes_free(&at);

	/* unanchored, single first byte (memchr path) and a set (loop) */
	struct pl_bytes_pattern u = compile_ok("63 82 53 63", -1);
	cr_assert(u.first_single);
	cr_assert(pl_bytes_match(&u, d, sizeof(d)));
	cr_assert(!pl_bytes_match(&u, d, sizeof(d) - 1));
	pl_bytes_free(&u);
	struct pl_bytes_pattern s = compile_ok("(62|63) 82", -1);
	cr_assert(!s.first_single);
	cr_assert(pl_bytes_match(&s, d, sizeof(d)));
	cr_assert(!pl_bytes_match(&s, d, 7));
	pl_bytes_free(&s);
}

/* ---- expressions ---- */

static int
resolve_digit(const char *id, size_t len, void *arg)
{
	(void)arg;
	if (len == 1 && id[0] >= '1' && id[0] <= '9')
		return id[0] - '1';
	return -1;
}

static bool
eval_str(const char *src, unsigned bits)
{
	struct pl_expr e;
	char err[200];
	cr_assert_eq(pl_expr_compile(src, resolve_digit, NULL, &e, err,
				     sizeof(err)), 0, "%s: %s", src, err);
	struct pl_model_bits b = {{bits}};
	return pl_expr_eval(&e, &b);
}

Test(expr, precedence_not_and_or)
{
	/* 1 | 2 & 3 is 1 | (2 & 3) */
	cr_assert(eval_str("1 | 2 & 3", 0x1));
	cr_assert(!eval_str("1 | 2 & 3", 0x2));
	cr_assert(eval_str("1 | 2 & 3", 0x6));
	cr_assert(!eval_str("(1 | 2) & 3", 0x1));
	cr_assert(eval_str("!1", 0x0));
	cr_assert(!eval_str("!1 & 2", 0x3));
	cr_assert(eval_str("!(1 & 2)", 0x1));
	cr_assert(eval_str("((((1))))", 0x1));
	for (unsigned v = 0; v < 8; v++)
		cr_assert_eq(eval_str("1 & !2 | 3", v),
			     ((v & 1) && !(v & 2)) || (v & 4), "v=%u", v);
}

Test(expr, errors)
{
	struct pl_expr e;
	char err[200];
	cr_assert_lt(pl_expr_compile("1 & 7x", resolve_digit, NULL, &e, err, sizeof(err)), 0);
	cr_assert(strstr(err, "known identifier"), "%s", err);
	cr_assert_lt(pl_expr_compile("(1 | 2", resolve_digit, NULL, &e, err, sizeof(err)), 0);
	cr_assert(strstr(err, "')'"), "%s", err);
	cr_assert_lt(pl_expr_compile("1 2", resolve_digit, NULL, &e, err, sizeof(err)), 0);
	cr_assert_lt(pl_expr_compile("", resolve_digit, NULL, &e, err, sizeof(err)), 0);
}

/* ---- loader ---- */

static int warnings;
static void
count_warning(const char *msg)
{
	(void)msg;
	warnings++;
}

static struct pl_model_set *
load(const char *dir)
{
	char err[1024] = "";
	struct pl_model_set *s = pl_model_set_load(dir, err, sizeof(err), count_warning);
	cr_assert_not_null(s, "%s: %s", dir, err);
	return s;
}

Test(loader, project_and_published_models_load)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	cr_assert_eq(pl_model_count(s), 6);
	cr_assert_gt(pl_model_compile_ms(s), 0.0);
	cr_assert(pl_model_std_port(s, (unsigned)model_index(s, "tls"), 443));
	cr_assert(!pl_model_std_port(s, (unsigned)model_index(s, "tls"), 8883));
	pl_model_set_free(s);
	s = load(PL_SHARED_DIR "/protoiot/models");
	cr_assert_eq(pl_model_count(s), 6);
	pl_model_set_free(s);
}

/* Writes a model file with one field replaced and returns the load error. */
static char tmpdir[256];

static void
write_model(const char *name, const char *json)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(json, f);
	fclose(f);
}

static const char *good_model =
	"{\"info\":{\"abbreviation\":\"%s\"},"
	"\"metadata\":{\"ether-types\":[\"0x0800\"],\"ip-protocols\":[%s],"
	"\"server-port\":{\"port\":[9]},\"traffic-mode\":[\"UNICAST\"]%s},"
	"\"contents\":{\"request\":{\"matchers\":[{\"id\":1,"
	"\"matcher-type\":\"%s\",\"matcher-pattern\":{\"pattern\":\"%s\"}}],"
	"\"eval\":\"%s\"},\"protocol\":\"request\"}}";

static char *
load_error(const char *abbr, const char *protos, const char *extra,
	   const char *type, const char *pattern, const char *eval)
{
	static char err[1024];
	char json[2048];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pl-model-test-%d", getpid());
	mkdir(tmpdir, 0700);
	snprintf(json, sizeof(json), good_model, abbr, protos, extra, type,
		 pattern, eval);
	write_model("x.json", json);
	err[0] = '\0';
	struct pl_model_set *s = pl_model_set_load(tmpdir, err, sizeof(err), count_warning);
	pl_model_set_free(s);
	char path[512];
	snprintf(path, sizeof(path), "%s/x.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return s ? NULL : err;
}

Test(loader, errors_name_file_path_and_problem)
{
	char *e = load_error("x", "6", "", "matcher:byteseek", "00", "1");
	cr_assert_null(e, "the base model must load: %s", e);

	e = load_error("x", "6", "", "matcher:byteseek", "70-00", "1");
	cr_assert_not_null(e);
	cr_assert(strstr(e, "x.json: contents.request.matchers[0].matcher-pattern.pattern: "
			    "expected a range lo-hi with lo <= hi"), "%s", e);

	e = load_error("x", "6", "", "matcher:byteseek", "00", "1 & 2");
	cr_assert(e && strstr(e, "x.json: contents.request.eval: expected a known identifier"), "%s", e);

	e = load_error("x", "6", "", "matcher:regex", "a(?=b)", "1");
	cr_assert(e && strstr(e, "matcher-pattern.pattern: expected a regex Hyperscan accepts"), "%s", e);

	e = load_error("x", "\"6\"", "", "matcher:byteseek", "00", "1");
	cr_assert(e && strstr(e, "metadata.ip-protocols[0]: expected an IP protocol"), "%s", e);

	e = load_error("x", "6", "", "matcher:nope", "00", "1");
	cr_assert(e && strstr(e, "matcher-type: expected"), "%s", e);

	e = load_error("", "6", "", "matcher:byteseek", "00", "1");
	cr_assert(e && strstr(e, "info.abbreviation"), "%s", e);

	warnings = 0;
	e = load_error("x", "6", ",\"colour\":\"blue\"", "matcher:byteseek", "00", "1");
	cr_assert_null(e, "unknown keys are not fatal: %s", e);
	cr_assert_eq(warnings, 1);
}

Test(loader, broken_json_and_missing_dir)
{
	char err[1024];
	cr_assert_null(pl_model_set_load("/nonexistent-dir", err, sizeof(err), NULL));
	cr_assert(strstr(err, "/nonexistent-dir"), "%s", err);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pl-model-test-j%d", getpid());
	mkdir(tmpdir, 0700);
	write_model("bad.json", "{\"info\": {\n  \"abbreviation\": \"x\",,\n}");
	cr_assert_null(pl_model_set_load(tmpdir, err, sizeof(err), NULL));
	cr_assert(strstr(err, "bad.json: line 2"), "%s", err);
	char path[512];
	snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

/* ---- models on crafted payloads ---- */

struct verdict {
	uint32_t req, resp;
};

static struct verdict
run(struct pl_model_set *s, uint8_t proto, enum pl_model_mode mode,
    const void *payload, size_t len)
{
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	struct verdict v;
	cr_assert_not_null(sc);
	uint32_t cand = pl_model_candidates(s, 0x0800, proto, mode);
	cr_assert_eq(pl_model_inspect(s, sc, proto, cand, payload,
				      (uint32_t)len, &v.req, &v.resp), 0);
	pl_model_scratch_free(sc);
	return v;
}

#define BIT(s, name) (1U << model_index(s, name))

static size_t
client_hello(uint8_t *b, uint16_t record_version, uint16_t hello_version)
{
	size_t n = 0;
	b[n++] = 0x16;
	b[n++] = record_version >> 8;
	b[n++] = record_version & 0xff;
	b[n++] = 0x00;
	b[n++] = 0x31; /* record length 49 */
	b[n++] = 0x01; /* ClientHello */
	b[n++] = 0x00;
	b[n++] = 0x00;
	b[n++] = 0x2d;
	b[n++] = hello_version >> 8;
	b[n++] = hello_version & 0xff;
	for (int i = 0; i < 32; i++)
		b[n++] = (uint8_t)i; /* random */
	b[n++] = 0x00;           /* session id */
	b[n++] = 0x00;
	b[n++] = 0x02;
	b[n++] = 0x13;
	b[n++] = 0x01; /* one suite */
	b[n++] = 0x01;
	b[n++] = 0x00; /* null compression */
	return n;
}

Test(models, tls)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint8_t b[128];
	uint32_t tls = BIT(s, "tls");
	for (uint16_t v = 0x0300; v <= 0x0304; v++) {
		size_t n = client_hello(b, 0x0301, v);
		struct verdict r = run(s, 6, PL_MODE_UNICAST, b, n);
		cr_assert(r.req & tls, "ClientHello version %04x", v);
		cr_assert(pl_model_select(s, r.req, 0) & tls,
			  "one hello is enough in our model");
	}
	size_t n = client_hello(b, 0x0303, 0x0303);
	b[5] = 0x02; /* ServerHello */
	struct verdict r = run(s, 6, PL_MODE_UNICAST, b, n);
	cr_assert(r.resp & tls);
	const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x00, 0x20, 0xaa, 0xbb};
	r = run(s, 6, PL_MODE_UNICAST, appdata, sizeof(appdata));
	cr_assert((r.req | r.resp) & tls, "mid-stream record");
	const char *get = "GET / HTTP/1.1\r\n";
	r = run(s, 6, PL_MODE_UNICAST, get, strlen(get));
	cr_assert_eq((r.req | r.resp) & tls, 0);
	/* TLS over UDP is not a candidate */
	n = client_hello(b, 0x0301, 0x0303);
	r = run(s, 17, PL_MODE_UNICAST, b, n);
	cr_assert_eq((r.req | r.resp) & tls, 0);
	pl_model_set_free(s);
}

Test(models, http_any_status_and_split_request_line_not_rtsp)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint32_t http = BIT(s, "http");
	const char *pos_req[] = {"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n",
				 "POST /api/v1 HTTP/1.0\r\n",
				 "GET /very/long/uri/cut/by/the/segm",
				 "CONNECT example.com:443 HTTP/1.1\r\n",
				 "OPTIONS * HTTP/1.1\r\n",
				 "SUBSCRIBE /upnp/event HTTP/1.1\r\n",
				 "GET http://example.com/ HTTP/1.1\r\n",
				 "GET HTTPS://example.com/ HTTP/1.1\r\n"};
	for (size_t i = 0; i < sizeof(pos_req) / sizeof(pos_req[0]); i++) {
		struct verdict r = run(s, 6, PL_MODE_UNICAST, pos_req[i], strlen(pos_req[i]));
		cr_assert(r.req & http, "request %s", pos_req[i]);
	}
	const char *pos_resp[] = {"HTTP/1.1 200 OK\r\n", "HTTP/1.1 412 Precondition Failed\r\n",
				  "HTTP/1.0 301 Moved\r\n", "HTTP/1.1 101 Switching Protocols\r\n"};
	for (size_t i = 0; i < sizeof(pos_resp) / sizeof(pos_resp[0]); i++) {
		struct verdict r = run(s, 6, PL_MODE_UNICAST, pos_resp[i], strlen(pos_resp[i]));
		cr_assert(r.resp & http, "response %s", pos_resp[i]);
	}
	/* RTSP (RFC 2326) has HTTP's syntax, OPTIONS included: its targets
	 * (`*` then RTSP/1.0, rtsp:// URLs) and status line tell it apart. */
	const char *neg[] = {"GETX / HTTP/1.1\r\n", "HTTP/1.1 600 Nope\r\n",
			     "xGET / HTTP/1.1\r\n", "SSH-2.0-OpenSSH_9.2\r\n",
			     "get / HTTP/1.1\r\n", "OPTIONS * RTSP/1.0\r\n",
			     "OPTIONS rtsp://10.0.0.5:554/live RTSP/1.0\r\n",
			     "DESCRIBE rtsp://10.0.0.5/live RTSP/1.0\r\n",
			     "RTSP/1.0 200 OK\r\nCSeq: 1\r\n"};
	for (size_t i = 0; i < sizeof(neg) / sizeof(neg[0]); i++) {
		struct verdict r = run(s, 6, PL_MODE_UNICAST, neg[i], strlen(neg[i]));
		cr_assert_eq((r.req | r.resp) & http, 0, "not HTTP: %s", neg[i]);
	}
	pl_model_set_free(s);
}

/* A DNS message: header then one question www.example.com A IN. */
static size_t
dns_msg(uint8_t *b, uint8_t f1, uint8_t f2, uint16_t qd, uint16_t an,
	uint16_t ar)
{
	size_t n = 0;
	b[n++] = 0x12;
	b[n++] = 0x34;
	b[n++] = f1;
	b[n++] = f2;
	b[n++] = qd >> 8;
	b[n++] = qd & 0xff;
	b[n++] = an >> 8;
	b[n++] = an & 0xff;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = ar >> 8;
	b[n++] = ar & 0xff;
	const char *labels[] = {"www", "example", "com"};
	for (int i = 0; i < 3; i++) {
		b[n++] = (uint8_t)strlen(labels[i]);
		memcpy(b + n, labels[i], strlen(labels[i]));
		n += strlen(labels[i]);
	}
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 1;
	b[n++] = 0;
	b[n++] = 1;
	return n;
}

Test(models, dns_queries_responses_edns_mdns_tcp_not_netbios)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint32_t dns = BIT(s, "dns");
	uint8_t b[300];
	size_t n = dns_msg(b, 0x01, 0x00, 1, 0, 0);
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, n).req & dns, "query");
	n = dns_msg(b, 0x01, 0x20, 1, 0, 1);
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, n).req & dns, "EDNS query");
	n = dns_msg(b, 0x81, 0x80, 1, 1, 0);
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, n).resp & dns, "ordinary response");
	n = dns_msg(b, 0x81, 0x83, 1, 0, 0);
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, n).resp & dns, "NXDOMAIN");
	n = dns_msg(b, 0x84, 0x00, 0, 1, 0);
	cr_assert(run(s, 17, PL_MODE_MULTICAST, b, n).resp & dns, "mDNS answer");
	/* over TCP, after the 2-byte length */
	uint8_t t[302];
	n = dns_msg(t + 2, 0x01, 0x00, 1, 0, 0);
	t[0] = 0;
	t[1] = (uint8_t)n;
	cr_assert(run(s, 6, PL_MODE_UNICAST, t, n + 2).req & dns, "DNS over TCP");
	/* NetBIOS name query: same header, a 32-letter encoded name */
	n = dns_msg(b, 0x01, 0x10, 1, 0, 0);
	b[12] = 0x20;
	for (int i = 0; i < 32; i++)
		b[13 + i] = 'A' + (i % 16);
	b[45] = 0;
	n = 50;
	cr_assert_eq(run(s, 17, PL_MODE_BROADCAST, b, n).req & dns, 0, "NetBIOS-NS");
	/* QR 0 with an RCODE, or no question at all */
	n = dns_msg(b, 0x01, 0x03, 1, 0, 0);
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, b, n).req & dns, 0);
	n = dns_msg(b, 0x01, 0x00, 0, 0, 0);
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, b, n).req & dns, 0);
	pl_model_set_free(s);
}

static size_t
ntp_msg(uint8_t *b, uint8_t li_vn_mode, size_t len)
{
	memset(b, 0, len);
	b[0] = li_vn_mode;
	b[1] = 2;    /* stratum */
	b[2] = 6;    /* poll */
	b[3] = 0xe9; /* precision */
	return len;
}

Test(models, ntp_versions_modes_and_lengths)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint32_t ntp = BIT(s, "ntp");
	uint8_t b[100];
	for (int vn = 1; vn <= 4; vn++) {
		cr_assert(run(s, 17, PL_MODE_UNICAST, b, ntp_msg(b, (uint8_t)(vn << 3 | 3), 48)).req & ntp, "v%d client", vn);
		cr_assert(run(s, 17, PL_MODE_UNICAST, b, ntp_msg(b, (uint8_t)(vn << 3 | 4), 48)).resp & ntp, "v%d server", vn);
	}
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, ntp_msg(b, 0xd9, 48)).req & ntp, "symmetric active, LI 3");
	cr_assert(run(s, 17, PL_MODE_BROADCAST, b, ntp_msg(b, 0x25, 48)).resp & ntp, "broadcast");
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, ntp_msg(b, 0x23, 68)).req & ntp, "with a MAC");
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, b, ntp_msg(b, 0x23, 47)).req & ntp, 0, "47 bytes");
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, b, ntp_msg(b, 0x23, 60)).req & ntp, 0, "60 bytes");
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, b, ntp_msg(b, 0x03, 48)).req & ntp, 0, "version 0");
	/* mode 7 (ntpdc) response, as in the NTPv2 trace: 0x97 */
	ntp_msg(b, 0x97, 72);
	b[2] = 0x03;
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, 72).resp & ntp, "private response");
	/* NetBIOS datagram (type 0x11, flags 0x0a) is not NTP symmetric mode */
	ntp_msg(b, 0x11, 100);
	b[1] = 0x0a;
	cr_assert_eq(run(s, 17, PL_MODE_BROADCAST, b, 100).req & ntp, 0);
	pl_model_set_free(s);
}

static size_t
bootp(uint8_t *b, uint8_t op, size_t cookie_at)
{
	memset(b, 0, 300);
	b[0] = op;
	b[1] = 1;
	b[2] = 6;
	b[cookie_at] = 0x63;
	b[cookie_at + 1] = 0x82;
	b[cookie_at + 2] = 0x53;
	b[cookie_at + 3] = 0x63;
	return 300;
}

Test(models, dhcp)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint32_t dhcp = BIT(s, "dhcp");
	uint8_t b[300];
	cr_assert(run(s, 17, PL_MODE_BROADCAST, b, bootp(b, 1, 236)).req & dhcp);
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, bootp(b, 2, 236)).resp & dhcp);
	struct verdict r = run(s, 17, PL_MODE_BROADCAST, b, bootp(b, 1, 240));
	cr_assert_eq((r.req | r.resp) & dhcp, 0, "cookie not at 236");
	r = run(s, 17, PL_MODE_BROADCAST, b, bootp(b, 3, 236));
	cr_assert_eq((r.req | r.resp) & dhcp, 0, "op 3");
	pl_model_set_free(s);
}

Test(models, ssdp)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint32_t ssdp = BIT(s, "ssdp");
	const char *ms = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
			 "MAN: \"ssdp:discover\"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n";
	const char *nt = "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNTS: ssdp:alive\r\n\r\n";
	const char *ok = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: upnp:rootdevice\r\n\r\n";
	const char *usn = "HTTP/1.1 200 OK\r\nusn: uuid:1\r\n\r\n";
	const char *plain = "HTTP/1.1 200 OK\r\nHOST: x\r\nContent-Length: 0\r\n\r\n";
	cr_assert(run(s, 17, PL_MODE_MULTICAST, ms, strlen(ms)).req & ssdp);
	cr_assert(run(s, 17, PL_MODE_BROADCAST, ms, strlen(ms)).req & ssdp);
	cr_assert(run(s, 17, PL_MODE_MULTICAST, nt, strlen(nt)).req & ssdp);
	cr_assert(run(s, 17, PL_MODE_UNICAST, ok, strlen(ok)).resp & ssdp);
	cr_assert(run(s, 17, PL_MODE_UNICAST, usn, strlen(usn)).resp & ssdp);
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, plain, strlen(plain)).resp & ssdp, 0,
		     "HOST: is not ST:");
	pl_model_set_free(s);
}

/* The published files keep their documented quirks
 * (../shared/protoiot/README.md). */
Test(published, quirks_reproduced)
{
	struct pl_model_set *s = load(PL_SHARED_DIR "/protoiot/models");
	uint8_t b[300];
	uint32_t dns = BIT(s, "dns"), http = BIT(s, "http"), tls = BIT(s, "tls"),
		 ssdp = BIT(s, "ssdp"), ntp = BIT(s, "ntp");
	size_t n = dns_msg(b, 0x81, 0x80, 1, 1, 0);
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, b, n).resp & dns, 0,
		     "ordinary responses (0x81 0x80) never match");
	n = dns_msg(b, 0x82, 0x80, 1, 1, 0);
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, n).resp & dns, "even flags byte 0x82 does");
	n = dns_msg(b, 0x01, 0x00, 1, 0, 0);
	cr_assert(run(s, 17, PL_MODE_UNICAST, b, n).req & dns);
	n = dns_msg(b, 0x01, 0x20, 1, 0, 1);
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, b, n).req & dns, 0, "EDNS query missed");

	const char *r200 = "HTTP/1.1 200 OK\r\n", *r412 = "HTTP/1.1 412 Precondition Failed\r\n";
	cr_assert(run(s, 6, PL_MODE_UNICAST, r200, strlen(r200)).resp & http);
	cr_assert_eq(run(s, 6, PL_MODE_UNICAST, r412, strlen(r412)).resp & http, 0,
		     "second digit must be 0");
	const char *dot = "GET / HTTP/1x1\r\n";
	cr_assert(run(s, 6, PL_MODE_UNICAST, dot, strlen(dot)).req & http, "unescaped dot");

	n = client_hello(b, 0x0301, 0x0303);
	struct verdict v = run(s, 6, PL_MODE_UNICAST, b, n);
	cr_assert(v.req & tls);
	cr_assert_eq(pl_model_select(s, v.req, 0) & tls, 0, "TLS needs both hellos");

	const char *host = "HTTP/1.1 200 OK\r\nHOST: x\r\n\r\n";
	cr_assert(run(s, 17, PL_MODE_UNICAST, host, strlen(host)).resp & ssdp,
		  "ST: found inside HOST:");

	uint8_t q[48];
	ntp_msg(q, 0x23, 48);
	q[1] = 0;
	cr_assert(run(s, 17, PL_MODE_UNICAST, q, 48).req & ntp, "v4 client, refid 0");
	q[12] = 1;
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, q, 48).req & ntp, 0, "refid must be 0");
	ntp_msg(q, 0x13, 48);
	q[1] = 0;
	cr_assert_eq(run(s, 17, PL_MODE_UNICAST, q, 48).req & ntp, 0, "version 2 never matches");
	pl_model_set_free(s);
}

/* ---- attributes (the `attributes` of a model) ---- */

/* An attribute object, built with jansson so patterns need no escaping. */
static json_t *
attr_range(const char *name, const char *seek, const char *from,
	   const char *to, const char *dtype, const char *dir)
{
	json_t *pp = json_pack("{s:s, s:s}", "from", from, "to", to);
	if (seek)
		json_object_set_new(pp, "seek-pattern-from", json_string(seek));
	return json_pack("{s:s, s:s, s:o, s:s, s:s}", "name", name, "parser-type",
			 "parser:byteseek:range", "parser-pattern", pp,
			 "data-type", dtype, "direction", dir);
}

static json_t *
attr_tlv(const char *name, const char *seek, const char *tag, int tag_bits,
	 int len_bits, bool all, const char *dtype, const char *dir)
{
	json_t *pp = json_pack("{s:s, s:i, s:i, s:b}", "tag-pattern", tag,
			       "tag-bit-length", tag_bits, "length-bit-length",
			       len_bits, "find-all", all);
	if (seek)
		json_object_set_new(pp, "seek-pattern", json_string(seek));
	return json_pack("{s:s, s:s, s:o, s:s, s:s}", "name", name, "parser-type",
			 "parser:byteseek:tlv", "parser-pattern", pp,
			 "data-type", dtype, "direction", dir);
}

static json_t *
attr_regex(const char *name, const char *pattern, int group,
	   const char *dtype, const char *dir)
{
	return json_pack("{s:s, s:s, s:{s:s, s:i}, s:s, s:s}", "name", name,
			 "parser-type", "parser:regex", "parser-pattern",
			 "pattern", pattern, "group", group, "data-type", dtype,
			 "direction", dir);
}

/*
 * Load a one-model set ("x") whose attributes are the given objects
 * (NULL-terminated; references are stolen). NULL on a load error, which
 * is then in err.
 */
static struct pl_model_set *
load_attrs_err(char *err, size_t errlen, json_t *first, ...)
{
	char json[1024];
	snprintf(json, sizeof(json), good_model, "x", "6", "", "matcher:byteseek",
		 "00", "1");
	json_t *root = json_loads(json, 0, NULL);
	cr_assert_not_null(root);
	json_t *arr = json_array();
	va_list ap;
	va_start(ap, first);
	for (json_t *a = first; a; a = va_arg(ap, json_t *)) {
		cr_assert_not_null(a, "attribute built");
		json_array_append_new(arr, a);
	}
	va_end(ap);
	json_object_set_new(root, "attributes", arr);
	char *text = json_dumps(root, 0);
	json_decref(root);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pl-model-test-a%d", getpid());
	mkdir(tmpdir, 0700);
	write_model("x.json", text);
	free(text);
	err[0] = '\0';
	struct pl_model_set *s = pl_model_set_load(tmpdir, err, errlen, count_warning);
	char path[512];
	snprintf(path, sizeof(path), "%s/x.json", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	return s;
}

#define load_attrs(...)                                                     \
	({                                                                  \
		char err_[1024];                                            \
		struct pl_model_set *s_ =                                   \
			load_attrs_err(err_, sizeof(err_), __VA_ARGS__, NULL); \
		cr_assert_not_null(s_, "load: %s", err_);                   \
		s_;                                                         \
	})

/* The attributes of one direction as JSON text in buf; returns the count. */
static int
attrs_of(struct pl_model_set *s, unsigned model, bool response,
	 const void *p, size_t len, char *buf, uint32_t cap)
{
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	cr_assert_not_null(sc);
	struct pl_attrs out;
	pl_attrs_init(&out, buf, cap);
	int n = pl_model_attrs(s, sc, model, response, p, len, &out);
	pl_attrs_finish(&out);
	pl_model_scratch_free(sc);
	return n;
}

static void
expect_attrs(struct pl_model_set *s, unsigned model, bool response,
	     const void *p, size_t len, int count, const char *json)
{
	char buf[4096];
	int n = attrs_of(s, model, response, p, len, buf, sizeof(buf));
	cr_assert_str_eq(buf, json);
	cr_assert_eq(n, count, "%d members written, expected %d: %s", n, count, buf);
}

/* The value of one member of a JSON object text (a string), or NULL. */
static char *
member_of(const char *json, const char *name)
{
	static char val[4096];
	json_t *root = json_loads(json, 0, NULL);
	cr_assert_not_null(root, "valid JSON: %s", json);
	json_t *v = json_object_get(root, name);
	char *r = NULL;
	if (v) {
		cr_assert(json_is_string(v), "%s is a string in %s", name, json);
		snprintf(val, sizeof(val), "%s", json_string_value(v));
		r = val;
	}
	json_decref(root);
	return r;
}

static void
to_hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static int64_t
rexpr(const char *src, const uint8_t *p, size_t len, int64_t base,
      int64_t from, bool *ok)
{
	struct pl_rexpr e;
	char why[200];
	cr_assert_eq(pl_rexpr_compile(src, true, &e, why, sizeof(why)), 0,
		     "%s: %s", src, why);
	int64_t v = -12345;
	*ok = pl_rexpr_eval(&e, p, len, base, from, &v);
	return v;
}

static void
rexpr_bad(const char *src, bool allow_from, const char *why_has)
{
	struct pl_rexpr e;
	char why[200] = "";
	cr_assert_lt(pl_rexpr_compile(src, allow_from, &e, why, sizeof(why)), 0,
		     "'%s' should be refused", src);
	cr_assert(strstr(why, why_has), "'%s': '%s' should mention '%s'", src,
		  why, why_has);
}

Test(attr_expr, precedence_as_c_left_associative)
{
	const uint8_t b[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x80, 0xff};
	bool ok;
	/* + - bind tighter than < (<<), which binds tighter than | */
	cr_assert_eq(rexpr("1 + 2 < 3 | 1", b, 8, 0, 0, &ok), ((1 + 2) << 3) | 1);
	cr_assert(ok);
	cr_assert_eq(rexpr("1 | 2 < 3 + 1", b, 8, 0, 0, &ok), 1 | (2 << (3 + 1)));
	cr_assert_eq(rexpr("10 - 3 - 2", b, 8, 0, 0, &ok), 5, "left-associative");
	cr_assert_eq(rexpr("1 < 2 < 3", b, 8, 0, 0, &ok), (1 << 2) << 3);
	cr_assert_eq(rexpr("(1 | 2) + 1", b, 8, 0, 0, &ok), 4);
	cr_assert_eq(rexpr("1 | 2 + 1", b, 8, 0, 0, &ok), 1 | 3);
	cr_assert_eq(rexpr("0x10 + 1 << 1", b, 8, 0, 0, &ok), 34, "hex, <<");
	/* $(e): the byte at offset e from the base; from */
	cr_assert_eq(rexpr("($(6) < 8) | $(7)", b, 8, 0, 0, &ok), 0x80ff);
	cr_assert_eq(rexpr("$($(2) + 1)", b, 8, 0, 0, &ok), 3);
	cr_assert_eq(rexpr("$(1)", b, 8, 4, 0, &ok), 5, "relative to the base");
	cr_assert_eq(rexpr("$(2 - 3)", b, 8, 4, 0, &ok), 3, "before the base, inside");
	cr_assert_eq(rexpr("from + $(from - 2)", b, 8, 0, 5, &ok), 5 + 3);
	cr_assert(ok);
	/* out of the payload, or out of range: not ok */
	rexpr("$(8)", b, 8, 0, 0, &ok);
	cr_assert(!ok);
	rexpr("$(0 - 1)", b, 8, 0, 0, &ok);
	cr_assert(!ok);
	rexpr("$(4)", b, 8, 4, 0, &ok);
	cr_assert(!ok, "base + 4 is past the end");
	rexpr("1 < 32", b, 8, 0, 0, &ok);
	cr_assert(!ok, "shift count above 31");
	rexpr("4294967295 < 31 < 31", b, 8, 0, 0, &ok);
	cr_assert(!ok, "value too large");
}

Test(attr_expr, errors)
{
	rexpr_bad("46 + $(", true, "unbalanced parenthesis");
	rexpr_bad("(1 + 2", true, "unbalanced parenthesis");
	rexpr_bad("1 + 2)", true, "unbalanced parenthesis");
	rexpr_bad("1 +", true, "no operand");
	rexpr_bad("", true, "empty");
	rexpr_bad("1 2", true, "operator");
	rexpr_bad("1 * 2", true, "operator");
	rexpr_bad("from + 1", false, "only `to`");
	rexpr_bad("fro + 1", true, "unknown name 'fro'");
	rexpr_bad("$ 3", true, "'(' after '$'");
	rexpr_bad("99999999999", true, "number above");
	rexpr_bad("12ab", true, "a number");
}

Test(attrs, range_seek_and_bounds)
{
	/* payload: junk, then a "header" AA BB, a length byte, a value */
	const uint8_t p[] = {0x01, 0x02, 0xaa, 0xbb, 0x03, 'a', 'b', 'c', 0x09};
	struct pl_model_set *s = load_attrs(
		attr_range("head", NULL, "0", "2", "BYTES", "REQUEST"),
		attr_range("val", "aa bb", "3", "from + $(2)", "STRING", "request"),
		attr_range("len", "aa bb", "2", "3", "bytes", "REQUEST"),
		attr_range("past", "aa bb", "3", "from + 10", "BYTES", "REQUEST"),
		attr_range("noseek", "cc dd", "0", "1", "BYTES", "REQUEST"),
		attr_range("empty", NULL, "4", "4", "BYTES", "REQUEST"),
		attr_range("backwards", NULL, "4", "3", "BYTES", "REQUEST"),
		attr_range("byte-oob", NULL, "0", "$(200)", "BYTES", "REQUEST"),
		attr_range("resp", NULL, "0", "1", "BYTES", "RESPONSE"));
	cr_assert(pl_model_has_attrs(s, 0, false));
	cr_assert(pl_model_has_attrs(s, 0, true));
	cr_assert(!pl_model_has_attrs(s, 1, false), "no such model");
	cr_assert(!pl_model_has_attrs(NULL, 0, false));
	expect_attrs(s, 0, false, p, sizeof(p), 4,
		     "{\"head\":\"0102\",\"val\":\"abc\",\"len\":\"03\",\"empty\":\"\"}");
	expect_attrs(s, 0, true, p, sizeof(p), 1, "{\"resp\":\"01\"}");
	/* cut inside the value: val absent, the rest still there */
	expect_attrs(s, 0, false, p, 7, 3,
		     "{\"head\":\"0102\",\"len\":\"03\",\"empty\":\"\"}");
	/* the seek pattern occurs nowhere */
	expect_attrs(s, 0, false, p, 3, 1, "{\"head\":\"0102\"}");
	expect_attrs(s, 0, false, NULL, 0, 0, "{}");
	pl_model_set_free(s);
}

Test(attrs, tlv_pad_end_find_all_and_lengths)
{
	/* cookie, then: pad, 0c len 3, pad, 0c len 20 (too long for the
	 * pattern), 37 len 2, 0c len 1, end, then a 0c after the end */
	uint8_t p[128];
	size_t n = 0;
	p[n++] = 0x0c; /* before the cookie: not looked at */
	p[n++] = 0x01;
	p[n++] = 'z';
	p[n++] = 0x63; p[n++] = 0x82; p[n++] = 0x53; p[n++] = 0x63;
	p[n++] = 0x00;
	p[n++] = 0x0c; p[n++] = 3; p[n++] = 'a'; p[n++] = 'b'; p[n++] = 'c';
	p[n++] = 0x00;
	p[n++] = 0x0c; p[n++] = 20;
	for (int i = 0; i < 20; i++)
		p[n++] = 'L';
	p[n++] = 0x37; p[n++] = 2; p[n++] = 0x01; p[n++] = 0x03;
	p[n++] = 0x0c; p[n++] = 1; p[n++] = 'd';
	p[n++] = 0xff;
	p[n++] = 0x0c; p[n++] = 1; p[n++] = 'e';
	struct pl_model_set *s = load_attrs(
		attr_tlv("first", "63 82 53 63", "0c [00 - 0E]", 8, 8, false, "STRING", "REQUEST"),
		attr_tlv("all", "63 82 53 63", "0c [00 - 0E]", 8, 8, true, "STRING", "REQUEST"),
		attr_tlv("any-len", "63 82 53 63", "0c", 8, 8, true, "STRING", "REQUEST"),
		attr_tlv("prl", "63 82 53 63", "37", 8, 8, false, "BYTES", "REQUEST"),
		attr_tlv("none", "63 82 53 63", "99", 8, 8, true, "BYTES", "REQUEST"),
		attr_tlv("noseek", NULL, "0c", 8, 8, false, "STRING", "REQUEST"));
	expect_attrs(s, 0, false, p, n, 5,
		     "{\"first\":\"abc\",\"all\":[\"abc\",\"d\"],"
		     "\"any-len\":[\"abc\",\"LLLLLLLLLLLLLLLLLLLL\",\"d\"],"
		     "\"prl\":\"0103\",\"noseek\":\"z\"}");
	/* cut inside the third TLV: the walk stops there */
	expect_attrs(s, 0, false, p, 20, 4,
		     "{\"first\":\"abc\",\"all\":[\"abc\"],\"any-len\":[\"abc\"],"
		     "\"noseek\":\"z\"}");
	pl_model_set_free(s);

	/* 16-bit tags and lengths (big-endian); tag 0 is not a pad then */
	const uint8_t q[] = {0x00, 0x00, 0x00, 0x02, 0xaa, 0xbb,
			     0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,
			     0x00, 0x2b, 0x00, 0x01, 0x05};
	s = load_attrs(
		attr_tlv("sni", NULL, "00 00", 16, 16, false, "BYTES", "RESPONSE"),
		attr_tlv("sv", NULL, "00 2b", 16, 16, true, "BYTES", "RESPONSE"));
	expect_attrs(s, 0, true, q, sizeof(q), 2,
		     "{\"sni\":\"aabb\",\"sv\":[\"020304\",\"05\"]}");
	cr_assert(!pl_model_has_attrs(s, 0, false));
	expect_attrs(s, 0, false, q, sizeof(q), 0, "{}");
	pl_model_set_free(s);
}

Test(attrs, regex_groups_lookbehind_case_and_lines)
{
	const char *msg = "GET /a HTTP/1.1\r\nHOST: example.org\r\nX-Id: 7\r\n\r\n";
	struct pl_model_set *s = load_attrs(
		attr_regex("host", "(?<=((?i)(host: )))(.*?)(?=\\x0d\\x0a)", 0, "STRING", "REQUEST"),
		attr_regex("host-g3", "(?<=((?i)(host: )))(.*?)(?=\\x0d\\x0a)", 3, "STRING", "REQUEST"),
		attr_regex("host-cs", "(?<=Host: )(.*?)(?=\\r\\n)", 0, "STRING", "REQUEST"),
		attr_regex("opt", "X-Id: (\\d)|X-Other: (\\d)", 2, "STRING", "REQUEST"),
		attr_regex("id", "X-Id: (\\d)|X-Other: (\\d)", 1, "BYTES", "REQUEST"),
		attr_regex("dot", "HOST: (.*)", 1, "STRING", "REQUEST"),
		attr_regex("dollar", "X-Id: 7$", 0, "STRING", "REQUEST"),
		attr_regex("caret", "^HOST", 0, "STRING", "REQUEST"),
		attr_regex("start", "^GET", 0, "STRING", "REQUEST"),
		attr_regex("uesc", "\\u0047ET", 0, "STRING", "REQUEST"));
	/* host-cs: case-sensitive "Host: " is not there; opt: group 2 did not
	 * take part; dot: `.` stops before \r as in Java; dollar: no $ before
	 * an inner line end (no MULTILINE); caret: ^ is the payload start */
	expect_attrs(s, 0, false, msg, strlen(msg), 6,
		     "{\"host\":\"example.org\",\"host-g3\":\"example.org\","
		     "\"id\":\"37\",\"dot\":\"example.org\",\"start\":\"GET\","
		     "\"uesc\":\"GET\"}");
	pl_model_set_free(s);
}

Test(attrs, regex_java_translation)
{
	/* Java's comments mode also drops spaces inside a class: "[= ]" is
	 * "[=]" there, so "k v" does not match; \u0041 is 'A' */
	struct pl_model_set *s = load_attrs(
		attr_regex("x", "(?x) k [= ] v  # comment", 0, "STRING", "REQUEST"),
		attr_regex("u", "\\u0041(\\Q[*]\\E)", 1, "STRING", "REQUEST"));
	expect_attrs(s, 0, false, "k v A[*]", 8, 1, "{\"u\":\"[*]\"}");
	expect_attrs(s, 0, false, "k=v", 3, 1, "{\"x\":\"k=v\"}");
	pl_model_set_free(s);
	char err[1024];
	cr_assert_null(load_attrs_err(err, sizeof(err),
				      attr_regex("a", "(*UTF)a", 0, "STRING", "REQUEST"),
				      NULL));
	cr_assert(strstr(err, "expected a regex PCRE2 accepts"), "%s", err);
	cr_assert_null(load_attrs_err(err, sizeof(err),
				      attr_regex("a", "[a[b]]", 0, "STRING", "REQUEST"),
				      NULL));
	cr_assert(strstr(err, "'[' inside a class at offset 2"), "%s", err);
}

Test(attrs, regex_match_limit, .timeout = 10)
{
	char p[200];
	memset(p, 'a', 60);
	strcpy(p + 60, "c b");
	struct pl_model_set *s = load_attrs(
		attr_regex("slow", "(a+)+b", 0, "STRING", "REQUEST"),
		attr_regex("fast", "c b", 0, "STRING", "REQUEST"));
	/* (a+)+b backtracks exponentially on 60 a's: the match limit stops it */
	expect_attrs(s, 0, false, p, strlen(p), 1, "{\"fast\":\"c b\"}");
	pl_model_set_free(s);
}

Test(attrs, a_name_twice_first_found_wins)
{
	const uint8_t p[] = {'k', '=', 'v', '1'};
	struct pl_model_set *s = load_attrs(
		attr_range("a", NULL, "0", "10", "STRING", "REQUEST"), /* absent */
		attr_range("a", NULL, "0", "1", "STRING", "REQUEST"),
		attr_range("a", NULL, "2", "4", "STRING", "REQUEST"),
		attr_range("a", NULL, "3", "4", "STRING", "RESPONSE"),
		attr_regex("b", "v(\\d)", 1, "STRING", "REQUEST"),
		attr_regex("b", "k", 0, "STRING", "REQUEST"));
	expect_attrs(s, 0, false, p, sizeof(p), 2, "{\"a\":\"k\",\"b\":\"1\"}");
	expect_attrs(s, 0, true, p, sizeof(p), 1, "{\"a\":\"1\"}");
	pl_model_set_free(s);
}

Test(attrs, bad_arguments)
{
	const uint8_t p[] = {1, 2};
	struct pl_model_set *s = load_attrs(
		attr_regex("r", "x", 0, "STRING", "REQUEST"),
		attr_range("n", NULL, "0", "1", "BYTES", "RESPONSE"));
	struct pl_model_set *other = load(PL_MODELS_DIR);
	struct pl_model_scratch *sc = pl_model_scratch_alloc(s);
	struct pl_model_scratch *osc = pl_model_scratch_alloc(other);
	char buf[256];
	struct pl_attrs out;
	pl_attrs_init(&out, buf, sizeof(buf));
	cr_assert_eq(pl_model_attrs(NULL, sc, 0, false, p, 2, &out), -EINVAL);
	cr_assert_eq(pl_model_attrs(s, sc, 0, false, p, 2, NULL), -EINVAL);
	cr_assert_eq(pl_model_attrs(s, sc, 1, false, p, 2, &out), -EINVAL);
	cr_assert_eq(pl_model_attrs(s, sc, 0, false, NULL, 2, &out), -EINVAL);
	cr_assert_eq(pl_model_attrs(s, NULL, 0, false, p, 2, &out), -EINVAL,
		     "regex attributes need a scratch");
	cr_assert_eq(pl_model_attrs(s, osc, 0, false, p, 2, &out), -EINVAL,
		     "a scratch of another set");
	cr_assert_eq(pl_model_attrs(s, NULL, 0, true, p, 2, &out), 1,
		     "no regex in the response: no scratch needed");
	pl_attrs_finish(&out);
	cr_assert_str_eq(buf, "{\"n\":\"01\"}");
	pl_model_scratch_free(sc);
	pl_model_scratch_free(osc);
	pl_model_set_free(other);
	pl_model_set_free(s);
}

static void
attrs_load_fails(const char *expect, json_t *a)
{
	char err[1024];
	struct pl_model_set *s = load_attrs_err(err, sizeof(err), a, NULL);
	cr_assert_null(s, "should be refused: %s", expect);
	cr_assert(strstr(err, expect), "error '%s' should contain '%s'", err, expect);
}

Test(attrs, loader_errors)
{
	attrs_load_fails("x.json: attributes[0].parser-pattern.from: expected an "
			 "expression, found \"46 + $(\" (unbalanced parenthesis)",
			 attr_range("a", NULL, "46 + $(", "1", "BYTES", "REQUEST"));
	attrs_load_fails("attributes[0].parser-pattern.from: expected an expression, "
			 "found \"from + 1\" ('from' at offset 0: only `to`",
			 attr_range("a", NULL, "from + 1", "1", "BYTES", "REQUEST"));
	attrs_load_fails("attributes[0].parser-pattern.seek-pattern-from: expected a "
			 "hex byte",
			 attr_range("a", "zz", "0", "1", "BYTES", "REQUEST"));
	attrs_load_fails("x.json: attributes[0].parser-pattern.pattern: expected a regex "
			 "PCRE2 accepts, found \"a(b\" (PCRE2: missing closing "
			 "parenthesis at offset 3)",
			 attr_regex("a", "a(b", 0, "STRING", "REQUEST"));
	attrs_load_fails("(PCRE2: lookbehind assertion is not fixed length",
			 attr_regex("a", "(?<=a+)b", 0, "STRING", "REQUEST"));
	attrs_load_fails("'&&' inside a class at offset 4",
			 attr_regex("a", "[a-z&&[^b]]", 0, "STRING", "REQUEST"));
	attrs_load_fails("inline flag 'U'",
			 attr_regex("a", "(?U)a+", 0, "STRING", "REQUEST"));
	attrs_load_fails("attributes[0].parser-pattern.group: expected a group 0..1 "
			 "(the pattern has 1 capture group), found 2",
			 attr_regex("a", "a(b)", 2, "STRING", "REQUEST"));
	attrs_load_fails("x.json: attributes[0].parser-type: expected "
			 "\"parser:byteseek:range\", \"parser:byteseek:tlv\" or "
			 "\"parser:regex\", found \"parser:xml\"",
			 json_pack("{s:s, s:s, s:{}, s:s, s:s}", "name", "a",
				   "parser-type", "parser:xml", "parser-pattern",
				   "data-type", "BYTES", "direction", "REQUEST"));
	attrs_load_fails("attributes[0].parser-pattern.tag-bit-length: expected 8 or "
			 "16, found 12",
			 attr_tlv("a", NULL, "0c", 12, 8, false, "BYTES", "REQUEST"));
	attrs_load_fails("attributes[0].parser-pattern.length-bit-length: expected 8 "
			 "or 16, found 32",
			 attr_tlv("a", NULL, "0c", 8, 32, false, "BYTES", "REQUEST"));
	attrs_load_fails("attributes[0].data-type: expected BYTES or STRING, found "
			 "\"INT\"",
			 attr_range("a", NULL, "0", "1", "INT", "REQUEST"));
	attrs_load_fails("attributes[0].direction: expected REQUEST or RESPONSE, "
			 "found \"BOTH\"",
			 attr_range("a", NULL, "0", "1", "BYTES", "BOTH"));
	attrs_load_fails("attributes[0].parser-pattern.to: expected an expression, "
			 "found nothing",
			 json_pack("{s:s, s:s, s:{s:s}, s:s, s:s}", "name", "a",
				   "parser-type", "parser:byteseek:range",
				   "parser-pattern", "from", "0", "data-type",
				   "BYTES", "direction", "REQUEST"));
	attrs_load_fails("attributes[0].name: expected a name without control",
			 attr_range("a\"b", NULL, "0", "1", "BYTES", "REQUEST"));

	/* unknown keys warn, in the attribute and in its parser-pattern */
	char err[1024];
	json_t *a = attr_range("a", NULL, "0", "1", "BYTES", "REQUEST");
	json_object_set_new(a, "colour", json_string("blue"));
	json_object_set_new(json_object_get(a, "parser-pattern"), "group",
			    json_integer(1));
	warnings = 0;
	struct pl_model_set *s = load_attrs_err(err, sizeof(err), a, NULL);
	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(warnings, 2);
	pl_model_set_free(s);
}

/* ---- the published models' attributes on real messages ---- */

static struct pl_model_set *published;
static struct pl_model_scratch *published_sc;

static const char *
published_attrs(const char *model, bool response, const void *p, size_t len)
{
	static char buf[8192];
	struct pl_attrs out;
	pl_attrs_init(&out, buf, sizeof(buf));
	int n = pl_model_attrs(published, published_sc,
			       (unsigned)model_index(published, model), response,
			       p, len, &out);
	pl_attrs_finish(&out);
	cr_assert_geq(n, 0);
	cr_assert(!out.truncated);
	return buf;
}

static void
published_setup(void)
{
	char err[1024];
	published = pl_model_set_load(PL_SHARED_DIR "/protoiot/models", err,
				      sizeof(err), NULL);
	cr_assert_not_null(published, "%s", err);
	published_sc = pl_model_scratch_alloc(published);
	cr_assert_not_null(published_sc);
}

static void
published_teardown(void)
{
	pl_model_scratch_free(published_sc);
	pl_model_set_free(published);
}

#define EXPECT_MEMBER(json, name, want)                                      \
	do {                                                                 \
		const char *got_ = member_of(json, name);                    \
		cr_assert_not_null(got_, "%s missing in %s", name, json);    \
		cr_assert_str_eq(got_, want, "%s in %s", name, json);        \
	} while (0)

#define EXPECT_ABSENT(json, name)                                            \
	cr_assert_null(member_of(json, name), "%s should be absent: %s", name, json)

static size_t
put16(uint8_t *b, size_t n, unsigned v)
{
	b[n] = (uint8_t)(v >> 8);
	b[n + 1] = (uint8_t)v;
	return n + 2;
}

/* A TLS 1.3-style ClientHello (record + handshake) with a 32-byte session
 * id, four suites, SNI and supported_versions, after `lead` junk bytes. */
static size_t
real_client_hello(uint8_t *b, size_t lead)
{
	size_t n = 0;
	memset(b, 0xee, lead);
	n = lead;
	size_t rec = n;
	b[n++] = 0x16;
	n = put16(b, n, 0x0301);
	n += 2; /* record length, below */
	size_t hs = n;
	b[n++] = 0x01;
	n += 3; /* handshake length, below */
	n = put16(b, n, 0x0303);
	for (int i = 0; i < 32; i++)
		b[n++] = (uint8_t)(0xa0 + i); /* random */
	b[n++] = 32;
	for (int i = 0; i < 32; i++)
		b[n++] = (uint8_t)(0x40 + i); /* session id */
	n = put16(b, n, 8);
	n = put16(b, n, 0x1301);
	n = put16(b, n, 0x1302);
	n = put16(b, n, 0xc02b);
	n = put16(b, n, 0xc02f);
	b[n++] = 1; /* compression methods */
	b[n++] = 0;
	size_t ext_len_at = n;
	n += 2;
	size_t ext = n;
	/* server_name: example.com */
	n = put16(b, n, 0x0000);
	n = put16(b, n, 16);
	n = put16(b, n, 14);
	b[n++] = 0;
	n = put16(b, n, 11);
	memcpy(b + n, "example.com", 11);
	n += 11;
	/* supported_versions: TLS 1.3, 1.2 */
	n = put16(b, n, 0x002b);
	n = put16(b, n, 5);
	b[n++] = 4;
	n = put16(b, n, 0x0304);
	n = put16(b, n, 0x0303);
	put16(b, ext_len_at, (unsigned)(n - ext));
	put16(b, rec + 3, (unsigned)(n - hs));
	size_t hl = n - hs - 4;
	b[hs + 1] = (uint8_t)(hl >> 16);
	b[hs + 2] = (uint8_t)(hl >> 8);
	b[hs + 3] = (uint8_t)hl;
	return n;
}

Test(published_attrs, tls_client_and_server_hello, .init = published_setup,
     .fini = published_teardown)
{
	uint8_t b[512];
	for (size_t lead = 0; lead <= 7; lead += 7) {
		size_t n = real_client_hello(b, lead);
		const char *j = published_attrs("tls", false, b, n);
		EXPECT_MEMBER(j, "client-hello-version", "0303");
		EXPECT_MEMBER(j, "client-hello-cipher-suites", "13011302c02bc02f");
		/*
		 * The published extensions `from`, read with C precedence:
		 * (46 + sid + (hi << 8)) | (lo + $((46 + sid + (hi << 8)) | lo) + 3)
		 * where sid = $(43) and hi lo = the cipher suites length.
		 * The extensions really start at 46 + sid + 8 + 2 + 2 = 90.
		 */
		const uint8_t *r = b + lead;
		unsigned sid = r[43], hi = r[44 + sid], lo = r[45 + sid];
		size_t a = 46 + sid + (hi << 8);
		size_t from = a | (lo + r[a | lo] + 3);
		size_t to = from + ((size_t)r[from - 2] << 8 | r[from - 1]);
		cr_assert_neq(from, 90, "the quirk: not the extensions' offset");
		cr_assert_leq(lead + to, n);
		char want[1024];
		to_hex(r + from, to - from, want);
		EXPECT_MEMBER(j, "client-hello-extensions", want);
		/* the response attributes need a ServerHello */
		j = published_attrs("tls", true, b, n);
		cr_assert_str_eq(j, "{}");
	}
	/* a ClientHello cut inside the cipher suites: version only */
	size_t n = real_client_hello(b, 0);
	const char *j = published_attrs("tls", false, b, 80);
	EXPECT_MEMBER(j, "client-hello-version", "0303");
	EXPECT_ABSENT(j, "client-hello-cipher-suites");
	(void)n;

	/* ServerHello: TLS 1.2, empty session id, suite c02f */
	uint8_t s[128];
	size_t m = 0;
	s[m++] = 0x16;
	m = put16(s, m, 0x0303);
	m = put16(s, m, 42);
	s[m++] = 0x02;
	s[m++] = 0;
	m = put16(s, m, 38);
	m = put16(s, m, 0x0303);
	for (int i = 0; i < 32; i++)
		s[m++] = (uint8_t)i;
	s[m++] = 0;
	m = put16(s, m, 0xc02f);
	s[m++] = 0;
	j = published_attrs("tls", true, s, m);
	EXPECT_MEMBER(j, "server-hello-version", "0303");
	EXPECT_MEMBER(j, "server-hello-cipher-suite", "c02f");
	EXPECT_ABSENT(j, "server-hello-certificates");
}

/* A DHCPREQUEST (RFC 2131/2132) with the given host name and parameter
 * request list. */
static size_t
real_dhcp_request(uint8_t *b, const char *host, const uint8_t *prl,
		  size_t nprl)
{
	static const uint8_t mac[6] = {0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42};
	memset(b, 0, 548);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	b[3] = 0;
	b[4] = 0x39; b[5] = 0x03; b[6] = 0xf3; b[7] = 0x26; /* xid */
	b[10] = 0x80; /* broadcast flag */
	memcpy(b + 28, mac, 6);
	size_t n = 236;
	b[n++] = 0x63; b[n++] = 0x82; b[n++] = 0x53; b[n++] = 0x63;
	b[n++] = 53; b[n++] = 1; b[n++] = 3;           /* DHCPREQUEST */
	b[n++] = 61; b[n++] = 7; b[n++] = 1;           /* client id */
	memcpy(b + n, mac, 6);
	n += 6;
	b[n++] = 50; b[n++] = 4;                       /* requested address */
	b[n++] = 192; b[n++] = 168; b[n++] = 0; b[n++] = 10;
	b[n++] = 0;                                    /* a pad */
	b[n++] = 12; b[n++] = (uint8_t)strlen(host);   /* host name */
	memcpy(b + n, host, strlen(host));
	n += strlen(host);
	b[n++] = 55; b[n++] = (uint8_t)nprl;           /* parameter request list */
	memcpy(b + n, prl, nprl);
	n += nprl;
	b[n++] = 255;
	return n + 8; /* padding after the end option */
}

Test(published_attrs, dhcp_request, .init = published_setup,
     .fini = published_teardown)
{
	uint8_t b[600];
	const uint8_t prl[] = {1, 3, 6, 15, 119, 252};
	size_t n = real_dhcp_request(b, "kitchen-cam", prl, sizeof(prl));
	const char *j = published_attrs("dhcp", false, b, n);
	EXPECT_MEMBER(j, "opcode", "01");
	EXPECT_MEMBER(j, "htype", "01");
	EXPECT_MEMBER(j, "hlen", "06");
	EXPECT_MEMBER(j, "xid", "3903f326");
	EXPECT_MEMBER(j, "flags", "8000");
	EXPECT_MEMBER(j, "chaddr", "000b8201fc42");
	EXPECT_MEMBER(j, "host name", "kitchen-cam");
	EXPECT_MEMBER(j, "parameter request list", "0103060f77fc");
	EXPECT_ABSENT(j, "vendor class identifier");
	EXPECT_ABSENT(j, "ip lease time"); /* a RESPONSE attribute */
	/* the published tag patterns bound the length: a 15-byte host name
	 * ([00 - 0E]) and an 11-entry request list ([00 - 0A]) are missed */
	const uint8_t prl11[] = {1, 121, 3, 6, 15, 119, 252, 95, 44, 46, 47};
	n = real_dhcp_request(b, "living-room-tv1", prl11, sizeof(prl11));
	j = published_attrs("dhcp", false, b, n);
	EXPECT_MEMBER(j, "xid", "3903f326");
	EXPECT_ABSENT(j, "host name");
	EXPECT_ABSENT(j, "parameter request list");
}

Test(published_attrs, dns_query, .init = published_setup,
     .fini = published_teardown)
{
	uint8_t b[300];
	size_t n = dns_msg(b, 0x01, 0x00, 1, 0, 0);
	const char *j = published_attrs("dns", false, b, n);
	cr_assert_str_eq(j, "{\"transaction id\":\"1234\",\"flags\":\"0100\","
			    "\"Qnumber\":\"0001\"}");
	/* three bytes: only the transaction id is whole */
	j = published_attrs("dns", false, b, 3);
	cr_assert_str_eq(j, "{\"transaction id\":\"1234\"}");
}

Test(published_attrs, ntp_client, .init = published_setup,
     .fini = published_teardown)
{
	uint8_t b[48];
	ntp_msg(b, 0x23, 48); /* LI 0, version 4, mode 3 */
	for (int i = 0; i < 8; i++)
		b[40 + i] = (uint8_t)(0xe9 + i); /* transmit timestamp */
	const char *j = published_attrs("ntp", false, b, 48);
	EXPECT_MEMBER(j, "client version", "23");
	EXPECT_MEMBER(j, "client mode", "23");
	EXPECT_MEMBER(j, "origin timestamp", "0000000000000000");
	EXPECT_MEMBER(j, "transmit timestamp", "e9eaebecedeeeff0");
	EXPECT_ABSENT(j, "reference id"); /* RESPONSE only */
	j = published_attrs("ntp", false, b, 47);
	EXPECT_ABSENT(j, "transmit timestamp");
}

Test(published_attrs, http_request, .init = published_setup,
     .fini = published_teardown)
{
	const char *req = "GET /index.html?q=1 HTTP/1.1\r\n"
			  "Host: www.example.com\r\n"
			  "user-agent: curl/7.88.1\r\n"
			  "Accept: */*\r\n"
			  "Authorization: Basic dXNlcjpwYXNz\r\n\r\n";
	const char *j = published_attrs("http", false, req, strlen(req));
	EXPECT_MEMBER(j, "method", "GET");
	/* (METHOD)(.+?)(\x20): group 2 starts with the space after the method */
	EXPECT_MEMBER(j, "uri", " /index.html?q=1");
	EXPECT_MEMBER(j, "request-version", "HTTP/1.1");
	EXPECT_MEMBER(j, "host", "www.example.com");
	EXPECT_MEMBER(j, "user-agent", "curl/7.88.1");
	EXPECT_MEMBER(j, "authentication_type", "Basic");
	/* A credential by its name: present and hashed, never in clear. */
	cr_assert_null(strstr(j, "dXNlcjpwYXNz"), "credential in clear: %s", j);
	uint8_t md[SHA256_DIGEST_LENGTH];
	char want[9];
	SHA256((const uint8_t *)"dXNlcjpwYXNz", 12, md);
	to_hex(md, 4, want);
	json_t *root = json_loads(j, 0, NULL);
	json_t *cred = json_object_get(root, "authentication_credential");
	cr_assert(json_is_true(json_object_get(cred, "present")), "%s", j);
	cr_assert_str_eq(json_string_value(json_object_get(cred, "hash")), want);
	json_decref(root);
	EXPECT_ABSENT(j, "soap_security_tag");

	const char *resp = "HTTP/1.1 404 Not Found\r\nServer: nginx\r\n\r\n";
	j = published_attrs("http", true, resp, strlen(resp));
	EXPECT_MEMBER(j, "response-version", "HTTP/1.1");
	EXPECT_MEMBER(j, "status code", "404");
	EXPECT_MEMBER(j, "response phrase", "Not Found");
	EXPECT_MEMBER(j, "server", "nginx");
}

Test(published_attrs, ssdp_msearch, .init = published_setup,
     .fini = published_teardown)
{
	const char *ms = "M-SEARCH * HTTP/1.1\r\n"
			 "HOST: 239.255.255.250:1900\r\n"
			 "MAN: \"ssdp:discover\"\r\n"
			 "MX: 2\r\n"
			 "ST: urn:dial-multiscreen-org:service:dial:1\r\n"
			 "USER-AGENT: Google Chrome/120.0 Linux\r\n\r\n";
	const char *j = published_attrs("ssdp", false, ms, strlen(ms));
	EXPECT_MEMBER(j, "method", "M-SEARCH");
	EXPECT_MEMBER(j, "uri", "*");
	EXPECT_MEMBER(j, "request version", "HTTP/1.1");
	EXPECT_MEMBER(j, "search target", "urn:dial-multiscreen-org:service:dial:1");
	EXPECT_MEMBER(j, "search type", "\"ssdp:discover\"");
	EXPECT_MEMBER(j, "user-agent", "Google Chrome/120.0 Linux");
	EXPECT_ABSENT(j, "location");
	/* `^` anchors the method at the payload start */
	const char *late = "xM-SEARCH * HTTP/1.1\r\n\r\n";
	j = published_attrs("ssdp", false, late, strlen(late));
	EXPECT_ABSENT(j, "method");
}

Test(published_attrs, every_model_has_attributes, .init = published_setup,
     .fini = published_teardown)
{
	const char *names[] = {"tls", "http", "dns", "ntp", "dhcp", "ssdp"};
	for (int i = 0; i < 6; i++) {
		unsigned m = (unsigned)model_index(published, names[i]);
		cr_assert(pl_model_has_attrs(published, m, false), "%s", names[i]);
		cr_assert(pl_model_has_attrs(published, m, true), "%s", names[i]);
	}
	/* the project's own models carry no attributes (native dissectors) */
	struct pl_model_set *own = load(PL_MODELS_DIR);
	for (unsigned m = 0; m < pl_model_count(own); m++) {
		cr_assert(!pl_model_has_attrs(own, m, false));
		cr_assert(!pl_model_has_attrs(own, m, true));
	}
	pl_model_set_free(own);
}
