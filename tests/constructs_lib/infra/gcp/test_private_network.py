"""PrivateNetwork: the agents' network, closed to the world, egress through Cloud NAT, flow logs on."""

from __future__ import annotations

from constructs_lib.infra.gcp.private_network import PrivateNetwork, SubnetSpec
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_nothing_connects_in_and_the_agents_reach_out_through_nat():
    stack, _ = synth(
        lambda s: PrivateNetwork(s, "n", name="agents", subnets={"us-central1": SubnetSpec("10.40.0.0/20")}),
        provider="google",
    )
    (network,) = of_type(stack, "google_compute_network")
    assert network["auto_create_subnetworks"] is False
    (firewall,) = of_type(stack, "google_compute_firewall")
    assert (
        firewall["direction"] == "INGRESS"
        and firewall["deny"] == [{"protocol": "all"}]
        and firewall["source_ranges"] == ["0.0.0.0/0"]
    )
    (subnet,) = of_type(stack, "google_compute_subnetwork")
    assert (
        subnet["ip_cidr_range"] == "10.40.0.0/20"
        and subnet["private_ip_google_access"] is True
        and subnet["log_config"]
    )
    (nat,) = of_type(stack, "google_compute_router_nat")
    assert nat["region"] == "us-central1" and nat["nat_ip_allocate_option"] == "AUTO_ONLY"
