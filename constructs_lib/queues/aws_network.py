"""How a region's new VPC is cut into subnets: one rule for the loader and the construct. Pure.

AWS VPCs are /16 to /28. Each zone gets a subnet four bits longer than the
VPC (a /20 of a /16), but never longer than /28, AWS's smallest subnet.
"""

from __future__ import annotations

import ipaddress

MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 28
SUBNET_BITS = 4


def subnet_prefix(block: ipaddress.IPv4Network | ipaddress.IPv6Network) -> int:
    return min(block.prefixlen + SUBNET_BITS, MAX_VPC_PREFIX)


def subnet_count(block: ipaddress.IPv4Network | ipaddress.IPv6Network) -> int:
    """How many zone subnets the VPC holds."""
    return int(2 ** (subnet_prefix(block) - block.prefixlen))


def subnets(cidr: str, zones: int) -> list[str]:
    """The subnet of each zone, in zone order (the loader has checked they fit)."""
    block = ipaddress.ip_network(cidr)
    return [str(net) for _, net in zip(range(zones), block.subnets(new_prefix=subnet_prefix(block)), strict=False)]
