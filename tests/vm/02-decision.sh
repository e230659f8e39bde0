#!/bin/bash
# Every branch of the decision order, IPv4 and IPv6, with real sockets in a
# namespace that enforces.  A packet that passes leaves through a dummy
# device; one that is refused fails its system call with EPERM at once.
#
#   a-PID: dummy0 192.0.2.1/24, 2001:db8::1/64
#          routes 198.51.100.0/22, 203.0.113.0/24, 2001:db8::/32 via dummy0
#          mode enforce (the initial namespace stays in audit)
. "$(dirname "$0")/lib.sh"

load_module
ns_dummy a
n0 ctl a mode enforce
eq enforce "$(ctl a --json status | jget mode)" "mode of a"

# Nothing allowed yet.
block a tcp 203.0.113.7 443
block a udp 203.0.113.7 53
block a tcp 2001:db8:2::7 443
block a udp 2001:db8:2::7 53

# Loopback: addresses and the loopback device (an own address routes there).
pass a tcp 127.0.0.1 9
pass a udp 127.0.0.53 53
pass a tcp ::1 9
pass a tcp 192.0.2.1 9

# Off-link destinations: routed through a gateway on dummy0.
ip -n "a-$pid" route add 198.51.103.0/24 via 192.0.2.254 dev dummy0
ip -n "a-$pid" -6 route add 2001:db8:9::/48 via 2001:db8::fe dev dummy0

# DHCP and DHCPv6 client messages to broadcast, the link or a named server;
# nothing else on their ports, and not beyond the link.
pass a dhcp 255.255.255.255 --bcast --dev dummy0
pass a dhcp 192.0.2.67
pass a dhcp ff02::1:2 --dev dummy0
pass a dhcp fe80::547 --dev dummy0
block a dhcp 198.51.103.67
# A device route without a gateway is not a link (wg-quick's "default dev
# wg0"): 203.0.113.0/24 goes to dummy0, but no address there covers it.
block a dhcp 203.0.113.67
# An IPv6 address is on-link by a route alone: only link-local counts.
block a dhcp 2001:db8::547
block a dhcp 2001:db8:9::547
block a dhcp 255.255.255.255 --bcast --dev dummy0 --junk
block a dhcp ff02::1:2 --dev dummy0 --junk
block a udp 255.255.255.255 67 --sport 68 --bcast --dev dummy0
block a udp 255.255.255.255 67 --sport 69 --bcast --dev dummy0
block a udp 255.255.255.255 68 --sport 67 --bcast --dev dummy0
block a udp ff02::1:2 547 --sport 545 --dev dummy0
# A relayed network's renew goes to a server the administrator names.
n0 sh -c "echo 198.51.103.67,2001:db8:9::547 > $PARAMS/dhcp_servers"
pass a dhcp 198.51.103.67
pass a dhcp 2001:db8:9::547
block a dhcp 198.51.103.68
refuse "Invalid argument" bash -c "echo 198.51.103.0/24 > $PARAMS/dhcp_servers"
eq 198.51.103.67,2001:db8:9::547 "$(cat $PARAMS/dhcp_servers)" "dhcp_servers after a bad write"
n0 sh -c "echo > $PARAMS/dhcp_servers"
block a dhcp 198.51.103.67
n0 ctl a set allow_dhcp 0
block a dhcp 255.255.255.255 --bcast --dev dummy0
block a dhcp ff02::1:2 --dev dummy0
n0 ctl a set allow_dhcp 1

# NDP: solicitations and neighbour advertisements with hop limit 255 that
# stay on the link; not a router's advertisement, not a redirect.  MLD
# reports with hop limit 1 to link-scope groups.  No other ICMPv6.
pass a icmp6 ff02::2 133 --dev dummy0
pass a icmp6 ff02::1:ff00:9 135 --dev dummy0
pass a icmp6 ff02::1 136 --dev dummy0
pass a icmp6 fe80::9 135 --dev dummy0
pass a icmp6 2001:db8::9 135 --dev dummy0
# Routed to dummy0 without a gateway, but in no prefix of its addresses.
block a icmp6 2001:db8:5::9 135 --dev dummy0
block a icmp6 2001:db8:9::9 135 --dev dummy0
block a icmp6 ff02::1:ff00:9 135 --dev dummy0 --hop 64
block a icmp6 ff02::1 134 --dev dummy0
block a icmp6 fe80::9 137 --dev dummy0
pass a icmp6 ff02::16 143 --dev dummy0 --hop 1
pass a icmp6 ff02::1:ff00:9 131 --dev dummy0 --hop 1
block a icmp6 ff02::16 143 --dev dummy0 --hop 2
block a icmp6 ff05::16 143 --dev dummy0 --hop 1
block a icmp6 ff02::1 128 --dev dummy0
block a icmp6 ff02::1 138 --dev dummy0
n0 ctl a set allow_ndp 0
block a icmp6 ff02::1:ff00:9 135 --dev dummy0
block a icmp6 ff02::16 143 --dev dummy0 --hop 1
n0 ctl a set allow_ndp 1

# Protective servers: address and port, TCP or UDP.
n0 ctl a server add 192.0.2.53
n0 ctl a server add 2001:db8::53 port 8853
eq 2 "$(ctl a --json server list | jq length)" "servers"
pass a tcp 192.0.2.53 853
pass a udp 192.0.2.53 853
block a tcp 192.0.2.53 443
block a tcp 192.0.2.54 853
pass a tcp 2001:db8::53 8853
block a tcp 2001:db8::53 853
# A datagram to the server's port whose UDP header is cut short has no
# port to match: it fails closed.
block a trunc-udp 192.0.2.53
n0 ctl a server del 192.0.2.53
block a tcp 192.0.2.53 853

# Exception subnets, longest prefix.
n0 ctl a subnet add 198.51.100.0/24
n0 ctl a subnet add 2001:db8:1::/48
pass a tcp 198.51.100.77 443
pass a udp 198.51.100.255 53
block a tcp 198.51.101.1 443
pass a tcp 2001:db8:1:ffff::1 443
block a tcp 2001:db8:3::1 443
# The address rules need no ports: a cut-short datagram to a subnet passes.
pass a trunc-udp 198.51.100.9
n0 ctl a subnet del 198.51.100.0/24
block a tcp 198.51.100.77 443

# Dynamic entries, exact addresses.
n0 ctl a allow add 203.0.113.7 ttl 60
n0 ctl a allow add 2001:db8:2::7 ttl 60
pass a tcp 203.0.113.7 443
pass a udp 203.0.113.7 53
block a tcp 203.0.113.8 443
pass a tcp 2001:db8:2::7 443
block a tcp 2001:db8:2::8 443
eq 2 "$(ctl a --json status | jget entries)" "entries"
# Source routing: the destination is only the first hop, so an allowed one
# lets nothing through: IPv4 loose source routing via 203.0.113.7, an IPv6
# segment routing header with a segment left.
block a udp 198.51.100.99 53 --lsrr 203.0.113.7
pass a rh6 2001:db8:2::7 2001:db8:9::9 --sl 0
block a rh6 2001:db8:2::7 2001:db8:9::9 --sl 1
n0 ctl a allow del 203.0.113.7
block a tcp 203.0.113.7 443

# Audit mode passes what enforce refuses, and counts it.
audited=$(counter a audited)
n0 ctl a mode audit
pass a tcp 203.0.113.9 443
eq $((audited + 1)) "$(counter a audited)" "audited"
n0 ctl a mode off
pass a tcp 203.0.113.9 443
eq $((audited + 1)) "$(counter a audited)" "audited in mode off"

# The counters add up: each of the 40 refused probes above was counted,
# and so were the passes.
expect test "$(counter a blocked)" -ge 40
expect test "$(counter a permitted)" -ge 28
