/* SPDX-License-Identifier: BSD-3-Clause */
/* The SSDP dissector on the message forms of UPnP Device Architecture 2.0
 * section 1 (NOTIFY ssdp:alive 1.2.2, M-SEARCH 1.3.2, search response
 * 1.3.3): start line, discovery headers in any case, every truncation
 * point, what is not SSDP. */
#include <stdlib.h>
#include <string.h>

#include "proto_test.h"

static json_t *
run_n(const char *s, size_t n, enum pl_dissect_result *r)
{
	return run_with(pl_ssdp_dissect, s, n, r);
}

static void
every_truncation(const char *s)
{
	every_truncation_with(pl_ssdp_dissect, s, strlen(s));
}

static json_t *
run(const char *s, enum pl_dissect_result *r)
{
	return run_n(s, strlen(s), r);
}

static const char notify[] =
	"NOTIFY * HTTP/1.1\r\n"
	"HOST: 239.255.255.250:1900\r\n"
	"CACHE-CONTROL: max-age = 1800\r\n"
	"LOCATION: http://192.0.2.10:80/desc.xml\r\n"
	"NT: upnp:rootdevice\r\n"
	"NTS: ssdp:alive\r\n"
	"SERVER: Linux/6.1 UPnP/2.0 lab/1.0\r\n"
	"USN: uuid:2fac1234-31f8-11b4-a222-08002b34c003::upnp:rootdevice\r\n"
	"BOOTID.UPNP.ORG: 1\r\n"
	"CONFIGID.UPNP.ORG: 1\r\n"
	"\r\n";

static const char msearch[] =
	"M-SEARCH * HTTP/1.1\r\n"
	"HOST: 239.255.255.250:1900\r\n"
	"MAN: \"ssdp:discover\"\r\n"
	"MX: 2\r\n"
	"ST: ssdp:all\r\n"
	"USER-AGENT: Linux/6.1 UPnP/2.0 lab/1.0\r\n"
	"\r\n";

/* Header names in mixed case, as real devices send them. */
static const char response[] =
	"HTTP/1.1 200 OK\r\n"
	"cache-control: max-age=1800\r\n"
	"EXT:\r\n"
	"Location: http://192.0.2.1/desc.xml\r\n"
	"Server: Linux/6.1 UPnP/2.0 lab/1.0\r\n"
	"st: upnp:rootdevice\r\n"
	"Usn: uuid:2fac1234-31f8-11b4-a222-08002b34c003::upnp:rootdevice\r\n"
	"\r\n";

Test(ssdp, notify)
{
	enum pl_dissect_result r;
	json_t *j = run(notify, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "type"), "notify");
	cr_assert_str_eq(str(j, "method"), "NOTIFY");
	cr_assert_str_eq(str(j, "uri"), "*");
	cr_assert_str_eq(str(j, "version"), "HTTP/1.1");
	cr_assert_str_eq(str(j, "host"), "239.255.255.250:1900");
	cr_assert_str_eq(str(j, "cache_control"), "max-age = 1800");
	cr_assert_str_eq(str(j, "location"), "http://192.0.2.10:80/desc.xml");
	cr_assert_str_eq(str(j, "nt"), "upnp:rootdevice");
	cr_assert_str_eq(str(j, "nts"), "ssdp:alive");
	cr_assert_str_eq(str(j, "server"), "Linux/6.1 UPnP/2.0 lab/1.0");
	cr_assert_str_eq(str(j, "usn"),
			 "uuid:2fac1234-31f8-11b4-a222-08002b34c003::upnp:rootdevice");
	cr_assert_eq(num(j, "header_count"), 9);
	cr_assert_null(json_object_get(j, "st"));
	json_decref(j);
}

Test(ssdp, msearch)
{
	enum pl_dissect_result r;
	json_t *j = run(msearch, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "type"), "m-search");
	cr_assert_str_eq(str(j, "method"), "M-SEARCH");
	cr_assert_str_eq(str(j, "man"), "\"ssdp:discover\"");
	cr_assert_str_eq(str(j, "mx"), "2");
	cr_assert_str_eq(str(j, "st"), "ssdp:all");
	cr_assert_str_eq(str(j, "user_agent"), "Linux/6.1 UPnP/2.0 lab/1.0");
	cr_assert_eq(num(j, "header_count"), 5);
	json_decref(j);
}

Test(ssdp, search_response)
{
	enum pl_dissect_result r;
	json_t *j = run(response, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "type"), "response");
	cr_assert_str_eq(str(j, "version"), "HTTP/1.1");
	cr_assert_eq(num(j, "status_code"), 200);
	cr_assert_str_eq(str(j, "reason"), "OK");
	cr_assert_str_eq(str(j, "cache_control"), "max-age=1800");
	cr_assert_str_eq(str(j, "location"), "http://192.0.2.1/desc.xml");
	cr_assert_str_eq(str(j, "server"), "Linux/6.1 UPnP/2.0 lab/1.0");
	cr_assert_str_eq(str(j, "st"), "upnp:rootdevice");
	cr_assert_str_eq(str(j, "usn"),
			 "uuid:2fac1234-31f8-11b4-a222-08002b34c003::upnp:rootdevice");
	cr_assert_null(json_object_get(j, "method"));
	json_decref(j);
}

Test(ssdp, every_truncation_point)
{
	every_truncation(notify);
	every_truncation(msearch);
	every_truncation(response);
}

Test(ssdp, not_ssdp)
{
	static const char *const others[] = {
		"\x01\x02\x03\x04",
		"HTTP/1.1 abc OK\r\n\r\n",
		"hello world\r\n\r\n",
		"{\"json\": true}\r\n",
	};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		enum pl_dissect_result r;
		json_t *j = run(others[i], &r);
		cr_assert_eq(r, PL_DISSECT_NOT_MINE, "case %zu: %s", i, out);
		cr_assert_eq(json_object_size(j), 0);
		json_decref(j);
	}
}
