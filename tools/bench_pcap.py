# SPDX-License-Identifier: BSD-3-Clause
"""pcap / pcapng reading, pcap writing and IPv4/IPv6 address rewriting.

Python 3 standard library only. Used by tools/multiply-flows and tools/bench.

Reading: classic pcap (both byte orders, microsecond and nanosecond magic)
and pcapng (section header, interface description, enhanced and simple
packet blocks; every interface must share one link type). Writing: classic
pcap, little-endian, microsecond or nanosecond resolution.
"""

import struct

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LOOP = 108
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276


class PcapError(Exception):
    pass


class Packet:
    """One captured packet: timestamp in nanoseconds, wire length, bytes."""

    __slots__ = ("ts_ns", "wire_len", "data")

    def __init__(self, ts_ns, wire_len, data):
        self.ts_ns = ts_ns
        self.wire_len = wire_len
        self.data = data


class Trace:
    """A whole trace in memory: link type, snaplen, ns resolution, packets."""

    def __init__(self, linktype, snaplen, nanosecond, packets):
        self.linktype = linktype
        self.snaplen = snaplen
        self.nanosecond = nanosecond
        self.packets = packets


def _read_pcap(buf, path):
    magic_le = struct.unpack_from("<I", buf, 0)[0]
    if magic_le in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        end = "<"
    else:
        end = ">"
    magic = struct.unpack_from(end + "I", buf, 0)[0]
    nano = magic == PCAP_MAGIC_NS
    if len(buf) < 24:
        raise PcapError(f"{path}: pcap header truncated at offset 0")
    _, _, _, _, _, snaplen, linktype = struct.unpack_from(end + "IHHiIII", buf, 0)
    linktype &= 0xFFFF
    packets = []
    off = 24
    rec = struct.Struct(end + "IIII")
    n = len(buf)
    mult = 1 if nano else 1000
    while off + 16 <= n:
        sec, frac, incl, orig = rec.unpack_from(buf, off)
        off += 16
        if off + incl > n:
            raise PcapError(f"{path}: packet {len(packets) + 1} truncated at "
                            f"offset {off - 16}: {incl} bytes announced, "
                            f"{n - off} present")
        packets.append(Packet(sec * 1_000_000_000 + frac * mult, orig,
                              bytes(buf[off:off + incl])))
        off += incl
    return Trace(linktype, snaplen, nano, packets)


def _read_pcapng(buf, path):
    packets = []
    linktypes = []      # per interface of the current section
    tsres = []          # ns per tick per interface
    snaplen = 0
    off = 0
    n = len(buf)
    end = "<"
    all_linktypes = set()
    while off + 12 <= n:
        btype = struct.unpack_from(end + "I", buf, off)[0]
        if btype == PCAPNG_SHB:
            bom = struct.unpack_from("<I", buf, off + 8)[0]
            end = "<" if bom == 0x1A2B3C4D else ">"
            linktypes, tsres = [], []
        btype, blen = struct.unpack_from(end + "II", buf, off)
        if blen < 12 or off + blen > n:
            raise PcapError(f"{path}: pcapng block at offset {off} has length "
                            f"{blen}, {n - off} bytes left")
        body = off + 8
        if btype == 1:  # interface description
            lt, _, snap = struct.unpack_from(end + "HHI", buf, body)
            res = 1000  # default 10^-6 s
            opt = body + 8
            while opt + 4 <= off + blen - 4:
                code, olen = struct.unpack_from(end + "HH", buf, opt)
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    v = buf[opt + 4]
                    if v & 0x80:
                        res = 1e9 / (2 ** (v & 0x7F))
                    else:
                        res = 10 ** (9 - v) if v <= 9 else 10 ** 9 / 10 ** v
                opt += 4 + ((olen + 3) & ~3)
            linktypes.append(lt)
            tsres.append(res)
            all_linktypes.add(lt)
            snaplen = max(snaplen, snap)
        elif btype == 6:  # enhanced packet
            ifid, tsh, tsl, cap, orig = struct.unpack_from(end + "IIIII", buf, body)
            if ifid >= len(linktypes):
                raise PcapError(f"{path}: packet block at offset {off} names "
                                f"interface {ifid}, only {len(linktypes)} described")
            ts = int(((tsh << 32) | tsl) * tsres[ifid])
            d = body + 20
            packets.append(Packet(ts, orig, bytes(buf[d:d + cap])))
        elif btype == 3:  # simple packet
            orig = struct.unpack_from(end + "I", buf, body)[0]
            cap = min(orig, blen - 16)
            packets.append(Packet(0, orig, bytes(buf[body + 4:body + 4 + cap])))
        off += blen
    if len(all_linktypes) > 1:
        raise PcapError(f"{path}: pcapng with several link types "
                        f"{sorted(all_linktypes)}: not supported")
    lt = all_linktypes.pop() if all_linktypes else LINKTYPE_ETHERNET
    return Trace(lt, snaplen or 262144, True, packets)


def read_trace(path):
    """Read a whole pcap or pcapng file. Raises PcapError with a reason."""
    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        raise PcapError(f"{path}: cannot read: {e.strerror}") from None
    if len(buf) < 24:
        raise PcapError(f"{path}: {len(buf)} bytes: too short for a pcap header")
    m = struct.unpack_from("<I", buf, 0)[0]
    if m in (PCAP_MAGIC_US, PCAP_MAGIC_NS) or \
            struct.unpack_from(">I", buf, 0)[0] in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        return _read_pcap(buf, path)
    if m == PCAPNG_SHB:
        return _read_pcapng(buf, path)
    raise PcapError(f"{path}: magic 0x{m:08x} at offset 0: not pcap or pcapng")


class PcapWriter:
    """Streaming classic pcap writer (little-endian)."""

    def __init__(self, path, linktype, snaplen=262144, nanosecond=False):
        self.f = open(path, "wb")
        self.nano = nanosecond
        self.rec = struct.Struct("<IIII")
        self.count = 0
        self.bytes = 0
        magic = PCAP_MAGIC_NS if nanosecond else PCAP_MAGIC_US
        self.f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        self.buf = []

    def write(self, ts_ns, wire_len, data):
        sec, rem = divmod(ts_ns, 1_000_000_000)
        frac = rem if self.nano else rem // 1000
        self.buf.append(self.rec.pack(sec, frac, len(data), max(wire_len, len(data))))
        self.buf.append(data)
        self.count += 1
        self.bytes += len(data)
        if len(self.buf) >= 8192:
            self.f.write(b"".join(self.buf))
            self.buf = []

    def close(self):
        if self.buf:
            self.f.write(b"".join(self.buf))
            self.buf = []
        self.f.close()


# --- decoding just enough to find and rewrite addresses ---------------------

class Layout:
    """Where a packet's IP header and L4 header are, if any.

    family: 4, 6 or None; l3: offset of the IP header; l4: offset of the L4
    header or None (not captured, non-first fragment); proto: L4 protocol;
    sport/dport: ports or 0.
    """

    __slots__ = ("family", "l3", "l4", "proto", "sport", "dport", "frag", "tcp_flags")

    def __init__(self):
        self.family = None
        self.l3 = None
        self.l4 = None
        self.proto = 0
        self.sport = 0
        self.dport = 0
        self.frag = False
        self.tcp_flags = 0

    def src(self, d):
        if self.family == 4:
            return bytes(d[self.l3 + 12:self.l3 + 16])
        return bytes(d[self.l3 + 8:self.l3 + 24])

    def dst(self, d):
        if self.family == 4:
            return bytes(d[self.l3 + 16:self.l3 + 20])
        return bytes(d[self.l3 + 24:self.l3 + 40])


_IPV6_EXT = {0, 43, 60, 135, 139, 140}  # hop-by-hop, routing, dest opts, mobility, HIP, shim6


def _l3_start(d, linktype):
    """(offset, ethertype) of the network header, or (None, None)."""
    n = len(d)
    if linktype == LINKTYPE_ETHERNET:
        if n < 14:
            return None, None
        off, et = 14, (d[12] << 8) | d[13]
        while et in (0x8100, 0x88A8, 0x9100) and off + 4 <= n:
            et = (d[off + 2] << 8) | d[off + 3]
            off += 4
        return off, et
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        if n < 1:
            return None, None
        v = d[0] >> 4
        return 0, 0x0800 if v == 4 else 0x86DD if v == 6 else None
    if linktype == LINKTYPE_LINUX_SLL:
        if n < 16:
            return None, None
        return 16, (d[14] << 8) | d[15]
    if linktype == LINKTYPE_LINUX_SLL2:
        if n < 20:
            return None, None
        return 20, (d[0] << 8) | d[1]
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if n < 4:
            return None, None
        fam = struct.unpack_from("<I", d, 0)[0]
        if fam > 0xFFFF:
            fam = struct.unpack_from(">I", d, 0)[0]
        if fam == 2:
            return 4, 0x0800
        if fam in (10, 24, 28, 30):
            return 4, 0x86DD
        return None, None
    return None, None


def parse(d, linktype):
    """Layout of a packet (bytes or bytearray)."""
    lay = Layout()
    off, et = _l3_start(d, linktype)
    if off is None:
        return lay
    n = len(d)
    if et == 0x0800:
        if off + 20 > n or d[off] >> 4 != 4:
            return lay
        ihl = (d[off] & 0x0F) * 4
        lay.family, lay.l3, lay.proto = 4, off, d[off + 9]
        fo = ((d[off + 6] << 8) | d[off + 7])
        if fo & 0x1FFF:
            lay.frag = True
            return lay
        l4 = off + ihl
    elif et == 0x86DD:
        if off + 40 > n or d[off] >> 4 != 6:
            return lay
        lay.family, lay.l3 = 6, off
        nh = d[off + 6]
        l4 = off + 40
        while nh in _IPV6_EXT or nh == 44:
            if l4 + 8 > n:
                lay.proto = nh
                return lay
            if nh == 44:  # fragment
                fo = ((d[l4 + 2] << 8) | d[l4 + 3]) & 0xFFF8
                nh = d[l4]
                l4 += 8
                if fo:
                    lay.frag = True
                    lay.proto = nh
                    return lay
                continue
            nh, l4 = d[l4], l4 + (d[l4 + 1] + 1) * 8
        lay.proto = nh
    else:
        return lay
    lay.proto = lay.proto if lay.family == 4 else lay.proto
    if lay.proto in (6, 17, 132) and l4 + 4 <= n:
        lay.l4 = l4
        lay.sport = (d[l4] << 8) | d[l4 + 1]
        lay.dport = (d[l4 + 2] << 8) | d[l4 + 3]
        if lay.proto == 6 and l4 + 14 <= n:
            lay.tcp_flags = d[l4 + 13]
    elif lay.proto in (1, 58) and l4 + 4 <= n:
        lay.l4 = l4
    return lay


def _csum_add(s, data):
    """One's complement sum of 16-bit words (data of even length)."""
    for i in range(0, len(data), 2):
        s += (data[i] << 8) | data[i + 1]
    return s


def _fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ipv4_fix_checksum(d, l3):
    """Recompute an IPv4 header checksum in place (if the header is whole)."""
    ihl = (d[l3] & 0x0F) * 4
    if l3 + ihl > len(d) or ihl < 20:
        return
    d[l3 + 10] = d[l3 + 11] = 0
    c = ~_fold(_csum_add(0, d[l3:l3 + ihl])) & 0xFFFF
    d[l3 + 10], d[l3 + 11] = c >> 8, c & 0xFF


def _l4_csum_offset(lay):
    if lay.l4 is None:
        return None
    if lay.proto == 6:
        return lay.l4 + 16
    if lay.proto == 17:
        return lay.l4 + 6
    if lay.proto == 58:  # ICMPv6 has a pseudo-header
        return lay.l4 + 2
    return None


def set_address(d, lay, side, new):
    """Write address `new` as source (side 0) or destination (side 1) of a
    packet, updating the L4 checksum incrementally (RFC 1624, works on
    snaplen-cut packets too) and the IPv4 header checksum."""
    if lay.family == 4:
        a = lay.l3 + (12 if side == 0 else 16)
        ln = 4
    else:
        a = lay.l3 + (8 if side == 0 else 24)
        ln = 16
    old = bytes(d[a:a + ln])
    if old == new:
        return
    co = _l4_csum_offset(lay)
    if co is not None and co + 2 <= len(d):
        c = (d[co] << 8) | d[co + 1]
        if not (lay.proto == 17 and c == 0 and lay.family == 4):
            # HC' = ~(~HC + ~m + m')
            s = (~c) & 0xFFFF
            for i in range(0, ln, 2):
                s += (~((old[i] << 8) | old[i + 1])) & 0xFFFF
                s += (new[i] << 8) | new[i + 1]
            c2 = (~_fold(s)) & 0xFFFF
            if lay.proto == 17 and c2 == 0:
                c2 = 0xFFFF
            d[co], d[co + 1] = c2 >> 8, c2 & 0xFF
    d[a:a + ln] = new
    if lay.family == 4:
        ipv4_fix_checksum(d, lay.l3)


def set_port(d, lay, side, port):
    """Write a TCP/UDP source (0) or destination (1) port, fixing the L4
    checksum incrementally."""
    if lay.l4 is None or lay.proto not in (6, 17):
        return
    p = lay.l4 + (0 if side == 0 else 2)
    if p + 2 > len(d):
        return
    old = (d[p] << 8) | d[p + 1]
    if old == port:
        return
    co = _l4_csum_offset(lay)
    if co is not None and co + 2 <= len(d):
        c = (d[co] << 8) | d[co + 1]
        if not (lay.proto == 17 and c == 0 and lay.family == 4):
            s = ((~c) & 0xFFFF) + ((~old) & 0xFFFF) + port
            c2 = (~_fold(s)) & 0xFFFF
            if lay.proto == 17 and c2 == 0:
                c2 = 0xFFFF
            d[co], d[co + 1] = c2 >> 8, c2 & 0xFF
    d[p], d[p + 1] = port >> 8, port & 0xFF


def flow_key(d, lay):
    """Direction-independent key of a packet's flow, or None if not IP."""
    if lay.family is None:
        return None
    a, b = (lay.src(d), lay.sport), (lay.dst(d), lay.dport)
    if lay.frag:
        a, b = (a[0], 0), (b[0], 0)
    lo, hi = (a, b) if a <= b else (b, a)
    return (lay.family, lay.proto, lo, hi)
