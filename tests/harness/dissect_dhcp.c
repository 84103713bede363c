/* SPDX-License-Identifier: BSD-3-Clause */
/* dissect_dhcp FILE: the DHCP dissector on FILE's bytes
 * (one UDP datagram). */
#include "harness.h"

int
main(int argc, char **argv)
{
	return harness_main(argc, argv, pl_dhcp_dissect, NULL);
}
