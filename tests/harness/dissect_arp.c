/* SPDX-License-Identifier: BSD-3-Clause */
/* dissect_arp FILE: the ARP dissector on FILE's bytes
 * (one ARP packet, from its hardware type on). */
#include "harness.h"

int
main(int argc, char **argv)
{
	return harness_main(argc, argv, pl_arp_dissect, NULL);
}
