/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/model: Byteseek compiler, expressions, loader errors,
 * and each model (the project's and the published ones) on crafted
 * payloads built here from the protocols' specifications. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "model.h"

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

static int
model_index(const struct pl_model_set *s, const char *name)
{
	for (unsigned i = 0; i < pl_model_count(s); i++)
		if (strcmp(pl_model_name(s, i), name) == 0)
			return (int)i;
	cr_assert_fail("no model %s", name);
	return -1;
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
	cr_assert_eq(pl_model_inspect(s, sc, cand, payload, (uint32_t)len,
				      &v.req, &v.resp), 0);
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

Test(models, http_any_status_and_split_request_line)
{
	struct pl_model_set *s = load(PL_MODELS_DIR);
	uint32_t http = BIT(s, "http");
	const char *pos_req[] = {"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n",
				 "POST /api/v1 HTTP/1.0\r\n",
				 "GET /very/long/uri/cut/by/the/segm",
				 "CONNECT example.com:443 HTTP/1.1\r\n",
				 "OPTIONS * HTTP/1.1\r\n",
				 "SUBSCRIBE /upnp/event HTTP/1.1\r\n"};
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
	const char *neg[] = {"GETX / HTTP/1.1\r\n", "HTTP/1.1 600 Nope\r\n",
			     "xGET / HTTP/1.1\r\n", "SSH-2.0-OpenSSH_9.2\r\n",
			     "get / HTTP/1.1\r\n"};
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
